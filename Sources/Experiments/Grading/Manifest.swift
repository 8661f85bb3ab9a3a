
let manifestText = ManifestText()

/// The course's grading manifest (`runner grade --manifest FILE`), the teacher's: which
/// exercises are graded, what each is worth, and the limits. Without one, every exercise the
/// runner has is graded at 1 point with the default limits. It may also give the `build` and
/// `run` lines, when the course fixes the program's command line; a checkout's lab.yml then
/// needs none of them.
///
///     limits: { timeout: 10, output: 1048576, processes: 256, memory: 512M, build_timeout: 120 }
///     exercises:
///       uts-namespace: { points: 10 }
///       pid-namespace: { points: 2, timeout: 20 }
///       net-namespace:
public struct Course: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The exercise's id, one of Catalog.exercises.
        public let exercise: String
        public let points: Int
        /// Wall-clock bound of this exercise, seconds.
        public let timeout: Double
        /// The course's own `run` line, split into words, placeholders in place; nil: the
        /// checkout's lab.yml gives it.
        public let run: [String]?
    }

    public struct Limits: Sendable, Equatable {
        public var timeout: Double = 10
        public var outputBytes: Int = 1 << 20
        public var processes: Int = 256
        /// Bytes of memory, as a cgroup counts them (page cache and tmpfs included).
        public var memoryBytes: Int = 512 << 20
        /// The build may fetch nothing, but compiling can take longer than a run.
        public var buildTimeout: Double = 120
    }

    public let build: String?
    public let limits: Limits
    public let entries: [Entry]

    /// Every exercise the runner has, 1 point each, the default limits.
    public static let everyExercise = Course(build: nil, limits: Limits(), entries: Catalog.exercises.map {
        Entry(exercise: $0.id, points: 1, timeout: Limits().timeout, run: nil)
    })

    /// Reads `text` (the file `file`); a ManifestError names the file, line and field at fault.
    public static func parse(_ text: String, file: String) throws(ManifestError) -> Course {
        let reader = ManifestReader(file: file)
        let top = try reader.mapping(try reader.root(text), field: nil, allowed: ["build", "limits", "exercises"])
        var build: String?
        if let node = top["build"] { build = try reader.string(node, field: "build") }
        var limits = Limits()
        if let node = top["limits"] {
            let fields = try reader.mapping(node, field: "limits", allowed: ["timeout", "output", "processes", "memory", "build_timeout"])
            if let value = fields["timeout"] { limits.timeout = try reader.number(value, field: "limits.timeout", in: 0.1...3600) }
            if let value = fields["output"] { limits.outputBytes = Int(try reader.number(value, field: "limits.output", in: 1024...67_108_864)) }
            if let value = fields["processes"] { limits.processes = Int(try reader.number(value, field: "limits.processes", in: 8...4096)) }
            if let value = fields["memory"] { limits.memoryBytes = try reader.bytes(value, field: "limits.memory", in: (16 << 20)...(64 << 30)) }
            if let value = fields["build_timeout"] {
                limits.buildTimeout = try reader.number(value, field: "limits.build_timeout", in: 1...3600)
            }
        }
        guard top["exercises"] != nil else {
            // The limits alone: every exercise, 1 point each.
            return Course(build: build, limits: limits, entries: Catalog.exercises.map {
                Entry(exercise: $0.id, points: 1, timeout: limits.timeout, run: nil)
            })
        }
        var entries: [Entry] = []
        for (exercise, key, value) in try reader.exercises(top, root: top["exercises"]) {
            let field = "exercises.\(exercise.id)"
            var fields: [String: YAMLNode] = [:]
            if let text = value.string, text.isEmpty || text == "~" || text == "null" {
                // `uts-namespace:` alone: graded, 1 point, the course's limits.
            } else {
                fields = try reader.mapping(value, field: field, allowed: ["points", "timeout", "run"])
            }
            var points = 1, timeout = limits.timeout
            if let node = fields["points"] { points = Int(try reader.number(node, field: "\(field).points", in: 0...1000)) }
            if let node = fields["timeout"] { timeout = try reader.number(node, field: "\(field).timeout", in: 0.1...3600) }
            let run = try fields["run"].map { node throws(ManifestError) in try reader.runLine(node, exercise: exercise, field: "\(field).run") }
            _ = key
            entries.append(Entry(exercise: exercise.id, points: points, timeout: timeout, run: run))
        }
        return Course(build: build, limits: limits, entries: entries)
    }

    /// Reads the course's file; one that cannot be read is a ManifestError too.
    public static func load(_ path: String) throws(ManifestError) -> Course {
        let text: String
        do { text = try readFile(path, requireProc: false) } catch {
            throw ManifestError(path, line: 0, field: nil, manifestText.unreadable(error.errnoName))
        }
        return try parse(text, file: path)
    }

    /// The same course, narrowed to `only` (`--only`) and with every exercise bounded by
    /// `timeout` seconds (`--timeout`).
    public func narrowed(to only: Set<String>?, timeout: Double?) -> Course {
        Course(build: build, limits: limits, entries: entries.filter { only?.contains($0.exercise) ?? true }.map {
            Entry(exercise: $0.exercise, points: $0.points, timeout: timeout ?? $0.timeout, run: $0.run)
        })
    }
}

/// A checkout's `lab.yml`, the student's: how to build the program and, for each exercise,
/// the command line that runs it. Nothing else: what is graded, its points and its limits are
/// the course's, and a checkout that sets them has an error of its own.
///
///     build: go build -o mydocker .
///     exercises:
///       uts-namespace: { run: "./mydocker uts {hostname} {probe}" }
public struct LabFile: Sendable, Equatable {
    public let build: String?
    /// Each exercise's `run` split into words, placeholders still in place.
    public let runs: [String: [String]]

    public static func parse(_ text: String, file: String) throws(ManifestError) -> LabFile {
        let reader = ManifestReader(file: file)
        let root = try reader.root(text)
        let top = try reader.mapping(root, field: nil, allowed: ["build", "exercises", "limits"])
        if let limits = top["limits"] {
            throw ManifestError(file, line: limits.line, field: "limits",
                                manifestText.limitsAreTheCourses)
        }
        var build: String?
        if let node = top["build"] { build = try reader.string(node, field: "build") }
        var runs: [String: [String]] = [:]
        for (exercise, _, value) in try reader.exercises(top, root: top["exercises"]) {
            let field = "exercises.\(exercise.id)"
            let fields = try reader.mapping(value, field: field, allowed: ["run", "points", "timeout"])
            for owned in ["points", "timeout"] {
                if let node = fields[owned] {
                    throw ManifestError(file, line: node.line, field: "\(field).\(owned)",
                                        owned == "points" ? manifestText.pointsAreTheCourses : manifestText.timeoutsAreTheCourses)
                }
            }
            guard let runNode = fields["run"] else {
                throw ManifestError(file, line: value.line, field: "\(field).run", manifestText.noRun)
            }
            runs[exercise.id] = try reader.runLine(runNode, exercise: exercise, field: "\(field).run")
        }
        return LabFile(build: build, runs: runs)
    }
}

/// Walks a manifest's YAML, naming its file, line and field in every error.
struct ManifestReader {
    let file: String

    /// The document's root node.
    func root(_ text: String) throws(ManifestError) -> YAMLNode {
        let root: YAMLNode?
        do { root = try YAMLNode.compose(text) } catch {
            throw ManifestError(file, line: error.line, field: nil, manifestText.notYAML(error.explanation))
        }
        guard let root else { throw ManifestError(file, line: 1, field: nil, manifestText.empty) }
        return root
    }

    /// The `exercises` mapping's entries, each a known exercise listed once.
    func exercises(_ top: [String: YAMLNode], root: YAMLNode?) throws(ManifestError) -> [(Exercise, YAMLNode, YAMLNode)] {
        guard let node = root else {
            throw ManifestError(file, line: 1, field: "exercises", manifestText.noExercises)
        }
        guard case .mapping(let exercises) = node.value, !exercises.isEmpty else {
            throw ManifestError(file, line: node.line, field: "exercises", manifestText.exercisesMapping)
        }
        var found: [(Exercise, YAMLNode, YAMLNode)] = []
        for (key, value) in exercises {
            let name = try string(key, field: "exercises")
            guard let exercise = Catalog.exercise(name) else {
                let known = Catalog.exercises.map(\.id)
                let close = closest(to: name, among: known)
                throw ManifestError(file, line: key.line, field: "exercises.\(name)",
                                    alternatives(close).map { manifestText.unknownExerciseClose($0) }
                                        ?? manifestText.unknownExercise(Message.list(known)))
            }
            if found.contains(where: { $0.0.id == exercise.id }) {
                throw ManifestError(file, line: key.line, field: "exercises.\(name)", manifestText.listedTwice)
            }
            found.append((exercise, key, value))
        }
        return found
    }

    /// A `run` line: split into words like a shell would, with only the exercise's own
    /// placeholders, each a word of its own, and the command to run among them.
    func runLine(_ node: YAMLNode, exercise: Exercise, field: String) throws(ManifestError) -> [String] {
        let run = try string(node, field: field)
        let line = node.line
        let words: [String]
        do {
            words = try splitWords(run)
        } catch {
            throw ManifestError(file, line: line, field: field, Message.of(error))
        }
        let known = exercise.placeholders
        for word in words where placeholderName(word).map({ !known.contains($0) }) ?? false {
            throw ManifestError(file, line: line, field: field,
                                manifestText.unknownPlaceholder(word, exercise.id, known.map { "{\($0)}" }.joined(separator: " ")))
        }
        // Only a whole word is replaced: `--name={hostname}` would reach the program as written.
        for word in words where placeholderName(word) == nil {
            if let inside = known.first(where: { word.contains("{\($0)}") }) {
                throw ManifestError(file, line: line, field: field,
                                    manifestText.placeholderInWord("{\(inside)}", word))
            }
        }
        guard words.contains("{\(exercise.probePlaceholder)}") else {
            throw ManifestError(file, line: line, field: field, manifestText.noProbe("{\(exercise.probePlaceholder)}"))
        }
        return words
    }

    func mapping(_ node: YAMLNode, field: String?, allowed: Set<String>) throws(ManifestError) -> [String: YAMLNode] {
        guard case .mapping(let mapping) = node.value else {
            throw ManifestError(file, line: node.line, field: field, manifestText.mappingExpected)
        }
        var fields: [String: YAMLNode] = [:]
        for (key, value) in mapping {
            let name = key.string ?? ""
            let path = field.map { "\($0).\(name)" } ?? name
            guard allowed.contains(name) else {
                throw ManifestError(file, line: key.line, field: path,
                                    manifestText.unknownField(Message.list(allowed.sorted())))
            }
            fields[name] = value
        }
        return fields
    }

    func string(_ node: YAMLNode, field: String) throws(ManifestError) -> String {
        guard let text = node.string, !text.isEmpty else {
            throw ManifestError(file, line: node.line, field: field, manifestText.stringExpected)
        }
        return text
    }

    func number(_ node: YAMLNode, field: String, in range: ClosedRange<Double>) throws(ManifestError) -> Double {
        guard let value = node.string.flatMap(Double.init), range.contains(value) else {
            throw ManifestError(file, line: node.line, field: field,
                                manifestText.numberExpected(range.lowerBound.formatted, range.upperBound.formatted))
        }
        return value
    }

    /// A size: bytes, or a number with K, M or G (KiB, MiB, GiB): 512M.
    func bytes(_ node: YAMLNode, field: String, in range: ClosedRange<Int>) throws(ManifestError) -> Int {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var text = (node.string ?? "").uppercased()
        if text.hasSuffix("IB") || text.hasSuffix("B") { text = String(text.dropLast(text.hasSuffix("IB") ? 2 : 1)) }
        let unit = text.last.flatMap { units[$0] }
        let number = Int(unit == nil ? text : String(text.dropLast()))
        guard let number, case let value = number.multipliedReportingOverflow(by: unit ?? 1), !value.overflow,
              range.contains(value.partialValue) else {
            throw ManifestError(file, line: node.line, field: field,
                                manifestText.sizeExpected("\(range.lowerBound >> 20)M", "\(range.upperBound >> 30)G"))
        }
        return value.partialValue
    }
}

/// What is wrong with a manifest, where: "lab.yml:4: exercises.uts-namespace.run: missing".
public struct ManifestError: MessageError, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let line: Int
    public let field: String?
    /// What is wrong there.
    public let problem: Message

    init(_ file: String, line: Int, field: String?, _ problem: Message) {
        self.file = file
        self.line = line
        self.field = field
        self.problem = problem
    }

    /// "lab.yml:3: exercises.uts-namespace.run: …": where, then what is wrong.
    public var message: Message {
        let place = "\(file)\(line > 0 ? ":\(line)" : "")"
        return field.map { manifestText.atField(place, $0, problem) } ?? manifestText.at(place, problem)
    }

    public var description: String { message.english }
}

/// What the grader says of a course's manifest or a checkout's lab.yml.
final class ManifestText: MessageTable {
    let at = Template("{0}: {1}", zh: "{0}：{1}")
    let atField = Template("{0}: {1}: {2}", zh: "{0}：{1}：{2}")
    let unreadable = Template("cannot be read: {0}", zh: "无法读取：{0}")
    let empty = Message("the file is empty", zh: "文件是空的")
    let notYAML = Template("not valid YAML: {0}", zh: "不是有效的 YAML：{0}")
    let limitsAreTheCourses = Message("limits are the course's to set (in its manifest), not a checkout's: remove this field", zh: "上限由课程设定（在课程的清单里），而不是由学生的代码目录设定：请删除这个字段")
    let pointsAreTheCourses = Message("points are the course's to set (in its manifest), not a checkout's: remove this field", zh: "分数由课程设定（在课程的清单里），而不是由学生的代码目录设定：请删除这个字段")
    let timeoutsAreTheCourses = Message("time limits are the course's to set (in its manifest), not a checkout's: remove this field", zh: "时间上限由课程设定（在课程的清单里），而不是由学生的代码目录设定：请删除这个字段")
    let noRun = Message("missing: the command line that runs your program", zh: "缺少运行你的程序的命令行")
    let noExercises = Message("missing: the exercises to grade", zh: "缺少要评分的练习")
    let exercisesMapping = Message("a mapping of exercise ids was expected", zh: "这里应当是一个以练习 id 为键的映射")
    let unknownExercise = Template("unknown exercise; known: {0}", zh: "未知的练习；已知的有：{0}")
    let unknownExerciseClose = Template("unknown exercise; did you mean {0}?", zh: "未知的练习；你是不是想输入 {0}？")
    let listedTwice = Message("listed twice", zh: "列出了两次")
    let unknownPlaceholder = Template("unknown placeholder {0}; {1} has {2}", zh: "未知的占位符 {0}；{1} 的占位符有 {2}")
    let placeholderInWord = Template("{0} must be a word of its own (in `{1}` it would not be replaced)", zh: "{0} 必须单独成为一个词（在 `{1}` 里它不会被替换）")
    let noProbe = Template("no {0}: your program must be given the command to run", zh: "没有 {0}：必须把要运行的命令交给你的程序")
    let mappingExpected = Message("a mapping (key: value) was expected", zh: "这里应当是一个映射（key: value）")
    let unknownField = Template("unknown field; expected {0}", zh: "未知的字段；应当是 {0}")
    let stringExpected = Message("a non-empty string was expected", zh: "这里应当是一个非空字符串")
    let numberExpected = Template("a number from {0} to {1} was expected", zh: "这里应当是一个 {0} 到 {1} 之间的数")
    let sizeExpected = Template("a size from {0} to {1} was expected (bytes, or a number with K, M or G)", zh: "这里应当是一个 {0} 到 {1} 之间的大小（字节数，或带 K、M、G 的数）")
    let beganOn = Template("{0} (in {1} that begins on line {2})", zh: "{0}（在从第 {2} 行开始的 {1} 里）")
    let yamlKeyTwice = Template("the key \"{0}\" is given twice", zh: "键“{0}”出现了两次")
    let yamlTooDeep = Template("nested more than {0} deep", zh: "嵌套超过 {0} 层")
    let yamlUndefinedAlias = Template("the alias *{0} names no anchor before it", zh: "别名 *{0} 前面没有对应的锚点")
    let yamlSecondDocument = Message("a second document: the file holds one", zh: "第二个文档：文件只能有一个文档")
    let yamlOutOfMemory = Message("out of memory", zh: "内存不足")
    let yamlNoReason = Message("libyaml gave no reason", zh: "libyaml 没有给出原因")
    let yamlUnexpected = Template("unexpected YAML event {0}", zh: "意外的 YAML 事件 {0}")
    let notClosed = Template("a {0} is not closed", zh: "有一个 {0} 没有闭合")
    let backslashAtEnd = Message("a \\ ends the line", zh: "行尾是一个 \\")
    let noCommand = Message("no command", zh: "没有命令")
}

extension YAMLError {
    /// What is wrong, and where the construct it was reading began when that is elsewhere
    /// (an unclosed mapping is found at the end of the file, but opened on its own line).
    var explanation: Message {
        guard let context, context.line != line else { return problem }
        // libyaml says "while parsing a block mapping": the construct is its words after it.
        let construct = context.text.hasPrefix("while parsing ") ? String(context.text.dropFirst("while parsing ".count)) : context.text
        return manifestText.beganOn(problem, construct, context.line)
    }
}

extension Double {
    /// 10 for 10.0, 0.5 for 0.5.
    var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}

/// A `run` line that does not split.
struct WordSplitError: MessageError, CustomStringConvertible {
    let message: Message
    var description: String { message.english }
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
                guard let next = characters.next() else { throw WordSplitError(message: manifestText.notClosed("'")) }
                if next == "'" { break }
                current.append(next)
            }
        case "\"":
            inWord = true
            while true {
                guard let next = characters.next() else { throw WordSplitError(message: manifestText.notClosed("\"")) }
                if next == "\"" { break }
                if next == "\\" {
                    guard let escaped = characters.next() else { throw WordSplitError(message: manifestText.notClosed("\"")) }
                    if !"\"\\$`".contains(escaped) { current.append("\\") }
                    current.append(escaped)
                } else {
                    current.append(next)
                }
            }
        case "\\":
            guard let escaped = characters.next() else { throw WordSplitError(message: manifestText.backslashAtEnd) }
            inWord = true
            current.append(escaped)
        default:
            inWord = true
            current.append(c)
        }
    }
    if inWord { words.append(current) }
    if words.isEmpty { throw WordSplitError(message: manifestText.noCommand) }
    return words
}
