import Foundation
import Glibc
import Testing

@testable import Experiments
@testable import Runner

/// Under `--lang zh` (or a zh_* locale) every string a student reads is Chinese: the runner's
/// own words, check names, observation labels, step titles and the library's sentences; JSON
/// keeps the English names CI knows the checks by, and `--lang en` is as it always was.
@Suite("Chinese all the way", .serialized)
struct ChineseTests {
    // MARK: choosing the language

    @Test func theFlagWinsThenLCALLThenLCMESSAGESThenLANG() {
        #expect(Language.resolve("en", environment: ["LANG": "zh_CN.UTF-8"]) == .en)
        #expect(Language.resolve("zh", environment: ["LC_ALL": "C"]) == .zh)
        #expect(Language.resolve(nil, environment: [:]) == .en)
        #expect(Language.resolve(nil, environment: ["LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(Language.resolve(nil, environment: ["LANG": "zh_TW.UTF-8"]) == .zh)
        #expect(Language.resolve(nil, environment: ["LANG": "en_US.UTF-8"]) == .en)
        #expect(Language.resolve(nil, environment: ["LC_ALL": "C", "LANG": "zh_CN.UTF-8"]) == .en)
        #expect(Language.resolve(nil, environment: ["LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"]) == .zh)
        #expect(Language.resolve(nil, environment: ["LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "C"]) == .zh)
        // Set but empty is not set (setlocale(3)).
        #expect(Language.resolve(nil, environment: ["LC_ALL": "", "LANG": "zh_CN.UTF-8"]) == .zh)
    }

    // MARK: the tables

    @Test func noEnglishKeyIsThereTwice() {
        #expect(Chinese.phrases.duplicates == [])
        #expect(Chinese.values.duplicates == [])
        #expect(Chinese.lines.duplicates == [])
        #expect(Chinese.messages.duplicates == [])
        let formats = Chinese.formatEntries.map(\.0)
        #expect(formats.count == Set(formats).count)
    }

    @Test func everyTranslationHasTheValuesOfItsEnglish() {
        for table in [Chinese.phrases, Chinese.values, Chinese.lines, Chinese.messages] {
            for (english, chinese) in table.entries {
                let places = english.filter { $0 == "%" }.count
                #expect(chinese.filter { $0 == "%" }.count == places, "\(english) → \(chinese)")
                #expect(chinese.contains { $0.isCJK || $0.isFullwidthPunctuation }, "\(english) → \(chinese)")
            }
        }
        for (english, chinese) in Chinese.formatEntries {
            #expect(english.filter { $0 == "%" }.count == chinese.filter { $0 == "%" }.count, "\(english) → \(chinese)")
        }
    }

    @Test func namesWithValuesInThemMatchTheirPattern() {
        let zh = Language.zh
        #expect(zh.name("kill(1, SIGTERM) succeeded and init lived on") == "kill(1, SIGTERM) 成功，init 依然存活")
        #expect(zh.name("uts namespace inode of the new process") == "新进程的 uts 命名空间 inode 号")
        #expect(zh.name("semaphore sets left in the old namespace") == "旧命名空间里剩下的信号量集")
        #expect(zh.name("A new IPC namespace") == "新的 IPC 命名空间")
        #expect(zh.value("key 0x4e534c42 not listed") == "未列出 key 0x4e534c42")
        #expect(zh.value("msqid 3 listed, and 2 more") == "列出了 msqid 3，另有 2 个")
        #expect(zh.value("not sent, init dead") == "未发送，init 已死")
        #expect(zh.value("killed by SIGKILL") == "被 SIGKILL 杀死")
        #expect(zh.value("vm") == "vm")  // what the kernel said stays
        #expect(zh.line("init: killed by SIGKILL") == "init：被 SIGKILL 杀死")
        #expect(zh.line("a child of pid 1: kill(1, SIGKILL) = 0; pid 1 still alive")
            == "1 号进程的一个子进程：kill(1, SIGKILL) = 0；1 号进程依然存活")
        #expect(zh.line("hostname: Local domain name not set") == "hostname: Local domain name not set")
        #expect(zh.message("cannot run pid-namespace on this host: needs Linux 9.0 or later; this is 5.10; "
                           + "needs the command `ps`, which is not installed")
            == "无法在这台宿主机上运行 pid-namespace：需要 Linux 9.0 或更高版本；这台是 5.10；需要命令 `ps`，但它没有安装")
        #expect(zh.message("interrupted by SIGINT: every process of the run was killed; the real host is as it was")
            == "被 SIGINT 中断：本次运行的所有进程都已被杀死；宿主机保持原样")
        #expect(zh.text("command `%` for %", "ps", "pid-namespace") == "pid-namespace 所需的命令 `ps`")
        #expect(Language.en.name("kill(1, SIGTERM) succeeded and init lived on") == "kill(1, SIGTERM) succeeded and init lived on")
    }

    /// What a failing or broken step prints, which no healthy run shows.
    @Test func failuresAndBrokenStepsInChinese() {
        let result = StepResult(key: "set-names", title: "Set the hostname and NIS domain name inside", shell: "", syscalls: [],
                                observations: [Observation("old namespace", command: "hostname", output: [])],
                                checks: [Check("hostname inside", expected: "container", actual: "(nothing)", passed: false)],
                                broken: "spawn: ENOMEM", seconds: 0)
        let style = Style(colour: false, width: 80)
        let chinese = ResultRenderer(style: style, explain: true, language: .zh).stepBody(result)
        #expect(chinese.contains("  FAIL  新命名空间里的主机名：预期 container，实际 （无）"))
        #expect(chinese.contains("  BROKEN  runner 无法完成这一步，因此没有作出任何判定：spawn: ENOMEM"))
        #expect(chinese.contains("旧命名空间") && chinese.contains("（没有输出）"))
        let english = ResultRenderer(style: style, explain: true, language: .en).stepBody(result)
        #expect(english.contains("  FAIL  hostname inside: expected container, got (nothing)"))
        #expect(english.contains("(no output)"))
        let summary = ResultRenderer(style: style, explain: false, language: .zh)
            .summary(ExperimentResult(id: "uts-namespace", title: "", steps: [result], seconds: 0.012))
        #expect(summary == "uts-namespace：无法判定 — 0/1 项检查通过，1 步未能完成，用时 12 毫秒\n")
    }

    // MARK: a whole run

    /// Every check name, observation label and step title the experiments produce has its
    /// Chinese: a check added without one fails here.
    @Test func everyNameTheExperimentsProduceIsTranslated() throws {
        try requireRoot()
        let run = try runner("run", "all", "--json")
        #expect(run.exitCode == 0)
        for experiment in try Self.decodeReport(run.output).experiments {
            #expect(Language.zh.name(experiment.title).contains { $0.isCJK }, "\(experiment.title)")
            for step in experiment.steps {
                #expect(Language.zh.name(step.title).contains { $0.isCJK }, "\(step.title)")
                for check in step.checks {
                    #expect(Language.zh.name(check.name).contains { $0.isCJK }, "\(experiment.id): \(check.name)")
                }
                for observation in step.observations {
                    #expect(Language.zh.name(observation.label).contains { $0.isCJK }, "\(observation.label)")
                }
            }
        }
    }

    /// How many experiments and checks `runner run all` has, from its JSON.
    static func allCounts() throws -> (experiments: Int, checks: Int) {
        let experiments = try Self.decodeReport(try runner("run", "all", "--json").output).experiments
        return (experiments.count, experiments.reduce(0) { $0 + $1.checkCount })
    }

    @Test("no untranslated string under zh", arguments: [
        (["run", "all", "--lang", "zh"], [String]()),
        (["run", "all", "--lang", "zh", "--explain"], []),
        (["run", "all"], ["LANG=zh_CN.UTF-8"]),
        (["run", "all", "--explain"], ["LC_MESSAGES=zh_CN.UTF-8", "LANG=en_US.UTF-8"]),
    ])
    func noUntranslatedString(arguments: [String], locale: [String]) throws {
        try requireRoot()
        let run = try runCommand(testSandbox + [runnerPath] + arguments, environment: Self.environment(locale))
        #expect(run.exitCode == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n").map(String.init)
        let checkLines = lines.filter { $0.hasPrefix("  PASS  ") || $0.hasPrefix("  FAIL  ") }
        let (experiments, checks) = try Self.allCounts()
        #expect(checkLines.count == checks)
        for line in checkLines {
            // "  PASS  [key] name：value": the name is Chinese.
            var name = line.dropFirst(8)
            if name.hasPrefix("[") { name = name.drop { $0 != " " }.dropFirst() }
            let beforeColon = name.split(separator: "：", maxSplits: 1).first ?? ""
            #expect(beforeColon.contains { $0.isCJK } && name.contains("："), "\(line)")
        }
        for english in ["Step ", "expected", "checks in", "old namespace", "new namespace", "passed", "(no output)",
                        "shell:", "syscall:", "experiments:"] {
            #expect(!lines.contains { $0.contains(english) }, "\(english): \(lines.first { $0.contains(english) } ?? "")")
        }
        #expect(lines.contains { $0.hasPrefix("uts-namespace — UTS 命名空间") })
        #expect(lines.contains { $0.hasPrefix("pid-namespace：通过 — 32/32 项检查通过，用时 ") })
        #expect(lines.last?.hasPrefix("\(experiments) 个实验：\(experiments) 个通过 — \(checks)/\(checks) 项检查通过，用时 ") == true)
        if arguments.contains("--explain") {
            #expect(lines.contains { $0.hasPrefix("── 第 1/4 步 · ") })
            // The last step of pid-namespace has no section in the lesson: its own title, in Chinese.
            #expect(lines.contains { $0.hasPrefix("── 第 9/9 步 · 实验的命名空间之外没有任何变化 ") })
            #expect(lines.contains { $0.hasPrefix("  shell 命令：$ ") } && lines.contains { $0.hasPrefix("  系统调用：  ") })
            #expect(lines.contains { $0.contains("旧命名空间") && $0.contains("│ 新命名空间") })
            #expect(lines.contains { $0.contains("孤儿进程 ") && $0.contains("：它的父进程 ") })
        }
    }

    @Test("English stays English", arguments: [
        (["run", "all"], [String]()),
        (["run", "all", "--lang", "en"], ["LANG=zh_CN.UTF-8"]),
        (["run", "all"], ["LC_ALL=C", "LANG=zh_CN.UTF-8"]),
    ])
    func englishStaysEnglish(arguments: [String], locale: [String]) throws {
        try requireRoot()
        let run = try runCommand(testSandbox + [runnerPath] + arguments, environment: Self.environment(locale))
        #expect(run.exitCode == 0)
        #expect(!run.output.contains { $0.isCJK })
        #expect(run.output.contains("uts-namespace — UTS namespace: hostname and NIS domain name\n"))
        #expect(run.output.contains("  PASS  [new-namespace] uts namespace inode of the new process: "))
        #expect(run.output.contains("  PASS  [host-unchanged] processes of the experiment still running, or zombies: none\n"))
        #expect(run.output.contains("uts-namespace: passed — 9/9 checks in "))
        let (experiments, checks) = try Self.allCounts()
        #expect(run.output.contains("\(experiments) experiments: \(experiments) passed — \(checks)/\(checks) checks in "))
    }

    @Test func englishExplainKeepsItsWords() throws {
        try requireRoot()
        let run = try runner("run", "pid-namespace", "--explain", "--lang", "en")
        #expect(run.exitCode == 0)
        #expect(run.output.contains("── Step 9/9 · Nothing changed outside the experiment's namespaces "))
        #expect(run.output.contains("  shell:   $ ") && run.output.contains("  syscall: "))
        #expect(run.output.contains("orphan ") && run.output.contains(": its parent "))
    }

    @Test func jsonStaysEnglishUnderChinese() throws {
        try requireRoot()
        let english = try Self.decodeReport(try runner("run", "all", "--json").output)
        let run = try runCommand(testSandbox + [runnerPath, "run", "all", "--json", "--lang", "zh"],
                                 environment: Self.environment(["LANG=zh_CN.UTF-8"]))
        #expect(run.exitCode == 0)
        #expect(!run.output.contains { $0.isCJK })
        let chinese = try Self.decodeReport(run.output)
        func names(_ report: Report) -> [String] {
            report.experiments.flatMap { e in e.steps.flatMap { s in [s.key, s.title] + s.checks.map(\.name) + s.observations.map(\.label) } }
        }
        #expect(names(chinese) == names(english))
    }

    @Test func listDoctorLessonAndMessagesFollowTheLanguage() throws {
        try requireRoot()
        let list = try runner("list", "--lang", "zh")
        #expect(list.exitCode == 0)
        #expect(list.output.contains("UTS 命名空间：主机名与 NIS 域名") && list.output.contains("命名空间：uts · Linux ≥ 3.0 · 可以运行"))
        #expect(!list.output.contains("namespaces:") && !list.output.contains("ready"))
        let json = try runner("list", "--json", "--lang", "zh")
        #expect(!json.output.contains { $0.isCJK })

        let doctor = try runCommand(testSandbox + [runnerPath, "doctor"], environment: Self.environment(["LANG=zh_CN.UTF-8"]))
        #expect(doctor.exitCode == 0)
        #expect(doctor.output.contains("有效能力集中有 CAP_SYS_ADMIN（root）"))
        #expect(doctor.output.split(separator: "\n").allSatisfy { $0.contains { $0.isCJK } }, "\(doctor.output)")

        let lesson = try runCommand(testSandbox + [runnerPath, "lesson", "uts-namespace"],
                                    environment: Self.environment(["LANG=zh_CN.UTF-8"]))
        #expect(lesson.output.hasPrefix(try Lesson.load(id: "uts-namespace", language: "zh").title))

        let unknown = try runner("run", "uts", "--lang", "zh")
        #expect(unknown.exitCode == 2)
        #expect(unknown.errors == "runner: 未知的实验“uts”：你是不是想输入 uts-namespace？\n")
        let english = try runner("run", "uts")
        #expect(english.errors == "runner: unknown experiment 'uts': did you mean uts-namespace?\n")
    }

    // MARK: helpers

    /// The tests' environment without its LC_ALL=C, plus `locale`.
    static func environment(_ locale: [String]) -> [String] {
        ProcessSpec.defaultEnvironment.filter { !$0.hasPrefix("LC_ALL=") } + locale
    }

    struct Report: Decodable { let experiments: [ExperimentResult] }

    static func decodeReport(_ json: String) throws -> Report {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Report.self, from: Data(json.utf8))
    }
}

extension Character {
    /// A CJK ideograph (the Chinese of a translated string).
    var isCJK: Bool { unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } }

    /// Chinese punctuation: "：", "，", "；", "（".
    var isFullwidthPunctuation: Bool {
        unicodeScalars.contains { (0x3000...0x303F).contains($0.value) || (0xFF00...0xFF60).contains($0.value) }
    }
}
