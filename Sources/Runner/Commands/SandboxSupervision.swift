import ArgumentParser
import Experiments
import Glibc

/// Runs this executable again with the same command line inside the runner's sandbox, with
/// `environment` added and a cgroup of its own for the run when `makesCgroup`, and ends as it
/// ended; adds what the real host shows that the run could have changed, and stops the
/// whole run at once on SIGINT, SIGTERM or SIGHUP.
func rerunInSandbox(_ chosen: [Experiment], mode: Sandbox.Mode, _ language: Language,
                    environment: [String] = [], makesCgroup: Bool) throws -> Never {
    let footprint = chosen.map(\.footprint).reduce(Sandbox.footprint) { $0.union($1) }
    if mode == .rootless { printError(runnerText.rootless, language) }
    let outcome: Sandbox.Outcome
    do {
        outcome = try Sandbox.supervise(environment: environment, footprint: footprint, mode: mode,
                                        makesCgroup: makesCgroup)
    } catch let error as SystemCallError where error.kernelRefused {
        printError(runnerText.cannotMakeSandbox(error.message), language)
        throw Exit.hostCannot
    } catch {
        printError(runnerText.couldNotStartSandbox(Message.of(error)), language)
        throw Exit.broken
    }
    let changes = outcome.realHostChanges
    for change in changes { printError(runnerText.realHostChanged(change), language) }
    let realHost = changes.isEmpty ? runnerText.hostAsItWas : runnerText.hostChangedAbove
    if let signal = outcome.interruption {
        printError(runnerText.interrupted(signalName(signal), realHost), language)
        throw Exit.interrupted(by: signal)
    }
    switch outcome.termination {
    case .exited(let code)?:
        // A change on the real host is a failed check: it ranks above "cannot run" (3).
        let failedOrBroken = [Exit.failed.rawValue, Exit.broken.rawValue].contains(code)
        throw ExitCode(changes.isEmpty || failedOrBroken ? code : Exit.failed.rawValue)
    case .signaled(let signal)?:
        // Not an interruption of ours: as pid 1 it dies only of SIGKILL or a crash.
        printError(runnerText.killedInSandbox(signalName(signal), realHost), language)
        throw Exit.broken
    case nil: throw Exit.broken
    }
}
