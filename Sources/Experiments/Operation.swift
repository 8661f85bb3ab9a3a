import CShim
import Glibc

/// One call the child makes after its namespaces exist and before exec, in the order given,
/// described as its man page writes it: a failure reads `mount("none", "/x", "tmpfs", 0,
/// NULL): ENOENT`. A chapter that needs new work in the child adds a case here and in the
/// shim's nslab_operate, nothing else.
public enum Operation: Sendable, Equatable, CustomStringConvertible {
    case sethostname(String)
    case setdomainname(String)
    /// mkdir and rmdir: only in a directory on a tmpfs (the run's workbench), never on a disk.
    case mkdir(String, mode: UInt32 = 0o755)
    case rmdir(String)
    case mount(source: String?, target: String, fstype: String? = nil, flags: UInt = 0, data: String? = nil)
    case umount2(String, flags: Int32 = 0)
    case chdir(String)
    case chroot(String)
    case pivotRoot(newRoot: String, putOld: String)
    /// Writes `text` to the file whole, as `echo TEXT > PATH` would (without the newline).
    case write(String, to: String)
    case setresgid(UInt32)
    case setresuid(UInt32)
    /// setgroups(0, NULL): no supplementary groups.
    case clearGroups
    /// The capability sets, in libcap's text form: "cap_sys_admin=ep".
    case setCapabilities(String)
    /// `ip link set NAME up`: SIOCSIFFLAGS with IFF_UP; only in a network namespace the
    /// child proved the runner's.
    case setLinkUp(String)
    /// mount_setattr(2): MOUNT_ATTR_* flags set and cleared on a mount, or a whole tree.
    case setMountAttributes(String, set: UInt64, clear: UInt64 = 0, recursive: Bool)
    /// setrlimit(2), soft and hard limit alike.
    case setLimit(resource: Int32, Int)
    /// setns(2) into its own /proc/self/ns/time_for_children: the process enters the time
    /// namespace it made, whose offsets are then fixed (time_namespaces(7)).
    case enterTimeNamespace

    /// `mount -o remount,bind,ro` for a whole tree: MOUNT_ATTR_RDONLY.
    public static func readOnly(_ path: String) -> Operation {
        .setMountAttributes(path, set: nslab_mount_attr_rdonly, recursive: true)
    }

    /// `mount --make-rprivate /`: nothing mounted below / propagates back to the parent.
    public static let makeRootPrivate = Operation.mount(source: nil, target: "/", flags: UInt(MS_REC | MS_PRIVATE))
    /// `mount --make-rslave /`: mounts still come in from the parent, none go back.
    public static let makeRootSlave = Operation.mount(source: nil, target: "/", flags: UInt(MS_REC | MS_SLAVE))
    /// `mount --bind SOURCE TARGET`.
    public static func bind(_ source: String, _ target: String) -> Operation {
        .mount(source: source, target: target, flags: UInt(MS_BIND))
    }
    /// `mount -t proc proc /proc`: a /proc that shows the current PID namespace.
    public static let mountFreshProc = Operation.mount(source: "proc", target: "/proc", fstype: "proc",
                                                       flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC))
    /// What an unprivileged writer must do before it may write gid_map (user_namespaces(7)).
    public static let denySetgroups = Operation.write("deny", to: "/proc/self/setgroups")

    public var description: String {
        switch self {
        case .sethostname(let name): "sethostname(\(quoted(name)), \(name.utf8.count))"
        case .setdomainname(let name): "setdomainname(\(quoted(name)), \(name.utf8.count))"
        case .mkdir(let path, let mode): "mkdir(\(quoted(path)), 0\(String(mode, radix: 8)))"
        case .rmdir(let path): "rmdir(\(quoted(path)))"
        case .mount(let source, let target, let fstype, let flags, let data):
            "mount(\(quoted(source)), \(quoted(target)), \(quoted(fstype)), \(mountFlagNames(flags)), \(quoted(data)))"
        case .umount2(let target, let flags): "umount2(\(quoted(target)), \(umountFlagNames(flags)))"
        case .chdir(let path): "chdir(\(quoted(path)))"
        case .chroot(let path): "chroot(\(quoted(path)))"
        case .pivotRoot(let newRoot, let putOld): "pivot_root(\(quoted(newRoot)), \(quoted(putOld)))"
        case .write(let text, let path): "write \(path) \(quoted(text))"
        case .setresgid(let id): "setresgid(\(id), \(id), \(id))"
        case .setresuid(let id): "setresuid(\(id), \(id), \(id))"
        case .clearGroups: "setgroups(0, NULL)"
        case .setCapabilities(let text): "cap_set_proc(cap_from_text(\(quoted(text))))"
        case .setLinkUp(let name): "ioctl(SIOCSIFFLAGS, \(quoted(name)), IFF_UP)"
        case .setMountAttributes(let path, let set, let clear, let recursive):
            "mount_setattr(\(quoted(path)), \(recursive ? "AT_RECURSIVE" : "0"), set 0x\(String(set, radix: 16)), clear 0x\(String(clear, radix: 16)))"
        case .setLimit(let resource, let value): "setrlimit(\(Operation.limitNames[resource] ?? "\(resource)"), \(value))"
        case .enterTimeNamespace: "setns(/proc/self/ns/time_for_children, CLONE_NEWTIME)"
        }
    }

    /// The names of the resources setrlimit(2) is given here.
    static let limitNames: [Int32: String] = [Int32(__RLIMIT_NPROC.rawValue): "RLIMIT_NPROC", Int32(RLIMIT_DATA.rawValue): "RLIMIT_DATA"]

    /// The shim's record, a tagged union; strings live as long as `strings`.
    func record(_ strings: CStrings) throws -> nslab_operation {
        var op = nslab_operation()
        func kind(_ value: nslab_operation_kind) { op.kind = Int32(value.rawValue) }
        switch self {
        case .sethostname(let name): kind(NSLAB_OP_SETHOSTNAME); op.arguments.name = strings.optional(name)
        case .setdomainname(let name): kind(NSLAB_OP_SETDOMAINNAME); op.arguments.name = strings.optional(name)
        case .mkdir(let path, let mode): kind(NSLAB_OP_MKDIR); op.arguments.mkdir = .init(path: strings.optional(path), mode: mode)
        case .mount(let source, let target, let fstype, let flags, let data):
            kind(NSLAB_OP_MOUNT)
            op.arguments.mount = .init(source: strings.optional(source), target: strings.optional(target),
                                       fstype: strings.optional(fstype), data: strings.optional(data), flags: flags)
        case .rmdir(let path): kind(NSLAB_OP_RMDIR); op.arguments.path = strings.optional(path)
        case .umount2(let target, let flags): kind(NSLAB_OP_UMOUNT2); op.arguments.umount = .init(target: strings.optional(target), flags: flags)
        case .chdir(let path): kind(NSLAB_OP_CHDIR); op.arguments.path = strings.optional(path)
        case .chroot(let path): kind(NSLAB_OP_CHROOT); op.arguments.path = strings.optional(path)
        case .pivotRoot(let newRoot, let putOld):
            kind(NSLAB_OP_PIVOT_ROOT)
            op.arguments.pivot_root = .init(new_root: strings.optional(newRoot), put_old: strings.optional(putOld))
        case .write(let text, let path):
            kind(NSLAB_OP_WRITE_FILE); op.arguments.write_file = .init(path: strings.optional(path), text: strings.optional(text))
        case .setresgid(let id): kind(NSLAB_OP_SETRESGID); op.arguments.id = id
        case .setresuid(let id): kind(NSLAB_OP_SETRESUID); op.arguments.id = id
        case .clearGroups: kind(NSLAB_OP_SETGROUPS_EMPTY)
        case .setLinkUp(let name): kind(NSLAB_OP_LINK_UP); op.arguments.name = strings.optional(name)
        case .setMountAttributes(let path, let set, let clear, let recursive):
            kind(NSLAB_OP_MOUNT_SETATTR)
            op.arguments.mount_setattr = .init(path: strings.optional(path), set: set, clear: clear, recursive: recursive ? 1 : 0)
        case .setLimit(let resource, let value):
            kind(NSLAB_OP_SETRLIMIT); op.arguments.rlimit = .init(resource: resource, limit: UInt64(value))
        case .enterTimeNamespace: kind(NSLAB_OP_ENTER_TIME_FOR_CHILDREN)
        case .setCapabilities(let text):
            kind(NSLAB_OP_SET_CAPABILITIES)
            try withUnsafeMutableBytes(of: &op.arguments.capabilities) { buffer in
                let words = buffer.bindMemory(to: UInt32.self).baseAddress!
                try check("cap_from_text(\(quoted(text)))") { nslab_capabilities_from_text(text, words) }
            }
        }
        return op
    }
}

/// The uid and gid maps of a new user namespace, which the parent writes while the child
/// waits at its sync point (a process cannot map itself to ids it does not have).
public struct IDMaps: Sendable, Equatable {
    /// Written to /proc/PID/setgroups first: "deny", or nil to leave it.
    public var setgroups: String?
    public var uidMap: String
    public var gidMap: String

    public init(setgroups: String? = "deny", uidMap: String, gidMap: String) {
        self.setgroups = setgroups
        self.uidMap = uidMap
        self.gidMap = gidMap
    }

    /// Root in the new user namespace is root outside, as `unshare --map-root-user` maps it.
    public static let rootToRoot = IDMaps(uidMap: "0 0 1", gidMap: "0 0 1")

    /// The writes in order, as `write /proc/PID/uid_map "100 200 1"`.
    func writes(pid: pid_t) -> [(path: String, text: String)] {
        (setgroups.map { [("/proc/\(pid)/setgroups", $0)] } ?? [])
            + [("/proc/\(pid)/uid_map", uidMap), ("/proc/\(pid)/gid_map", gidMap)]
    }

    func write(pid: pid_t) throws(SystemCallError) {
        for (path, text) in writes(pid: pid) {
            let call = "write \(path) \(quoted(text))"
            let fd = try check(call) { open(path, O_WRONLY | O_CLOEXEC) }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written != bytes.count { throw SystemCallError(call, errno: written < 0 ? errno : EIO) }
        }
    }
}

/// A C string as a man page shows it: "text", or NULL.
func quoted(_ text: String?) -> String {
    text.map { "\"" + $0.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\n") + "\"" } ?? "NULL"
}

func mountFlagNames(_ flags: UInt) -> String {
    let names: [(Int, String)] = [
        (MS_REC, "MS_REC"), (MS_PRIVATE, "MS_PRIVATE"), (MS_SLAVE, "MS_SLAVE"), (MS_SHARED, "MS_SHARED"),
        (MS_UNBINDABLE, "MS_UNBINDABLE"), (MS_BIND, "MS_BIND"), (MS_MOVE, "MS_MOVE"), (MS_REMOUNT, "MS_REMOUNT"),
        (MS_RDONLY, "MS_RDONLY"), (MS_NOSUID, "MS_NOSUID"), (MS_NODEV, "MS_NODEV"), (MS_NOEXEC, "MS_NOEXEC"),
    ]
    let set = names.filter { flags & UInt(truncatingIfNeeded: $0.0) != 0 }.map(\.1)
    return set.isEmpty ? "0" : set.joined(separator: "|")
}

func umountFlagNames(_ flags: Int32) -> String {
    let names: [(Int, String)] = [(MNT_FORCE, "MNT_FORCE"), (MNT_DETACH, "MNT_DETACH"), (MNT_EXPIRE, "MNT_EXPIRE"),
                                    (UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW")]
    let set = names.filter { Int(flags) & $0.0 != 0 }.map(\.1)
    return set.isEmpty ? "0" : set.joined(separator: "|")
}
