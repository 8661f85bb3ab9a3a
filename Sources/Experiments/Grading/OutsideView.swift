import CShim
import Glibc

/// A file as the kernel identifies it: its device and inode. The probe a student's program
/// must run is known by these, never by its path or by what it prints.
struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// The file at `path` (links followed, as exec and /proc/PID/exe do), or nil.
    static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        return stat(path, &info) == 0 ? FileIdentity(info) : nil
    }

    /// The file open at `fd`, or nil.
    static func of(fd: Int32) -> FileIdentity? {
        var info = stat()
        return fstat(fd, &info) == 0 ? FileIdentity(info) : nil
    }
}

/// A process as the grader sees it from outside: what the kernel shows of it in the grader's
/// own /proc (a procfs the runner mounted, in a mount namespace no student can reach), never
/// through the sandbox's /proc or anything the student's program prints. It holds a pidfd, so
/// that what was read can be shown to be this very process's (`isAlive` after the reads).
final class ProcessView {
    let pid: pid_t
    private let pidfd: Int32

    /// Nil when the process is gone (or its pid is not in the grader's /proc).
    init?(pid: pid_t) {
        let fd = nslab_pidfd_open(pid)
        guard fd >= 0 else { return nil }
        self.pid = pid
        pidfd = fd
    }

    deinit { close(pidfd) }

    /// Whether the process still runs (a zombie has exited): what was read of /proc/PID
    /// before this returned true was this process's, not a later one's with the same pid.
    var isAlive: Bool { nslab_pidfd_send_signal(pidfd, 0) == 0 && status("State").first != "Z" }

    /// Waits until the process has exited, at most `timeout` seconds (a bound, never a way to
    /// wait for success): its pidfd becomes readable then.
    func waitForExit(timeout: Double) {
        let deadline = Deadline(seconds: timeout)
        var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, deadline.remainingMilliseconds) < 0 && errno == EINTR && deadline.remaining > 0 {}
    }

    /// Sends `signal` to this very process.
    func signal(_ signal: Int32) -> Bool { nslab_pidfd_send_signal(pidfd, signal) == 0 }

    var directory: String { "/proc/\(pid)" }

    /// The inode of its namespace of `kind`, as stat(2) of /proc/PID/ns/<kind> shows it.
    func inode(_ kind: Namespace) -> UInt64? {
        FileIdentity.of("\(directory)/ns/\(kind.rawValue)")?.inode
    }

    /// The inodes of all its namespaces.
    var inodes: [Namespace: UInt64] {
        Dictionary(uniqueKeysWithValues: Namespace.allCases.compactMap { kind in inode(kind).map { (kind, $0) } })
    }

    /// The words of a field of /proc/PID/status ("NSpid:\t7\t1" → ["7", "1"]); empty when it is
    /// not there or the file cannot be read.
    func status(_ field: String) -> [Substring] {
        let prefix = field + ":"
        guard let text = text("status"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [] }
        return line.dropFirst(prefix.count).split(whereSeparator: \.isWhitespace)
    }

    /// Its pid in each PID namespace from the grader's down to its own (NSpid): the last is
    /// its pid as it sees itself.
    var nspid: [Int] { status("NSpid").compactMap { Int($0) } }

    /// The pid of the process tracing it (TracerPid), 0 when none.
    var tracer: Int { status("TracerPid").first.flatMap { Int($0) } ?? -1 }

    /// Its real uid and gid as the machine counts them (the grader's user namespace).
    var ids: (uid: UInt32, gid: UInt32)? {
        guard let uid = status("Uid").first.flatMap({ UInt32($0) }), let gid = status("Gid").first.flatMap({ UInt32($0) }) else {
            return nil
        }
        return (uid, gid)
    }

    /// A small file of /proc/PID: "uid_map", "setgroups", "mountinfo", "comm".
    func text(_ name: String) -> String? {
        try? readFile("\(directory)/\(name)", requireProc: true)
    }

    /// Its mounts, relative to its own root, in mountinfo's order (the last at a point is on top).
    var mounts: [ProbeReport.MountEntry]? { text("mountinfo").map(ProbeReport.MountEntry.parse) }

    /// The program it runs, as exec opened it (the file behind /proc/PID/exe).
    var executable: FileIdentity? { FileIdentity.of("\(directory)/exe") }

    /// Its root directory (/proc/PID/root).
    var root: FileIdentity? { FileIdentity.of("\(directory)/root") }

    /// Opens `path` as the process would find it: inside its root and its mount namespace
    /// (openat2 with RESOLVE_IN_ROOT), following no symbolic link, so that nothing the
    /// student made leads the grader anywhere else. `toList`: a directory to read, else
    /// only to name (O_PATH). Closed by the caller.
    func open(_ path: String, toList: Bool = true) -> Int32? {
        let root = nslab_open_path("\(directory)/root")
        guard root >= 0 else { return nil }
        defer { close(root) }
        let fd = nslab_open_in_root(root, path, toList ? 1 : 0)
        return fd >= 0 ? fd : nil
    }

    /// The names in a directory as the process sees it, sorted; nil when it cannot be read.
    func list(_ path: String) -> [String]? {
        guard let fd = open(path) else { return nil }
        guard let directory = fdopendir(fd) else {
            close(fd)
            return nil
        }
        defer { closedir(directory) }
        return entries(of: directory).sorted()
    }

    /// The directory `path` as the process finds it.
    func identity(of path: String) -> FileIdentity? {
        guard let fd = open(path, toList: false) else { return nil }
        defer { close(fd) }
        return FileIdentity.of(fd: fd)
    }

    /// An open file of its namespace of `kind`, to join (setns) or to compare; the inode is
    /// read from the same open file, so the two cannot disagree.
    func namespaceFile(_ kind: Namespace) -> NamespaceFile? {
        inode(kind).map { NamespaceFile("\(directory)/ns/\(kind.rawValue)", kind, inode: $0) }
    }
}

extension ProbeReport.MountEntry {
    /// The mounts of a mountinfo(5) file, as the probe reports them.
    static func parse(_ mountinfo: String) -> [ProbeReport.MountEntry] {
        MountinfoLine.lines(of: mountinfo).map { line in
            ProbeReport.MountEntry(id: line.id, parent: line.parent, root: String(line.root), target: String(line.target),
                                   fstype: String(line.fstype), source: String(line.source),
                                   propagation: line.optional.isEmpty ? "private" : line.optional.joined(separator: " "))
        }
    }
}

extension [ProbeReport.MountEntry] {
    /// The mount on top at `target` (the last in mountinfo's order), if any.
    func topmost(at target: String) -> ProbeReport.MountEntry? { last { $0.target == target } }
}

/// The processes the grader sees that live in a PID namespace or below it: a sandbox's.
enum NamespaceMembers {
    /// Every process in the PID namespace with inode `pidNamespace` or in one below it, by the
    /// grader's pid, of `candidates` (else of every pid in the grader's /proc); zombies left
    /// out (they have ended).
    static func of(pidNamespace: UInt64, among candidates: [pid_t]? = nil) -> [pid_t] {
        (candidates ?? (try? ProcessTable.pids()) ?? []).filter { pid in
            let fd = Glibc.open("/proc/\(pid)/ns/pid", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            return nslab_namespace_within(fd, pidNamespace) == 1 && ProcessTable.state(pid) != "Z"
        }
    }
}
