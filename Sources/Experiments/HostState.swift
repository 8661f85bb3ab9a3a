import CShim
import Glibc

let hostText = HostText()

/// The contents of a file, or nil if it cannot be read. For the kernel's small text files.
public func readTextFile(_ path: String) -> String? {
    try? readFile(path, requireProc: false)
}

extension String {
    /// Without its final newline: a one-line kernel file's value.
    var trimmingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}

/// The contents of a file; with `requireProc`, only if it is a file of procfs, so that a
/// file mounted over it cannot stand in for what the kernel shows.
func readFile(_ path: String, requireProc: Bool) throws(SystemCallError) -> String {
    let fd = try check("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
    defer { close(fd) }
    if requireProc {
        guard try check("fstatfs(\(path))", { nslab_is_procfs(fd) }) == 1 else {
            throw SystemCallError("fstatfs(\(path))", errno: 0, detail: labText.notProcfs)
        }
    }
    // A page at a time: for a /proc/sys file the kernel allocates and zeroes a buffer of the
    // size asked for.
    var bytes: [UInt8] = []
    try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { chunk throws(SystemCallError) in
        while true {
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw SystemCallError("read(\(path))", errno: errno) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The names in a directory, without "." and "..", in its own order.
func directoryEntries(_ path: String) throws(SystemCallError) -> [String] {
    guard let directory = opendir(path) else { throw SystemCallError("opendir(\(path))", errno: errno) }
    defer { closedir(directory) }
    return entries(of: directory)
}

/// The names an open directory stream lists, without "." and "..", in its own order; those
/// `keep` takes, given each name and the type readdir(3) gives it (DT_DIR, DT_UNKNOWN…).
func entries(of directory: OpaquePointer, keeping keep: (String, UInt8) -> Bool = { _, _ in true }) -> [String] {
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != "..", keep(name, entry.pointee.d_type) { names.append(name) }
    }
    return names
}

/// The names of the directories in `path` (not symbolic links to one), from the type readdir(3)
/// gives: a cgroup holds far more files than cgroups, and a stat(2) of each costs.
func subdirectories(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    return entries(of: directory) { name, type in
        type == DT_DIR || (type == DT_UNKNOWN && isDirectory("\(path)/\(name)"))
    }
}

/// Whether `path` is a directory itself (not a symbolic link to one).
func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

/// Whether `path` names a directory, following symbolic links (a folder given by a user).
public func isFolder(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

/// The target of the symbolic link at `path`, as its bytes; nil when it is not one.
func linkTarget(_ path: String) -> [UInt8]? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(path, &buffer, buffer.count - 1)
    return count >= 0 ? buffer[..<count].map { UInt8(bitPattern: $0) } : nil
}

/// One line of a mountinfo(5) file: "id parent major:minor root mount-point options
/// [optional...] - fstype source super-options". The one reader of that format.
struct MountinfoLine {
    let id: Int
    let parent: Int
    let root: Substring
    let target: Substring
    /// The optional fields: "shared:12", "master:3"…, empty for a private mount.
    let optional: [Substring]
    let fstype: Substring
    let source: Substring
    let superOptions: Substring

    init?(_ line: Substring) {
        // By bytes: splitting a String by Characters costs grapheme breaking on every byte.
        let fields = line.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map(Substring.init)
        guard fields.count > 6, let dash = fields[6...].firstIndex(of: "-"), dash + 2 < fields.count,
              let id = Int(fields[0]), let parent = Int(fields[1]) else { return nil }
        self.id = id
        self.parent = parent
        root = fields[3]
        target = fields[4]
        optional = Array(fields[6..<dash])
        fstype = fields[dash + 1]
        source = fields[dash + 2]
        superOptions = dash + 3 < fields.count ? fields[dash + 3] : ""
    }

    /// Every line of `mountinfo`, in its order (the last at a mount point is on top).
    static func lines(of mountinfo: String) -> [MountinfoLine] {
        mountinfo.utf8.split(separator: UInt8(ascii: "\n")).map(Substring.init).compactMap(MountinfoLine.init)
    }

    /// The mounts of this process's mount namespace; none when they cannot be read, so that
    /// nothing is taken as mounted.
    static func ofThisProcess() -> [MountinfoLine] {
        lines(of: (try? readFile("/proc/self/mountinfo", requireProc: true)) ?? "")
    }
}

/// Copies a file whole (a static busybox, the probe) and gives the copy `mode`.
func copyFile(from source: String, to destination: String, mode: mode_t) throws {
    let input = try check("open(\(source))") { open(source, O_RDONLY | O_CLOEXEC) }
    defer { close(input) }
    let output = try check("open(\(destination))") { open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
    defer { close(output) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(input, &buffer, buffer.count)
        if count < 0 { throw SystemCallError("read(\(source))", errno: errno) }
        if count == 0 { break }
        if buffer.withUnsafeBytes({ write(output, $0.baseAddress, count) }) != count {
            throw SystemCallError("write(\(destination))", errno: errno)
        }
    }
    _ = fchmod(output, mode)
}

/// A System V IPC object as /proc/sysvipc lists it.
public struct SysVObject: Hashable, Sendable, CustomStringConvertible {
    public let kind: String
    public let key: Int
    public let id: Int
    public var description: String { "\(kind) key 0x\(String(UInt32(truncatingIfNeeded: key), radix: 16)) id \(id)" }
}

/// What a run could leave behind in the host it runs in, were a guard to fail: the names it
/// sets, the SysV IPC keys it chooses, the links and mount points it makes. The real host is
/// compared on these alone, so that what other processes do there never fails a run.
public struct Footprint: Sendable {
    public var names: Set<String> = []
    public var ipcKeys: Set<Int> = []
    public var links: Set<String> = []
    public var mountPoints: Set<String> = []
    /// Mounts the run makes where others may mount too (/mnt, /run), known by their source:
    /// "nslab-workbench" on /mnt is the run's, another tmpfs there is not.
    public var mountSources: Set<String> = []
    /// The names of the cgroups the run makes in the runner's own (nslab-run-…).
    public var cgroupNames: Set<String> = []
    /// The names `ip netns` gives a network namespace (files in /run/netns).
    public var netnsNames: Set<String> = []

    public init(names: Set<String> = [], ipcKeys: Set<Int> = [], links: Set<String> = [], mountPoints: Set<String> = [],
                mountSources: Set<String> = [], cgroupNames: Set<String> = [], netnsNames: Set<String> = []) {
        self.names = names
        self.ipcKeys = ipcKeys
        self.links = links
        self.mountPoints = mountPoints
        self.mountSources = mountSources
        self.cgroupNames = cgroupNames
        self.netnsNames = netnsNames
    }

    /// The parts of a host's state where a difference could be this footprint's: the only
    /// ones worth reading to compare on it.
    public var parts: HostState.Parts {
        var parts: HostState.Parts = []
        if !names.isEmpty { parts.insert(.names) }
        if !ipcKeys.isEmpty { parts.insert(.sysvipc) }
        if !links.isEmpty { parts.insert(.links) }
        if !mountPoints.isEmpty || !mountSources.isEmpty { parts.insert(.mounts) }
        if !cgroupNames.isEmpty { parts.insert(.cgroups) }
        if !netnsNames.isEmpty { parts.insert(.netnsNames) }
        return parts
    }

    public func union(_ other: Footprint) -> Footprint {
        Footprint(names: names.union(other.names), ipcKeys: ipcKeys.union(other.ipcKeys),
                  links: links.union(other.links), mountPoints: mountPoints.union(other.mountPoints),
                  mountSources: mountSources.union(other.mountSources), cgroupNames: cgroupNames.union(other.cgroupNames),
                  netnsNames: netnsNames.union(other.netnsNames))
    }
}

/// What a host shows of the state experiments must never change, read from the kernel by
/// the runner itself: names, SysV IPC objects, mounts, network devices, named network
/// namespaces and nslab's cgroups. Names come from
/// uname(2) and links from netlink (if_nameindex(3)), which no mount can hide; the rest from
/// procfs files that are proved to be procfs. A read that fails is kept as such: it can never
/// compare as "unchanged".
public struct HostState: Sendable {
    public let hostname: String?
    public let domainname: String?
    public let sysvipc: Set<SysVObject>?
    /// "mount point, propagation, filesystem, source" of each line of mountinfo (ids are reused).
    public let mounts: [String]?
    public let links: Set<String>?
    /// The cgroups named nslab-… in the reader's own cgroups, and all below them
    /// (CgroupHierarchy.nslabDirectories): a run's or a grade's, left behind; in the runner's
    /// sandbox, those below the run's cgroup.
    public let cgroups: [String]
    /// What could not be read, with the call and errno: "open(/proc/sysvipc/msg): ENOENT".
    public let unreadable: [String]
    /// The names in /run/netns, where `ip netns` names network namespaces: a file there
    /// outlives the run that made it even without its mount. Empty when there is no such folder.
    public var netnsNames: Set<String>? = nil

    /// What a read takes: a part left out reads as nil (cgroups: none), which compares as unchanged.
    public struct Parts: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let names = Parts(rawValue: 1 << 0)
        public static let sysvipc = Parts(rawValue: 1 << 1)
        public static let mounts = Parts(rawValue: 1 << 2)
        public static let links = Parts(rawValue: 1 << 3)
        public static let cgroups = Parts(rawValue: 1 << 4)
        public static let netnsNames = Parts(rawValue: 1 << 5)
        public static let all: Parts = [.names, .sysvipc, .mounts, .links, .cgroups, .netnsNames]
    }

    /// Reads `parts` of it now. `leftCgroups` false leaves out the nslab-… cgroups of the
    /// machine's tree (a run's cgroup is still read below): the runner in its sandbox shares
    /// that tree with the supervisor, which compares it.
    public static func read(_ parts: Parts = .all, leftCgroups: Bool = true) -> HostState {
        var unreadable: [String] = []
        // A part asked for (any of `needed`), read; nil when none was asked for or it failed.
        func attempt<T>(_ needed: Parts, _ body: () throws(SystemCallError) -> T) -> T? {
            guard !parts.isDisjoint(with: needed) else { return nil }
            do { return try body() } catch {
                unreadable.append(error.description)
                return nil
            }
        }
        var names = utsname()
        let named = attempt(.names) { () throws(SystemCallError) in try check("uname") { uname(&names) } } != nil
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let sysvipc = attempt(.sysvipc) { () throws(SystemCallError) -> Set<SysVObject> in
            var objects: Set<SysVObject> = []
            for kind in ["msg", "shm", "sem"] {
                // After the header: key and id identify an object.
                for line in try readFile("/proc/sysvipc/\(kind)", requireProc: true).split(separator: "\n").dropFirst() {
                    let fields = line.split(separator: " ")
                    if fields.count > 1, let key = Int(fields[0]), let id = Int(fields[1]) {
                        objects.insert(SysVObject(kind: kind, key: key, id: id))
                    }
                }
            }
            return objects
        }
        let mountinfo = attempt([.mounts, .cgroups]) { () throws(SystemCallError) in
            try readFile("/proc/self/mountinfo", requireProc: true)
        }
        // From the fifth field on: ids and roots are reused, the rest says what is where.
        let mounts = !parts.contains(.mounts) ? nil : mountinfo.map {
            $0.utf8.split(separator: UInt8(ascii: "\n")).map { line in
                let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 4)
                return String(Substring(fields.count > 4 ? fields[4] : line))
            }.sorted()
        }
        let links = attempt(.links) { () throws(SystemCallError) -> Set<String> in
            guard let list = if_nameindex() else { throw SystemCallError("if_nameindex", errno: errno) }
            defer { if_freenameindex(list) }
            var names: Set<String> = []
            var entry = list
            while entry.pointee.if_index != 0 {
                names.insert(String(cString: entry.pointee.if_name))
                entry += 1
            }
            return names
        }
        // The runner in its sandbox looks below the run's cgroup, all its experiments could
        // leave; outside, every nslab-… cgroup a run or a grade could leave.
        let cgroups = !parts.contains(.cgroups) ? [] : (RunCgroup.inherited.map { cgroupDirectories(from: $0.path).dropFirst().map { $0 } }
            ?? (leftCgroups ? CgroupHierarchy.mounted(MountinfoLine.lines(of: mountinfo ?? "")).flatMap(\.nslabDirectories) : [])).sorted()
        let netnsNames = attempt(.netnsNames) { () throws(SystemCallError) -> Set<String> in
            do throws(SystemCallError) { return Set(try directoryEntries("/run/netns")) } catch {
                if error.errno == ENOENT { return [] }
                throw error
            }
        }
        return HostState(hostname: named ? field(names.nodename) : nil, domainname: named ? field(names.__domainname) : nil,
                         sysvipc: sysvipc, mounts: mounts, links: links, cgroups: cgroups, unreadable: unreadable,
                         netnsNames: netnsNames)
    }

    /// One line per difference between `self` (before) and `after`; empty when identical and
    /// every read worked.
    public func differences(to after: HostState) -> [Message] {
        differences(to: after, within: nil)
    }

    /// The differences that the run itself could have made, as `footprint` says; nil: all.
    public func differences(to after: HostState, within footprint: Footprint?) -> [Message] {
        var lines = (unreadable + after.unreadable).map { hostText.unreadable($0) }
        func name(_ label: Message, _ old: String?, _ new: String?) {
            guard let old, let new, old != new else { return }
            if footprint.map({ $0.names.contains(new) }) ?? true { lines.append(hostText.renamed(label, old, new)) }
        }
        func compare<T: Hashable & CustomStringConvertible>(_ label: Message, _ old: [T]?, _ new: [T]?, ours: (T) -> Bool) {
            guard let old, let new else { return }
            let before = Set(old), now = Set(new)
            let added = new.filter { !before.contains($0) && (footprint == nil || ours($0)) }
            let removed = old.filter { !now.contains($0) && (footprint == nil || ours($0)) }
            if !added.isEmpty { lines.append(hostText.added(label, Message.list(added.map(\.description)))) }
            if !removed.isEmpty { lines.append(hostText.removed(label, Message.list(removed.map(\.description)))) }
        }
        name(hostText.hostname, hostname, after.hostname)
        name(hostText.domainname, domainname, after.domainname)
        compare(hostText.sysvipc, sysvipc.map { $0.sorted { $0.description < $1.description } },
                after.sysvipc.map { $0.sorted { $0.description < $1.description } }) { footprint?.ipcKeys.contains($0.key) ?? true }
        compare(hostText.mounts, mounts, after.mounts) { line in
            // "mount point, options - fstype source …": by its point, or by its source.
            guard let footprint else { return true }
            let fields = line.split(separator: " ")
            let source = fields.firstIndex(of: "-").flatMap { $0 + 2 < fields.count ? String(fields[$0 + 2]) : nil }
            return footprint.mountPoints.contains(String(fields.first ?? "")) || source.map(footprint.mountSources.contains) == true
        }
        compare(hostText.devices, links?.sorted(), after.links?.sorted()) { footprint?.links.contains($0) ?? true }
        compare(hostText.netnsNames, netnsNames?.sorted(), after.netnsNames?.sorted()) { footprint?.netnsNames.contains($0) ?? true }
        compare(hostText.cgroups, cgroups, after.cgroups) { path in
            footprint.map { footprint in path.split(separator: "/").contains { footprint.cgroupNames.contains(String($0)) } } ?? true
        }
        return lines
    }
}

/// How a difference of the host is told.
final class HostText: MessageTable {
    let unreadable = Template("could not read: {0}", zh: "无法读取：{0}")
    let renamed = Template("{0} {1} → {2}", zh: "{0} {1} → {2}")
    let added = Template("{0} added: {1}", zh: "{0}新增：{1}")
    let removed = Template("{0} removed: {1}", zh: "{0}移除：{1}")
    let hostname = Message("hostname", zh: "主机名")
    let domainname = Message("domainname", zh: "NIS 域名")
    let sysvipc = Message("SysV IPC", zh: "SysV IPC 对象")
    let mounts = Message("mounts", zh: "挂载")
    let devices = Message("network devices", zh: "网络设备")
    let cgroups = Message("cgroups", zh: "cgroup")
    let netnsNames = Message("named network namespaces (/run/netns)", zh: "有名字的网络命名空间（/run/netns）")
}

extension Substring {
    var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
