import FoundationEssentials
import Glibc

/// A lesson file: a title, an intro, then sections. A section whose heading ends with
/// `{#key}` belongs to the step with that key (a step may have several; the first gives its
/// title), to `{#intro}` (shown before the first step) or to `{#closing}` (after the last).
public struct Lesson: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        public let title: String
        public let key: String?
        public let body: String
        /// The line of its `## ` heading, counted from 1.
        public let line: Int
    }

    public let title: String
    public let intro: String
    public let sections: [Section]
    /// The line of a ``` fence that is never closed, if one is.
    public let unclosedFence: Int?

    public init(markdown: String) {
        var title = "", intro: [Substring] = [], sections: [Section] = []
        var current: (title: String, key: String?, line: Int, lines: [Substring])?
        var fence: Int?  // the line the open fence began on
        func flush() {
            if let c = current { sections.append(Section(title: c.title, key: c.key, body: Lesson.trim(c.lines), line: c.line)) }
        }
        for (index, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("```") { fence = fence == nil ? index + 1 : nil }
            if fence == nil && title.isEmpty && current == nil && line.hasPrefix("# ") {
                title = String(line.dropFirst(2))
            } else if fence == nil && line.hasPrefix("## ") {
                flush()
                let (heading, key) = Lesson.splitKey(line.dropFirst(3))
                current = (heading, key, index + 1, [])
            } else if current != nil {
                current!.lines.append(line)
            } else {
                intro.append(line)
            }
        }
        flush()
        self.title = title
        self.intro = Lesson.trim(intro)
        self.sections = sections
        self.unclosedFence = fence
    }

    /// The keys a section may have besides the steps': shown before the first step, after the last.
    public static let introKey = "intro", closingKey = "closing"

    /// The first section of step `key`, whose title is the step's, if the lesson has one.
    public func section(for key: String) -> Section? { sections.first { $0.key == key } }

    /// Every section of `key`, in the lesson's order.
    public func sections(for key: String) -> [Section] { sections.filter { $0.key == key } }

    /// Reads lessons/<id>.md (or <id>.zh.md for Chinese), looking in $NSLAB_LESSONS, then in a
    /// `lessons` folder beside or above the executable, then in the current directory.
    public static func load(id: String, language: String = "en") throws -> Lesson {
        let file = language == "en" ? "\(id).md" : "\(id).\(language).md"
        for directory in searchPath() {
            if let text = readTextFile("\(directory)/\(file)") { return Lesson(markdown: text) }
        }
        // The lessons built into the runner, for a copied or installed `runner` alone.
        if getenv("NSLAB_LESSONS") == nil, let encoded = embeddedLessonsBase64[file],
            let bytes = Data(base64Encoded: encoded)
        {
            return Lesson(markdown: String(decoding: bytes, as: UTF8.self))
        }
        throw LabError(labText.noLessonFile(file, Message.list(searchPath())))
    }

    /// What is wrong with a teacher's folder of lessons, one problem per line: every
    /// experiment needs `<id>.md` and `<id>.zh.md`, each with a `# ` title, closed code blocks,
    /// a `{#key}` on every `## ` heading that names a step, `intro` or `closing`, and a section
    /// for every step. Empty when the folder is good.
    public static func problems(inDirectory directory: String, experiments: [Experiment] = Catalog.all) -> [LessonProblem] {
        var problems: [LessonProblem] = []
        for experiment in experiments {
            let keys = experiment.steps.map(\.key) + [hostUnchangedKey]
            let allowed = Message.list(keys + [introKey, closingKey])
            for file in ["\(experiment.id).md", "\(experiment.id).zh.md"] {
                let path = "\(directory)/\(file)"
                guard let text = readTextFile(path) else {
                    problems.append(LessonProblem(file: path, line: nil, message: labText.lessonMissing(experiment.id)))
                    continue
                }
                // Read as the runner reads it: what it would show, or leave out, is what is checked.
                let lesson = Lesson(markdown: text)
                if lesson.title.isEmpty { problems.append(LessonProblem(file: path, line: 1, message: labText.lessonWithoutTitle)) }
                for section in lesson.sections {
                    guard let key = section.key else {
                        problems.append(LessonProblem(file: path, line: section.line, message: labText.headingWithoutKey(allowed)))
                        continue
                    }
                    if !keys.contains(key) && ![introKey, closingKey].contains(key) {
                        problems.append(LessonProblem(file: path, line: section.line, message: labText.unknownSectionKey(key, allowed)))
                    }
                }
                if let fence = lesson.unclosedFence {
                    problems.append(LessonProblem(file: path, line: fence, message: labText.unclosedFence))
                }
                let sectionKeys = Set(lesson.sections.compactMap(\.key))
                for key in keys where !sectionKeys.contains(key) {
                    problems.append(LessonProblem(file: path, line: nil, message: labText.stepWithoutSection(key)))
                }
            }
        }
        return problems
    }

    static func searchPath() -> [String] {
        if let path = getenv("NSLAB_LESSONS") { return [String(cString: path)] }
        var directories: [String] = []
        var directory = executableDirectory()
        for _ in 0..<5 {
            directories.append("\(directory)/lessons")
            guard let slash = directory.lastIndex(of: "/"), slash != directory.startIndex else { break }
            directory = String(directory[..<slash])
        }
        return directories + ["lessons"]
    }

    static func splitKey(_ heading: Substring) -> (String, String?) {
        guard heading.hasSuffix("}"), let open = heading.ranges(of: " {#").last else {
            return (String(heading), nil)
        }
        return (String(heading[..<open.lowerBound]), String(heading[open.upperBound...].dropLast()))
    }

    private static func trim(_ lines: [Substring]) -> String {
        var lines = lines
        while lines.first?.allSatisfy(\.isWhitespace) == true { lines.removeFirst() }
        while lines.last?.allSatisfy(\.isWhitespace) == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}

/// One thing wrong in a lesson file: where, and what.
public struct LessonProblem: Sendable, Equatable {
    public let file: String
    /// Nil for what belongs to no line (a missing file, a step with no section).
    public let line: Int?
    public let message: Message

    /// "FILE:LINE: what", as compilers say it.
    public var located: Message {
        labText.locatedProblem(line.map { "\(file):\($0)" } ?? file, message)
    }
}
