import CShim
import Glibc

public struct StepResult: Codable, Sendable {
    public let key: String
    public let title: String
    public let shell: String
    public let syscalls: [String]
    public let observations: [Observation]
    public let checks: [Check]
    public let seconds: Double

    public var passed: Bool { checks.allSatisfy(\.passed) }
    public var firstFailure: Check? { checks.first { !$0.passed } }
}

public struct ExperimentResult: Codable, Sendable {
    public let id: String
    public let title: String
    public let steps: [StepResult]
    public let seconds: Double

    public var passed: Bool { steps.allSatisfy(\.passed) }
    public var checkCount: Int { steps.reduce(0) { $0 + $1.checks.count } }
    public var failedCount: Int { steps.reduce(0) { $0 + $1.checks.filter { !$0.passed }.count } }
}

/// Calls around each step, for presentation (lesson text before, results after).
public struct RunHooks {
    public var willRun: (Step) -> Void = { _ in }
    public var didRun: (StepResult) -> Void = { _ in }
    public init() {}
}

/// The key of the final pseudo-step every experiment ends with.
public let hostUnchangedKey = "host-unchanged"

/// Runs every step of `experiment` in a fresh lab, in order. A step that throws fails with the
/// error as its one check, and the run goes on. Last comes the check that the real host is
/// as it was found.
public func run(_ experiment: Experiment, probePath: String = locateProbe(), hooks: RunHooks = RunHooks())
    -> ExperimentResult
{
    // Orphans of the old side are adopted by the runner, so that it can reap them.
    _ = nslab_set_child_subreaper()
    let hostBefore = HostState.read()
    let started = Deadline.now()
    let lab = Lab(probePath: probePath, demoHost: experiment.demoHost)
    var results: [StepResult] = []
    for step in experiment.steps {
        hooks.willRun(step)
        let stepStarted = Deadline.now()
        let outcome: StepOutcome
        do {
            outcome = try step.action(lab)
        } catch {
            outcome = StepOutcome(observations: [], checks: [
                Check("the step ran", expected: "no error", actual: "\(error)", passed: false)
            ])
        }
        let result = StepResult(key: step.key, title: step.title, shell: step.shell, syscalls: step.syscalls,
                                observations: outcome.observations, checks: outcome.checks,
                                seconds: Deadline.now() - stepStarted)
        results.append(result)
        hooks.didRun(result)
    }
    lab.close()

    let hostStep = Step(hostUnchangedKey, "The real host is as it was", shell: "", syscalls: []) { _ in
        fatalError("never run")
    }
    hooks.willRun(hostStep)
    let differences = hostBefore.differences(to: HostState.read())
    // Orphans adopted by the runner and zombies would show here: /proc, not the lab's list.
    let leftBehind = ProcessTable.descendants(of: getpid()).map {
        "\($0) (\(ProcessTable.state($0).map(String.init) ?? "gone"))"
    }
    let hostResult = StepResult(
        key: hostUnchangedKey, title: hostStep.title, shell: "", syscalls: [], observations: [],
        checks: [
            Check.that("hostname, domainname, SysV IPC, mounts and network devices of the real host",
                       differences.isEmpty, expected: "unchanged",
                       actual: differences.isEmpty ? "unchanged" : differences.joined(separator: "; ")),
            Check.that("processes of the experiment still running, or zombies", leftBehind.isEmpty, expected: "none",
                       actual: leftBehind.isEmpty ? "none" : leftBehind.joined(separator: ", ")),
        ],
        seconds: 0)
    results.append(hostResult)
    hooks.didRun(hostResult)
    return ExperimentResult(id: experiment.id, title: experiment.title, steps: results,
                            seconds: Deadline.now() - started)
}
