import Glibc
import Testing

@testable import Experiments

/// Each experiment run the way a student runs it (`runner run <id> --json`), in a test
/// sandbox, and its result decoded: the checks the runner printed are the ones asserted here.
@Suite("experiments on the real kernel", .serialized)
struct ExperimentTests {
    @Test("every check of the experiment passes, and the host is as it was", arguments: Catalog.all.map(\.id))
    func passes(id: String) throws {
        try requireRoot()
        let experiment = try #require(Catalog.experiment(id))
        let (exitCode, result) = try expectHostUnchanged { try runExperiment(id) }
        #expect(exitCode == 0)
        #expect(result.steps.map(\.key) == experiment.steps.map(\.key) + [hostUnchangedKey])
        for step in result.steps {
            #expect(!step.checks.isEmpty, "\(step.key) checked nothing")
            #expect(step.verdict == .pass, "\(step.key): \(step.broken ?? "")")
            for check in step.checks {
                #expect(check.passed, "\(step.key): \(check.name): expected \(check.expected), got \(check.actual)")
            }
        }
    }

    @Test func utsShowsTheNewNamesInsideAndTheOldOutside() throws {
        try requireRoot()
        let result = try runExperiment("uts-namespace").result
        let names = try #require(result.steps.first { $0.key == "set-names" })
        #expect(names.observations.map(\.label.english) == ["old namespace", "new namespace"])
        #expect(names.observations[1].lines == ["container", "nslab.example"])
        // The test sandbox's name is this machine's, copied when the sandbox was made.
        #expect(names.observations[0].lines.first == HostState.read().hostname)
        let tooLate = try #require(result.steps.first { $0.key == "set-too-late" })
        #expect(tooLate.observations[1].lines == [HostState.read().hostname ?? "?"])
    }

    @Test func ipcsInTheNewNamespaceListsNoObjectOfTheOld() throws {
        try requireRoot()
        let result = try runExperiment("ipc-namespace").result
        let outside = try #require(result.steps.first { $0.key == "queue-from-outside" })
        // ipcs prints a header and one line per queue, each starting with its key.
        #expect(outside.observations[0].lines.contains { $0.hasPrefix("0x") })
        #expect(!outside.observations[1].lines.contains { $0.hasPrefix("0x") })
    }

    @Test func pidShowsPidOneOrphansAdoptedAndNoForkIntoADeadNamespace() throws {
        try requireRoot()
        let result = try runExperiment("pid-namespace").result
        func step(_ key: String) throws -> StepResult { try #require(result.steps.first { $0.key == key }) }
        #expect(try step("pid-one").observations[1].lines.first == "$$ = 1")
        #expect(try step("proc-remount").observations[1].lines.dropFirst().first?.split(separator: " ").first == "1")
        #expect(try step("orphans").observations[1].lines.last == "new parent: 1, which reaped it")
        #expect(try step("kill-from-parent").observations[1].lines.last == "after: no process left")
        #expect(try step("dead-namespace").observations[0].lines.last == "fork() into the dead namespace: ENOMEM")
        #expect(try step("zombies").checks.allSatisfy(\.passed))
    }

    @Test func mountShowsTheBindMountInsideOnlyAndPivotRootOnlyTheBusyboxRoot() throws {
        try requireRoot()
        let mount = try runExperiment("mount-namespace").result
        let bind = try #require(mount.steps.first { $0.key == "bind" })
        #expect(bind.observations.map(\.lines.first) == ["(empty)", "a"])
        let pivot = try runExperiment("pivot-root").result
        let pivoted = try #require(pivot.steps.first { $0.key == "pivot-root" })
        // busybox's ls, run after pivot_root, lists the root it was built with, one per line.
        #expect(pivoted.observations.last?.lines == ["bin", "dev", "etc", "proc", "sys", "tmp"])
        #expect(pivoted.observations[1].lines.first?.hasSuffix(": EINVAL") == true)
    }

    @Test func userMapsReadRelativeToTheReaderAndTheMachinesLimitStaysAsItWas() throws {
        try requireRoot()
        let limit = readTextFile("/proc/sys/user/max_user_namespaces")
        let result = try runExperiment("user-namespace").result
        let maps = try #require(result.steps.first { $0.key == "maps" })
        #expect(maps.observations.map { $0.lines.last } == ["100 200 1", "100 200 1", "100 0 1"])
        #expect(readTextFile("/proc/sys/user/max_user_namespaces") == limit)
    }

    @Test func netCarriesAHandshakeAcrossTheCableAndTakesThePairDownWithTheNamespace() throws {
        try requireRoot()
        let result = try runExperiment("net-namespace").result
        let veth = try #require(result.steps.first { $0.key == "veth" })
        #expect(veth.observations[1].lines.last == "connect(10.200.0.1:8080): success")
        let move = try #require(result.steps.first { $0.key == "move" })
        #expect(move.observations[0].lines.last?.trimmingCharacters(in: .whitespaces) == "lo UP 127.0.0.1")
    }

    @Test func noProcessOfARunOutlivesIt() throws {
        try requireRoot()
        // After the runner, only this shell and ps are left in the sandbox it was started in.
        let result = try sandboxShell("\"$1\" run all > /dev/null; echo \"exit $?\"; ps -e -o pid=,stat=,comm=")
        let lines = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "exit 0")
        #expect(lines.dropFirst().map { String($0.split(separator: " ").last ?? "") }.sorted() == ["ps", "sh"],
                "\(lines)")
    }

    @Test func aProbeThatReportsNothingBreaksTheStepsItIsNeededFor() throws {
        try requireRoot()
        // /bin/true runs where the probe should and prints no report: the runner could not
        // observe anything, which is its own failure (exit 4), never a student's or the kernel's.
        let (exitCode, result) = try expectHostUnchanged {
            try runExperiment("uts-namespace", environment: ProcessSpec.defaultEnvironment + ["NSLAB_PROBE=/bin/true"])
        }
        #expect(exitCode == 4)
        #expect(result.verdict == .broken)
        // The demo host is a probe too: every step that needs it says why it could not start.
        for step in result.steps.dropLast() {
            #expect(step.verdict == .broken)
            #expect(step.broken == "the demo host (nsprobe report hold) ended before printing what was awaited")
        }
    }

    @Test func aCheckFailsWhenTheNamespacesAreTheSame() {
        #expect(!Check.differ("inode", old: 4026531838 as UInt64, new: 4026531838).passed)
        #expect(!Check.differ("inode", old: nil as UInt64?, new: 1).passed)
        #expect(Check.differ("inode", old: 1 as UInt64, new: 2).passed)
        #expect(!Check.equal("hostname", expected: "container", actual: nil as String?).passed)
    }
}
