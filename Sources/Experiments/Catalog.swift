/// Every experiment, in the order a course takes them.
public enum Catalog {
    public static let all: [Experiment] = [utsNamespace, ipcNamespace, pidNamespace, mountNamespace, pivotRoot, userNamespace, netNamespace]

    public static func experiment(_ id: String) -> Experiment? { all.first { $0.id == id } }

    /// The known ids closest to `id`, for "did you mean …".
    public static func suggestions(for id: String) -> [String] { closest(to: id, among: all.map(\.id)) }
}

/// The names closest to `given`, for "did you mean …": within a few edits, or containing it.
public func closest(to given: String, among names: [String]) -> [String] {
    let scored = names.map { ($0, editDistance(given, $0)) }
    let close = scored.filter { $0.1 <= max(2, given.count / 3) || $0.0.contains(given) }
    guard let best = close.map(\.1).min() else { return [] }
    return close.filter { $0.1 == best }.map(\.0)
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
