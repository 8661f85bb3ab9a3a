import CShim
import Glibc
import Testing

@testable import Experiments

@Suite("an interrupted run leaves nothing behind", .serialized)
struct InterruptTests {
    @Test("interrupted at the --step prompt, with objects in its demo host", arguments: [SIGINT, SIGTERM, SIGHUP, SIGKILL])
    func interruptedRun(signal: Int32) throws {
        try requireRoot()
        let before = HostState.read()
        let sandbox = try spawn(ProcessSpec(testSandbox + [runnerPath, "run", "ipc-namespace", "--step"], environment: testEnvironment))
        let prompt = { (line: String) in line.hasPrefix("Press Enter") }
        try sandbox.readLine(until: prompt, timeout: 20)  // paused after step 1
        sandbox.send()
        try sandbox.readLine(until: prompt, timeout: 20)  // paused after step 2
        // Step 2 left a message queue, made by ipcmk, in the demo host.
        #expect(sandbox.lines.contains { $0.contains("PASS  [queue-from-outside] the old namespace sees the queue") })
        // unshare → the runner (pid 1 of the test sandbox) → the runner in its own sandbox → …
        let runnerProcess = try runnerPids(under: sandbox).supervisor
        let left = try ProcessTable.descendants(of: runnerProcess)
        #expect(left.count >= 2, "the runner in its sandbox and the demo host run while it waits")
        let pidfds = left.map { nslab_pidfd_open($0) }

        kill(runnerProcess, signal)  // what Ctrl-C, kill or a closed terminal sends it
        let ended = try sandbox.finish(timeout: 10)  // unshare ends as the runner ended
        for (pid, pidfd) in zip(left, pidfds) where pidfd >= 0 {
            // Readable once the process has exited; the bound only marks a failure.
            var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            #expect(poll(&poller, 1, 10_000) == 1, "pid \(pid) outlived the runner")
            close(pidfd)
        }
        if signal != SIGKILL {
            #expect(ended == .exited(128 + signal), "\(sandbox.lines.suffix(3))")
            #expect(sandbox.lines.last == "runner: interrupted by \(signalName(signal)): every process of the run "
                    + "was killed; the real host is as it was")
        }
        #expect(before.differences(to: HostState.read()) == [])
    }

    @Test("interrupted while several experiments run at once, each in a sandbox of its own", arguments: [SIGINT, SIGKILL])
    func interruptedConcurrentRun(signal: Int32) throws {
        try requireRoot()
        let before = HostState.read()
        // No PID namespace around the runner: killed, it is not a pid 1 whose end takes its
        // cgroup's janitor with it (CgroupTests has that case).
        let run = try spawn(ProcessSpec(["unshare", "--uts", "--ipc", "--mount", "--net", runnerPath, "run", "all", "--jobs", "2"],
                                        environment: testEnvironment))
        // The first experiment is said once it ended; the next ones are running by then.
        try run.readLine(until: { $0.hasPrefix("uts-namespace: passed") }, timeout: 20)
        let left = try ProcessTable.descendants(of: run.pid)
        // Besides the cgroup janitor: the runner in its sandbox, and at least one runner in a
        // sandbox of its own (a runner whose parent is a runner).
        let runners = left.filter { readTextFile("/proc/\($0)/comm") == "runner\n" }
        #expect(runners.contains { ProcessTable.parent($0).map(runners.contains) ?? false }, "no runner in a sandbox of its own")
        let pidfds = left.map { nslab_pidfd_open($0) }

        if signal == SIGKILL {
            #expect(try killAwaitingJanitor(run), "the janitor did not end")
        } else {
            kill(run.pid, signal)
            #expect(try run.finish(timeout: 10) == .exited(128 + signal), "\(run.lines.suffix(3))")
        }
        for (pid, pidfd) in zip(left, pidfds) where pidfd >= 0 {
            var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            #expect(poll(&poller, 1, 10_000) == 1, "pid \(pid) outlived the runner")
            close(pidfd)
        }
        #expect(before.differences(to: HostState.read()) == [])
    }

    @Test func theRunnerInItsSandboxKilledFromOutsideIsBrokenNotInterrupted() throws {
        try requireRoot()
        let sandbox = try spawn(ProcessSpec(testSandbox + [runnerPath, "run", "uts-namespace", "--step"], environment: testEnvironment))
        try sandbox.readLine(until: { $0.hasPrefix("Press Enter") }, timeout: 20)
        let inner = try runnerPids(under: sandbox).inside
        kill(inner, SIGKILL)  // as the OOM killer would: nobody asked the run to stop
        #expect(try sandbox.finish(timeout: 10) == .exited(4))
        #expect(sandbox.lines.last == "runner: the runner in its sandbox was killed by SIGKILL: nothing was judged; "
                + "the real host is as it was")
    }
}
