import CShim

/// A node of a YAML document as libyaml reads it (yaml_parser_parse(3) events, composed as
/// PyYAML and Yams compose them), with the line it begins on: all a manifest reader needs.
/// libyaml, not a Swift package: the one Swift YAML package links all of Foundation into the
/// runner, which costs every start of it about a millisecond, measured.
struct YAMLNode {
    enum Value {
        case scalar(String)
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])
    }

    let value: Value
    /// 1 for the first line.
    let line: Int

    /// A scalar's text; nil for a mapping or a sequence.
    var string: String? {
        if case .scalar(let text) = value { text } else { nil }
    }

    /// The root of the single document in `text`; nil when it has none (empty, or comments).
    static func compose(_ text: String) throws(YAMLError) -> YAMLNode? {
        var composer = YAMLComposer(text)
        defer { composer.close() }
        return try composer.singleRoot()
    }
}

/// Why a text is not YAML: libyaml's words ("did not find expected ',' or ']'") or the
/// composer's, the line, and, from libyaml, the construct it was reading and the line that
/// began on ("while parsing a flow sequence", 1).
struct YAMLError: Error {
    let problem: Message
    let line: Int
    var context: (text: String, line: Int)? = nil
}

/// Turns libyaml's events into nodes; aliases are resolved to the node their anchor named.
private struct YAMLComposer {
    /// On the heap: libyaml keeps a pointer to its parser (its read handler's data).
    private let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private let started: Bool
    private var anchors: [String: YAMLNode] = [:]

    init(_ text: String) {
        bytes = UnsafeMutableBufferPointer.allocate(capacity: text.utf8.count)
        _ = bytes.initialize(from: text.utf8)
        parser.initialize(to: yaml_parser_t())
        started = yaml_parser_initialize(parser) == 1
        if started { yaml_parser_set_input_string(parser, bytes.baseAddress, bytes.count) }
    }

    mutating func close() {
        if started { yaml_parser_delete(parser) }
        if let kept = pending {
            var event = kept
            yaml_event_delete(&event)
        }
        parser.deallocate()
        bytes.deallocate()
    }

    mutating func singleRoot() throws(YAMLError) -> YAMLNode? {
        guard started else { throw YAMLError(problem: manifestText.yamlOutOfMemory, line: 1) }
        _ = try next()  // the stream's start
        guard try next().type == YAML_DOCUMENT_START_EVENT else { return nil }  // its end: no document
        let root = try node()
        _ = try next()  // the document's end
        let after = try next()
        guard after.type == YAML_STREAM_END_EVENT else {
            throw YAMLError(problem: manifestText.yamlSecondDocument, line: after.line)
        }
        return root
    }

    /// How deep the collections being read nest, bounded: composing is recursive, and a
    /// manifest nests three deep.
    private var depth = 0
    private static let maximumDepth = 64

    /// The node whose first event is next.
    private mutating func node() throws(YAMLError) -> YAMLNode {
        var event = yaml_event_t()
        try parse(&event)
        defer { yaml_event_delete(&event) }
        let line = Int(event.start_mark.line) + 1
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else {
            throw YAMLError(problem: manifestText.yamlTooDeep(Self.maximumDepth), line: line)
        }
        switch event.type {
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let node = anchors[name] else {
                throw YAMLError(problem: manifestText.yamlUndefinedAlias(name), line: line)
            }
            return node
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            return anchored(scalar.anchor.map { String(cString: $0) }, YAMLNode(value: .scalar(text), line: line))
        case YAML_SEQUENCE_START_EVENT:
            let anchor = event.data.sequence_start.anchor.map { String(cString: $0) }
            var items: [YAMLNode] = []
            while try !peekEnd(YAML_SEQUENCE_END_EVENT) { items.append(try node()) }
            return anchored(anchor, YAMLNode(value: .sequence(items), line: line))
        case YAML_MAPPING_START_EVENT:
            let anchor = event.data.mapping_start.anchor.map { String(cString: $0) }
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            while try !peekEnd(YAML_MAPPING_END_EVENT) {
                let key = try node()
                if let name = key.string, pairs.contains(where: { $0.key.string == name }) {
                    throw YAMLError(problem: manifestText.yamlKeyTwice(name), line: key.line)
                }
                pairs.append((key, try node()))
            }
            return anchored(anchor, YAMLNode(value: .mapping(pairs), line: line))
        default:
            throw YAMLError(problem: manifestText.yamlUnexpected(Int(event.type.rawValue)), line: line)
        }
    }

    private mutating func anchored(_ anchor: String?, _ node: YAMLNode) -> YAMLNode {
        if let anchor { anchors[anchor] = node }
        return node
    }

    /// libyaml hands events one at a time: a collection's end is seen by parsing it. The
    /// event after an item is kept for node() to take.
    private var pending: yaml_event_t?

    private mutating func peekEnd(_ end: yaml_event_type_t) throws(YAMLError) -> Bool {
        if pending == nil {
            var event = yaml_event_t()
            try parse(&event)
            pending = event
        }
        guard pending!.type == end else { return false }
        yaml_event_delete(&pending!)
        pending = nil
        return true
    }

    private mutating func parse(_ event: inout yaml_event_t) throws(YAMLError) {
        if let kept = pending {
            event = kept
            pending = nil
            return
        }
        guard yaml_parser_parse(parser, &event) == 1 else { throw error }
    }

    /// The next event's type and line, the event itself dropped.
    private mutating func next() throws(YAMLError) -> (type: yaml_event_type_t, line: Int) {
        var event = yaml_event_t()
        try parse(&event)
        defer { yaml_event_delete(&event) }
        return (event.type, Int(event.start_mark.line) + 1)
    }

    /// What libyaml says went wrong, with its lines counted from 1.
    private var error: YAMLError {
        let state = parser.pointee
        let problem = state.problem.map { Message.verbatim(String(cString: $0)) } ?? manifestText.yamlNoReason
        if state.error == YAML_READER_ERROR {
            // A reader error (not UTF-8, a control character) has an offset, not a line.
            let line = 1 + bytes.prefix(Int(state.problem_offset)).lazy.filter { $0 == UInt8(ascii: "\n") }.count
            return YAMLError(problem: problem, line: line)
        }
        return YAMLError(problem: problem, line: Int(state.problem_mark.line) + 1,
                         context: state.context.map { (String(cString: $0), Int(state.context_mark.line) + 1) })
    }
}
