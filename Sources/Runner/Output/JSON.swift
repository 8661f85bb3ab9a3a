import Experiments
import FoundationEssentials

/// The runner's JSON: keys in snake_case, sorted, slashes as they are; a message as its
/// English, so that CI reads the same in every language.
func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// The same, with every message whole (its template and values): how a grader's worker hands
/// its result to the runner that prints it, in the student's language.
func encodeWholeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.userInfo[.wholeMessages] = true
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
