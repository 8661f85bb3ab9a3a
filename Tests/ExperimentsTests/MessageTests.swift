import Foundation
import Glibc
import Testing

@testable import Experiments
@testable import Runner

/// Every sentence the runner says is a template with its English and its Chinese; a value (a
/// hostname, a path, a number, a line a program printed) is never translated. These tests need
/// no root: the catalogue is known without running anything.
@Suite("messages: one catalogue, every sentence in both languages")
struct MessageTests {
    /// Every table: the library's (chapters, engine, grader) and the runner's own.
    static let tables: [any MessageTable] = Catalog.messageTables + [runnerText]
    static let templates: [(table: String, name: String, template: Template)] = tables.flatMap { table in
        table.templates.map { ("\(type(of: table))", $0.name, $0.template) }
    }

    // MARK: choosing the language

    @Test func theLocaleDecidesByLCALLThenLCMESSAGESThenLANG() {
        #expect(Language.ofLocale { _ in nil } == .en)
        #expect(Language.ofLocale { ["LANG": "zh_CN.UTF-8"][$0] } == .zh)
        #expect(Language.ofLocale { ["LANG": "zh_TW.UTF-8"][$0] } == .zh)
        #expect(Language.ofLocale { ["LANG": "en_US.UTF-8"][$0] } == .en)
        #expect(Language.ofLocale { ["LC_ALL": "C", "LANG": "zh_CN.UTF-8"][$0] } == .en)
        #expect(Language.ofLocale { ["LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"][$0] } == .zh)
        #expect(Language.ofLocale { ["LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "C"][$0] } == .zh)
        // Set but empty is not set (setlocale(3)).
        #expect(Language.ofLocale { ["LC_ALL": "", "LANG": "zh_CN.UTF-8"][$0] } == .zh)
    }

    @Test func langIsAnArgumentThatOverridesTheLocale() throws {
        #expect(try LanguageOption.parse(["--lang", "zh"]).language == .zh)
        #expect(try LanguageOption.parse(["--lang", "en"]).language == .en)
        #expect(throws: (any Error).self) { try LanguageOption.parse(["--lang", "fr"]) }
    }

    // MARK: the catalogue

    @Test func thereAreTablesAndEveryChapterHasOne() {
        #expect(Catalog.chapters.allSatisfy { !$0.messages.templates.isEmpty })
        #expect(Self.templates.count > 300, "\(Self.templates.count)")  // not a count to keep: a floor that catches an empty Mirror
    }

    @Test func everyTemplateHasItsChineseWithTheSamePlaces() {
        for (table, name, template) in Self.templates {
            #expect(!template.en.isEmpty && !template.zh.isEmpty, "\(table).\(name)")
            #expect(Template.places(in: template.en).sorted() == Template.places(in: template.zh).sorted(),
                    "\(table).\(name): \(template.en) → \(template.zh)")
            // Named placeholders of a grading check (`{target}`) are the same in both too.
            #expect(Self.namedPlaceholders(template.en) == Self.namedPlaceholders(template.zh), "\(table).\(name)")
            // Places are numbered from 0 without a gap, so that no value is lost.
            let places = Set(Template.places(in: template.en))
            #expect(places == Set(0..<places.count), "\(table).\(name): \(template.en)")
            #expect(template.zh != template.en || !Self.hasEnglishWords(template.en),
                    "\(table).\(name) has no Chinese: \(template.zh)")
        }
    }

    /// A message that comes back from a grader's worker is found again by its English: one
    /// English must have one Chinese.
    @Test func oneEnglishHasOneChinese() {
        var seen: [String: String] = [:]
        for (table, name, template) in Self.templates {
            if let chinese = seen[template.en] {
                #expect(chinese == template.zh, "\(table).\(name): \(template.en) is also \(chinese)")
            }
            seen[template.en] = template.zh
        }
    }

    /// Chinese typography: full-width punctuation carries its own space, so none beside it;
    /// full-width brackets around Chinese; no half-width comma, colon or semicolon after a
    /// Chinese character; no spaces inside or around “”.
    @Test func chineseTypography() {
        for (table, name, template) in Self.templates {
            let zh = template.zh
            let characters = Array(zh.trimmingCharacters(in: .whitespaces))  // padding at the end aligns a label
            for (index, character) in characters.enumerated() where character == " " {
                let before = index > 0 ? characters[index - 1] : nil, after = index + 1 < characters.count ? characters[index + 1] : nil
                // A space before `{0}` that a value fills is the renderer's to drop (Message.text).
                #expect(!(before?.isFullWidthPunctuation ?? false) && !(after?.isFullWidthPunctuation ?? false),
                        "\(table).\(name): a space beside full-width punctuation in \(zh)")
            }
            for (index, character) in characters.enumerated() where index > 0 && characters[index - 1].isCJK {
                #expect(!",;:".contains(character), "\(table).\(name): half-width \(character) after Chinese in \(zh)")
                #expect(character != ")", "\(table).\(name): half-width bracket in \(zh)")
            }
            for (index, character) in characters.enumerated() where character == "(" && index + 1 < characters.count {
                #expect(!characters[index + 1].isCJK, "\(table).\(name): half-width bracket in \(zh)")
            }
        }
    }

    // MARK: values are never translated

    /// The bug this design fixes: a host named like a word of the tables kept its name.
    @Test func aKernelValueIsNeverTranslated() {
        let check = Check.equal("hostname" as Message, expected: "shared", actual: "shared")
        #expect(check.actual.text(.zh) == "shared" && check.expected.text(.zh) == "shared")
        for value in ["shared", "none", "gone", "private", "alive", "success", "unchanged"] {
            #expect(Message.verbatim(value).text(.zh) == value)
            #expect(words.listed(value).text(.zh) == "列出了 \(value)")
        }
        // The same words, said by the runner, are Chinese.
        #expect(words.shared.text(.zh) == "共享" && words.success.text(.zh) == "成功" && words.none.text(.zh) == "无")
    }

    @Test func valuesFillTheirPlacesInTheirLanguagesOrder() {
        #expect(runnerText.commandFor("ps", "pid-namespace").text(.en) == "command `ps` for pid-namespace")
        #expect(runnerText.commandFor("ps", "pid-namespace").text(.zh) == "pid-namespace 所需的命令 `ps`")
        #expect(Termination.signaled(SIGKILL).message.text(.zh) == "被 SIGKILL 杀死")
        #expect(Termination.exited(0).message.text(.zh) == "退出状态 0")
        // A list is separated as the language separates one; a message in it is translated.
        #expect(Message.list(["uts", "pid"]).text(.en) == "uts, pid" && Message.list(["uts", "pid"]).text(.zh) == "uts、pid")
        #expect(Message.joined([words.gone, "EPERM"]).text(.zh) == "已消失；EPERM")
        // A space of the template beside a value that is full-width punctuation goes.
        #expect(runnerText.expectedGot("container", words.nothing).text(.zh) == "预期 container，实际（无）")
        #expect(runnerText.cannotRunHere("pid-namespace", Message.joined([supportText.kernel("9.0", "5.10"), supportText.needsCommand("ps")]))
            .text(.zh) == "无法在这台宿主机上运行 pid-namespace：需要 Linux 9.0 或更高版本；这台是 5.10；需要命令 `ps`，但它没有安装")
    }

    @Test func wholeMessagesCrossProcessesAndJSONKeepsTheEnglish() throws {
        let check = Check(gradingText.newNamespace("uts"), expected: gradingText.aNewOne, actual: words.listed(words.none), passed: false)
        let encoder = JSONEncoder()
        encoder.userInfo[.wholeMessages] = true
        let decoder = JSONDecoder()
        decoder.userInfo[.wholeMessages] = true
        let back = try decoder.decode(Check.self, from: encoder.encode(check))
        #expect(back == check && back.name.text(.zh) == "命令所在的 uts 命名空间，不是沙箱的")
        // Without the key: the English, as JSON users read it.
        let plain = try JSONSerialization.jsonObject(with: JSONEncoder().encode(check)) as? [String: Any]
        #expect(plain?["name"] as? String == "uts namespace of the command, not the sandbox's")
        #expect(plain?["actual"] as? String == "none listed")
    }

    // MARK: what a student reads

    /// What a failing or broken step prints, which no healthy run shows.
    @Test func failuresAndBrokenStepsInChinese() {
        let result = StepResult(key: "set-names", title: "Set the names", shell: "", syscalls: [],
                                observations: [Observation(words.oldNamespace, command: "hostname", printed: [])],
                                checks: [Check(.verbatim("hostname inside"), expected: "container", actual: words.nothing, passed: false)],
                                broken: "spawn: ENOMEM", seconds: 0)
        let style = Style(colour: false, width: 80)
        let chinese = ResultRenderer(style: style, explain: true, language: .zh).stepBody(result)
        #expect(chinese.contains("  FAIL  hostname inside：预期 container，实际（无）"))
        #expect(chinese.contains("  BROKEN  runner 无法完成这一步，因此没有作出任何判定：spawn: ENOMEM"))
        #expect(chinese.contains("旧命名空间") && chinese.contains("（没有输出）"))
        let english = ResultRenderer(style: style, explain: true, language: .en).stepBody(result)
        #expect(english.contains("  FAIL  hostname inside: expected container, got (nothing)"))
        #expect(english.contains("(no output)"))
        let summary = ResultRenderer(style: style, explain: false, language: .zh)
            .summary(ExperimentResult(id: "uts-namespace", title: "", steps: [result], seconds: 0.012))
        #expect(summary == "uts-namespace：无法判定——0/1 项检查通过，1 步未能完成，用时 12 毫秒\n")
    }

    /// The map in Chinese: full-width brackets, 、 between processes, no space before （新）.
    @Test func theMapInChinese() {
        let host = HostNamespaces(role: .demoHost, pid: 5, inodes: ["uts": 100])
        func process(_ label: Message, pid: Int, uts: UInt64) -> Observation {
            Observation(label, command: "hostname", printed: [],
                        namespaces: ProcessNamespaces(pid: pid, inodes: ["uts": uts], oldSideHost: host))
        }
        let lines = MapRenderer(style: Style(colour: false, width: 80), language: .zh)
            .lines([process(words.oldNamespace, pid: 2, uts: 100), process(words.newNamespace, pid: 3, uts: 200)], kinds: [.uts])
        #expect(lines.contains("    uts  100       ── 旧命名空间（pid 2）·演示宿主机（pid 5）"), "\(lines)")
        #expect(lines.contains("         200（新） ── 新命名空间（pid 3）"), "\(lines)")
        let both = MapRenderer(style: Style(colour: false, width: 80), language: .zh)
            .lines([process(words.oldNamespace, pid: 2, uts: 100), process(words.newNamespace, pid: 3, uts: 100)], kinds: [.uts])
        #expect(both.contains { $0.contains("旧命名空间（pid 2）、新命名空间（pid 3）") }, "\(both)")
    }

    /// Lessons are hard-wrapped: joining their lines puts no space beside full-width
    /// punctuation, and wrapping leaves no opening bracket at a line's end.
    @Test func reflowedChineseProse() {
        let renderer = LessonRenderer(style: Style(colour: false, width: 40))
        let text = renderer.body("内核会发出 SIGKILL。\ninit 随后结束，\nrunner 看到它的退出状态（0）。")
        #expect(text.contains("SIGKILL。init") && !text.contains("， ") && !text.contains("。 "), "\(text)")
        for width in 20...30 {
            let lines = LessonRenderer(style: Style(colour: false, width: width))
                .body("这是一个很长的句子，里面有一个括号（它不应该留在行尾）和引号“它也一样”。").split(separator: "\n")
            #expect(lines.allSatisfy { !($0.last.map { "（“".contains($0) } ?? false) }, "\(width): \(lines)")
            #expect(lines.allSatisfy { !($0.first.map { "）”，。".contains($0) } ?? false) }, "\(width): \(lines)")
        }
    }

    // MARK: helpers

    /// `{target}`, `{uid_outside}`: the names of a grading check's placeholders.
    static func namedPlaceholders(_ text: String) -> [String] {
        text.split(separator: "{", omittingEmptySubsequences: false).dropFirst().compactMap { piece in
            let name = piece.prefix { $0 != "}" }
            return name.allSatisfy { $0.isNumber } || !piece.contains("}") ? nil : String(name)
        }.sorted()
    }

    /// Whether the English says something in words (not only places, symbols, paths, flags
    /// and names a command line has): such a template must have its own Chinese.
    static func hasEnglishWords(_ text: String) -> Bool {
        var stripped = text
        while let open = stripped.firstIndex(of: "{"), let close = stripped[open...].firstIndex(of: "}") {
            stripped.removeSubrange(open...close)
        }
        let words = stripped.split { !$0.isLetter && $0 != "_" && $0 != "/" && $0 != "-" }
        return words.contains { word in
            word.allSatisfy { $0.isLowercase } && word.count > 1 && !["runner", "proc"].contains(word)
        }
    }
}

extension Character {
    /// A CJK ideograph (the Chinese of a translated string).
    var isCJK: Bool { unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } }
}
