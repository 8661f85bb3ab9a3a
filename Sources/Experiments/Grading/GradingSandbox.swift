import CShim
import FoundationEssentials
import Glibc

/// The sandbox of one exercise, or of a build: new user, UTS, IPC, mount, network, PID and
/// cgroup namespaces that play the host for the student's program, with a root of their own
/// and a cgroup that bounds its memory and processes.
///
/// The grader looks at it from outside, where nothing in it can reach: its namespaces are held
/// open by the grader from the start (every join goes to those, whatever happens to the
/// process that made them); its mounts are read in the grader's own /proc, for a process of the
/// grader's that joined its mount namespace alone (the anchor); its names, IPC objects and
/// devices are reported by another that joined its UTS, IPC and network namespaces alone (the
/// observer), which also sets up what the exercise needs there. Both run the grader's own
/// probe as the machine's root, outside the sandbox's user and PID namespaces: no program in
/// the sandbox can see, signal or trace them.
final class GradingSandbox {
    let lab: Lab
    let cgroup: ExerciseCgroup?
    private var anchor: ChildProcess?
    private var observer: ChildProcess?
    /// Reports the observer can still give: each snapshot takes one.
    private var reportsLeft = 0

    /// The sandbox's namespaces, as the program joins them.
    static let namespaces: Set<Namespace> = [.user, .uts, .ipc, .mnt, .net, .pid, .cgroup]

    /// Makes the sandbox; `observe`: with the anchor and the observer, which first does
    /// `setup` in the sandbox (an exercise's objects and listeners); without, for a build.
    init(workspace: GradingWorkspace, limits: Course.Limits, timeout: Double, extraIDs: [UInt32], withExercise: Bool,
         observe setup: [ProbeAction]?, cgroups: GradingCgroups?, name: String) throws {
        cgroup = try cgroups?.makeExercise(named: name, memory: limits.memoryBytes, processes: limits.processes)
        // Only root is mapped, and the ids an exercise names: a program cannot switch to a uid
        // of its own choosing, each with a fresh RLIMIT_NPROC count.
        let map = ([0] + extraIDs).map { "\($0) \(workspace.idBase + $0) 1" }.joined(separator: "\n")
        lab = Lab(probePath: workspace.probePath, demoHostNamespaces: GradingSandbox.namespaces,
                  demoHostSetup: GradingSandbox.setup(workspace, limits: limits, withExercise: withExercise),
                  demoHostMaps: IDMaps(setgroups: nil, uidMap: map, gidMap: map), demoHostCgroups: cgroup?.procsFiles ?? [],
                  pinsDemoHost: true, timeout: timeout)
        do {
            guard let setup else { return }
            let hold = Int(timeout) + 60
            let anchor = try lab.start(joining: [.mnt], ProcessSpec(), lab.probeArguments([.hold(seconds: hold)], then: []))
            try anchor.awaitHold(timeout: lab.timeout)
            self.anchor = anchor
            // Its setup, then a hold before each report: a snapshot releases one and reads it.
            reportsLeft = 5
            let reports = Array(repeating: [ProbeAction.hold(seconds: hold), .report(GradingSandbox.observed)], count: reportsLeft)
            let observer = try lab.start(joining: [.uts, .ipc, .net], ProcessSpec(),
                                         lab.probeArguments(setup + reports.flatMap { $0 }, then: []))
            self.observer = observer
            try observer.awaitHold(timeout: lab.timeout)
            // What it set up must have worked: else the grader, not the student, has failed.
            try ProbeOutput(lines: observer.lines).requireSuccess("setting up the sandbox")
        } catch {
            close()
            throw error
        }
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
            .mount(source: "/sys", target: "\(root)/sys", flags: UInt(MS_BIND | MS_REC)), .readOnly("\(root)/sys"),
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

    /// The inode of the sandbox's namespace of `kind`.
    func inode(_ kind: Namespace) -> UInt64? { lab.demoHostFile(kind)?.inode }

    /// Starts the student's program in the sandbox, as its root, in its cgroup.
    func start(_ placement: ProcessSpec, _ arguments: [String]) throws -> ChildProcess {
        var spec = placement
        spec.cgroups = cgroup?.procsFiles ?? []
        return try lab.start(spec, arguments)
    }

    /// What the sandbox shows now of what a program could change in it.
    func snapshot() throws -> SandboxSnapshot {
        guard let observer, let anchor, reportsLeft > 0 else { throw LabError("the sandbox has no observer left to ask") }
        observer.send()
        reportsLeft -= 1
        let line = try observer.readLine(until: { ProbeOutput.eventName(of: $0) == ProbeReport.event }, timeout: lab.timeout)
        let report = try ProbeOutput(lines: [line]).report()
        guard let mounts = ProcessView(pid: anchor.pid)?.mounts, let pid = inode(.pid), let host = lab.demoHost else {
            throw LabError("the sandbox's mounts or processes could not be read")
        }
        let processes = NamespaceMembers.of(pidNamespace: pid).filter { $0 != host.pid }
        return SandboxSnapshot(hostname: report.hostname, domainname: report.domainname, sysvipc: report.sysvipc,
                               devices: report.interfaces, mounts: mounts, processes: processes.count)
    }

    /// Every process of the program, killed: those in the sandbox's PID namespace die with its
    /// init (and the program's first process, outside it, with them). The grader's anchor and
    /// observer stay, to compare the sandbox.
    func killProgram() {
        if let host = lab.demoHost { kill(host.pid, SIGKILL) }
    }

    /// Every process of the sandbox, the student's and the grader's, killed and reaped; the
    /// cgroup goes.
    func close() {
        lab.close()
        cgroup?.remove()
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
    func mount(at target: String) -> ProbeReport.MountEntry? { mounts.last { $0.target == target } }

    /// What a program changed in the sandbox between `self` (before) and `after`, as a student
    /// reads it; `exemptDevices`: devices the exercise asks it to leave there.
    func changes(to after: SandboxSnapshot, exemptDevices: Set<String> = [], processLimit: Int) -> [String] {
        var changes: [String] = []
        if hostname != after.hostname {
            changes.append("your program renamed the host: sandbox hostname was \(hostname ?? "?"), is now \(after.hostname ?? "?")")
        }
        if domainname != after.domainname {
            changes.append("your program changed the host's NIS domain name: was \(domainname ?? "?"), is now \(after.domainname ?? "?")")
        }
        changes += mountChanges(to: after)
        let devicesBefore = Set((devices ?? []).map(\.name))
        let added = (after.devices ?? []).map(\.name).filter { !devicesBefore.contains($0) && !exemptDevices.contains($0) }
        if !added.isEmpty { changes.append("your program left network devices in the sandbox: \(added.joined(separator: ", "))") }
        let keysBefore = Set(SysVKind.allCases.flatMap { sysvipc?.objects($0).map(\.key) ?? [] })
        let addedKeys = SysVKind.allCases.flatMap { after.sysvipc?.objects($0).map(\.key) ?? [] }.filter { !keysBefore.contains($0) }
        if !addedKeys.isEmpty { changes.append("your program made IPC objects in the sandbox: \(addedKeys.map(ipcKeyText).joined(separator: ", "))") }
        let left = after.processes - processes
        if left > 0 {
            changes.append("your program left \(left) process\(left == 1 ? "" : "es") running in the sandbox"
                           + (left >= processLimit - 2 ? " (it hit the limit of \(processLimit): a fork bomb is contained here)" : ""))
        }
        return changes
    }

    /// Mounts the kernel shows added, gone, stacked on another, moved or with another
    /// propagation, by mount id.
    func mountChanges(to after: SandboxSnapshot) -> [String] {
        var changes: [String] = []
        let before = Dictionary(mounts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let now = Dictionary(after.mounts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var added: [String] = []
        for mount in after.mounts where before[mount.id] == nil {
            if let under = mounts.last(where: { $0.target == mount.target }) {
                let what = mount.fstype == under.fstype ? "a second \(mount.fstype)" : "a \(mount.fstype)"
                let hint = mount.fstype == "proc" ? ": make / private (mount --make-rprivate /) before you mount proc" : ""
                changes.append("\(what) is now mounted on the sandbox's \(mount.target)\(hint)")
            } else {
                added.append("\(mount.target) (\(mount.fstype))")
            }
        }
        if !added.isEmpty {
            changes.append("your program's mounts showed up in the sandbox: \(added.joined(separator: ", "))"
                           + " — mount only in a mount namespace of your own, made private first (mount --make-rprivate /)")
        }
        for mount in mounts {
            guard let later = now[mount.id] else {
                changes.append("the sandbox's mount on \(mount.target) (\(mount.fstype)) is gone")
                continue
            }
            if later.target != mount.target {
                changes.append("the sandbox's mount on \(mount.target) was moved to \(later.target)")
            } else if later.propagation.split(separator: " ").map({ $0.prefix { $0 != ":" } })
                        != mount.propagation.split(separator: " ").map({ $0.prefix { $0 != ":" } }) {
                changes.append("the sandbox's \(mount.target) is now \(later.propagation) (was \(mount.propagation))")
            }
        }
        return changes
    }
}

extension ProbeOutput {
    /// Throws when an action failed or was refused: what the grader itself did must work, else
    /// the exercise is not judged (broken), never blamed on the student.
    func requireSuccess(_ what: String) throws {
        struct Outcome: Decodable { let event: String; let errno: Int?; let error: String?; let refused: String? }
        for line in events where line.event != ProbeReport.event && line.event != HoldReady.event && line.event != HoldReleased.event {
            guard let outcome = try? JSONDecoder().decode(Outcome.self, from: Data(line.json.utf8)) else { continue }
            if let refused = outcome.refused { throw LabError("\(what): the probe's \(outcome.event) was refused: \(refused)") }
            if let errno = outcome.errno, errno != 0 {
                throw LabError("\(what): the probe's \(outcome.event) failed with \(outcome.error ?? "errno \(errno)")")
            }
        }
    }
}
