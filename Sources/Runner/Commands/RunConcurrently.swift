import Experiments
import FoundationEssentials
import Glibc

/// `runner run` with several experiments, on several cores: each experiment runs in a sandbox
/// of its own inside the runner's, by a runner of its own, so that no check of one sees what
/// another does; up to `jobs` at once. Each one's output is said whole, in the order they were
/// named, once it and every one before it have ended: the same bytes as one after another,
/// apart from times, pids and inodes. The namespace budgets (max_*_namespaces) are kept: an experiment starts
/// only while those running, this sandbox and it fit in every limit.
struct RunConcurrently {
    let request: RunRequest
    let style: Style
    let host: HostSupport
    let jobs: Int

    /// How one experiment ended, in the order named.
    enum Outcome {
        case result(ExperimentResult)
        case cannotRun([Message])
    }

    /// A wait for any of the runners is bounded: each bounds its own steps far below this.
    static let bound = 600.0

    /// Whether the experiments can run beside each other here: each of them, this sandbox and
    /// the sandbox of its own fit the limits (else they run one after another, as before).
    func fits(_ experiments: [Experiment]) -> Bool {
        experiments.allSatisfy { fit([$0]) }
    }

    /// Whether `experiments` running at once, with this sandbox, fit every limit.
    private func fit(_ experiments: [Experiment]) -> Bool {
        var used = Dictionary(uniqueKeysWithValues: Sandbox.namespaces.map { ($0, 1) })
        for experiment in experiments { used.merge(experiment.namespacesNeeded, uniquingKeysWith: +) }
        return used.allSatisfy { namespace, count in host.limit(of: namespace).map { $0 < 0 || count <= $0 } ?? true }
    }

    /// Runs the experiments of `chosen` that have no `problems`, and hands each outcome to
    /// `said`, in the order of `chosen`.
    func run(_ chosen: [Experiment], problems: [String: [Message]], _ said: (Experiment, Outcome) throws -> Void) throws {
        var waiting = chosen.filter { problems[$0.id]?.isEmpty ?? true }
        var running: [(experiment: Experiment, runner: ChildProcess, cgroup: RunCgroup?)] = []
        var ended: [String: (runner: ChildProcess, cgroup: RunCgroup?)] = [:]
        var notStarted: [String: Message] = [:]  // why a runner could not be started: broken
        var next = 0  // the first of `chosen` not said yet
        defer {
            for (_, runner, _) in running { kill(runner.pid, SIGKILL) }
            for (_, runner, cgroup) in running {
                _ = try? runner.wait(timeout: 10)
                cgroup?.remove()
            }
        }
        while next < chosen.count {
            while running.count < jobs, let first = waiting.first,
                  fit(running.map(\.experiment) + [first]) || running.isEmpty {
                waiting.removeFirst()
                var cgroup: RunCgroup?
                do {
                    cgroup = try RunCgroup.inherited.map { try $0.part(first.id) }
                    running.append((first, try start(first, cgroup: cgroup), cgroup))
                } catch {
                    cgroup?.remove()
                    notStarted[first.id] = Message.of(error)
                }
            }
            // Say, in order, every one that has ended.
            while next < chosen.count {
                let experiment = chosen[next]
                if let reasons = problems[experiment.id], !reasons.isEmpty {
                    try said(experiment, .cannotRun(reasons))
                } else if let done = ended.removeValue(forKey: experiment.id) {
                    try said(experiment, outcome(of: experiment, done.runner))
                    done.cgroup?.remove()
                } else if let why = notStarted[experiment.id] {
                    try said(experiment, .result(Self.broken(experiment, runnerText.runnerNotStarted(experiment.id, why))))
                } else {
                    break
                }
                next += 1
            }
            guard next < chosen.count else { break }
            try awaitAny(running.map(\.runner))
            for index in running.indices.reversed() where running[index].runner.hasExited {
                let (experiment, runner, cgroup) = running.remove(at: index)
                _ = try? runner.finish(timeout: 10)
                ended[experiment.id] = (runner, cgroup)
            }
        }
    }

    /// A runner for `experiment` alone, in a sandbox of its own, its output coming back here.
    private func start(_ experiment: Experiment, cgroup: RunCgroup?) throws -> ChildProcess {
        var part = request
        part.ids = [experiment.id]
        part.colour = style.colour ? .always : .never
        part.width = style.width
        part.jobs = 1
        part.reportsResult = true
        return try Sandbox.startNested(runCgroup: cgroup,
                                       environment: [part.environmentEntry])
    }

    /// Waits until one of `runners` has printed or ended; reads what each has printed, so that
    /// none waits on a full pipe. Runners silent for the whole bound are killed: broken.
    private func awaitAny(_ runners: [ChildProcess]) throws {
        var pollers = runners.flatMap { $0.watchedDescriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } }
        let ready = poll(&pollers, nfds_t(pollers.count), Int32(Self.bound * 1000))
        if ready < 0 && errno != EINTR { throw SystemCallError("poll", errno: errno) }
        if ready == 0 { for runner in runners { kill(runner.pid, SIGKILL) } }
        for runner in runners { runner.readAvailable() }
    }

    /// What an ended runner printed, said as it printed it, and the result on its last line.
    private func outcome(of experiment: Experiment, _ runner: ChildProcess) -> Outcome {
        var part: PartResult?
        for line in runner.lines {
            if line.hasPrefix(PartResult.marker) {
                part = try? JSONDecoder.ofWholeMessages().decode(PartResult.self, from: Data(line.dropFirst(PartResult.marker.count).utf8))
            } else {
                print(line)
            }
        }
        fflush(nil)
        for line in runner.errorLines { writeStandardError(line + "\n") }
        if let result = part?.result { return .result(result) }
        if let reasons = part?.reasons { return .cannotRun(reasons) }
        let how = runner.termination.map(\.message) ?? runnerText.notReaped
        return .result(Self.broken(experiment, runnerText.runnerEndedWithoutResult(experiment.id, how)))
    }

    /// The result of an experiment whose runner failed: broken, like a step the runner could
    /// not carry out, and nothing judged.
    static func broken(_ experiment: Experiment, _ why: Message) -> ExperimentResult {
        ExperimentResult(id: experiment.id, title: experiment.title, steps: [
            StepResult(key: "runner", title: experiment.title, shell: .verbatim(""), syscalls: [], observations: [],
                       checks: [], broken: why, seconds: 0),
        ], seconds: 0)
    }
}

/// What the runner of one experiment of a concurrent run hands back, on its last line after
/// `marker`: its result, or why it could not run.
struct PartResult: Codable {
    var result: ExperimentResult?
    var reasons: [Message]?

    static let marker = "@@NSLAB-RESULT@@ "
}
