import Foundation
import Glibc
import Testing

@testable import Experiments
@testable import Runner

/// Under `--lang zh` (or a zh_* locale) every string a student reads is Chinese: the runner's
/// own words, check names, observation labels, step titles and the chapters' sentences; JSON
/// keeps the English names CI knows the checks by, and `--lang en` is as it always was.
/// (MessageTests checks the catalogue itself, without root; these run the experiments.)
@Suite("Chinese all the way", .serialized)
struct ChineseTests {
    /// How many experiments and checks `runner run all` has, from its JSON.
    static func allCounts() throws -> (experiments: Int, checks: Int) {
        let experiments = try Self.decodeReport(try runner("run", "all", "--json").output).experiments
        return (experiments.count, experiments.reduce(0) { $0 + $1.checkCount })
    }

    /// How many checks one experiment has, from its JSON.
    static func checkCount(_ id: String) throws -> Int {
        try Self.decodeReport(try runner("run", id, "--json").output).experiments.reduce(0) { $0 + $1.checkCount }
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
        let lines = run.output.split(separator: "\n").map(String.init)
        // A check line with the lines it wraps onto (a hanging indent of 8 columns).
        var checkLines: [String] = [], inCheck = false
        for line in lines {
            if line.hasPrefix("  PASS  ") || line.hasPrefix("  FAIL  ") {
                checkLines.append(line)
                inCheck = true
            } else if inCheck && line.hasPrefix(String(repeating: " ", count: 8)) {
                checkLines[checkLines.count - 1] += line.drop { $0 == " " }
            } else {
                inCheck = false
            }
        }
        // A failure names its check.
        #expect(run.exitCode == 0, "\(run.errors)\(checkLines.filter { $0.hasPrefix("  FAIL  ") }.joined(separator: "\n"))")
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
        let pidChecks = try Self.checkCount("pid-namespace")
        #expect(lines.contains { $0.hasPrefix("pid-namespace：通过——\(pidChecks)/\(pidChecks) 项检查通过，用时 ") })
        #expect(lines.contains { $0.hasPrefix("\(experiments) 个实验：\(experiments) 个通过——\(checks)/\(checks) 项检查通过，用时 ") })
        #expect(lines.last { !$0.hasPrefix(" ") }?.hasPrefix("所有章节都已通过。") == true)
        // Full-width punctuation carries its own space: none beside it, wherever it came from.
        for line in lines where line.contains(where: \.isCJK) && !line.hasPrefix("    ") {
            let text = line.drop { $0 == " " }  // an indent is layout
            #expect(!text.contains("。 ") && !text.contains("， ") && !text.contains(" （") && !text.hasSuffix("（"), "\(line)")
        }
        if arguments.contains("--explain") {
            let utsSteps = try #require(Catalog.experiment("uts-namespace")).steps.count + 1
            let pidSteps = try #require(Catalog.experiment("pid-namespace")).steps.count + 1
            #expect(lines.contains { $0.hasPrefix("── 第 1/\(utsSteps) 步 · ") })
            // The last step of pid-namespace has no section in the lesson: its own title, in Chinese.
            #expect(lines.contains { $0.hasPrefix("── 第 \(pidSteps)/\(pidSteps) 步 · 实验的命名空间之外没有任何变化 ") })
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
        #expect(run.exitCode == 0, "\(whatFailed(inReport: run.output))")
        #expect(!run.output.contains { $0.isCJK })
        #expect(run.output.contains("uts-namespace — UTS namespace: hostname and NIS domain name\n"))
        #expect(run.output.contains("  PASS  [new-namespace] uts namespace inode of the new process: "))
        #expect(run.output.contains("  PASS  [host-unchanged] processes of the experiment still running, or zombies: none\n"))
        let utsChecks = try Self.checkCount("uts-namespace")
        #expect(run.output.contains("uts-namespace: passed — \(utsChecks)/\(utsChecks) checks in "))
        let (experiments, checks) = try Self.allCounts()
        #expect(run.output.contains("\(experiments) experiments: \(experiments) passed — \(checks)/\(checks) checks in "))
    }

    @Test func englishExplainKeepsItsWords() throws {
        try requireRoot()
        let run = try runner("run", "pid-namespace", "--explain", "--lang", "en")
        #expect(run.exitCode == 0)
        let steps = try #require(Catalog.experiment("pid-namespace")).steps.count + 1
        #expect(run.output.contains("── Step \(steps)/\(steps) · Nothing changed outside the experiment's namespaces "))
        #expect(run.output.contains("  shell:   $ ") && run.output.contains("  syscall: "))
        #expect(run.output.contains("orphan ") && run.output.contains(": its parent "))
    }

    @Test func jsonStaysEnglishUnderChinese() throws {
        try requireRoot()
        let english = try Self.decodeReport(try runner("run", "all", "--json").output)
        let run = try runCommand(testSandbox + [runnerPath, "run", "all", "--json", "--lang", "zh"],
                                 environment: Self.environment(["LANG=zh_CN.UTF-8"]))
        #expect(run.exitCode == 0, "\(whatFailed(inReport: run.output))")
        #expect(!run.output.contains { $0.isCJK })
        let chinese = try Self.decodeReport(run.output)
        func names(_ report: Report) -> [String] {
            report.experiments.flatMap { e in
                e.steps.flatMap { s in [s.key, s.title.english] + s.checks.map(\.name.english) + s.observations.map(\.label.english) }
            }
        }
        #expect(names(chinese) == names(english))
    }

    @Test func listDoctorLessonAndMessagesFollowTheLanguage() throws {
        try requireRoot()
        let list = try runner("list", "--lang", "zh")
        #expect(list.exitCode == 0)
        #expect(list.output.contains("UTS 命名空间：主机名与 NIS 域名") && list.output.contains("命名空间：uts · Linux ≥ 3.0 · 尚未通过"))
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
        testEnvironment.filter { !$0.hasPrefix("LC_ALL=") } + locale
    }

    struct Report: Decodable { let experiments: [ExperimentResult] }

    static func decodeReport(_ json: String) throws -> Report {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Report.self, from: Data(json.utf8))
    }
}
