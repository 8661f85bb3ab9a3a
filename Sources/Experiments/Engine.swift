import CShim
import Glibc

let engineText = EngineText()

/// How a step or an experiment ended. Like LTP's TPASS, TFAIL and TBROK: `broken` means the
/// runner itself could not carry out a step (a spawn error, a missing probe, a timeout, no
/// fds left), so nothing was judged; `fail` means the kernel showed something else than the
/// lesson says, or refused the namespaces it needs.
public enum Verdict: String, Codable, Sendable, Comparable {
    case pass, fail, broken

    public static func < (a: Verdict, b: Verdict) -> Bool {
        let order: [Verdict] = [.pass, .fail, .broken]
        return order.firstIndex(of: a)! < order.firstIndex(of: b)!
    }
}

public struct StepResult: Codable, Sendable {
    public let key: String
    public let title: Message
    public let shell: Message
    public let syscalls: [Message]
    public let observations: [Observation]
    public let checks: [Check]
    /// Why the runner could not carry out the step, when it could not.
    public let broken: Message?
    public let verdict: Verdict
    public let seconds: Double

    public init(key: String, title: Message, shell: Message, syscalls: [Message], observations: [Observation],
                checks: [Check], broken: Message? = nil, seconds: Double) {
        self.key = key
        self.title = title
        self.shell = shell
        self.syscalls = syscalls
        self.observations = observations
        self.checks = checks
        self.broken = broken
        self.seconds = seconds
        verdict = broken != nil ? .broken : checks.allSatisfy(\.passed) ? .pass : .fail
    }

    public var passed: Bool { verdict == .pass }
    public var firstFailure: Check? { checks.first { !$0.passed } }
}

public struct ExperimentResult: Codable, Sendable {
    public let id: String
    public let title: Message
    public let steps: [StepResult]
    public let verdict: Verdict
    public let seconds: Double

    public init(id: String, title: Message, steps: [StepResult], seconds: Double) {
        self.id = id
        self.title = title
        self.steps = steps
        self.seconds = seconds
        verdict = steps.map(\.verdict).max() ?? .pass
    }

    public var passed: Bool { verdict == .pass }
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

/// Runs every step of `experiment` in a fresh lab, in order. A step that throws is broken,
/// or fails when the kernel refused its namespaces, and the run goes on. Last comes the check
/// that the namespaces the runner runs in are as they were found: every change belongs in
/// the demo host or in new namespaces. The runner runs this inside its sandbox (Sandbox.swift).
public func run(_ experiment: Experiment, probePath: String = locateProbe(), hooks: RunHooks = RunHooks(),
                showsOutput: Bool = true) -> ExperimentResult
{
    // Orphans of the old side are adopted by the runner, so that it can reap them.
    _ = nslab_set_child_subreaper()
    // The workbench is mounted before the host is first read: only what the steps do counts.
    var workbenchFailure: Message?
    do { try Workbench.prepare(experiment.workbench) } catch { workbenchFailure = engineText.workbench(Message.of(error)) }
    // In the supervisor's sandbox, the machine's cgroup tree is the supervisor's to compare.
    let leftCgroups = !Sandbox.isInside
    let hostBefore = HostState.read(leftCgroups: leftCgroups)
    let started = Deadline.now()
    let lab = Lab(probePath: probePath, demoHostNamespaces: experiment.demoHostNamespaces,
                  demoHostSetup: experiment.demoHostSetup)
    lab.runsShownCommands = showsOutput
    var results: [StepResult] = []
    for step in experiment.steps {
        hooks.willRun(step)
        let stepStarted = Deadline.now()
        var outcome = StepOutcome(observations: [], checks: [])
        var broken = workbenchFailure
        do {
            if broken == nil { outcome = try step.action(lab) }
        } catch let error as SystemCallError where error.kernelRefused {
            outcome = StepOutcome(observations: [], checks: [
                Check(engineText.namespacesMade, expected: words.yes, actual: Message.of(error), passed: false),
            ])
        } catch {
            broken = Message.of(error)
        }
        let result = StepResult(key: step.key, title: step.title, shell: step.shell, syscalls: step.syscalls,
                                observations: outcome.observations, checks: outcome.checks, broken: broken,
                                seconds: Deadline.now() - stepStarted)
        results.append(result)
        hooks.didRun(result)
    }
    lab.close()

    let hostStep = Step(hostUnchangedKey, engineText.hostUnchanged, shell: "", syscalls: []) { _ in
        fatalError("never run")
    }
    hooks.willRun(hostStep)
    let differences = hostBefore.differences(to: HostState.read(leftCgroups: leftCgroups))
    // Orphans adopted by the runner and zombies would show here: /proc, not the lab's list.
    let leftBehind = try? ProcessTable.descendants(of: getpid())  // nil, not [], when /proc cannot be read
    let hostResult = StepResult(
        key: hostUnchangedKey, title: hostStep.title, shell: hostStep.shell, syscalls: [], observations: [],
        checks: [
            Check.noChanges(engineText.runnersNamespaces, differences),
            Check.isEmpty(engineText.leftBehind, leftBehind) {
                words.withNote($0, ProcessTable.state($0).map { Message.verbatim(String($0)) } ?? words.gone)
            },
        ],
        seconds: 0)
    results.append(hostResult)
    hooks.didRun(hostResult)
    return ExperimentResult(id: experiment.id, title: experiment.title, steps: results,
                            seconds: Deadline.now() - started)
}

extension Check {
    /// Whether this is the check the engine reports, alone, for a step whose namespaces the
    /// kernel refused (JUnit makes it the step's own failure).
    public var isRefusal: Bool { name == engineText.namespacesMade }
}

/// What the engine says of every experiment: a namespace the kernel refused, the last step.
final class EngineText: MessageTable {
    let workbench = Template("the workbench: {0}", zh: "工作台：{0}")
    let namespacesMade = Message("the kernel made and joined the namespaces the step needs", zh: "内核创建并加入了这一步所需的命名空间")
    let hostUnchanged = Message("Nothing changed outside the experiment's namespaces", zh: "实验的命名空间之外没有任何变化")
    let runnersNamespaces = Message("hostname, domainname, SysV IPC, mounts, network devices and cgroups where the runner runs", zh: "runner 运行之处的主机名、NIS 域名、SysV IPC、挂载、网络设备和 cgroup")
    let leftBehind = Message("processes of the experiment still running, or zombies", zh: "实验中仍在运行的进程或僵尸进程")
}

