import CShim
import Glibc
import Testing

@testable import Experiments

/// The run's cgroup (RunCgroup): made below the runner's own, on v2 and on v1's pids
/// hierarchy, and gone after the run however it ends.
@Suite("the run's cgroup", .serialized)
struct CgroupTests {
    /// The directory the run's cgroup goes in on this host.
    static var parent: String { RunCgroup.parent()?.ownDirectory ?? "/sys/fs/cgroup" }

    static let hasV1Pids = CgroupHierarchy.mounted().contains { $0.controllers.contains("pids") }

    @Test("cgroup-namespace passes on v1's pids hierarchy too, and leaves it as it was",
          .enabled(if: hasV1Pids, "this host mounts no cgroup v1 pids hierarchy (a pure cgroup v2 host): the v2 run covers it"))
    func cgroupNamespaceOnV1() throws {
        try requireRoot()
        let (exitCode, result) = try expectHostUnchanged {
            try runExperiment("cgroup-namespace", environment: testEnvironment + ["\(RunCgroup.preferV1Variable)=1"])
        }
        #expect(exitCode == 0)
        for check in result.steps.flatMap(\.checks) {
            #expect(check.passed, "\(check.name): expected \(check.expected), got \(check.actual)")
        }
        // pids.max, v1's limit, is the one read: the run was on v1.
        #expect(result.steps.flatMap(\.checks).contains { $0.name.english == "pids.max of its cgroup, read inside" })
    }

    @Test func withoutClone3EachProcessMovesItselfIntoItsCgroup() throws {
        try requireRoot()
        // A kernel before 5.7: no clone3(2), so no process is born in its cgroup (v2) and each
        // writes its cgroup.procs instead. The checks, which read each process's cgroup, pass.
        let library = try buildPretendKernel(["-DPRETEND_NO_CLONE3"])
        let result = try expectHostUnchanged {
            try runCommand(testSandbox + ["env", "LD_PRELOAD=\(library.path)", runnerPath, "run", "cgroup-namespace", "--json"])
        }
        #expect(result.exitCode == 0, "\(result.errors) \(whatFailed(inReport: result.output))")
    }

    @Test func aKilledRunnersJanitorRemovesItsCgroup() throws {
        try requireRoot()
        let before = HostState.read()
        // No PID namespace around it here: the runner is not a pid 1 whose death would take
        // its janitor with it (the next test is that case).
        var spec = ProcessSpec(["unshare", "--uts", "--ipc", "--mount", "--net", runnerPath, "run", "cgroup-namespace", "--step"],
                               environment: testEnvironment)
        spec.standardErrorFile = "/dev/null"
        let run = try spawn(spec)
        try run.readLine(until: { $0.hasPrefix("Press Enter") }, timeout: 20)  // after path-hidden: root is made
        let runCgroup = try awaitDirectory(in: [Self.parent]) { $0.hasPrefix("nslab-run-") }
        #expect(access("\(runCgroup)/cgroup-namespace/root", F_OK) == 0)
        #expect(try killAwaitingJanitor(run), "the janitor did not end")
        #expect(access(runCgroup, F_OK) != 0, "\(runCgroup) is left")
        #expect(before.differences(to: HostState.read()) == [])
    }

    @Test func aRunAfterOneKilledWithItsJanitorRemovesWhatItLeft() throws {
        try requireRoot()
        let before = HostState.read()
        let run = try spawn(ProcessSpec(testSandbox + [runnerPath, "run", "cgroup-namespace", "--step"], environment: testEnvironment))
        try run.readLine(until: { $0.hasPrefix("Press Enter") }, timeout: 20)
        let runCgroup = try awaitDirectory(in: [Self.parent]) { $0.hasPrefix("nslab-run-") }
        // Its janitor killed first, then the runner: no process is left to remove the cgroup,
        // as when the runner is pid 1 of a PID namespace whose end kills the janitor before it
        // is done. The cgroup stays, unlocked.
        let (supervisor, _) = try runnerPids(under: run)
        kill(try janitor(of: supervisor), SIGKILL)
        kill(supervisor, SIGKILL)
        _ = try run.finish(timeout: 10)
        #expect(access(runCgroup, F_OK) == 0)

        // The next run knows it for stale and removes it.
        let (exitCode, _) = try runExperiment("cgroup-namespace")
        #expect(exitCode == 0)
        #expect(access(runCgroup, F_OK) != 0, "\(runCgroup) is left")
        #expect(before.differences(to: HostState.read()) == [])
    }

    @Test func aCgroupIsRemovedOnceTheProcessesStillInItHaveEnded() throws {
        try requireRoot()
        // A throwaway cgroup of this test's own, with a process in a cgroup below it that ends
        // as the removal starts: the removal waits for it (by pidfd), as the janitor does for
        // a run being killed.
        let top = "\(Self.parent)/nslab-test-\(getpid())"
        try #require(mkdir(top, 0o755) == 0 && mkdir("\(top)/below", 0o755) == 0)
        var spec = ProcessSpec(["cat"])
        spec.cgroups = ["\(top)/below"]
        let member = try spawn(spec)
        #expect(readTextFile("\(top)/below/cgroup.procs")?.contains("\(member.pid)") == true)
        member.closeInput()  // cat ends
        #expect(nslab_remove_cgroup_tree(top) == 0, "\(String(cString: strerror(errno)))")
        #expect(access(top, F_OK) != 0)
        _ = try member.wait(timeout: 10)
    }
}

/// The janitor of a supervising runner: its child in its own PID namespace (the other, the
/// runner in its sandbox, is in a new one).
func janitor(of supervisor: pid_t) throws -> pid_t {
    try #require(try ProcessTable.descendants(of: supervisor).first {
        ProcessTable.parent($0) == supervisor
            && FileIdentity.of("/proc/\($0)/ns/pid") == FileIdentity.of("/proc/\(supervisor)/ns/pid")
    }, "the janitor: the runner's child in the runner's own PID namespace")
}

/// Kills `supervisor`, a runner that unshare exec'd, with SIGKILL, which nothing can catch,
/// and waits (bounded) for its janitor to end; whether it did.
func killAwaitingJanitor(_ supervisor: ChildProcess) throws -> Bool {
    let pidfd = nslab_pidfd_open(try janitor(of: supervisor.pid))
    defer { close(pidfd) }
    kill(supervisor.pid, SIGKILL)
    _ = try supervisor.finish(timeout: 10)
    var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
    return poll(&poller, 1, 15_000) == 1
}
