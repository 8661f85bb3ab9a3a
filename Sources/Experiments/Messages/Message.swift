import FoundationEssentials

/// The languages the runner speaks: English, and Simplified Chinese (the course material's).
public enum Language: String, CaseIterable, Sendable, Codable {
    case en, zh

    /// The language of the locale, as setlocale(3) picks the messages' language: the first of
    /// LC_ALL, LC_MESSAGES and LANG that is set and not empty; Chinese when it starts with
    /// "zh" (zh_CN.UTF-8, zh_TW, zh), else English.
    /// `variable` gives a variable's value. (A lookup, not a dictionary: a process's first
    /// dictionary costs it the runtime's first look-ups of Hashable, before anything is said.)
    public static func ofLocale(_ variable: (String) -> String?) -> Language {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap(variable).first { !$0.isEmpty }
        return locale?.hasPrefix("zh") == true ? .zh : .en
    }

    /// How the language separates the items of a list: ", " in English, "、" in Chinese.
    public var listSeparator: String { self == .zh ? "、" : ", " }
}

/// A sentence of the runner's in every language it speaks, the English and the Chinese side by
/// side, each with `{0}`, `{1}`… where its values go, in the order its language wants them.
/// Templates are declared once, in a MessageTable beside the code that says them (a chapter's
/// in its own file), and are known without running anything: a unit test checks each one.
public struct Template: Sendable, Hashable {
    public let en: String
    public let zh: String

    public init(_ en: String, zh: String) {
        self.en = en
        self.zh = zh
    }

    /// This sentence with `values` in its places.
    public func callAsFunction(_ values: any MessageArgument...) -> Message {
        Message(self, values.map(\.messageValue))
    }

    /// The template of a value shown as it is: the same in every language.
    static let verbatim = Template("{0}", zh: "{0}")

    /// The text in `language`.
    public func text(_ language: Language) -> String { language == .zh ? zh : en }

    /// The numbers of the places in `text`, in the order they appear.
    public static func places(in text: String) -> [Int] {
        var places: [Int] = [], rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            let digits = after.prefix { $0.isASCII && $0.isNumber }
            if !digits.isEmpty, after.dropFirst(digits.count).first == "}", let number = Int(digits) { places.append(number) }
            rest = after
        }
        return places
    }
}

/// Something the runner says: a template and the values that fill it. A value is never
/// translated (a kernel value, a name, a path, a number, a line a program printed); a value
/// that is itself a message is, in turn. So translating is one choice of text per template,
/// never a reading of English.
public struct Message: Sendable, Hashable {
    public let template: Template
    public let values: [MessageValue]

    public init(_ template: Template, _ values: [MessageValue] = []) {
        self.template = template
        self.values = values
    }

    /// A sentence without places, declared as a template is.
    public init(_ en: String, zh: String) {
        self.init(Template(en, zh: zh))
    }

    /// `text` as it is, in every language: what the kernel or a program gave.
    public static func verbatim(_ text: String) -> Message { Message(.verbatim, [.text(text)]) }

    /// `items` as a list, separated as the language separates one.
    public static func list(_ items: [any MessageArgument]) -> Message { Message(.verbatim, [.list(items.map(\.messageValue))]) }

    /// What an error says: its message when it has one, else its description as it is (a
    /// system call and its errno: `mount(none, /x, tmpfs, 0): ENOENT`).
    public static func of(_ error: any Error) -> Message {
        (error as? any MessageError)?.message ?? .verbatim("\(error)")
    }

    /// The message in `language`: its template's text there, each `{n}` filled with value n.
    /// In Chinese a space of the template's beside a value that begins or ends with full-width
    /// punctuation goes ("预期 （无）" is "预期（无）"); the value itself is never touched.
    public func text(_ language: Language) -> String {
        let template = self.template.text(language)
        var result = "", rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let after = rest[rest.index(after: open)...]
            let digits = after.prefix { $0.isASCII && $0.isNumber }
            if !digits.isEmpty, after.dropFirst(digits.count).first == "}", let number = Int(digits) {
                let value = number < values.count ? values[number].text(language) : ""
                if language == .zh, value.first?.isFullWidthPunctuation == true, result.last == " " { result.removeLast() }
                result += value
                rest = after.dropFirst(digits.count + 1)
                if language == .zh, value.last?.isFullWidthPunctuation == true, rest.first == " " { rest = rest.dropFirst() }
            } else {
                result.append("{")
                rest = after
            }
        }
        return result + rest
    }

    /// The English: what JSON and JUnit carry, in every language.
    public var english: String { text(.en) }

    /// Whether it is a value shown as it is (not a sentence of the runner's).
    public var isVerbatim: Bool { template == .verbatim }
}

/// What fills a template's place.
public indirect enum MessageValue: Sendable, Hashable {
    /// Shown as it is in every language.
    case text(String)
    /// Translated in turn.
    case message(Message)
    /// Values one after the other, separated as the language separates a list ("a, b" in
    /// English, "a、b" in Chinese).
    case list([MessageValue])

    public func text(_ language: Language) -> String {
        switch self {
        case .text(let text): text
        case .message(let message): message.text(language)
        case .list(let items): items.map { $0.text(language) }.joined(separator: language.listSeparator)
        }
    }
}

/// What a template can be filled with: a message (translated), or a value shown as it is.
public protocol MessageArgument {
    var messageValue: MessageValue { get }
}

extension Message: MessageArgument {
    public var messageValue: MessageValue { .message(self) }
}

extension String: MessageArgument {
    public var messageValue: MessageValue { .text(self) }
}

extension Substring: MessageArgument {
    public var messageValue: MessageValue { .text(String(self)) }
}

extension Int: MessageArgument {
    public var messageValue: MessageValue { .text(String(self)) }
}

extension Int32: MessageArgument {
    public var messageValue: MessageValue { .text(String(self)) }
}

extension UInt32: MessageArgument {
    public var messageValue: MessageValue { .text(String(self)) }
}

extension UInt64: MessageArgument {
    public var messageValue: MessageValue { .text(String(self)) }
}

extension Double: MessageArgument {
    public var messageValue: MessageValue { .text(formatted) }
}

/// A set of sentences, declared as the stored properties of a class (a chapter's, the
/// engine's, the grader's): a Template where the sentence has places, a Message where it has
/// none. Mirror lists them, so that every one is known without running anything. (A class,
/// not a struct: a struct of hundreds of fields would get copy and move code of that size.)
public protocol MessageTable: AnyObject, Sendable {}

extension MessageTable {
    /// Every template of the table, with its property's name.
    public var templates: [(name: String, template: Template)] {
        Mirror(reflecting: self).children.compactMap { child in
            let name = child.label ?? "?"
            if let template = child.value as? Template { return (name, template) }
            if let message = child.value as? Message { return (name, message.template) }
            return nil
        }
    }
}

// MARK: - Carried between processes

extension CodingUserInfoKey {
    /// Set to true, a result is encoded with its messages whole (templates and values), so that
    /// the process that reads it can say it in any language: how a grader hands its checkout's
    /// result to the runner that prints it. Unset, a message is its English, as JSON users get it.
    public static let wholeMessages = CodingUserInfoKey(rawValue: "nslab.wholeMessages")!
}

extension JSONDecoder {
    /// A decoder of a result encoded whole (snake-case keys, every message whole): what a
    /// grader's worker or a part of a concurrent run hands back.
    public static func ofWholeMessages() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.userInfo[.wholeMessages] = true
        return decoder
    }
}

extension Message: Codable {
    private enum Keys: String, CodingKey { case en, values }

    public func encode(to encoder: Encoder) throws {
        if encoder.userInfo[.wholeMessages] as? Bool == true {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(template.en, forKey: .en)
            try container.encode(values, forKey: .values)
        } else {
            var container = encoder.singleValueContainer()
            try container.encode(english)
        }
    }

    /// A whole message (its template found again by its English among every table), or an
    /// English text, taken as it is.
    public init(from decoder: Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self = .verbatim(text)
            return
        }
        let container = try decoder.container(keyedBy: Keys.self)
        let english = try container.decode(String.self, forKey: .en)
        self.init(Template.known[english] ?? Template(english, zh: english), try container.decode([MessageValue].self, forKey: .values))
    }
}

extension MessageValue: Codable {
    private enum Keys: String, CodingKey { case text, message, list }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .text(let text): try container.encode(text, forKey: .text)
        case .message(let message): try container.encode(message, forKey: .message)
        case .list(let items): try container.encode(items, forKey: .list)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if let text = try container.decodeIfPresent(String.self, forKey: .text) {
            self = .text(text)
        } else if let items = try container.decodeIfPresent([MessageValue].self, forKey: .list) {
            self = .list(items)
        } else {
            self = .message(try container.decode(Message.self, forKey: .message))
        }
    }
}

/// An error that says what went wrong as a message, to be read in the student's language.
public protocol MessageError: Error {
    var message: Message { get }
}

extension Template {
    /// Every template of the library's tables (the chapters', the engine's, the grader's), by
    /// its English: to find a message's again when it comes back from another process.
    static let known: [String: Template] = Dictionary(
        (Catalog.messageTables.flatMap { $0.templates.map(\.template) } + [.verbatim]).map { ($0.en, $0) },
        uniquingKeysWith: { first, _ in first })
}

extension Character {
    /// Chinese punctuation, which carries its own space: a space beside it is one too many.
    public var isFullWidthPunctuation: Bool {
        unicodeScalars.first.map { scalar in
            (0x3000...0x303F).contains(scalar.value) || (0xFF01...0xFF0F).contains(scalar.value)
                || (0xFF1A...0xFF20).contains(scalar.value) || (0xFF3B...0xFF40).contains(scalar.value)
                || (0xFF5B...0xFF65).contains(scalar.value) || "“”‘’…—".unicodeScalars.contains(scalar)
        } ?? false
    }
}
