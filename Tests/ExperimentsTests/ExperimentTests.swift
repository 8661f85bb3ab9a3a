import Glibc
import Testing

@testable import Experiments

@Suite("experiments on the real kernel", .serialized)
struct ExperimentTests {
    @Test("every check of the experiment passes, and the host is as it was", arguments: Catalog.all.map(\.id))
    func passes(id: String) throws {
        try requireRoot()
        let experiment = try #require(Catalog.experiment(id))
        let result = expectHostUnchanged { run(experiment, probePath: probePath) }
        #expect(result.steps.map(\.key) == experiment.steps.map(\.key) + [hostUnchangedKey])
        for step in result.steps {
            #expect(!step.checks.isEmpty, "\(step.key) checked nothing")
            for check in step.checks {
                #expect(check.passed, "\(step.key): \(check.name): expected \(check.expected), got \(check.actual)")
            }
        }
    }

    @Test func utsShowsTheNewNamesInsideAndTheOldOutside() throws {
        try requireRoot()
        let result = run(utsNamespace, probePath: probePath)
        let names = try #require(result.steps.first { $0.key == "set-names" })
        #expect(names.observations.map(\.label) == ["old namespace", "new namespace"])
        #expect(names.observations[1].output == ["container", "nslab.example"])
        #expect(names.observations[0].output.first == HostState.read().hostname)
        let tooLate = try #require(result.steps.first { $0.key == "set-too-late" })
        #expect(tooLate.observations[1].output == [HostState.read().hostname])
    }

    @Test func ipcsInTheNewNamespaceListsNoObjectOfTheOld() throws {
        try requireRoot()
        let result = run(ipcNamespace, probePath: probePath)
        let outside = try #require(result.steps.first { $0.key == "queue-from-outside" })
        // ipcs prints a header and one line per queue, each starting with its key.
        #expect(outside.observations[0].output.contains { $0.hasPrefix("0x") })
        #expect(!outside.observations[1].output.contains { $0.hasPrefix("0x") })
    }

    @Test func pidShowsPidOneOrphansAdoptedAndNoForkIntoADeadNamespace() throws {
        try requireRoot()
        let result = run(pidNamespace, probePath: probePath)
        func step(_ key: String) throws -> StepResult { try #require(result.steps.first { $0.key == key }) }
        #expect(try step("pid-one").observations[1].output.first == "$$ = 1")
        #expect(try step("proc-remount").observations[1].output.dropFirst().first?.split(separator: " ").first == "1")
        #expect(try step("orphans").observations[1].output.last == "new parent: 1, which reaped it")
        #expect(try step("kill-from-parent").observations[1].output.last == "after: no process left")
        #expect(try step("dead-namespace").observations[0].output.last == "fork() into the dead namespace: ENOMEM")
        #expect(try step("zombies").checks.allSatisfy(\.passed))
    }

    @Test func noProcessOfAnExperimentOutlivesIt() throws {
        try requireRoot()
        for experiment in Catalog.all {
            #expect(ProcessTable.descendants(of: getpid()) == [])
            let result = run(experiment, probePath: probePath)
            // run() makes this process a child subreaper, so every process the experiment
            // made, orphans included, stays below it in /proc until reaped: zombies too.
            // (Tests run one at a time, swift test --no-parallel: nothing else of ours runs.)
            let left = ProcessTable.descendants(of: getpid())
            #expect(left == [], "\(experiment.id) left \(left.map { "\($0) \(ProcessTable.state($0).map(String.init) ?? "")" })")
            #expect(result.steps.last?.checks.last?.passed == true, "the runner's own leftover check agrees")
        }
    }

    @Test func aProbeThatCannotStartFailsTheStepWithTheErrnoAndThePath() throws {
        try requireRoot()
        let result = expectHostUnchanged { run(utsNamespace, probePath: "/nonexistent/nsprobe") }
        #expect(!result.passed)
        let first = try #require(result.steps.first?.checks.first)
        #expect(first.actual == "execve(/nonexistent/nsprobe): ENOENT")
    }

    @Test func aCheckFailsWhenTheNamespacesAreTheSame() {
        #expect(!Check.differ("inode", old: 4026531838 as UInt64, new: 4026531838).passed)
        #expect(!Check.differ("inode", old: nil as UInt64?, new: 1).passed)
        #expect(Check.differ("inode", old: 1 as UInt64, new: 2).passed)
        #expect(!Check.equal("hostname", expected: "container", actual: nil as String?).passed)
    }
}
