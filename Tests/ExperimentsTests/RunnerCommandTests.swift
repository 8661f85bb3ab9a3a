import Foundation
import Glibc
import Testing

@testable import Experiments
@testable import Runner

@Suite("runner: commands, exit codes, JSON and errors", .serialized)
struct RunnerCommandTests {
    @Test func listShowsEveryExperimentAndWhetherItCanRun() throws {
        let result = try runner("list")
        #expect(result.exitCode == 0)
        for experiment in Catalog.all { #expect(result.output.contains(experiment.id)) }

        let json = try runner("list", "--json")
        #expect(json.exitCode == 0)
        let entries = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]]
        #expect(entries?.map { $0["id"] as? String } == Catalog.all.map(\.id))
        #expect(entries?.allSatisfy { $0["runnable"] as? Bool == true && $0["minimum_kernel"] is String } == true)
    }

    @Test("an unknown id is exit 2 with a suggestion", arguments: [
        ("uts", "uts-namespace"), ("ipc-namespce", "ipc-namespace"), ("utsnamespace", "uts-namespace"),
    ])
    func unknownIdSuggests(given: String, suggested: String) throws {
        let result = try runner("run", given)
        #expect(result.exitCode == 2)
        #expect(result.errors == "runner: unknown experiment '\(given)': did you mean \(suggested)?\n")
        #expect(result.output.isEmpty)
    }

    @Test("bad usage is one line on stderr and exit 2", arguments: [
        ["run"], ["run", "uts-namespace", "--lang", "fr"], ["run", "--no-such-flag", "uts-namespace"], ["frobnicate"],
        ["lesson", "nothing-like-this"], ["run", "uts-namespace", "--step", "--json"],
        ["grade", "--watch", "/nonexistent"],
    ])
    func badUsage(arguments: [String]) throws {
        let result = try runCommand([runnerPath] + arguments)
        #expect(result.exitCode == 2)
        #expect(result.errors.hasPrefix("runner: "))
        #expect(result.errors.split(separator: "\n").count == 1, "\(result.errors)")
    }

    @Test("a command line the parser refuses points to its command's help, in the language asked for", arguments: [
        (["run", "uts-namespace", "--bogus"], "(see `runner run --help`)"),
        (["grade"], "(see `runner grade --help`)"),
        (["run", "uts-namespace", "--bogus", "--lang", "zh"], "（见 `runner run --help`）"),
        (["--lang=zh", "frobnicate"], "（见 `runner --help`）"),
    ])
    func parserErrorsPointToTheirHelp(arguments: [String], ending: String) throws {
        let result = try runCommand([runnerPath] + arguments)
        #expect(result.exitCode == 2)
        #expect(result.errors.hasSuffix(ending + "\n"), "\(result.errors)")
    }

    @Test func stepWithOnlyWaitsOnlyBetweenTheStepsItShows() throws {
        try requireRoot()
        let result = try runCommand(testSandbox + [runnerPath, "run", "uts-namespace", "--step", "--only", "set-names"], input: "\n")
        #expect(result.exitCode == 0, "\(result.errors)")
        let prompt = "Press Enter for the next step"
        let step = try #require(result.output.range(of: "[set-names]"), "\(result.output)")
        let wait = try #require(result.output.range(of: prompt), "\(result.output)")
        #expect(step.lowerBound < wait.lowerBound, "the step comes before the first wait")
        #expect(result.output.components(separatedBy: prompt).count == 2, "one wait, between the two steps shown")
    }

    @Test("colour on a terminal only, and never with NO_COLOR", arguments: [(false, true), (true, false)])
    func colour(noColor: Bool, expectColour: Bool) throws {
        // script(1) gives the runner a pseudo-terminal as stdout.
        let environment = ProcessSpec.defaultEnvironment + (noColor ? ["NO_COLOR=1"] : []) + ["TERM=xterm"]
        let result = try runCommand(["script", "-qec", "\(runnerPath) list", "/dev/null"], environment: environment)
        #expect(result.exitCode == 0)
        #expect(result.output.contains("\u{1B}[") == expectColour)
    }

    /// All of Foundation (CoreFoundation, ICU) costs every start of the runner about a
    /// millisecond and doubles its size: the runner links FoundationEssentials alone. A
    /// package or a generated resource accessor that imports Foundation shows here.
    @Test func theRunnerLinksNoFoundation() throws {
        let needed = try runCommand(["readelf", "--dynamic", runnerPath])
        #expect(needed.exitCode == 0 && needed.output.contains("libFoundationEssentials"))
        let libraries = needed.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(!libraries.contains { $0.contains("[libFoundation.so") || $0.contains("libFoundationInternationalization") }, "\(libraries)")
    }

    @Test func versionNoCommandAndMisspeltCommands() throws {
        let version = try runner("--version")
        #expect(version.exitCode == 0)
        #expect(version.output.split(separator: ".").count == 3)
        let nothing = try runCommand([runnerPath])
        #expect(nothing.exitCode == 2)
        #expect(nothing.errors.hasPrefix("runner: no command given"))
        #expect(nothing.errors.contains("SUBCOMMANDS:"))
        for (given, meant) in [("rn", "run"), ("lis", "list"), ("docter", "doctor")] {
            let result = try runCommand([runnerPath, given])
            #expect(result.exitCode == 2)
            #expect(result.errors.contains("did you mean \(meant)?"), "\(result.errors)")
        }
        // A flag of run's typed as a command: the command line it meant.
        for (arguments, meant) in [(["explain", "pid-namespace"], "runner run pid-namespace --explain"),
                                   (["map", "uts-namespace", "--lang", "zh"], "runner run uts-namespace --lang zh --map"),
                                   (["step"], "runner run ID --step")] {
            let result = try runCommand([runnerPath] + arguments)
            #expect(result.exitCode == 2)
            #expect(result.errors.contains("`\(meant)`"), "\(result.errors)")
        }
    }

    @Test("--color decides alone; auto keeps to a terminal", arguments: [("always", true), ("never", false), ("auto", false)])
    func colourOption(choice: String, expectColour: Bool) throws {
        let result = try runCommand([runnerPath, "list", "--color=\(choice)"])
        #expect(result.exitCode == 0)
        #expect(result.output.contains("\u{1B}[") == expectColour)
    }

    @Test func allAndAnIdRunEachExperimentOnce() throws {
        try requireRoot()
        let result = try runner("run", "pid-namespace", "all", "uts-namespace", "--json")
        let document = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        let ids = (document?["experiments"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(ids == ["pid-namespace"] + Catalog.all.map(\.id).filter { $0 != "pid-namespace" })
    }

    @Test func runAllEndsWithOneSummaryLineAndWhatIsNext() throws {
        try requireRoot()
        let result = try runner("run", "all")
        #expect(result.exitCode == 0)
        let lines = result.output.split(separator: "\n")
        let summary = try #require(lines.last { $0.hasPrefix("\(Catalog.all.count) experiments: ") })
        #expect(summary.hasPrefix("\(Catalog.all.count) experiments: \(Catalog.all.count) passed — "), "\(summary)")
        #expect(summary.contains(" checks in ") && summary.hasSuffix(" ms"))
        // After it, only where to go on: every chapter passed, the graded exercises next.
        let after = lines.drop { $0 != summary }.dropFirst().joined(separator: " ")
        #expect(after.hasPrefix("Every chapter passed.") && after.contains("runner lesson"), "\(after)")
    }

    @Test func theRunnerAloneIsAWholeInstall() throws {
        try requireRoot()
        // A copy with nothing beside it, run from / : the probe and the lessons are built in.
        let directory = try TemporaryDirectory()
        #expect(try runCommand(["cp", runnerPath, "\(directory.path)/runner"]).exitCode == 0)
        let result = try runCommand(testSandbox + ["sh", "-c", "cd / && exec \"$0\" run uts-namespace --explain",
                                                   "\(directory.path)/runner"])
        #expect(result.exitCode == 0, "\(result.errors)")
        let lesson = try Lesson.load(id: "uts-namespace")
        #expect(result.output.contains(lesson.intro.split(separator: "\n")[0].prefix(30)))
        #expect(result.output.contains("uts-namespace: passed"))
        // It knows its built-in probe is there before it needs it.
        let list = try runCommand(testSandbox + ["\(directory.path)/runner", "list", "--json"])
        let entries = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]]
        #expect(list.exitCode == 0 && entries?.count == Catalog.all.count)
        #expect(entries?.allSatisfy { $0["runnable"] as? Bool == true } == true, "\(list.output)")
        // Installed as the README does, with the probe beside it, it runs that file; a probe
        // left from another build (another size) never stands in for its own.
        let doctor = { try runCommand(testSandbox + ["\(directory.path)/runner", "doctor"]).output }
        #expect(try runCommand(["cp", probePath, "\(directory.path)/nsprobe"]).exitCode == 0)
        #expect(try doctor().contains("probe at \(directory.path)/nsprobe"))
        #expect(try runCommand(["cp", "/bin/true", "\(directory.path)/nsprobe"]).exitCode == 0)
        let stale = try doctor()
        #expect(stale.contains("probe at /proc/self/fd/") && !stale.contains("\(directory.path)/nsprobe"), "\(stale)")
        // A teacher's edited lessons win over the built-in ones.
        let edited = try TemporaryDirectory()
        #expect(try runCommand(["sh", "-c", "cp \"$0\"/lessons/*.md \"$1\" && sed -i '1s/.*/# Edited by a teacher/' \"$1\"/uts-namespace.md",
                                sourceRoot(), edited.path]).exitCode == 0)
        let lessonResult = try runCommand(["\(directory.path)/runner", "lesson", "uts-namespace", "--lessons", edited.path])
        #expect(lessonResult.output.hasPrefix("Edited by a teacher"))
    }

    @Test func aShellInTheNewNamespacesLeavesNothingBehind() throws {
        try requireRoot()
        let result = try runCommand(testSandbox + ["sh", "-c", "printf '%s\\n' 'hostname inside-the-shell; hostname' "
                                                   + "'readlink /proc/self/ns/uts' | \"$0\" shell uts-namespace; "
                                                   + "echo \"exit $?\"; hostname", runnerPath])
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "uts-namespace: a shell in new namespaces: uts")
        #expect(lines.contains("inside-the-shell"))
        // The namespace the shell reads as its own is new: not the old side's, which the greeting names.
        let own = try #require(lines.first { $0.hasPrefix("uts:[") })
        let oldSide = try #require(lines.first { $0.hasPrefix("  the old side's: uts:[") })
        #expect(!oldSide.contains(own), "\(lines)")
        #expect(result.output.replacingOccurrences(of: "\n  ", with: " ")
            .contains("shell exit 0; every process of it is gone; nothing outside its namespaces changed"))
        #expect(lines.suffix(2).first == "exit 0")
        #expect(lines.last != "inside-the-shell")  // the sandbox the runner was started in keeps its name
    }

    @Test("what a shell says to try runs there, refused for no want of privilege", arguments: Catalog.all.filter { !$0.shellTries.isEmpty }.map(\.id))
    func shellTriesRun(id: String) throws {
        try requireRoot()
        let experiment = try #require(Catalog.experiment(id))
        let script = experiment.shellTries.map { "\($0) 2>&1; echo \"exit $?\"\n" }.joined()
        let result = try runCommand(testSandbox + [runnerPath, "shell", id], input: script)
        #expect(result.exitCode == 0, "\(result.errors)")
        // Every try succeeds, but the one that is to fail, which fails as its lesson says.
        let statuses = result.output.split(separator: "\n").filter { $0.hasPrefix("exit ") }.map(String.init)
        let refused = id == "namespace-limits" ? 1 : nil
        #expect(statuses == experiment.shellTries.indices.map { $0 == refused ? "exit 1" : "exit 0" }, "\(result.output)")
        if refused != nil { #expect(result.output.contains("No space left on device"), "\(result.output)") }
        for refusal in ["Operation not permitted", "Permission denied"] {
            #expect(!result.output.contains(refusal), "\(result.output)")
        }
    }

    @Test func aLessonOnATerminalGoesThroughThePager() throws {
        // script(1) gives the runner a terminal; the pager here marks every line it shows.
        let environment = ProcessSpec.defaultEnvironment + ["TERM=xterm", "PAGER=sed s/^/paged:/"]
        let result = try runCommand(["script", "-qec", "\(runnerPath) lesson uts-namespace", "/dev/null"],
                                    environment: environment)
        #expect(result.exitCode == 0)
        #expect(result.output.split(separator: "\n").first?.hasPrefix("paged:") == true)
        let plain = try runCommand([runnerPath, "lesson", "uts-namespace"], environment: environment)
        #expect(!plain.output.contains("paged:"))  // not a terminal: printed directly
    }

    @Test("completion scripts come from the argument parser", arguments: ["bash", "zsh", "fish"])
    func completionScripts(shell: String) throws {
        let result = try runCommand([runnerPath, "--generate-completion-script", shell])
        #expect(result.exitCode == 0)
        #expect(result.output.contains("runner") && result.output.contains("lesson"))
    }

    @Test func helpIsExitZero() throws {
        let result = try runner("--help")
        #expect(result.exitCode == 0)
        #expect(result.output.contains("USAGE"))
    }

    @Test func runPrintsOneLinePerCheckAndExitsZero() throws {
        try requireRoot()
        let result = try expectHostUnchanged { try runner("run", "uts-namespace") }
        #expect(result.exitCode == 0)
        let checks = result.output.split(separator: "\n").filter { $0.hasPrefix("  PASS") || $0.hasPrefix("  FAIL") }
        #expect(checks.count == 9)
        #expect(checks.allSatisfy { $0.hasPrefix("  PASS") })
        #expect(!result.output.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }

    @Test("the forms students type most, `runner list` and `runner run ID...`, read as the parser reads them")
    func plainFormsAreWhatTheParserMakesOfThem() throws {
        try requireRoot()
        #expect(try runner("list").output == (try runner("list", "--color", "auto").output))
        // Inodes, keys and times differ from run to run; the rest must not.
        let masked = { (result: CommandResult) in result.output.replacing(/0x[0-9a-f]+|[0-9]+/, with: "#") }
        let plain = try runner("run", "uts-namespace", "ipc-namespace")
        let parsed = try runner("run", "uts-namespace", "ipc-namespace", "--color", "auto")
        #expect(plain.exitCode == 0 && parsed.exitCode == 0)
        #expect(masked(plain) == masked(parsed))
        #expect(plain.output.contains("uts-namespace: passed"))
    }

    @Test func explainPrintsTheLessonCommandsAndBothSides() throws {
        try requireRoot()
        let result = try runner("run", "uts-namespace", "--explain")
        #expect(result.exitCode == 0)
        let lesson = try Lesson.load(id: "uts-namespace")
        // Prose is reflowed to the width: the start of the intro begins a line as it is.
        #expect(result.output.contains(lesson.intro.split(separator: "\n")[0].prefix(30)))
        #expect(result.output.contains("$ readlink /proc/self/ns/uts"))
        #expect(result.output.contains("syscall: unshare(CLONE_NEWUTS)"))
        #expect(result.output.contains("old namespace"))
        #expect(result.output.contains("│ container"))
        #expect(!result.output.contains("{#"))
        // Each section under its own step; the closing after the last step, before the summary.
        let text = result.output
        func position(_ needle: String) -> String.Index? { text.range(of: needle)?.lowerBound }
        let fix = try #require(position("The fix: set the name from inside"))
        let steps = try #require(Catalog.experiment("uts-namespace")).steps.count + 1  // and the host's
        let lastStep = try #require(position("── Step \(steps)/\(steps)"))
        let reading = try #require(position("Further reading"))
        let summary = try #require(position("uts-namespace: passed"))
        #expect(fix < lastStep && lastStep < reading && reading < summary)
    }

    @Test func explainInChineseUsesTheChineseLesson() throws {
        try requireRoot()
        let result = try runner("run", "ipc-namespace", "--explain", "--lang", "zh")
        #expect(result.exitCode == 0)
        let lesson = try Lesson.load(id: "ipc-namespace", language: "zh")
        #expect(result.output.contains(try #require(lesson.section(for: "cleanup")).body.split(separator: "\n")[0].prefix(20)))
    }

    @Test func jsonAndJUnitDescribeEveryCheck() throws {
        try requireRoot()
        let junit = try TemporaryFile()
        let result = try runner("run", "all", "--json", "--junit", junit.path)
        #expect(result.exitCode == 0)
        let document = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        #expect(document?["passed"] as? Bool == true)
        let experiments = document?["experiments"] as? [[String: Any]]
        #expect(experiments?.map { $0["id"] as? String } == Catalog.all.map(\.id))
        let steps = experiments?.first?["steps"] as? [[String: Any]]
        let check = (steps?.first?["checks"] as? [[String: Any]])?.first
        #expect(Set(check?.keys.map { $0 } ?? []) == ["name", "expected", "actual", "passed"])
        let xml = readTextFile(junit.path) ?? ""
        #expect(xml.hasPrefix("<?xml"))
        #expect(xml.contains("<testsuite name=\"uts-namespace\" tests=\"13\" failures=\"0\""))
    }

    @Test func lessonRendersWithoutKeysInBothLanguages() throws {
        for language in ["en", "zh"] {
            let result = try runner("lesson", "uts-namespace", "--lang", language)
            #expect(result.exitCode == 0)
            #expect(result.output.hasPrefix(try Lesson.load(id: "uts-namespace", language: language).title))
            #expect(!result.output.contains("{#"))
            #expect(!result.output.contains("```"))
        }
    }

    @Test func doctorSaysWhatThisHostSupports() throws {
        try requireRoot()
        let result = try runner("doctor")
        #expect(result.exitCode == 0)
        #expect(result.output.contains("CAP_SYS_ADMIN"))
        #expect(result.output.contains("/proc/sys/user/max_uts_namespaces"))
    }

    @Test func doctorSaysWhenUnprivilegedUserNamespacesAreRefusedAndWhatToChange() throws {
        try requireRoot()
        let result = try runCommand(testSandbox + ["unshare", "--user", "--map-root-user", "sh", "-c",
            "echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin -- \"$0\" doctor --color never",
            runnerPath])
        #expect(result.exitCode == 3)
        let line = result.output.split(separator: "\n").first { $0.contains("unprivileged user namespaces (to run") }
        #expect(line?.hasPrefix("FAIL unprivileged user namespaces (to run without sudo) — /proc/sys/user/max_user_namespaces is 0") == true,
                "\(result.output)")
        #expect(line?.hasSuffix("as root: sysctl -w user.max_user_namespaces=10000") == true)
    }

    @Test func withoutCapSysAdminWhereUserNamespacesAreRefusedItExitsThreeAndSaysWhy() throws {
        try requireRoot()
        // Root of a user namespace whose limit of user namespaces is 0, without CAP_SYS_ADMIN:
        // neither way to a sandbox is open.
        let result = try runCommand(testSandbox + ["unshare", "--user", "--map-root-user", "sh", "-c",
            "echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin -- \"$0\" run uts-namespace",
            runnerPath])
        #expect(result.exitCode == 3)
        #expect(result.errors.contains("root without CAP_SYS_ADMIN (a container's default), or a user namespace of its own, "
                                       + "which this host refuses (/proc/sys/user/max_user_namespaces is 0"), "\(result.errors)")
    }

    @Test("a namespace limit refuses: below the budget before the run is exit 3, used up mid-run fails the step",
          arguments: [
              ("echo 0 > /proc/sys/user/max_uts_namespaces && exec \"$0\" run uts-namespace", 3, "max_uts_namespaces is 0"),
              ("echo 2 > /proc/sys/user/max_uts_namespaces && exec \"$0\" run uts-namespace", 3,
               "max_uts_namespaces is 2; this experiment needs 3"),
              // The budget, but one of it held by another process: the kernel refuses the third.
              ("echo 3 > /proc/sys/user/max_uts_namespaces && exec unshare --uts \"$0\" run uts-namespace", 1,
               "unshare(CLONE_NEWUTS): ENOSPC"),
          ])
    func namespaceLimit(script: String, exitCode: Int32, message: String) throws {
        try requireRoot()
        // The limit is per user namespace: set inside a new one, the real host's is untouched.
        let result = try expectHostUnchanged {
            try runCommand(testSandbox + ["unshare", "--user", "--map-root-user", "sh", "-c", script, runnerPath])
        }
        #expect(result.exitCode == exitCode)
        #expect((result.output + result.errors).contains(message), "\(result.output) \(result.errors)")
    }

    @Test func aKernelThatOnlyPretendsCannotRunAnythingAndSaysWhy() throws {
        try requireRoot()
        let library = try buildPretendKernel()
        // The runner's own sandbox is the first namespace it makes: a pretended one stops it.
        let result = try expectHostUnchanged {
            try runCommand(testSandbox + ["env", "LD_PRELOAD=\(library.path)", runnerPath, "run", "all"])
        }
        #expect(result.exitCode == 3)
        #expect(result.errors.contains("this host cannot make the runner's sandbox: clone(CLONE_NEWPID): returned success "
                                       + "but the child is not pid 1: no new namespace"), "\(result.errors)")
        #expect(!result.output.contains("passed —"))
    }

    @Test func aJoinThatOnlyPretendsNeverLetsTheOldSideTouchTheHost() throws {
        try requireRoot()
        // The demo host is real, but joining it is faked: the old side would run where the
        // runner runs, where set-too-late renames and cleanup removes. The shim stops it first.
        let library = try buildPretendKernel(["-DPRETEND_ONLY_SETNS"])
        for id in ["uts-namespace", "ipc-namespace"] {
            let result = try expectHostUnchanged {
                try runCommand(testSandbox + ["env", "LD_PRELOAD=\(library.path)", runnerPath, "run", id])
            }
            #expect(result.exitCode == 1)
            #expect(result.output.contains("\(id): FAILED"))
            #expect(result.output.contains("refused: expected "), "\(result.output)")
            #expect(result.output.contains("PASS  [host-unchanged] hostname, domainname"))
        }
    }

    @Test func aShellThatCannotBeMadeIsBrokenNotBadUsage() throws {
        try requireRoot()
        // The command line was right: what failed is a step of the command, said as it is.
        let library = try buildPretendKernel(["-DPRETEND_ONLY_SETNS"])
        let result = try expectHostUnchanged {
            try runCommand(testSandbox + ["env", "LD_PRELOAD=\(library.path)", runnerPath, "shell", "uts-namespace"], input: "exit\n")
        }
        #expect(result.exitCode == 4)
        #expect(result.errors.hasPrefix("runner: setns(/proc/") && result.errors.contains("refused: expected uts:["), "\(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1 && !result.errors.contains("--help"), "\(result.errors)")
    }
}

/// Builds fixtures/pretend-kernel into a shared library for LD_PRELOAD.
func buildPretendKernel(_ options: [String] = []) throws -> TemporaryFile {
    let library = try TemporaryFile()
    let source = sourceRoot() + "/fixtures/pretend-kernel/pretend.c"
    let result = try runCommand(["cc", "-shared", "-fPIC"] + options + ["-o", library.path, source, "-ldl"])
    try #require(result.exitCode == 0, "cc failed: \(result.output) \(result.errors)")
    return library
}

/// The package's root folder, from this file's path.
func sourceRoot(_ file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/ExperimentsTests/<file>
    return parts.joined(separator: "/")
}
