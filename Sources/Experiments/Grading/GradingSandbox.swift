import CShim
import FoundationEssentials
import Glibc

/// The sandbox of one exercise, or of a build: new user, UTS, IPC, mount, network, PID and
/// cgroup namespaces that play the host for the student's program, with a root of their own;
/// its processes are born in the checkout's cgroup, which bounds their memory and number.
///
/// The grader looks at it from outside, where nothing in it can reach: its namespaces are held
/// open by the grader from the start (every join goes to those, whatever happens to the
/// process that made them). That process, the sandbox's init, runs the probe from a file
/// nobody in the sandbox may read (/nsprobe, mode 0111, the machine's root's): the kernel
/// makes it undumpable for them (execve(2)), so no program in the sandbox can trace it,
/// move it or read its memory, and as the init of its PID namespace it ignores their
/// signals. So its /proc/PID/mountinfo, read in the grader's own /proc, is the sandbox's
/// mounts; and each time the grader asks (a line on its stdin, a pipe of the grader's) it
/// reports the sandbox's names, IPC objects (by syscall, never through the sandbox's /proc)
/// and devices. It also does what the exercise sets up in the sandbox first.
final class GradingSandbox {
    let lab: Lab
    /// The checkout's cgroup, where the program is born; nil where the host gives none.
    let cgroup: CheckoutCgroup?
    /// Reports the init can still give: each snapshot takes one.
    private var reportsLeft = 0
    /// The report it gave right after its setup, for the first snapshot.
    private var firstReport: ProbeReport?
    /// The processes the init's setup started for the program to join (holder), by the
    /// grader's pids: the sandbox's, not the program's.
    private var holders: [pid_t] = []

    /// The sandbox's namespaces, as the program joins them.
    static let namespaces: Set<Namespace> = [.user, .uts, .ipc, .mnt, .net, .pid, .cgroup]

    /// Makes the sandbox; `observe`: with reports on demand, after the init has done `setup`
    /// in the sandbox (an exercise's objects and listeners); without, for a build.
    init(workspace: GradingWorkspace, limits: Course.Limits, timeout: Double, extraIDs: [UInt32], withExercise: Bool,
         observe setup: [ProbeAction]?, cgroup: CheckoutCgroup?) throws {
        self.cgroup = cgroup
        // Only root is mapped, and the ids an exercise names: a program cannot switch to a uid
        // of its own choosing, each with a fresh RLIMIT_NPROC count.
        let map = ([0] + extraIDs).map { "\($0) \(workspace.idBase + $0) 1" }.joined(separator: "\n")
        let hold = Int(timeout) + 60
        reportsLeft = setup == nil ? 0 : 6
        // The first report comes right after the setup, before the first hold: the snapshot
        // before the program, with no round trip.
        let reports = reportsLeft == 0 ? [] : [ProbeAction.report(GradingSandbox.observed)]
            + Array(repeating: [ProbeAction.hold(seconds: hold), .report(GradingSandbox.observed)], count: reportsLeft - 1).flatMap { $0 }
        lab = Lab(probePath: workspace.probePath, demoHostNamespaces: GradingSandbox.namespaces,
                  demoHostSetup: GradingSandbox.setup(workspace, limits: limits, withExercise: withExercise),
                  demoHostMaps: IDMaps(setgroups: nil, uidMap: map, gidMap: map),
                  pinsDemoHost: true, demoHostProgram: "\(workspace.root)\(GradingWorkspace.probeInSandbox)",
                  demoHostActions: (setup ?? []) + reports + [.hold(seconds: hold)],
                  timeout: timeout)
        do {
            try lab.startDemoHost()
            // What it set up must have worked: else the grader, not the student, has failed.
            let output = ProbeOutput(lines: lab.demoHost?.lines ?? [])
            try output.requireSuccess(gradingText.settingUp)
            // Its namespaces' report first, then the sandbox's.
            if setup != nil { firstReport = try output.report(1) }
            // The init's children now are the holders its setup made (nothing else ran yet):
            // the grader's, never the program's.
            if let initPid = lab.demoHost?.pid {
                holders = (readTextFile("/proc/\(initPid)/task/\(initPid)/children") ?? "").split(separator: " ").compactMap { pid_t($0) }
            }
        } catch {
            close()
            throw error
        }
    }

    /// What the sandbox's init said of its setup (a holder's pid and namespaces, say).
    func setupResult<Result: ProbeEvent>(_ type: Result.Type) throws -> Result {
        try ProbeOutput(lines: lab.demoHost?.lines ?? []).result(type)
    }

    /// The report sections a snapshot reads from the observer.
    static let observed: Set<ReportSection> = [.hostname, .sysvipc, .interfaces]

    /// The operations that build the sandbox in its new namespaces, in order.
    static func setup(_ workspace: GradingWorkspace, limits: Course.Limits, withExercise: Bool) -> [Operation] {
        let root = workspace.root
        let nodev = UInt(MS_NOSUID | MS_NODEV)
        // Root of the sandbox first: what it mounts (its /run, its /tmp) is then its root's.
        var operations: [Operation] = [.setresgid(0), .setresuid(0), .makeRootPrivate, .bind(root, root)]
        for directory in GradingWorkspace.hostDirectories {
            operations += [.mount(source: "/\(directory)", target: "\(root)/\(directory)", flags: UInt(MS_BIND | MS_REC)),
                           .readOnly("\(root)/\(directory)")]
        }
        operations += [
            // A sysfs of its own: the sandbox's network devices, none of the machine's mounts below.
            .mount(source: "sysfs", target: "\(root)/sys", fstype: "sysfs", flags: UInt(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)),
        ] + GradingWorkspace.devices.map { .bind("/dev/\($0)", "\(root)/dev/\($0)") } + [
            // Bounded, so that a program cannot fill the machine's memory through them.
            .mount(source: "shm", target: "\(root)/dev/shm", fstype: "tmpfs", flags: nodev, data: "mode=1777,size=64m"),
            .mount(source: "proc", target: "\(root)/proc", fstype: "proc", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)),
            .mount(source: "tmp", target: "\(root)/tmp", fstype: "tmpfs", flags: nodev, data: "mode=1777,size=512m"),
            .mount(source: "run", target: "\(root)/run", fstype: "tmpfs", flags: nodev, data: "mode=0755,size=16m"),
            .bind(workspace.work, "\(root)/work"),
        ] + (withExercise ? [.bind(workspace.exercise, "\(root)/exercise")] : []) + [
            .chdir(root), .pivotRoot(newRoot: ".", putOld: "."), .umount2(".", flags: Int32(MNT_DETACH)), .chdir("/"),
            // A systemd host's /: a mount of the program's that is not made private shows here.
            .mount(source: nil, target: "/", flags: UInt(MS_REC | MS_SHARED)),
            .setLinkUp("lo"), .setLimit(resource: Int32(__RLIMIT_NPROC.rawValue), limits.processes),
        ]
        return operations
    }

    /// The inode of the sandbox's namespace of `kind`: one it made, or else the grader's own,
    /// which it was born in (its time namespace, say).
    func inode(_ kind: Namespace) -> UInt64? {
        lab.demoHostFile(kind)?.inode ?? FileIdentity.of("/proc/self/ns/\(kind.rawValue)")?.inode
    }

    /// Starts the student's program in the sandbox, as its root.
    func start(_ placement: ProcessSpec, _ arguments: [String]) throws -> ChildProcess {
        try lab.start(placement, arguments)
    }

    /// What the sandbox shows now of what a program could change in it.
    func snapshot() throws -> SandboxSnapshot {
        guard let host = lab.demoHost, reportsLeft > 0 else { throw LabError(gradingText.noReportLeft) }
        let report: ProbeReport
        if let first = firstReport {
            firstReport = nil
            report = first
        } else {
            host.send()
            let line = try host.readLine(until: { ProbeOutput.eventName(of: $0) == ProbeReport.event }, timeout: lab.timeout)
            report = try ProbeOutput(lines: [line]).report()
        }
        reportsLeft -= 1
        guard let mounts = ProcessView(pid: host.pid)?.mounts else {
            throw LabError(gradingText.mountsUnreadable)
        }
        return SandboxSnapshot(hostname: report.hostname, domainname: report.domainname, sysvipc: report.sysvipc,
                               devices: report.interfaces, mounts: mounts, processes: members().count)
    }

    /// The processes of the sandbox (its PID namespace and those below) but its init, by the
    /// grader's pid: of those of the checkout's cgroup (a short list), else of the grader's
    /// whole /proc.
    func members() -> [pid_t] {
        guard let namespace = inode(.pid), let host = lab.demoHost else { return [] }
        return NamespaceMembers.of(pidNamespace: namespace, among: cgroup?.processes).filter { $0 != host.pid && !holders.contains($0) }
    }

    /// Every process of the program, `program` and all in the sandbox but its init, killed:
    /// the sandbox stays, to be compared. They are killed as listed, again until none is left,
    /// since one may fork while the others die (bounded: RLIMIT_NPROC bounds its forks).
    func killProgram(_ program: ChildProcess) {
        for _ in 0..<64 {
            let left = members()
            if left.isEmpty { break }
            left.forEach { kill($0, SIGKILL) }
        }
        kill(program.pid, SIGKILL)
    }

    /// Every process of the sandbox, the student's and the grader's, killed and reaped: its
    /// init first, which takes its PID namespace along (its remaining reports are not wanted).
    func close() {
        if let host = lab.demoHost, host.termination == nil { kill(host.pid, SIGKILL) }
        lab.close()
    }
}

/// What a sandbox shows of the state a program could change: names, IPC objects, devices,
/// mounts (with their ids, so that a mount stacked on another or moved shows) and how many
/// processes run there besides its init.
struct SandboxSnapshot: Sendable {
    let hostname: String?
    let domainname: String?
    let sysvipc: ProbeReport.SysVIPC?
    let devices: [ProbeReport.Interface]?
    let mounts: [ProbeReport.MountEntry]
    let processes: Int

    /// The mount on top at `target`, if any.
    func mount(at target: String) -> ProbeReport.MountEntry? { mounts.topmost(at: target) }

    /// What a program changed in the sandbox between `self` (before) and `after`, as a student
    /// reads it; `exemptDevices`: devices the exercise asks it to leave there.
    func changes(to after: SandboxSnapshot, exemptDevices: Set<String> = [], processLimit: Int) -> [Message] {
        let say = gradingText
        var changes: [Message] = []
        if hostname != after.hostname { changes.append(say.renamedHost(hostname ?? "?", after.hostname ?? "?")) }
        if domainname != after.domainname { changes.append(say.changedDomainname(domainname ?? "?", after.domainname ?? "?")) }
        changes += mountChanges(to: after)
        let devicesBefore = Set((devices ?? []).map(\.name))
        let added = (after.devices ?? []).map(\.name).filter { !devicesBefore.contains($0) && !exemptDevices.contains($0) }
        if !added.isEmpty { changes.append(say.leftDevices(Message.list(added))) }
        let keysBefore = Set(SysVKind.allCases.flatMap { sysvipc?.objects($0).map(\.key) ?? [] })
        let addedKeys = SysVKind.allCases.flatMap { after.sysvipc?.objects($0).map(\.key) ?? [] }.filter { !keysBefore.contains($0) }
        if !addedKeys.isEmpty { changes.append(say.madeIPCObjects(Message.list(addedKeys.map(ipcKeyText)))) }
        let left = after.processes - processes
        if left > 0 {
            let leftRunning = left == 1 ? say.leftAProcess : say.leftProcesses(left)
            changes.append(left >= processLimit - 2 ? say.forkBomb(leftRunning, processLimit) : leftRunning)
        }
        return changes
    }

    /// Mounts the kernel shows added, gone, stacked on another, moved or with another
    /// propagation, by mount id.
    func mountChanges(to after: SandboxSnapshot) -> [Message] {
        let say = gradingText
        var changes: [Message] = []
        let before = Dictionary(mounts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let now = Dictionary(after.mounts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var added: [Message] = []
        for mount in after.mounts where before[mount.id] == nil {
            if let under = mounts.topmost(at: mount.target) {
                let stacked = mount.fstype == under.fstype ? say.secondMountOn(mount.fstype, mount.target) : say.mountOn(mount.fstype, mount.target)
                changes.append(mount.fstype == "proc" ? say.procHint(stacked) : stacked)
            } else {
                added.append(say.mountedThere(mount.target, mount.fstype))
            }
        }
        if !added.isEmpty {
            changes.append(say.mountsShowedUp(Message.list(added)))
        }
        for mount in mounts {
            guard let later = now[mount.id] else {
                changes.append(say.mountGone(mount.target, mount.fstype))
                continue
            }
            if later.target != mount.target {
                changes.append(say.mountMoved(mount.target, later.target))
            } else if later.propagation.split(separator: " ").map({ $0.prefix { $0 != ":" } })
                        != mount.propagation.split(separator: " ").map({ $0.prefix { $0 != ":" } }) {
                changes.append(say.propagationChanged(mount.target, later.propagation, mount.propagation))
            }
        }
        return changes
    }
}

extension ProbeOutput {
    /// Throws when an action failed or was refused: what the grader itself did must work, else
    /// the exercise is not judged (broken), never blamed on the student.
    func requireSuccess(_ what: Message) throws {
        struct Outcome: Decodable { let event: String; let errno: Int?; let error: String?; let refused: String? }
        for line in events where line.event != ProbeReport.event && line.event != HoldReady.event && line.event != HoldReleased.event {
            guard let outcome = try? JSONDecoder().decode(Outcome.self, from: Data(line.json.utf8)) else { continue }
            if let refused = outcome.refused { throw LabError(gradingText.actionRefused(what, outcome.event, refused)) }
            if let errno = outcome.errno, errno != 0 {
                throw LabError(gradingText.actionFailed(what, outcome.event, outcome.error ?? "errno \(errno)"))
            }
        }
    }
}
