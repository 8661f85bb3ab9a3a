import ArgumentParser
import Experiments
import Glibc

/// Runs this same command (run or shell) again inside the runner's sandbox and ends as it
/// ended; adds what the real host shows that the run could have changed, and stops the whole
/// run at once on SIGINT, SIGTERM or SIGHUP.
func rerunInSandbox(_ chosen: [Experiment], mode: Sandbox.Mode) throws -> Never {
    let footprint = chosen.map(\.footprint).reduce(Sandbox.footprint) { $0.union($1) }
    if mode == .rootless {
        printError("without CAP_SYS_ADMIN: running in a user namespace of its own, where it has it (as `unshare --map-root-user` would); what needs real root is skipped")
    }
    let outcome: Sandbox.Outcome
    do {
        outcome = try Sandbox.supervise(Array(CommandLine.arguments.dropFirst()), footprint: footprint, mode: mode)
    } catch let error as SystemCallError where error.kernelRefused {
        printError("this host cannot make the runner's sandbox: \(error)")
        throw Exit.hostCannot
    } catch {
        printError("could not start the runner in its sandbox: \(error)")
        throw Exit.broken
    }
    let changes = outcome.realHostChanges
    for change in changes { printError("the real host changed during the run: \(change)") }
    let realHost = changes.isEmpty ? "the real host is as it was" : "the real host changed (above)"
    if let signal = outcome.interruption {
        printError("interrupted by \(signalName(signal)): every process of the run was killed; \(realHost)")
        throw Exit.interrupted(by: signal)
    }
    switch outcome.termination {
    case .exited(let code)?:
        // A change on the real host is a failed check: it ranks above "cannot run" (3).
        let failedOrBroken = [Exit.failed.rawValue, Exit.broken.rawValue].contains(code)
        throw ExitCode(changes.isEmpty || failedOrBroken ? code : Exit.failed.rawValue)
    case .signaled(let signal)?:
        // Not an interruption of ours: as pid 1 it dies only of SIGKILL or a crash.
        printError("the runner in its sandbox was killed by \(signalName(signal)): nothing was judged; \(realHost)")
        throw Exit.broken
    case nil: throw Exit.broken
    }
}
