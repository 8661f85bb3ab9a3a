import CShim
import FoundationEssentials
import Glibc

/// The marker in front of each line nsprobe prints.
public let probeMarker = "@@NSPROBE@@ "

/// A part of a probe report, as `report=ns,hostname` names it: a step asks for the sections
/// it reads, and pays for those alone.
public enum ReportSection: String, CaseIterable, Sendable {
    /// ppid, uid, gid, nspid, capEff, caps.
    case process
    /// The /proc/self/ns inodes.
    case ns
    /// hostname and domainname, from uname(2).
    case hostname
    case sysvipc
    /// The pids /proc shows.
    case pids
    /// The probe's open file descriptors.
    case fds
    /// The names in /.
    case rootEntries = "root_entries"
    case mounts
    /// uidMap, gidMap and setgroups.
    case idMaps = "id_maps"
    case cgroup
    case interfaces
    /// The IPv4 routes, as `ip route` writes them.
    case routes
    /// monotonic and boottime.
    case clocks

    public static let all = Set(allCases)

    /// "" for every section (the probe's default), else "=ns,hostname" in the probe's order.
    static func argument(_ sections: Set<ReportSection>) -> String {
        sections == all ? "" : "=" + allCases.filter(sections.contains).map(\.rawValue).joined(separator: ",")
    }
}

/// The kinds of System V IPC object, as /proc/sysvipc names its files.
public enum SysVKind: String, CaseIterable, Codable, Sendable {
    case msg, shm, sem
}

/// A SysV IPC key as ipcs(1) shows it: 0x4e534c42.
func ipcKeyText(_ key: Int) -> String { "0x" + String(UInt32(truncatingIfNeeded: key), radix: 16) }

/// One thing nsprobe is asked to do: a word of its command line, which `description` gives
/// (`mkqueue=0x4e534c42`). Each prints one line, decoded as the result type named here.
public enum ProbeAction: Sendable, Equatable, CustomStringConvertible {
    /// A ProbeReport of these sections (`ReportSection.all`: the full report).
    case report(Set<ReportSection>)
    /// HoldReady, then waits for a line on stdin (at most `seconds`, else 30), then HoldReleased.
    case hold(seconds: Int? = nil)
    /// HoldReady; then, after each line on stdin, a ProbeReport of these sections and
    /// HoldReady again, until end of file (at most 30 s), then HoldReleased: a process that
    /// stays where it is and looks as often as it is asked (Lab.look).
    case serve(Set<ReportSection>)
    /// MadeIPCObject; guarded: only in an IPC namespace the runner made.
    case makeQueue(key: Int)
    case makeSharedMemory(key: Int)
    case makeSemaphores(key: Int)
    /// HostnameSet; guarded: only in a UTS namespace the runner made.
    case sethostname(String)
    /// OrphanResult.
    case orphan
    /// KillInitResult: a child signals pid 1; guarded: only as pid 1 of a PID namespace the
    /// runner made.
    case killInit(signal: Int32)
    /// Spawned: children that wait until they are killed or the probe dies.
    case spawn(count: Int)
    /// SetnsResult: the probe joins the namespace of this /proc/PID/ns file, asking for
    /// `kind` when given (setns(2)'s nstype; 0 otherwise).
    case setns(path: String, kind: Namespace? = nil)
    /// SetnsPidfdResult: the probe joins these namespaces of process `pid` at once, through a
    /// pidfd (Linux 5.8).
    case setnsPidfd(pid: Int, kinds: Set<Namespace>)
    /// HolderResult: a child in new namespaces of these kinds, held for others to join.
    case holder(Set<Namespace>)
    /// ForkResult, after a child made by clone(2) in new namespaces of these kinds printed
    /// its own report (ns and process); the probe stays where it is.
    case clone(Set<Namespace>)
    /// ForkResult, after a child born in the cgroup v2 directory `path` (clone3(2) with
    /// CLONE_INTO_CGROUP) printed its own report (ns, process and cgroup).
    case cloneInto(path: String)
    /// ForkResult, after the child printed its own report of these sections.
    case fork(report: Set<ReportSection>)
    /// ZombieResult.
    case zombie
    /// PID namespaces nested in one another until the kernel refuses (NestResult).
    case nestPID
    /// User namespaces nested in one another, each mapping the probe to itself, until the
    /// kernel refuses (NestResult).
    case nestUser
    /// WriteResult: opens the file for writing, and no more.
    case write(path: String)
    /// ListResult: the names in a directory.
    case list(path: String)
    /// ReadResult: the text of a small file (a map, a sysctl).
    case read(path: String)
    /// UnshareResult: unshare(2) of these kinds as the probe's own user; the namespaces it
    /// makes count as the runner's for the guarded actions after it.
    case unshare(Set<Namespace>)
    /// MapRootResult: as `unshare --map-root-user`, in the user namespace `unshare` made.
    case mapRoot
    /// LinkGoneResult: waits (at most `seconds`, else 5) for a network interface to be removed.
    case awaitLinkGone(String, seconds: Int? = nil)
    /// UnmountResult: umount2(2); guarded: only in a mount namespace the runner made.
    case unmount(path: String, flags: UnmountFlag? = nil)
    /// ChrootEscapeResult: chroot(dir) without entering it, then ".." up and chroot("."): the
    /// classic way out of a chroot. Only the probe's own root changes.
    case chrootEscape(dir: String)
    /// ListenResult: a TCP listener kept open until the probe exits; guarded: only in a
    /// network namespace the runner made.
    case listen(address: String, port: Int)
    /// ConnectResult: a TCP handshake with `address:port`; guarded like listen.
    case connect(address: String, port: Int)
    /// LinkChanged, each the rtnetlink(7) request ip(8) sends for the same change; guarded
    /// like listen, and a device goes only into a network namespace the runner made.
    /// A veth pair, its `peer` end in the network namespace `peerInto` when given.
    case addVeth(String, peer: String, peerInto: NetworkNamespaceName? = nil)
    /// An IPv4 address with its prefix length ("10.200.0.1/24") on a device.
    case addAddress(String, address: String)
    case bringUp(String)
    case moveLink(String, into: NetworkNamespaceName)
    /// The device, and a veth's peer with it.
    case deleteLink(String)

    /// A full report.
    public static let fullReport = ProbeAction.report(ReportSection.all)

    public var description: String {
        switch self {
        case .report(let sections): "report" + ReportSection.argument(sections)
        case .hold(let seconds): seconds.map { "hold=\($0)" } ?? "hold"
        case .serve(let sections): "serve" + ReportSection.argument(sections)
        case .makeQueue(let key): "mkqueue=\(ipcKeyText(key))"
        case .makeSharedMemory(let key): "mkshm=\(ipcKeyText(key))"
        case .makeSemaphores(let key): "mksem=\(ipcKeyText(key))"
        case .sethostname(let name): "sethostname=\(name)"
        case .orphan: "orphan"
        case .killInit(let signal): "kill-init=\(ProbeAction.signalWords[signal] ?? "\(signal)")"
        case .spawn(let count): "spawn=\(count)"
        case .setns(let path, let kind): "setns=\(path)" + (kind.map { ",\($0.rawValue)" } ?? "")
        case .setnsPidfd(let pid, let kinds): "setns-pidfd=\(pid):" + kinds.sorted().map(\.rawValue).joined(separator: ",")
        case .fork(let sections): "fork" + ReportSection.argument(sections)
        case .zombie: "zombie"
        case .nestPID: "nest-pid"
        case .clone(let kinds): "clone=" + kinds.sorted().map(\.rawValue).joined(separator: ",")
        case .cloneInto(let path): "clone-into=\(path)"
        case .holder(let kinds): "holder=" + kinds.sorted().map(\.rawValue).joined(separator: ",")
        case .nestUser: "nest-user"
        case .write(let path): "write=\(path)"
        case .list(let path): "ls=\(path)"
        case .awaitLinkGone(let name, let seconds): "await-link-gone=\(name)" + (seconds.map { ",\($0)" } ?? "")
        case .read(let path): "read=\(path)"
        case .unshare(let kinds): "unshare=" + kinds.map(\.rawValue).sorted { $0 == "user" || ($1 != "user" && $0 < $1) }.joined(separator: ",")
        case .mapRoot: "map-root"
        case .unmount(let path, let flags): "umount=\(path)" + (flags.map { ",\($0.rawValue)" } ?? "")
        case .chrootEscape(let dir): "chroot-escape=\(dir)"
        case .listen(let address, let port): "listen=\(address):\(port)"
        case .connect(let address, let port): "connect=\(address):\(port)"
        case .addVeth(let name, let peer, let target): "veth=\(name),\(peer)" + (target.map { ",\($0.probeArgument)" } ?? "")
        case .addAddress(let name, let address): "addr=\(name),\(address)"
        case .bringUp(let name): "link-up=\(name)"
        case .moveLink(let name, let target): "link-netns=\(name),\(target.probeArgument)"
        case .deleteLink(let name): "link-delete=\(name)"
        }
    }

    /// The same change as a student types it with ip(8); nil for an action that is no device change.
    public var ipCommand: String? {
        switch self {
        case .addVeth(let name, let peer, let target): "ip link add \(name) type veth peer name \(peer)" + (target.map { " netns \($0)" } ?? "")
        case .addAddress(let name, let address): "ip addr add \(address) dev \(name)"
        case .bringUp(let name): "ip link set \(name) up"
        case .moveLink(let name, let target): "ip link set \(name) netns \(target)"
        case .deleteLink(let name): "ip link delete \(name)"
        default: nil
        }
    }

    /// The signals the probe knows by name; others go as numbers.
    private static let signalWords: [Int32: String] = [SIGKILL: "KILL", SIGTERM: "TERM", SIGINT: "INT", SIGHUP: "HUP"]
}

/// A line the probe prints, decoded: `event` is the name it prints it under.
public protocol ProbeEvent: Decodable, Sendable {
    static var event: String { get }
    /// The probe's pid (in its own PID namespace), or its child's for a forked report.
    var pid: Int { get }
}

/// The line an action prints: how its call went, as errno and its name ("" on success).
public protocol ProbeActionResult: ProbeEvent {
    var errno: Int { get }
    var error: String { get }
}

extension ProbeActionResult {
    public var failed: Bool { errno != 0 }
    /// "success", or the errno's name: "ENOMEM".
    public var outcome: Message { failed ? .verbatim(error) : words.success }
}

/// What nsprobe reports about the namespace world it runs in (its "report" event). Only the
/// sections asked for are there: the fields of the others, and those the probe could not read
/// (see `errors`), are nil, so that a check of them fails instead of seeing "nothing there".
public struct ProbeReport: ProbeEvent, Equatable {
    public static let event = "report"

    public struct IPCObject: Codable, Sendable, Equatable {
        public let key: Int
        public let id: Int
    }
    public struct SysVIPC: Codable, Sendable, Equatable {
        public let msg: [IPCObject]
        public let shm: [IPCObject]
        public let sem: [IPCObject]

        public func objects(_ kind: SysVKind) -> [IPCObject] {
            switch kind {
            case .msg: msg
            case .shm: shm
            case .sem: sem
            }
        }
    }
    public struct MountEntry: Codable, Sendable, Equatable {
        public let id: Int
        public let parent: Int
        public let root: String
        public let target: String
        public let fstype: String
        public let source: String
        public let propagation: String
    }
    public struct Interface: Codable, Sendable, Equatable {
        public let name: String
        public let up: Bool
        public let addresses: [String]
    }
    public struct ReportError: Codable, Sendable, Equatable {
        public let what: String
        public let error: String
    }

    public let pid: Int
    // process
    public let ppid: Int?
    public let uid: Int?
    public let gid: Int?
    public let nspid: [Int]?
    public let capEff: String?
    /// The capability sets as cap_to_text(3) writes them: "=ep" is all of them, "=" none.
    public let caps: String?
    public let ns: [String: UInt64]?
    // hostname
    public let hostname: String?
    public let domainname: String?
    public let sysvipc: SysVIPC?
    public let pids: [Int]?
    public let fds: [Int]?
    public let rootEntries: [String]?
    public let mounts: [MountEntry]?
    // idMaps
    public let uidMap: String?
    public let gidMap: String?
    public let setgroups: String?
    public let cgroup: String?
    public let interfaces: [Interface]?
    public let routes: [String]?
    // clocks
    public let monotonic: Double?
    public let boottime: Double?
    public let realtime: Double?
    /// What could not be read, in every report: a section whose read failed is absent too.
    public let errors: [ReportError]
    /// Set when the line outgrew the probe's buffer: only pid and errors are left.
    public let truncated: Bool?

    /// The inode of /proc/self/ns/<namespace>, as stat(2) shows it.
    public func inode(_ namespace: Namespace) -> UInt64? { ns?[namespace.rawValue] }

    /// The inode of /proc/self/ns/pid_for_children: the PID namespace of the children to come.
    public var pidForChildren: UInt64? { ns?["pid_for_children"] }

    /// `uts:[4026531838]`, as readlink(1) prints the namespace link.
    public func link(_ namespace: Namespace) -> String {
        inode(namespace).map { "\(namespace.rawValue):[\($0)]" } ?? "\(namespace.rawValue): (missing)"
    }
}

/// hold: the probe waits for a line on its stdin.
public struct HoldReady: ProbeEvent {
    public static let event = "ready"
    public let pid: Int
}

/// hold: what ended the wait: "line", "eof", or "timeout" (then the probe exits 124).
public struct HoldReleased: ProbeEvent {
    public static let event = "released"
    public let pid: Int
    public let how: String
}

/// mkqueue, mkshm, mksem: the object's id, -1 when not made.
public struct MadeIPCObject: ProbeActionResult {
    public static let event = "make-ipc"
    public let pid: Int, errno: Int, error: String
    public let kind: SysVKind
    public let key: Int
    public let id: Int
    /// Why the guard refused (with EPERM): the IPC namespace is not one the runner made.
    public let refused: String?
}

/// sethostname.
public struct HostnameSet: ProbeActionResult {
    public static let event = "sethostname"
    public let pid: Int, errno: Int, error: String
    public let name: String
    /// Why the guard refused (with EPERM): the UTS namespace is not one the runner made.
    public let refused: String?
}

/// orphan: a grandchild whose parent exited, and the parent it got (0s when it was not made).
public struct OrphanResult: ProbeActionResult {
    public static let event = "orphan"
    public let pid: Int, errno: Int, error: String
    public let orphan: Int
    public let parentBefore: Int
    public let parentAfter: Int
    /// Whether the probe became its parent, and reaped it.
    public let reapedByMe: Bool
}

/// kill-init: whether a child of the probe could send `signal` to pid 1, and pid 1 then lived.
public struct KillInitResult: ProbeActionResult {
    public static let event = "kill-init"
    public let pid: Int, errno: Int, error: String
    public let signal: Int32
    public let sent: Bool
    /// Nil when no signal was sent: nothing was looked at.
    public let initAliveAfter: Bool?
    /// Why the guard refused (with EPERM): the probe is not pid 1 of a namespace the runner made.
    public let refused: String?
}

/// spawn: the children's pids.
public struct Spawned: ProbeActionResult {
    public static let event = "spawn"
    public let pid: Int, errno: Int, error: String
    public let children: [Int]
}

/// setns: the file joined.
public struct SetnsResult: ProbeActionResult {
    public static let event = "setns"
    public let pid: Int, errno: Int, error: String
    public let path: String
}

public struct SetnsPidfdResult: ProbeActionResult {
    public static let event = "setns-pidfd"
    public let pid: Int, errno: Int, error: String
    public let kinds: String
}

/// fork: the child (-1 when fork failed) and its exit status.
public struct HolderResult: ProbeActionResult {
    public static let event = "holder"
    public let pid: Int, errno: Int, error: String
    /// The holder's pid, as the probe that forked it sees it.
    public let child: Int
    /// The inode of each namespace it made, by kind.
    public let ns: [String: UInt64]
}

public struct ForkResult: ProbeActionResult {
    public static let event = "fork"
    public let pid: Int, errno: Int, error: String
    public let child: Int
    public let exitStatus: Int
}

/// zombie: a child's state in /proc/PID/stat before and after waitpid ("-": no such file).
/// What nest-pid and nest-user report.
public struct NestResult: ProbeActionResult {
    public static let event = "nest"
    public let pid: Int, errno: Int, error: String
    /// "pid" or "user".
    public let kind: String
    /// How many namespaces it made, one inside the other, before one was refused.
    public let made: Int
}

public struct ZombieResult: ProbeActionResult {
    public static let event = "zombie"
    public let pid: Int, errno: Int, error: String
    public let child: Int
    public let stateBeforeReaping: String
    public let stateAfterReaping: String
}

/// write: the file opened for writing.
public struct WriteResult: ProbeActionResult {
    public static let event = "write"
    public let pid: Int, errno: Int, error: String
    public let path: String
}

/// ls: the names in `path` (not "." and ".."), in the directory's order.
public struct ListResult: ProbeActionResult {
    public static let event = "ls"
    public let pid: Int, errno: Int, error: String
    public let path: String
    public let entries: [String]
}

/// read: the file's text (nil when it could not be read).
public struct ReadResult: ProbeActionResult {
    public static let event = "read"
    public let pid: Int, errno: Int, error: String
    public let path: String
    public let text: String?
}

/// unshare: the kinds asked for, and how the call went.
public struct UnshareResult: ProbeActionResult {
    public static let event = "unshare"
    public let pid: Int, errno: Int, error: String
    public let kinds: String
}

/// map-root: how the writes of setgroups, uid_map and gid_map went.
public struct MapRootResult: ProbeActionResult {
    public static let event = "map-root"
    public let pid: Int, errno: Int, error: String
    public let refused: String?
}

/// await-link-gone: success once the interface is gone, ETIMEDOUT if it stayed 5 s.
public struct LinkGoneResult: ProbeActionResult {
    public static let event = "await-link-gone"
    public let pid: Int, errno: Int, error: String
    public let name: String
}

/// The flags of umount2(2) the probe knows, as umount(8) offers them (MNT_EXPIRE it does not).
public enum UnmountFlag: String, Codable, Sendable {
    /// MNT_DETACH, `umount --lazy`.
    case detach
    /// MNT_EXPIRE: the first call marks the mount (EAGAIN), a second unmounts it if unused.
    case expire
    /// MNT_FORCE, `umount --force`.
    case force

    public var constantName: String { "MNT_\(rawValue.uppercased())" }
}

/// umount: the path and flags, and how the call went.
public struct UnmountResult: ProbeActionResult {
    public static let event = "umount"
    public let pid: Int, errno: Int, error: String
    public let path: String
    public let flags: String
    /// Why the guard refused (with EPERM): the mount namespace is not one the runner made.
    public let refused: String?
}

/// chroot-escape: how the escape went (the report after it shows where the probe ended up).
public struct ChrootEscapeResult: ProbeActionResult {
    public static let event = "chroot-escape"
    public let pid: Int, errno: Int, error: String
    public let dir: String
}

/// connect: "address:port" and how the handshake went.
public struct ConnectResult: ProbeActionResult {
    public static let event = "connect"
    public let pid: Int, errno: Int, error: String
    public let address: String
    /// Why the guard refused (with EPERM): the network namespace is not one the runner made.
    public let refused: String?
}

/// A network namespace as `ip link set DEVICE netns` names it: by a process in it, or by
/// the name `ip netns attach` gave it (a file in /run/netns).
public enum NetworkNamespaceName: Sendable, Equatable, CustomStringConvertible {
    case process(pid_t)
    case attached(String)

    public var description: String {
        switch self {
        case .process(let pid): "\(pid)"
        case .attached(let name): name
        }
    }

    var probeArgument: String {
        switch self {
        case .process(let pid): "\(pid)"
        case .attached(let name): "/run/netns/\(name)"
        }
    }
}

/// veth, addr, link-up, link-netns, link-delete: the change, the device, and the kernel's answer.
public struct LinkChanged: ProbeActionResult {
    public static let event = "link"
    public let pid: Int, errno: Int, error: String
    /// "veth", "addr", "up", "netns" or "delete".
    public let change: String
    public let name: String
    /// The peer, the address or the namespace; "" for none.
    public let argument: String
    public let refused: String?
}

/// listen: "address:port" and how bind and listen went.
public struct ListenResult: ProbeActionResult {
    public static let event = "listen"
    public let pid: Int, errno: Int, error: String
    public let address: String
    public let refused: String?
}

/// An action or report section the probe does not know (it then exits 2).
public struct ProbeUsageError: ProbeActionResult {
    public static let event = "usage"
    public let pid: Int, errno: Int, error: String
    public let unknownAction: String?
    public let unknownSection: String?
}

/// Everything a probe printed: its lines, each kept with its event name and decoded when a
/// step asks for that event, and any other lines.
public struct ProbeOutput: Sendable {
    /// One line of the probe: its event name and its JSON.
    public struct Line: Sendable {
        public let event: String
        let json: Substring
    }

    public private(set) var events: [Line] = []
    public private(set) var otherLines: [String] = []

    public init(lines: [String]) {
        for line in lines { append(line) }
    }

    public mutating func append(_ line: String) {
        if let json = ProbeOutput.payload(of: line), let event = ProbeOutput.eventName(json) {
            events.append(Line(event: event, json: json))
        } else {
            otherLines.append(line)
        }
    }

    /// Every line of `type`'s event, decoded; a LabError names a line that does not decode.
    public func results<Result: ProbeEvent>(_ type: Result.Type) throws -> [Result] {
        try events.filter { $0.event == Result.event }.map(ProbeOutput.decode)
    }

    /// The `index`th line of `type`'s event (the first by default), or a LabError that says
    /// what the probe printed instead. Only that line is decoded.
    public func result<Result: ProbeEvent>(_ type: Result.Type, _ index: Int = 0) throws -> Result {
        let found = events.filter { $0.event == Result.event }
        guard index < found.count else {
            let seen = otherLines.suffix(3).joined(separator: " | ")
            let missing = index > 0 ? labText.noLineNumber(Result.event, index + 1) : labText.noLine(Result.event)
            throw LabError(seen.isEmpty ? missing : labText.andPrinted(missing, seen))
        }
        return try ProbeOutput.decode(found[index])
    }

    private static func decode<Result: ProbeEvent>(_ line: Line) throws -> Result {
        do {
            return try decoder.decode(Result.self, from: Data(line.json.utf8))
        } catch {
            throw LabError(labText.unreadableLine(Result.event, "\(error)"))
        }
    }

    /// Every report, decoded.
    public var reports: [ProbeReport] {
        get throws { try results(ProbeReport.self) }
    }

    /// The `index`th report (the first by default), or a LabError.
    public func report(_ index: Int = 0) throws -> ProbeReport {
        try result(ProbeReport.self, index)
    }

    /// The last ProbeReport the probe printed.
    public func lastReport() throws -> ProbeReport {
        try report(max(0, count(of: ProbeReport.self) - 1))
    }

    /// How many lines of `type`'s event the probe printed.
    public func count<Result: ProbeEvent>(of type: Result.Type) -> Int {
        events.count(where: { $0.event == Result.event })
    }

    /// Whether `line` is the probe's "ready" line of a hold.
    static func isHoldReady(_ line: String) -> Bool { eventName(of: line) == HoldReady.event }

    /// The event a line of the probe's carries ("report", "ready"), or nil for another line.
    static func eventName(of line: String) -> String? { payload(of: line).flatMap(eventName) }

    static func payload(of line: String) -> Substring? {
        guard let range = line.firstRange(of: probeMarker) else { return nil }
        return line[range.upperBound...]
    }

    /// "ready" in `{"event":"ready",...`: the probe prints the event first, a plain word.
    static func eventName(_ json: Substring) -> String? {
        let opening = "{\"event\":\""
        guard json.hasPrefix(opening) else { return nil }
        let name = json.dropFirst(opening.count).prefix { $0 != "\"" }
        return name.isEmpty ? nil : String(name)
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}

/// Where the probe binary is: a file (probeFile), else the one built into the runner.
public func locateProbe() -> String { probeFile() ?? embeddedProbePath }

/// The probe as a file: $NSLAB_PROBE, else where SwiftPM puts it beside the running executable
/// (the nsprobe target's resources), else right beside it, as the README installs it; nil when
/// there is none (a runner alone). A file beside the runner counts only with the size of the
/// built-in probe: a probe left from another build never stands in for this one.
public func probeFile() -> String? {
    if let path = getenv("NSLAB_PROBE") { return String(cString: path) }
    let directory = executableDirectory()
    return ["\(directory)/nslab_nsprobe.resources/nsprobe", "\(directory)/nsprobe"].first { path in
        var info = stat()
        return access(path, X_OK) == 0 && stat(path, &info) == 0 && Int(info.st_size) == embeddedProbeSize
    }
}

/// The probe built into the runner, in a memory file (memfd_create(2)) that this process
/// keeps open: "/proc/self/fd/N", which spawn opens and execs by fd like any program. So a
/// copied or installed `runner` alone is a whole install.
let embeddedProbePath: String = {
    guard let bytes = Data(base64Encoded: embeddedProbeBase64) else { return "/nonexistent/embedded-nsprobe" }
    let fd = nslab_memfd("nsprobe")
    guard fd >= 0 else { return "/nonexistent/embedded-nsprobe" }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    return written == bytes.count ? "/proc/self/fd/\(fd)" : "/nonexistent/embedded-nsprobe"
}()

/// The directory of /proc/self/exe.
public func executableDirectory() -> String {
    guard let path = try? executablePath(), let slash = path.lastIndex(of: "/") else { return "." }
    return String(path[..<slash])
}

extension ChildProcess {
    /// Waits until a probe holding with `hold` has printed its ready line.
    public func awaitHold(timeout: Double) throws {
        try readLine(until: ProbeOutput.isHoldReady, timeout: timeout)
    }
}
