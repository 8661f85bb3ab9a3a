import Foundation
import Glibc
import Testing

@testable import Experiments
@testable import Runner

/// A student's way through the course: where to start, what is next, what was passed.
@Suite("a student's path", .serialized)
struct StudentPathTests {
    @Test func theHelpAndAnEmptyCommandNameTheFirstSteps() throws {
        let help = try runCommand([runnerPath, "--help"])
        #expect(help.output.contains("runner list") && help.output.contains("runner run uts-namespace --explain"))
        let nothing = try runCommand([runnerPath])
        #expect(nothing.exitCode == 2)
        #expect(nothing.errors.split(separator: "\n").first?.contains("start with `runner list`") == true)
    }

    @Test("a missing id lists the ids; `all` where one is meant is refused", arguments: [["run"], ["shell"], ["lesson"], ["shell", "all"]])
    func missingOrAllIds(arguments: [String]) throws {
        let result = try runCommand([runnerPath] + arguments)
        #expect(result.exitCode == 2)
        #expect(result.errors.split(separator: "\n").count == 1, "\(result.errors)")
        for experiment in Catalog.all { #expect(result.errors.contains(experiment.id), "\(arguments)") }
    }

    @Test func lessonAllPrintsEveryLessonInCourseOrder() throws {
        let result = try runner("lesson", "all")
        #expect(result.exitCode == 0)
        let titles = try Catalog.all.map { try Lesson.load(id: $0.id).title }
        let positions = titles.map { title in result.output.range(of: title).map { result.output.distance(from: result.output.startIndex, to: $0.lowerBound) } }
        #expect(positions.allSatisfy { $0 != nil }, "every lesson is printed")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "in course order")
    }

    @Test func progressIsKeptPerUserAndNamesWhatIsNext() throws {
        try requireRoot()
        let state = try TemporaryDirectory()
        let environment = ProcessSpec.defaultEnvironment + ["XDG_STATE_HOME=\(state.path)"]
        let before = try runner("list", environment: environment)
        #expect(before.output.contains("Start with `runner run \(Catalog.all[0].id)`"))
        let run = try runner("run", Catalog.all[0].id, environment: environment)
        #expect(run.exitCode == 0)
        #expect(readTextFile("\(state.path)/nslab/passed") == Catalog.all[0].id + "\n")
        // The run ends with the next chapter and its command.
        #expect(run.output.contains("Next: `runner run \(Catalog.all[1].id) --explain`"), "\(run.output)")
        let list = try runner("list", "--json", environment: environment)
        let entries = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]]
        #expect(entries?.map { $0["passed"] as? Bool } == Catalog.all.indices.map { $0 == 0 })
        let table = try runner("list", environment: environment)
        #expect(table.output.split(separator: "\n").contains { $0.contains(" · passed") })
        #expect(table.output.contains("Next: `runner run \(Catalog.all[1].id) --explain`"))
        // A student who chose the language with --lang (the locale here is C) is shown commands
        // that keep it; one whose locale already says it, commands without it.
        let chinese = try runner("list", "--lang", "zh", environment: environment)
        #expect(chinese.output.replacingOccurrences(of: "\n  ", with: " ")
            .contains("下一步：`runner run \(Catalog.all[1].id) --explain --lang zh`"), "\(chinese.output)")
        let locale = try runner("list", environment: environment.filter { !$0.hasPrefix("LC_ALL=") } + ["LC_ALL=zh_CN.UTF-8"])
        #expect(locale.output.replacingOccurrences(of: "\n  ", with: " ")
            .contains("下一步：`runner run \(Catalog.all[1].id) --explain`"), "\(locale.output)")
    }

    @Test("a state file that cannot be read or written never fails a run", arguments: ["file", "directory"])
    func brokenStateNeverFails(kind: String) throws {
        try requireRoot()
        let state = try TemporaryDirectory()
        // XDG_STATE_HOME/nslab is a file, or XDG_STATE_HOME/nslab/passed a directory.
        let blocked = kind == "file" ? "\(state.path)/nslab" : "\(state.path)/nslab/passed"
        #expect(try runCommand(kind == "file" ? ["touch", blocked] : ["mkdir", "-p", blocked]).exitCode == 0)
        let environment = ProcessSpec.defaultEnvironment + ["XDG_STATE_HOME=\(state.path)"]
        #expect(try runner("run", Catalog.all[0].id, environment: environment).exitCode == 0)
        #expect(try runner("list", environment: environment).exitCode == 0)
    }

    @Test func rootNeverWritesIntoAnotherUsersHome() throws {
        try requireRoot()
        // `sudo -E runner run`: HOME is still the student's, who owns it.
        let home = try TemporaryDirectory()
        #expect(chown(home.path, 65534, 65534) == 0)
        let run = try runner("run", Catalog.all[0].id, environment: ProcessSpec.defaultEnvironment + ["HOME=\(home.path)"])
        #expect(run.exitCode == 0)
        #expect(access("\(home.path)/.local", F_OK) != 0, "nothing of root's in the student's home")
    }

    @Test func junitOnStandardOutputIsTheDocumentAlone() throws {
        try requireRoot()
        let result = try runner("run", Catalog.all[0].id, "--junit", "-")
        #expect(result.exitCode == 0)
        #expect(result.output.hasPrefix("<?xml"))
        #expect(result.errors.contains("PASS  ["), "the text report goes to stderr")
        let file = try TemporaryFile()
        #expect(try runCommand(["sh", "-c", "cat > \(file.path)"], input: result.output).exitCode == 0)
        #expect(try runCommand(["xmllint", "--noout", file.path]).exitCode == 0)
        let both = try runCommand([runnerPath, "run", Catalog.all[0].id, "--json", "--junit", "-"])
        #expect(both.exitCode == 2)
    }

    @Test func stepShowsTitlesAndOnlyRunsUpToOneStep() throws {
        try requireRoot()
        let experiment = Catalog.all[0]
        let stepped = try runCommand(testSandbox + [runnerPath, "run", experiment.id, "--step"], input: "\n\n\n\n\n\n\n\n\n\n")
        #expect(stepped.exitCode == 0)
        for (number, step) in experiment.steps.enumerated() {
            #expect(stepped.output.contains("Step \(number + 1)/\(experiment.steps.count + 1) · \(step.title.english)"))
        }
        let chosen = experiment.steps[1].key
        let only = try runner("run", experiment.id, "--only", chosen, "--json")
        #expect(only.exitCode == 0)
        let report = try JSONSerialization.jsonObject(with: Data(only.output.utf8)) as? [String: Any]
        let steps = ((report?["experiments"] as? [[String: Any]])?.first?["steps"] as? [[String: Any]])?.compactMap { $0["key"] as? String }
        #expect(steps == experiment.steps.prefix(2).map(\.key) + [hostUnchangedKey], "up to and including it, then the host check")
        let text = try runner("run", experiment.id, "--only", chosen)
        let keys = Set(text.output.split(separator: "\n").compactMap { line in
            line.firstRange(of: "] ").map { String(line[..<$0.lowerBound].split(separator: "[").last ?? "") }
        })
        #expect(keys == [chosen, hostUnchangedKey], "it is shown alone: \(keys)")
        let unknown = try runCommand([runnerPath, "run", experiment.id, "--only", "no-such-step"])
        #expect(unknown.exitCode == 2)
        #expect(unknown.errors.contains(experiment.steps[0].key))
    }

    @Test func bashCompletesIdsLanguagesAndPaths() throws {
        let script = try runCommand([runnerPath, "--generate-completion-script", "bash"])
        for experiment in Catalog.all { #expect(script.output.contains(experiment.id)) }
        #expect(script.output.contains("en zh") || (script.output.contains("'en'") && script.output.contains("'zh'")))
        // The README's set-up installs bash-completion and the script.
        let readme = try #require(readTextFile(sourceRoot() + "/README.md"))
        let setUp = try #require(readme.split(separator: "\n").first { $0.hasPrefix("apt-get update") })
        #expect(setUp.split(separator: " ").contains("bash-completion") && setUp.contains("--generate-completion-script $sh"))
    }
}

/// A teacher's edited lessons are checked whole before anything runs.
@Suite("--lessons DIR", .serialized)
struct TeacherLessonTests {
    /// A copy of the lessons, edited by `edit` (a shell script run in it).
    private func editedCopy(_ edit: String) throws -> TemporaryDirectory {
        let copy = try TemporaryDirectory()
        #expect(try runCommand(["sh", "-c", "cp \"$0\"/lessons/*.md \"$1\" && cd \"$1\" && \(edit)", sourceRoot(), copy.path]).exitCode == 0)
        return copy
    }

    @Test func aGoodCopyIsAccepted() throws {
        let copy = try editedCopy("sed -i '1s/.*/# Edited by a teacher/' uts-namespace.md")
        let result = try runCommand([runnerPath, "lesson", "uts-namespace", "--lessons", copy.path])
        #expect(result.exitCode == 0, "\(result.errors)")
        #expect(result.output.hasPrefix("Edited by a teacher"))
    }

    @Test("each slip is refused with exit 2, naming the file and line", arguments: [
        ("sed -i 's/{#set-too-late}/{#set-to-late}/' uts-namespace.md", "uts-namespace.md:", "{#set-to-late} matches no step"),
        ("rm pid-namespace.zh.md", "pid-namespace.zh.md", "pid-namespace.zh.md"),
        ("sed -i 's/ {#orphans}$//' pid-namespace.md", "pid-namespace.md:", "{#key}"),
        ("printf '```c\\nint x;\\n' >> ipc-namespace.md", "ipc-namespace.md:", "```"),
    ])
    func slipsAreRefused(edit: String, names: String, says: String) throws {
        let copy = try editedCopy(edit)
        for command in [["run", "uts-namespace", "--explain"], ["lesson", "uts-namespace"]] {
            let result = try runCommand([runnerPath] + command + ["--lessons", copy.path])
            #expect(result.exitCode == 2, "\(edit): \(result.errors)")
            #expect(result.errors.contains(names) && result.errors.contains(says), "\(edit): \(result.errors)")
            #expect(result.output.isEmpty, "nothing runs before the lessons are good")
        }
    }

    @Test func aStepWithoutASectionIsRefused() throws {
        let experiment = try #require(Catalog.experiment("uts-namespace"))
        let key = experiment.steps[0].key
        // The step's heading becomes another step's second section: the step has none left.
        let copy = try editedCopy("sed -i 's/{#\(key)}/{#\(experiment.steps[1].key)}/' uts-namespace.md")
        let result = try runCommand([runnerPath, "lesson", "uts-namespace", "--lessons", copy.path])
        #expect(result.exitCode == 2)
        #expect(result.errors.contains("uts-namespace.md: step \(key) has no section"), "\(result.errors)")
    }

    @Test func theRepositorysLessonsPassTheTeachersCheck() {
        #expect(Lesson.problems(inDirectory: sourceRoot() + "/lessons").map { $0.located.english } == [])
    }
}

/// 80 columns everywhere: nothing wider than the terminal, but a command printed whole where
/// no `\` can break it; and every command a student copies, joined again, is the source's.
@Suite("text that fits", .serialized)
struct WidthTests {
    /// Every line of code the lessons and the steps show: a line wider than the terminal may
    /// only be one of these, printed whole.
    static let codeLines: [String] = {
        var lines: [String] = []
        for file in lessonFiles {
            var inFence = false
            for line in (readTextFile(sourceRoot() + "/lessons/" + file) ?? "").split(separator: "\n") {
                if line.hasPrefix("```") { inFence.toggle() } else if inFence { lines.append(String(line)) }
            }
        }
        return lines + Catalog.all.flatMap { $0.steps.flatMap { $0.shell.english.split(separator: "\n").map(String.init) } }
    }()

    /// Lines wider than `columns` that are not code printed whole.
    static func tooWide(_ output: String, _ columns: Int) -> [String] {
        output.split(separator: "\n").map(String.init).filter { line in
            guard line.columns > columns else { return false }
            var code = line.drop { $0 == " " }
            for prompt in ["shell:   $ ", "shell 命令：$ ", "$ ", "> "] where code.hasPrefix(prompt) { code = code.dropFirst(prompt.count) }
            if code.hasSuffix(" \\") { code = code.dropLast(2) }
            let squeezed = squeeze(String(code))
            return !codeLines.contains { squeeze($0).contains(squeezed) }
        }
    }

    /// Each line with its runs of spaces made one, and none at its ends (a comment's alignment
    /// gives way when a line is wrapped).
    static func squeeze(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }.joined(separator: "\n")
    }

    @Test("run, run --explain, list, doctor and shell fit", arguments: [60, 80, 100])
    func everythingFits(columns: Int) throws {
        try requireRoot()
        let environment = ProcessSpec.defaultEnvironment + ["COLUMNS=\(columns)"]
        for language in ["en", "zh"] {
            for command in [["run", "all"], ["run", "all", "--explain"], ["list"], ["doctor"]] {
                let result = try runCommand(testSandbox + [runnerPath] + command + ["--lang", language], environment: environment)
                #expect(result.exitCode == 0, "\(command) \(language)")
                let wide = Self.tooWide(result.output, columns)
                #expect(wide.isEmpty, "\(command) \(language) at \(columns): \(wide.first ?? "")")
                if command == ["run", "all", "--explain"] {
                    // The shell: lines, joined again, are each step's command whole.
                    let joined = Self.squeeze(joinContinuations(result.output.split(separator: "\n").map(String.init), prompt: "> "))
                    for experiment in Catalog.all {
                        for step in experiment.steps where !step.shell.english.isEmpty {
                            // A script of several lines goes on under the shell's "> " prompt.
                            let shell = step.shell.text(Language(rawValue: language) ?? .en).replacingOccurrences(of: "\n", with: "\n> ")
                            #expect(joined.contains(Self.squeeze(shell)),
                                    "\(experiment.id)/\(step.key) at \(columns)")
                        }
                    }
                }
            }
            // A shell's greeting: the namespaces, then the commands to try.
            for experiment in Catalog.all where !experiment.shellTries.isEmpty {
                let result = try runCommand(testSandbox + [runnerPath, "shell", experiment.id, "--lang", language],
                                            environment: environment, input: "exit\n")
                #expect(result.exitCode == 0, "shell \(experiment.id) \(language): \(result.errors)")
                let wide = Self.tooWide(result.output, columns)
                #expect(wide.isEmpty, "shell \(experiment.id) \(language) at \(columns): \(wide.first ?? "")")
            }
        }
    }

    @Test("lessons fit, and each command joined again is the source's", arguments: [60, 80])
    func lessonCommandsAreWhole(columns: Int) throws {
        for file in lessonFiles {
            let id = String(file.prefix { $0 != "." }), language = file.hasSuffix(".zh.md") ? "zh" : "en"
            let result = try runCommand([runnerPath, "lesson", id, "--lang", language],
                                        environment: ProcessSpec.defaultEnvironment + ["COLUMNS=\(columns)"])
            let wide = Self.tooWide(result.output, columns)
            #expect(wide.isEmpty, "\(file) at \(columns): \(wide.first ?? "")")
            let joined = Self.squeeze(joinContinuations(result.output.split(separator: "\n").map(String.init), prompt: "> "))
            let source = try #require(readTextFile(sourceRoot() + "/lessons/" + file))
            for block in ConsoleBlock.parse(source, file: file).blocks {
                for command in block.commands {
                    // The source's own lines (a quote that spans lines) stay lines.
                    let lines = command.text.split(separator: "\n").map(String.init)
                    for line in joinContinuations(lines, prompt: "").split(separator: "\n") {
                        #expect(joined.contains(Self.squeeze(String(line))), "\(file):\(block.line) at \(columns): \(line)")
                    }
                }
            }
        }
    }
}

/// The lines with every " \" continuation joined to the next line's text after `prompt`.
func joinContinuations(_ lines: [String], prompt: String) -> String {
    var joined: [String] = []
    var pending: String?
    for line in lines {
        if let open = pending {
            let text = line.drop { $0 == " " }
            pending = nil
            let rest = text.hasPrefix(prompt) ? String(text.dropFirst(prompt.count)) : String(text)
            let whole = open + " " + rest
            if whole.hasSuffix(" \\") { pending = String(whole.dropLast(2)) } else { joined.append(whole) }
        } else if line.hasSuffix(" \\") {
            pending = String(line.dropLast(2))
        } else {
            joined.append(line)
        }
    }
    return (joined + (pending.map { [$0] } ?? [])).joined(separator: "\n")
}
