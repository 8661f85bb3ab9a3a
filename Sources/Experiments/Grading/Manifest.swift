import Yams

/// A checkout's `lab.yml`: how to build the student's program and, for each exercise, the
/// command line that runs it.
///
///     build: go build -o mydocker .
///     limits: { timeout: 10, output: 1048576, processes: 256, build_timeout: 120 }
///     exercises:
///       uts-namespace: { run: "./mydocker uts {hostname} {probe}", points: 10 }
public struct Manifest: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let exercise: Exercise.ID
        /// `run` split into words, placeholders still in place.
        public let words: [String]
        public let points: Int
        /// Wall-clock bound of this exercise, seconds.
        public let timeout: Double
    }

    public struct Limits: Sendable, Equatable {
        public var timeout: Double = 10
        public var outputBytes: Int = 1 << 20
        public var processes: Int = 256
        /// The build may fetch nothing, but compiling can take longer than a run.
        public var buildTimeout: Double = 120
    }

    public let build: String?
    public let limits: Limits
    public let entries: [Entry]

    /// Reads `text` (the file `file`); a ManifestError names the file, line and field at fault.
    public static func parse(_ text: String, file: String) throws(ManifestError) -> Manifest {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ManifestError(file, line: 1, field: nil, "the file is empty") }
            root = node
        } catch let error as ManifestError {
            throw error
        } catch let error as YamlError {
            throw ManifestError(file, line: error.line ?? 1, field: nil, "not valid YAML: \(error.problem)")
        } catch {
            throw ManifestError(file, line: 1, field: nil, "not valid YAML: \(error)")
        }
        let reader = Reader(file: file)
        let top = try reader.mapping(root, field: nil, allowed: ["build", "limits", "exercises"])
        var build: String?
        if let node = top["build"] { build = try reader.string(node, field: "build") }
        var limits = Limits()
        if let node = top["limits"] {
            let fields = try reader.mapping(node, field: "limits", allowed: ["timeout", "output", "processes", "build_timeout"])
            if let value = fields["timeout"] { limits.timeout = try reader.number(value, field: "limits.timeout", in: 0.1...3600) }
            if let value = fields["output"] { limits.outputBytes = Int(try reader.number(value, field: "limits.output", in: 1024...67_108_864)) }
            if let value = fields["processes"] { limits.processes = Int(try reader.number(value, field: "limits.processes", in: 8...4096)) }
            if let value = fields["build_timeout"] {
                limits.buildTimeout = try reader.number(value, field: "limits.build_timeout", in: 1...3600)
            }
        }
        guard let exercisesNode = top["exercises"] else {
            throw ManifestError(file, line: root.mark?.line ?? 1, field: "exercises", "missing: the exercises to grade, each with its `run`")
        }
        guard case .mapping(let exercises) = exercisesNode, !exercises.isEmpty else {
            throw ManifestError(file, line: exercisesNode.mark?.line ?? 1, field: "exercises",
                                "a mapping of exercise ids to { run: \"…\" } was expected")
        }
        var entries: [Entry] = []
        for (key, value) in exercises {
            let name = try reader.string(key, field: "exercises")
            guard let exercise = Exercise.ID(rawValue: name) else {
                let close = closest(to: name, among: Exercise.ID.allCases.map(\.rawValue))
                throw ManifestError(file, line: key.mark?.line ?? 1, field: "exercises.\(name)",
                                    "unknown exercise" + (close.isEmpty ? "; known: \(Exercise.ID.allCases.map(\.rawValue).joined(separator: ", "))"
                                                                        : "; did you mean \(close.joined(separator: " or "))?"))
            }
            if entries.contains(where: { $0.exercise == exercise }) {
                throw ManifestError(file, line: key.mark?.line ?? 1, field: "exercises.\(name)", "listed twice")
            }
            let field = "exercises.\(name)"
            let fields = try reader.mapping(value, field: field, allowed: ["run", "points", "timeout"])
            guard let runNode = fields["run"] else {
                throw ManifestError(file, line: value.mark?.line ?? 1, field: "\(field).run", "missing: the command line that runs your program")
            }
            let run = try reader.string(runNode, field: "\(field).run")
            let words: [String]
            do {
                words = try splitWords(run)
            } catch {
                throw ManifestError(file, line: runNode.mark?.line ?? 1, field: "\(field).run", "\(error)")
            }
            let known = Exercise.contract(exercise).placeholders
            for word in words where word.hasPrefix("{") && word.hasSuffix("}") && !known.contains(String(word.dropFirst().dropLast())) {
                throw ManifestError(file, line: runNode.mark?.line ?? 1, field: "\(field).run",
                                    "unknown placeholder \(word); \(name) has \(known.map { "{\($0)}" }.joined(separator: " "))")
            }
            // Only a whole word is replaced: `--name={hostname}` would reach the program as written.
            for word in words where !(word.hasPrefix("{") && word.hasSuffix("}")) {
                if let inside = known.first(where: { word.contains("{\($0)}") }) {
                    throw ManifestError(file, line: runNode.mark?.line ?? 1, field: "\(field).run",
                                        "{\(inside)} must be a word of its own (in `\(word)` it would not be replaced)")
                }
            }
            guard words.contains("{probe}") || words.contains("{probe_in_rootfs}") else {
                throw ManifestError(file, line: runNode.mark?.line ?? 1, field: "\(field).run",
                                    "no {\(known.last ?? "probe")}: your program must be given the command to run")
            }
            var points = 1, timeout = limits.timeout
            if let node = fields["points"] { points = Int(try reader.number(node, field: "\(field).points", in: 0...1000)) }
            if let node = fields["timeout"] { timeout = try reader.number(node, field: "\(field).timeout", in: 0.1...3600) }
            entries.append(Entry(exercise: exercise, words: words, points: points, timeout: timeout))
        }
        return Manifest(build: build, limits: limits, entries: entries)
    }

    /// The same manifest with every exercise bounded by `timeout` seconds (`--timeout`).
    public func bounded(by timeout: Double?) -> Manifest {
        guard let timeout else { return self }
        return Manifest(build: build, limits: limits,
                        entries: entries.map { Entry(exercise: $0.exercise, words: $0.words, points: $0.points, timeout: timeout) })
    }

    /// Reads a manifest file; one that cannot be read is a ManifestError too.
    public static func load(_ path: String) throws(ManifestError) -> Manifest {
        guard let text = readTextFile(path) else { throw ManifestError(path, line: 0, field: nil, "cannot be read") }
        return try parse(text, file: path)
    }

    /// Walks the YAML with the file's name for its errors.
    private struct Reader {
        let file: String

        func mapping(_ node: Node, field: String?, allowed: Set<String>) throws(ManifestError) -> [String: Node] {
            guard case .mapping(let mapping) = node else {
                throw ManifestError(file, line: node.mark?.line ?? 1, field: field, "a mapping (key: value) was expected")
            }
            var fields: [String: Node] = [:]
            for (key, value) in mapping {
                let name = key.string ?? ""
                let path = field.map { "\($0).\(name)" } ?? name
                guard allowed.contains(name) else {
                    throw ManifestError(file, line: key.mark?.line ?? 1, field: path,
                                        "unknown field; expected \(allowed.sorted().joined(separator: ", "))")
                }
                fields[name] = value
            }
            return fields
        }

        func string(_ node: Node, field: String) throws(ManifestError) -> String {
            guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
                throw ManifestError(file, line: node.mark?.line ?? 1, field: field, "a non-empty string was expected")
            }
            return scalar.string
        }

        func number(_ node: Node, field: String, in range: ClosedRange<Double>) throws(ManifestError) -> Double {
            guard case .scalar(let scalar) = node, let value = Double(scalar.string), range.contains(value) else {
                throw ManifestError(file, line: node.mark?.line ?? 1, field: field,
                                    "a number from \(range.lowerBound.formatted) to \(range.upperBound.formatted) was expected")
            }
            return value
        }
    }
}

/// What is wrong with a manifest, where: "lab.yml:4: exercises.uts-namespace.run: missing".
public struct ManifestError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let line: Int
    public let field: String?
    public let message: String

    init(_ file: String, line: Int, field: String?, _ message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(file)\(line > 0 ? ":\(line)" : ""): \(field.map { "\($0): " } ?? "")\(message)"
    }
}

extension YamlError {
    var line: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    var problem: String {
        switch self {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(self)"
        }
    }
}

extension Double {
    /// 10 for 10.0, 0.5 for 0.5.
    var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}

/// A `run` line that does not split.
struct WordSplitError: Error, CustomStringConvertible {
    let description: String
}

/// Splits `line` into words as a POSIX shell would, without expanding anything: blanks
/// separate words; '…' keeps everything; "…" keeps everything but \" \\ \$ \`; \ outside
/// quotes keeps the next character.
func splitWords(_ line: String) throws -> [String] {
    var words: [String] = [], current = "", inWord = false
    var characters = line.makeIterator()
    while let c = characters.next() {
        switch c {
        case " ", "\t", "\n":
            if inWord { words.append(current); current = ""; inWord = false }
        case "'":
            inWord = true
            while true {
                guard let next = characters.next() else { throw WordSplitError(description: "a ' is not closed") }
                if next == "'" { break }
                current.append(next)
            }
        case "\"":
            inWord = true
            while true {
                guard let next = characters.next() else { throw WordSplitError(description: "a \" is not closed") }
                if next == "\"" { break }
                if next == "\\" {
                    guard let escaped = characters.next() else { throw WordSplitError(description: "a \" is not closed") }
                    if !"\"\\$`".contains(escaped) { current.append("\\") }
                    current.append(escaped)
                } else {
                    current.append(next)
                }
            }
        case "\\":
            guard let escaped = characters.next() else { throw WordSplitError(description: "a \\ ends the line") }
            inWord = true
            current.append(escaped)
        default:
            inWord = true
            current.append(c)
        }
    }
    if inWord { words.append(current) }
    if words.isEmpty { throw WordSplitError(description: "no command") }
    return words
}
