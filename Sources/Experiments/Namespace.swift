import CShim
import Glibc

/// A kind of Linux namespace, as namespaces(7) lists them.
public enum Namespace: String, CaseIterable, Codable, Sendable, Comparable {
    case cgroup, ipc, mnt, net, pid, time, user, uts

    /// Its row of the shim's table of kinds (nslab_namespaces.h), which the probe shares.
    private var kind: nslab_namespace_kind { nslab_namespace_kind_named(rawValue).pointee }

    /// The flag that creates one with clone(2) or unshare(2).
    public var cloneFlag: Int32 { kind.flag }

    /// "CLONE_NEWUTS".
    public var flagName: String { String(cString: kind.flag_name) }

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
