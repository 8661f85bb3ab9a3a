/// A chapter of the course: its experiment, the exercises `runner grade` judges, and the
/// sentences it says, declared in one file of Chapters/ that reads like its lesson.
public struct Chapter: Sendable {
    public let experiment: Experiment
    public let exercises: [Exercise]
    /// The chapter's sentences, in every language the runner speaks.
    public let messages: any MessageTable

    public init(_ experiment: Experiment, exercises: [Exercise], messages: any MessageTable) {
        self.experiment = experiment
        self.exercises = exercises
        self.messages = messages
    }
}

/// Every chapter, in the order a course takes them: the one list a new chapter joins.
public enum Catalog {
    public static let chapters: [Chapter] = [
        utsChapter, ipcChapter, pidChapter, mountChapter, pivotRootChapter, userChapter, netChapter, cgroupChapter, timeChapter, setnsChapter, cloneVsUnshareChapter, limitsChapter,
    ]

    public static let all: [Experiment] = chapters.map(\.experiment)
    public static let exercises: [Exercise] = chapters.flatMap(\.exercises)

    public static func experiment(_ id: String) -> Experiment? { all.first { $0.id == id } }
    public static func exercise(_ id: String) -> Exercise? { exercises.first { $0.id == id } }

    /// The chapter an experiment or an exercise belongs to, by its id.
    public static func chapter(of id: String) -> Chapter? {
        chapters.first { $0.experiment.id == id || $0.exercises.contains { $0.id == id } }
    }

    /// The known ids closest to `id`, for "did you mean …".
    public static func suggestions(for id: String) -> [String] { closest(to: id, among: all.map(\.id)) }

    /// Every table of sentences of the library: the chapters', and those of the plumbing
    /// beside them. A unit test checks each sentence in every language.
    public static let messageTables: [any MessageTable] = chapters.map(\.messages) + [
        words, engineText, hostText, labText, supportText, gradingText, manifestText, subordinateText,
    ]
}

/// The names closest to `given`, for "did you mean …": within a few edits, or containing it.
public func closest(to given: String, among names: [String]) -> [String] {
    let scored = names.map { ($0, editDistance(given, $0)) }
    let close = scored.filter { $0.1 <= max(2, given.count / 3) || $0.0.contains(given) }
    guard let best = close.map(\.1).min() else { return [] }
    return close.filter { $0.1 == best }.map(\.0)
}

/// "a", "a or b", "a or b or c", for "did you mean …": nil for none.
public func alternatives(_ names: [String]) -> Message? {
    guard var result = names.first.map(Message.verbatim) else { return nil }
    for name in names.dropFirst() { result = words.or(result, name) }
    return result
}

/// Levenshtein distance between two strings.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}
