import CShim
import Glibc

/// What /proc shows of processes, read by the runner from its own PID namespace.
public enum ProcessTable {
    /// Every pid in /proc. A /proc that cannot be read is an error, never "no process".
    public static func pids() throws(SystemCallError) -> [pid_t] {
        try directoryEntries("/proc").compactMap { pid_t($0) }.sorted()
    }

    /// The inode of /proc/<pid>/ns/<namespace>, or nil when the process is gone.
    public static func namespaceInode(_ pid: pid_t, _ namespace: Namespace) -> UInt64? {
        var info = stat()
        return stat("/proc/\(pid)/ns/\(namespace.rawValue)", &info) == 0 ? UInt64(info.st_ino) : nil
    }

    /// The pids of the processes whose `namespace` has inode `inode`.
    public static func members(of namespace: Namespace, inode: UInt64) throws(SystemCallError) -> [pid_t] {
        try pids().filter { namespaceInode($0, namespace) == inode }
    }

    /// The state letter of /proc/<pid>/stat (R, S, Z, …), or nil when the process is gone.
    public static func state(_ pid: pid_t) -> Character? {
        statFields(pid)?.first?.first
    }

    /// The parent pid of /proc/<pid>/stat, or nil when the process is gone.
    public static func parent(_ pid: pid_t) -> pid_t? {
        statFields(pid).flatMap { $0.count > 1 ? pid_t($0[1]) : nil }
    }

    /// Every process below `root`.
    public static func descendants(of root: pid_t) throws(SystemCallError) -> [pid_t] {
        let parents = Dictionary(uniqueKeysWithValues: try pids().compactMap { pid in parent(pid).map { (pid, $0) } })
        var found: [pid_t] = [], frontier = [root]
        while let next = frontier.popLast() {
            let children = parents.filter { $0.value == next }.map(\.key)
            found += children
            frontier += children
        }
        return found
    }

    /// Reaps this process's other children that have exited, until `pidfd` (a process that
    /// is ending) is readable, or `timeout` passes. A process that joined a PID namespace
    /// from outside (setns, then fork) is re-parented to the runner when its first parent
    /// dies; the namespace's init, ending, waits until every process of it is reaped, so the
    /// runner reaps them while it waits for the init. Woken by the processes' pidfds.
    public static func reapOthers(until pidfd: Int32, exceptFor target: pid_t, timeout: Double) {
        let me = getpid(), deadline = Deadline(seconds: timeout)
        while deadline.remaining > 0 {
            let children = ((try? pids()) ?? []).filter { $0 != target && parent($0) == me }
            var pollers = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
            let fds = children.map { nslab_pidfd_open($0) }
            defer { fds.filter { $0 >= 0 }.forEach { close($0) } }
            pollers += fds.filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&pollers, nfds_t(pollers.count), deadline.remainingMilliseconds) > 0 else { continue }
            if pollers[0].revents != 0 { return }
            for child in children { _ = waitpid(child, nil, WNOHANG) }
        }
    }

    /// Kills every process below this one and reaps those that are its children, until none
    /// is left: orphans re-parented to the runner (its subreaper, or pid 1 of its sandbox),
    /// and theirs. Each wait is bounded by `timeout`.
    public static func killAndReapDescendants(timeout: Double) {
        let me = getpid()
        for _ in 0..<8 {
            guard let left = try? descendants(of: me), !left.isEmpty else { return }
            left.forEach { kill($0, SIGKILL) }
            for pid in left where parent(pid) == me {
                _ = try? reap(pid, timeout: timeout, command: "pid \(pid)")
            }
        }
    }

    /// The fields of /proc/<pid>/stat after the command name: state, ppid, …
    private static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let stat = readTextFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}
