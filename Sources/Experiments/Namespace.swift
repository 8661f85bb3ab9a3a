import Glibc

/// A kind of Linux namespace, as namespaces(7) lists them.
public enum Namespace: String, CaseIterable, Codable, Sendable, Comparable {
    case cgroup, ipc, mnt, net, pid, time, user, uts

    /// The flag that creates one with clone(2) or unshare(2).
    public var cloneFlag: Int32 {
        switch self {
        case .cgroup: 0x0200_0000  // CLONE_NEWCGROUP
        case .ipc: 0x0800_0000     // CLONE_NEWIPC
        case .mnt: 0x0002_0000     // CLONE_NEWNS
        case .net: 0x4000_0000     // CLONE_NEWNET
        case .pid: 0x2000_0000     // CLONE_NEWPID
        case .time: 0x0000_0080    // CLONE_NEWTIME
        case .user: 0x1000_0000    // CLONE_NEWUSER
        case .uts: 0x0400_0000     // CLONE_NEWUTS
        }
    }

    public var flagName: String {
        switch self {
        case .cgroup: "CLONE_NEWCGROUP"
        case .ipc: "CLONE_NEWIPC"
        case .mnt: "CLONE_NEWNS"
        case .net: "CLONE_NEWNET"
        case .pid: "CLONE_NEWPID"
        case .time: "CLONE_NEWTIME"
        case .user: "CLONE_NEWUSER"
        case .uts: "CLONE_NEWUTS"
        }
    }

    /// The sysctl that caps how many may exist: /proc/sys/user/max_<name>_namespaces.
    public var limitPath: String {
        "/proc/sys/user/max_\(self == .mnt ? "mnt" : rawValue)_namespaces"
    }

    public static func < (a: Namespace, b: Namespace) -> Bool { a.rawValue < b.rawValue }

    /// "CLONE_NEWPID|CLONE_NEWNS" for a set, in a stable order.
    public static func flagNames(_ set: Set<Namespace>) -> String {
        set.isEmpty ? "0" : set.sorted().map(\.flagName).joined(separator: "|")
    }

    static func flags(_ set: Set<Namespace>) -> Int32 {
        set.reduce(0) { $0 | $1.cloneFlag }
    }
}
