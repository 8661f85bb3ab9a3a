import CShim
import FoundationEssentials
import Glibc

/// A process that ran to its end: what it printed, the probe's part of it, how it ended.
public struct FinishedProcess: Sendable {
    /// Its pid in the runner's PID namespace.
    public let pid: pid_t
    public let command: String
    public let lines: [String]
    public let probe: ProbeOutput
    public let termination: Termination
    /// Whether it printed more than its output limit (the rest was dropped).
    public var outputCut = false

    /// The first probe report; throws when the probe printed none.
    public var report: ProbeReport {
        get throws { try probe.report() }
    }

    /// What the process printed besides the probe's lines.
    public var output: [String] { probe.otherLines }

    /// The namespaces its probe reported it in (its own first report, not a forked child's),
    /// with its pid; nil without a report of the `ns` section.
    public var namespaces: ProcessNamespaces? {
        probe.ownReport.flatMap { report in report.ns.map { ProcessNamespaces(pid: Int(pid), report: $0, ownPid: report.pid) } }
    }

    /// The process's output under `label`, for display next to the others, with its namespaces.
    public func observation(_ label: Message) -> Observation {
        Observation(label, command: command, printed: output, namespaces: namespaces)
    }

    /// An observation of this process told by hand, with its namespaces.
    public func observation(_ label: Message, command: String, output: [Message]) -> Observation {
        Observation(label, command: command, output: output, namespaces: namespaces)
    }
}

extension ProbeOutput {
    /// The first report the probe printed about itself: not one a child it forked printed
    /// (`fork`), whose pid differs from that of the probe's other lines.
    public var ownReport: ProbeReport? {
        guard let reports = try? reports, let first = reports.first else { return nil }
        struct Pid: Decodable { let pid: Int }
        let own = events.lazy.filter { $0.event != ProbeReport.event }
            .compactMap { try? JSONDecoder().decode(Pid.self, from: Data($0.json.utf8)).pid }.first
        guard let own else { return first }
        return reports.first { $0.pid == own }
    }
}

/// The runner's workbench for one experiment: it owns the demo host and every process a step
/// starts, and kills and reaps whatever is left when the experiment ends.
public final class Lab {
    public let probePath: String
    /// Whether a probe's `then` command runs. It runs only to show its output beside the
    /// probe's (the checks read the probe): a run whose observations nobody sees or keeps
    /// (no --explain, --map, --json or --junit) spares those execs.
    public var runsShownCommands = true
    /// Bound for any single wait: a failure, never a way to wait for success.
    public let timeout: Double
    private let demoHostNamespaces: Set<Namespace>
    private let demoHostSetup: [Operation]
    private let demoHostMaps: IDMaps?
    /// Whether the demo host's namespaces are held open by the lab from its start: whatever
    /// then happens to the demo host process, every join is to the namespaces it was made in.
    private let pinsDemoHost: Bool
    /// The probe the demo host runs (by default the lab's), and what it does after reporting
    /// its namespaces: hold, unless told otherwise (the grader's sandbox then reports on
    /// demand, each report after a hold that a line on its stdin ends).
    private let demoHostProgram: String?
    private let demoHostActions: [ProbeAction]
    private var pinned: [Int32] = []
    private var demoHostProcess: ChildProcess?
    private var demoHostFiles: [NamespaceFile] = []
    private var demoHostFailure: (any Error)?
    private var demoHostSeen: HostNamespaces?
    private var started: [ChildProcess] = []
    /// The run's cgroup, which the supervisor made (Experiment.usesCgroups).
    public var runCgroup: RunCgroup {
        get throws {
            guard let run = RunCgroup.inherited else { throw LabError(labText.noRunCgroup) }
            return run
        }
    }
    /// The cgroups the steps made below it, removed when the lab closes.
    private var madeCgroups: [String] = []

    public init(probePath: String, demoHostNamespaces: Set<Namespace>, demoHostSetup: [Operation] = [],
                demoHostMaps: IDMaps? = nil, pinsDemoHost: Bool = false,
                demoHostProgram: String? = nil, demoHostActions: [ProbeAction] = [.hold(seconds: 86400)], timeout: Double = 10) {
        self.probePath = probePath
        self.demoHostNamespaces = demoHostNamespaces
        self.demoHostSetup = demoHostSetup
        self.demoHostMaps = demoHostMaps
        self.pinsDemoHost = pinsDemoHost
        self.demoHostProgram = demoHostProgram
        self.demoHostActions = demoHostActions
        self.timeout = timeout
    }

    deinit { close() }

    /// Starts a process where `placement` says, from the demo host, and returns at once; the
    /// lab reaps it at the end if the step did not.
    public func start(_ placement: ProcessSpec, _ arguments: [String]) throws -> ChildProcess {
        try startDemoHost()
        var spec = placement.with(arguments)
        // A namespace the placement joins replaces the demo host's of the same kind. None of the
        // demo host's can be joined from a new user and PID namespace: the process is then made
        // from the runner's own namespaces, all of them its sandbox's (runner shell setns).
        spec.join = (spec.makesUserAndPIDFirst ? [] : demoHostFiles.filter { file in !placement.join.contains { $0.namespace == file.namespace } })
            + placement.join
        return try launch(spec, arguments)
    }

    /// Runs a process beside the demo host, to its end: it joins exactly what its placement
    /// lists (another process's namespaces, say), none of the demo host's.
    public func runAside(_ placement: ProcessSpec, _ arguments: [String]) throws -> FinishedProcess {
        try finish(try launch(placement.with(arguments), arguments))
    }

    /// Spawns `spec`, named by `arguments`, for the lab to reap at the end.
    private func launch(_ spec: ProcessSpec, _ arguments: [String]) throws -> ChildProcess {
        let child = try spawn(spec, command: shellWords(arguments))
        started.append(child)
        return child
    }

    /// The demo host's namespace of `kind`, as the lab joins it; nil before it is made.
    public func demoHostFile(_ kind: Namespace) -> NamespaceFile? { demoHostFiles.first { $0.namespace == kind } }

    /// The demo host process, once made.
    public var demoHost: ChildProcess? { demoHostProcess }

    /// Where a process runs that joins the `kinds` namespaces of `process`, a probe the lab
    /// started that has reported them (and holds): each join is proved by the inode it
    /// reported. Its other namespaces are the old side's.
    public func inside(_ process: ChildProcess, _ kinds: Set<Namespace>) throws -> ProcessSpec {
        let report = try ProbeOutput(lines: process.lines).report()
        var spec = ProcessSpec.oldSide
        spec.join = try kinds.sorted().map { kind in
            guard let inode = report.inode(kind) else {
                throw LabError(labText.noNamespaceToJoin(process.command, kind.rawValue))
            }
            return NamespaceFile("/proc/\(process.pid)/ns/\(kind.rawValue)", kind, inode: inode)
        }
        return spec
    }

    /// Runs a process to its end and returns what it printed.
    public func run(_ placement: ProcessSpec, _ arguments: [String], shown: String? = nil) throws -> FinishedProcess {
        try finish(start(placement, arguments), shown: shown)
    }

    /// Reads a started process's output to its end and reaps it.
    public func finish(_ child: ChildProcess, shown: String? = nil) throws -> FinishedProcess {
        let termination = try child.finish(timeout: timeout)
        var finished = FinishedProcess(pid: child.pid, command: shown ?? child.command, lines: child.lines,
                                       probe: ProbeOutput(lines: child.lines), termination: termination)
        finished.outputCut = child.outputCut
        return finished
    }

    /// Runs a probe where `placement` says that makes the device changes `changes` (LinkChanged),
    /// a device going only into the namespaces `others` (another process's of this run), then
    /// takes `look`. Throws at the first change the kernel refused or the probe did not answer,
    /// naming it as a student types it (ProbeAction.ipCommand). Returns the changes as a
    /// student types them, and the probe.
    public func change(_ placement: ProcessSpec, _ changes: [ProbeAction], into others: [NamespaceFile] = [],
                       then look: [ProbeAction] = []) throws -> (commands: [String], probe: FinishedProcess) {
        var placement = placement
        placement.alsoOwned = others
        let done = try probe(placement, changes + look)
        let answers = try done.probe.results(LinkChanged.self)
        for (index, change) in changes.enumerated() {
            let named = change.ipCommand ?? change.description
            guard index < answers.count else { throw LabError(labText.changeUnanswered(named)) }
            if answers[index].failed { throw LabError(labText.changeRefused(named, answers[index].error, answers[index].refused ?? "")) }
        }
        return (changes.compactMap(\.ipCommand), done)
    }

    /// Runs the probe with `actions`, then, if given, execs `command` in the same process, so
    /// that the command's output comes from the namespaces the probe saw.
    public func probe(_ placement: ProcessSpec, _ actions: [ProbeAction], then command: [String] = [])
        throws -> FinishedProcess
    {
        try probe([placement], actions, then: command)[0]
    }

    /// Runs the probe (then `command`) in each placement at once, side by side, and returns
    /// what each printed, in the order given.
    public func probe(_ placements: [ProcessSpec], _ actions: [ProbeAction], then command: [String] = [])
        throws -> [FinishedProcess]
    {
        let children = try placements.map { try start($0, probeArguments(actions, then: command)) }
        return try children.map { try finish($0, shown: shownCommand(actions, then: command)) }
    }

    /// Starts the probe with `actions` and returns it running; with a hold (or `serve`), once
    /// it is ready.
    public func startProbe(_ placement: ProcessSpec, _ actions: [ProbeAction], then command: [String] = [])
        throws -> ChildProcess
    {
        let child = try start(placement, probeArguments(actions, then: command))
        if actions.contains(where: { switch $0 { case .hold, .serve: true; default: false } }) {
            try child.awaitHold(timeout: timeout)
        }
        return child
    }

    /// The next report of a probe that serves them (`serve`), started with startProbe: one
    /// more look from where it is, without a new process. Throws when that report is missing
    /// (the probe ended, or its output was cut), never returning an earlier one.
    public func look(_ server: ChildProcess) throws -> ProbeReport {
        let seen = ProbeOutput(lines: server.lines).count(of: ProbeReport.self)
        server.send()
        try server.awaitHold(timeout: timeout)
        return try ProbeOutput(lines: server.lines).report(seen)
    }

    /// Runs the probe with `actions`, which include one `hold`: `meanwhile` gets the held
    /// process and runs while it waits there; then the probe goes on to its end. Returns what
    /// the probe printed and what `meanwhile` returned.
    public func probe<T>(_ placement: ProcessSpec, _ actions: [ProbeAction], then command: [String] = [],
                         shown: String? = nil, whileHolding meanwhile: (ChildProcess) throws -> T)
        throws -> (held: FinishedProcess, meanwhile: T)
    {
        let child = try startProbe(placement, actions, then: command)
        let value = try meanwhile(child)
        child.send()
        return (try finish(child, shown: shown ?? shownCommand(actions, then: command)), value)
    }

    /// Runs the probe with `actions`, then execs `command`, whose output the checks read: it
    /// runs whether or not anybody sees it.
    public func probe(_ placement: ProcessSpec, _ actions: [ProbeAction], thenRead command: [String]) throws -> FinishedProcess {
        try finish(start(placement, probeArguments(actions, then: command, shownOnly: false)),
                   shown: shownCommand(actions, then: command))
    }

    func probeArguments(_ actions: [ProbeAction], then command: [String], shownOnly: Bool = true) -> [String] {
        [probePath] + actions.map(\.description) + (command.isEmpty || (shownOnly && !runsShownCommands) ? [] : ["--"] + command)
    }

    /// What a student would type: the command the probe execs, or else the probe's actions.
    func shownCommand(_ actions: [ProbeAction], then command: [String]) -> String {
        shellWords(command.isEmpty ? [probePath] + actions.map(\.description) : command)
    }

    /// The command as a shell would take it: the probe as `nsprobe`, words quoted where needed.
    func shellWords(_ words: [String]) -> String {
        words.enumerated().map { index, word in
            if index == 0 && word == probePath { return "nsprobe" }
            let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+%@".contains($0) }
            return plain ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
        }.joined(separator: " ")
    }

    /// The cgroup `relative` below the run's ("cgroup-namespace/root"), made with the ones
    /// above it when missing; the lab removes what it made when it closes.
    public func makeCgroup(_ relative: String) throws -> LabCgroup {
        let cgroup = try runCgroup.below(relative)
        // The topmost made is enough: its removal takes the tree below it.
        try Workbench.makeDirectories(cgroup.path) { made in
            if !madeCgroups.contains(where: { made.hasPrefix($0 + "/") }) { madeCgroups.append(made) }
        }
        return cgroup
    }

    /// Kills and reaps every process still running, the demo host last, then whatever they
    /// left behind: orphans the runner adopted (it is their subreaper) and their children;
    /// then the cgroups the steps made.
    public func close() {
        for child in started.reversed() where child.termination == nil {
            kill(child.pid, SIGKILL)
            _ = try? child.wait(timeout: timeout)
        }
        started.removeAll()
        if let demoHostProcess {
            demoHostProcess.closeInput()  // releases its hold
            if demoHostNamespaces.contains(.pid) {
                ProcessTable.reapOthers(until: demoHostProcess.exitNotice, exceptFor: demoHostProcess.pid, timeout: timeout)
            }
            _ = try? demoHostProcess.wait(timeout: timeout)  // killed and reaped if it does not go
        }
        demoHostProcess = nil
        ProcessTable.killAndReapDescendants(timeout: timeout)
        pinned.forEach { Glibc.close($0) }
        pinned.removeAll()
        demoHostFiles.removeAll()
        // Every process is gone: each cgroup can go, the deepest first.
        for path in madeCgroups.reversed() { _ = nslab_remove_cgroup_tree(path) }
        madeCgroups.removeAll()
    }

    /// Where the old side runs: the demo host, once made, with the namespaces its probe
    /// reported; in an experiment without one, the runner itself. Nil when not known.
    public var oldSideHost: HostNamespaces? {
        guard demoHostNamespaces.isEmpty else { return demoHostSeen }
        let inodes = Namespace.allCases.reduce(into: [String: UInt64]()) { inodes, namespace in
            inodes[namespace.rawValue] = Sandbox.ownInode(namespace)
        }
        return inodes.isEmpty ? nil : HostNamespaces(role: .runner, pid: Int(getpid()), inodes: inodes)
    }

    /// The processes this lab started that have not been reaped yet.
    public var unreaped: [ChildProcess] { started.filter { $0.termination == nil } }

    /// Makes the demo host now, once (else the first process that needs it does).
    public func startDemoHost() throws {
        // No demo host is needed when the old side may run in the runner's own namespaces.
        guard !demoHostNamespaces.isEmpty, demoHostFiles.isEmpty else { return }
        // Made once: a demo host that failed is never half-used (the old side would then run
        // beside the runner), every later step fails the same way.
        if let demoHostFailure { throw demoHostFailure }
        do {
            try makeDemoHost()
        } catch {
            demoHostFailure = error
            throw error
        }
    }

    private func makeDemoHost() throws {
        // The demo host's report is read for its namespaces alone.
        var spec = ProcessSpec([demoHostProgram ?? probePath] + ([.report([.ns])] + demoHostActions).map(\.description))
        spec.create = demoHostNamespaces
        spec.idMaps = demoHostMaps
        spec.operations = (demoHostNamespaces.contains(.mnt) ? [.makeRootPrivate] : []) + demoHostSetup
        let host = try spawn(spec, command: "the demo host (nsprobe report hold)")
        demoHostProcess = host
        try host.awaitHold(timeout: timeout)
        // Every join is checked against what the demo host itself read from /proc/self/ns:
        // the namespace a step joins is the one the runner made, whatever /proc/PID shows.
        let report = try ProbeOutput(lines: host.lines).report()
        demoHostFiles = try demoHostNamespaces.sorted().map { namespace in
            guard let inode = report.inode(namespace) else {
                throw LabError(labText.demoHostReportedNone(namespace.rawValue))
            }
            let file = NamespaceFile("/proc/\(host.pid)/ns/\(namespace.rawValue)", namespace, inode: inode)
            guard pinsDemoHost else { return file }
            // Held from now on, and proved the one reported: /proc/self/fd/N names it later.
            let fd = try check("open(\(file.path))") { Glibc.open(file.path, O_RDONLY | O_CLOEXEC) }
            pinned.append(fd)
            var info = stat()
            guard fstat(fd, &info) == 0, UInt64(info.st_ino) == inode else {
                throw LabError(labText.notTheReportedNamespace(file.path, namespace.rawValue))
            }
            return NamespaceFile("/proc/self/fd/\(fd)", namespace, inode: inode)
        }
        demoHostSeen = report.ns.map {
            HostNamespaces(role: .demoHost, pid: Int(host.pid), inodes: ProcessNamespaces(pid: 0, report: $0).inodes)
        }
    }
}

/// A wait that reached its bound: the child was killed and reaped, and ended like this.
/// A child printed nothing more within the time allowed.
public struct OutputTimedOut: MessageError, CustomStringConvertible, Sendable {
    public let message: Message
    public var description: String { message.english }
}

public struct WaitTimedOut: MessageError, CustomStringConvertible, Sendable {
    public let termination: Termination
    public let message: Message
    public var description: String { message.english }
}

/// Reaps `pid`, a child of this process, waiting at most `timeout` seconds; then kills it,
/// reaps it and throws WaitTimedOut. The bound needs pidfd_open(2) (Linux 5.3, which the
/// runner requires).
@discardableResult
public func reap(_ pid: pid_t, timeout: Double, command: String) throws -> Termination {
    let pidfd = nslab_pidfd_open(pid)
    defer { if pidfd >= 0 { Glibc.close(pidfd) } }
    return try reap(pid, pidfd: pidfd, timeout: timeout, command: command)
}

/// The same with a pidfd the caller holds (-1: wait without a bound).
func reap(_ pid: pid_t, pidfd: Int32, timeout: Double, command: String) throws -> Termination {
    if pidfd >= 0 {
        var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        let deadline = Deadline(seconds: timeout)
        while true {
            let ready = poll(&poller, 1, deadline.remainingMilliseconds)
            if ready > 0 || (ready < 0 && errno != EINTR) { break }
            if ready == 0 {
                kill(pid, SIGKILL)
                throw WaitTimedOut(termination: try waitBlocking(pid),
                                   message: labText.didNotExit(command, Int(pid), Int(timeout)))
            }
        }
    }
    return try waitBlocking(pid)
}

private func waitBlocking(_ pid: pid_t) throws -> Termination {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        if errno != EINTR { throw SystemCallError("waitpid(\(pid))", errno: errno) }
    }
    return Termination(waitStatus: status)
}
