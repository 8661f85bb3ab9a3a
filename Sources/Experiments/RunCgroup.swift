import CShim
import FoundationEssentials
import Glibc

/// The run's cgroup: the chapters that put processes in cgroups of their own
/// (cgroup-namespace, clone-vs-unshare) make those below it. The supervising runner makes it
/// below its own cgroup, outside every namespace of the run, and forks a janitor that removes
/// it, and all below it, when the runner ends, however it ends (nslab_cgroup_janitor): the
/// kernel removes no cgroup by itself. The janitor holds an flock(2) on it, so that a run
/// whose janitor was killed too (the runner was pid 1 of a PID namespace that died with it)
/// leaves a cgroup the next run knows for stale and removes.
///
/// One hierarchy: the unified one (cgroup v2) wherever cgroup2 is mounted (/sys/fs/cgroup on
/// v2 hosts, /sys/fs/cgroup/unified beside v1's), else cgroup v1's pids hierarchy.
public struct RunCgroup: Codable, Sendable, Equatable {
    /// Its directory: /sys/fs/cgroup/unified/nslab-run-1f2e….
    public let path: String
    /// Its path in the hierarchy as /proc/self/cgroup shows it to the runner: /nslab-run-1f2e….
    public let hierarchyPath: String
    /// 2, or 1 for the v1 pids hierarchy.
    public let version: Int
    /// How its hierarchy's line of /proc/PID/cgroup starts: "0::" (v2), "8:pids:" (v1).
    public let linePrefix: String
    /// Set for the part of one experiment of a run that runs several at once: the directory
    /// named after the experiment, in which it makes its cgroups.
    public var experiment: String? = nil

    /// The variable that hands it to the runner in its sandbox.
    public static let variable = "NSLAB_RUN_CGROUP"
    static let namePrefix = "nslab-run-"

    /// The name of its directory.
    public var name: String { String(path[path.index(after: path.lastIndex(of: "/")!)...]) }

    /// The cgroup `relative` below it ("cgroup-namespace/root"); in an experiment's part, the
    /// directory named after the experiment is the part itself, so that its paths read the same.
    public func below(_ relative: String) -> LabCgroup {
        let inPart = experiment.flatMap { name in
            relative == name ? "" : relative.hasPrefix(name + "/") ? String(relative.dropFirst(name.count)) : nil
        }
        let suffix = inPart ?? "/" + relative
        return LabCgroup(path: path + suffix, hierarchyPath: hierarchyPath + suffix, version: version)
    }

    /// The run's cgroup, as the supervisor handed it on (read once); nil when there is none.
    public static let inherited: RunCgroup? = try? environmentValue(variable, as: RunCgroup.self)

    /// A cgroup of its own below this one, made now, for one experiment of a run that runs
    /// several at once: what each makes stays out of the others' sight.
    public func part(_ name: String) throws -> RunCgroup {
        let part = RunCgroup(path: "\(path)/\(name)", hierarchyPath: "\(hierarchyPath)/\(name)",
                             version: version, linePrefix: linePrefix, experiment: name)
        try check("mkdir(\(part.path))") { mkdir(part.path, 0o755) }
        return part
    }

    /// Removes it and every cgroup below it; false when one could not be removed.
    @discardableResult
    public func remove() -> Bool { nslab_remove_cgroup_tree(path) == 0 }

    public var environmentEntry: String { Experiments.environmentEntry(RunCgroup.variable, self) }

    /// Where a run's cgroup goes in this host: below the runner's own cgroup in the unified
    /// hierarchy, else in v1's pids hierarchy; nil when neither is mounted. NSLAB_CGROUP_V1=1
    /// chooses v1's where both are mounted (a hybrid host: the tests run both).
    static func parent() -> CgroupHierarchy? {
        let mounted = CgroupHierarchy.mounted()
        let v1 = mounted.first { $0.controllers.contains("pids") }
        if getenv(preferV1Variable).map({ String(cString: $0) }) == "1", let v1 { return v1 }
        return mounted.first { $0.version == 2 } ?? v1
    }

    static let preferV1Variable = "NSLAB_CGROUP_V1"

    /// Why no run cgroup can be made here; nil when one can (a hierarchy, and its directory
    /// writable: not a container's read-only cgroupfs).
    public static var problem: Message? {
        guard let parent = parent() else { return supportText.noCgroupHierarchy }
        var info = statvfs()
        if access(parent.ownDirectory, W_OK) != 0 || (statvfs(parent.ownDirectory, &info) == 0 && info.f_flag & UInt(ST_RDONLY) != 0) {
            return supportText.cgroupNotWritable(parent.ownDirectory)
        }
        return nil
    }

    /// Makes the run's cgroup, with its janitor, after removing any stale one a killed run left.
    public static func make() throws -> RunCgroupKeeper {
        guard let parent = parent() else { throw LabError(supportText.noCgroupHierarchy) }
        removeStale(in: parent.ownDirectory)
        for _ in 0..<3 {
            let name = namePrefix + String(UInt64.random(in: 1...UInt64.max), radix: 16)
            let path = "\(parent.ownDirectory)/\(name)"
            try check("mkdir(\(path))") { mkdir(path, 0o755) }
            // Until it is locked, another run's sweep may take it for stale and remove it (open
            // then fails, or it is gone once locked): then another name.
            let lock = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard lock >= 0 else { continue }
            guard flock(lock, LOCK_EX | LOCK_NB) == 0, access(path, F_OK) == 0 else {
                close(lock)
                continue
            }
            defer { close(lock) }  // the janitor holds it
            let janitor: CgroupJanitor
            do { janitor = try CgroupJanitor.start([path], lock: lock, startingGracePeriod: true) } catch {
                rmdir(path)
                throw error
            }
            let cgroup = RunCgroup(path: path, hierarchyPath: (parent.ownPath == "/" ? "" : parent.ownPath) + "/\(name)",
                                   version: parent.version, linePrefix: parent.linePrefix)
            return RunCgroupKeeper(cgroup: cgroup, janitor: janitor)
        }
        throw LabError(supportText.noCgroupHierarchy)
    }

    /// Removes the run cgroups in `directory` whose janitor is gone (their lock is free).
    static func removeStale(in directory: String) {
        for name in (try? directoryEntries(directory)) ?? [] where name.hasPrefix(namePrefix) {
            let path = "\(directory)/\(name)"
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { _ = nslab_remove_cgroup_tree(path) }
            close(fd)
        }
    }
}

/// A cgroup janitor (nslab_cgroup_janitor), as the process that started it holds it: its pid
/// and the write end of its pipe, which releases it when closed.
struct CgroupJanitor {
    let pid: pid_t
    let release: Int32

    /// Forks the janitor of the cgroups `paths`, holding `lock` (an flock on one, or -1). With
    /// `startingGracePeriod`, it moves a process into the first at once (nslab_cgroup_janitor):
    /// for a run's cgroup, whose processes come later.
    static func start(_ paths: [String], lock: Int32 = -1, startingGracePeriod: Bool = false) throws -> CgroupJanitor {
        let copies = paths.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var arguments = copies.map { UnsafePointer($0) }
        var release: Int32 = -1
        let pid = nslab_cgroup_janitor(&arguments, Int32(arguments.count), lock, startingGracePeriod ? 1 : 0, &release)
        guard pid > 0 else { throw SystemCallError("fork (the cgroup janitor of \(paths.joined(separator: ", ")))", errno: errno) }
        return CgroupJanitor(pid: pid, release: release)
    }
}

/// The supervisor's hold on the run's cgroup: `finish` lets the janitor remove it and waits.
public final class RunCgroupKeeper {
    public let cgroup: RunCgroup
    private let janitor: CgroupJanitor
    private var finished = false

    init(cgroup: RunCgroup, janitor: CgroupJanitor) {
        self.cgroup = cgroup
        self.janitor = janitor
    }

    /// Lets the janitor remove the cgroup (every process of the run has ended by now) and waits
    /// for it; true when it removed everything.
    @discardableResult
    public func finish() -> Bool {
        guard !finished else { return false }
        finished = true
        close(janitor.release)
        return (try? reap(janitor.pid, timeout: 15, command: "the cgroup janitor")) == .exited(0)
    }

    deinit { finish() }
}

extension ProbeReport {
    /// Its cgroup in the run's hierarchy, the path of the line of /proc/self/cgroup that
    /// starts with `run.linePrefix`: "/…/root" outside, "/" at a cgroup namespace's root.
    public func cgroupPath(in run: RunCgroup) -> String? {
        cgroup?.split(separator: "\n").first { $0.hasPrefix(run.linePrefix) }.map { String($0.dropFirst(run.linePrefix.count)) }
    }
}

/// A cgroup a lab made below the run's.
public struct LabCgroup: Sendable, Equatable {
    /// Its directory.
    public let path: String
    /// Its path as /proc/self/cgroup shows it to the runner.
    public let hierarchyPath: String
    public let version: Int

    /// Moves process `pid` (as the runner counts pids) in, as `echo PID > cgroup.procs` does.
    public func move(_ pid: pid_t) throws {
        try write("cgroup.procs", "\(pid)")
    }

    /// Writes `value` to one of its files: a limit, say.
    public func write(_ file: String, _ value: String) throws {
        guard writeFile("\(path)/\(file)", value) else {
            throw SystemCallError("write \(path)/\(file) \(value)", errno: errno)
        }
    }
}

/// A cgroup hierarchy mounted where this process runs, and this process's own cgroup in it.
struct CgroupHierarchy {
    let mountPoint: String
    /// 2 for the unified hierarchy, 1 for a v1 one.
    let version: Int
    /// v1: the hierarchy's controllers and name, as its super options list them ("pids",
    /// "name=systemd"); v2: none.
    let controllers: Set<String>
    /// How its line of /proc/PID/cgroup starts: "0::", "8:pids:".
    let linePrefix: String
    /// This process's cgroup in it, as /proc/self/cgroup shows it: "/", "/user.slice/….scope".
    let ownPath: String
    /// That cgroup's directory.
    let ownDirectory: String

    /// Every cgroup hierarchy mounted here (the first mount of each), with this process's
    /// cgroup in it.
    static func mounted(_ mounts: [MountinfoLine] = MountinfoLine.ofThisProcess()) -> [CgroupHierarchy] {
        // "ID:CONTROLLERS:PATH", one line per hierarchy.
        let lines = (readTextFile("/proc/self/cgroup") ?? "").split(separator: "\n").map {
            $0.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        }.filter { $0.count == 3 }
        var found: [CgroupHierarchy] = []
        for mount in mounts where mount.fstype == "cgroup2" || mount.fstype == "cgroup" {
            let version = mount.fstype == "cgroup2" ? 2 : 1
            let options = Set(mount.superOptions.split(separator: ",").map(String.init))
            let line = lines.first { version == 2 ? $0[0] == "0" && $0[1].isEmpty
                : !$0[1].isEmpty && Set($0[1].split(separator: ",").map(String.init)).isSubset(of: options) }
            guard let line, !found.contains(where: { $0.linePrefix == "\(line[0]):\(line[1]):" }) else { continue }
            let root = String(mount.root), own = line[2]
            // The mount shows the hierarchy from `root` down (a cgroup namespace's, a bind mount's).
            let below = root == "/" ? own : own.hasPrefix(root) ? String(own.dropFirst(root.count)) : own
            found.append(CgroupHierarchy(mountPoint: String(mount.target), version: version,
                                         controllers: version == 2 ? [] : options.intersection(line[1].split(separator: ",").map(String.init)),
                                         linePrefix: "\(line[0]):\(line[1]):", ownPath: own,
                                         ownDirectory: String(mount.target) + (below == "/" ? "" : below)))
        }
        return found
    }

    /// The directories named nslab-… in this process's own cgroup, and every one below them:
    /// what a run or a grade leaves, were its janitor to fail.
    var nslabDirectories: [String] {
        subdirectories(ownDirectory).filter { $0.hasPrefix("nslab-") }.flatMap { cgroupDirectories(from: "\(ownDirectory)/\($0)") }
    }
}

/// The cgroup directory `path` and every one below it.
func cgroupDirectories(from path: String) -> [String] {
    func tree(_ path: String) -> [String] { [path] + subdirectories(path).flatMap { tree("\(path)/\($0)") } }
    return isDirectory(path) ? tree(path) : []
}

