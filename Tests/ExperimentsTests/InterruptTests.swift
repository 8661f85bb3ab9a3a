import CShim
import Glibc
import Testing

@testable import Experiments

@Suite("an interrupted run leaves nothing behind", .serialized)
struct InterruptTests {
    @Test("killed while paused between steps, with objects in its demo host", arguments: [SIGINT, SIGTERM, SIGKILL])
    func interruptedRun(signal: Int32) throws {
        try requireRoot()
        let before = HostState.read()
        let runnerProcess = try spawn(ProcessSpec([runnerPath, "run", "ipc-namespace", "--step"]))
        let prompt = { (line: String) in line.hasPrefix("Press Enter") }
        try runnerProcess.readLine(until: prompt, timeout: 20)  // paused after step 1
        runnerProcess.send()
        try runnerProcess.readLine(until: prompt, timeout: 20)  // paused after step 2
        // Step 2 left a message queue, made by ipcmk, in the demo host.
        #expect(runnerProcess.lines.contains { $0.contains("PASS  [queue-from-outside] the old namespace sees the queue") })
        let left = ProcessTable.descendants(of: runnerProcess.pid)
        #expect(!left.isEmpty, "the demo host runs while the runner waits")
        let pidfds = left.map { nslab_pidfd_open($0) }

        kill(runnerProcess.pid, signal)
        #expect(try runnerProcess.wait(timeout: 10) == .signaled(signal))
        for (pid, pidfd) in zip(left, pidfds) where pidfd >= 0 {
            // Readable once the process has exited; the bound only marks a failure.
            var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            #expect(poll(&poller, 1, 10_000) == 1, "pid \(pid) outlived the runner")
            close(pidfd)
        }
        #expect(before.differences(to: HostState.read()) == [])
    }
}
