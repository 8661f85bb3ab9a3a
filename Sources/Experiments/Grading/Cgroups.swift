import CShim
import FoundationEssentials
import Glibc

/// The cgroups that bound a student's program: its memory (the kernel's OOM killer ends it
/// past the limit) and its processes. The supervising runner makes one cgroup for the run,
/// outside every namespace of it, and removes it when the run ends, also an interrupted one.
/// Below it, each checkout's grader is started in a cgroup of its own, and everything it
/// starts is born there: each exercise's sandbox and program in turn (one at a time, every
/// process of one ended before the next), and its build. Born, not moved: the kernel moves a
/// process into a cgroup only after an RCU grace period (cgroup_threadgroup_rwsem), 10 to
/// 30 ms on the machines measured, which a cgroup per exercise would pay every time.
///
/// The grader's own processes in there are shielded from the OOM killer (oom_score_adj
/// -1000), the program's are not; the process limit of the cgroup leaves room for the
/// grader's, the program's own is RLIMIT_NPROC per id.
///
/// cgroup v2 (hosted CI runners) has one hierarchy: the run's cgroup goes below the nearest
/// cgroup of the runner's own that hands memory and pids on to its children (the root does).
/// cgroup v1 (this project's own machines) has one hierarchy per controller: the run's
/// cgroup goes below the runner's own in the memory and in the pids hierarchy. A controller
/// mounted as v1 is used there, else the unified hierarchy's.
public struct GradingCgroups: Codable, Sendable, Equatable {
    /// The run's cgroup in one hierarchy.
    public struct Directory: Codable, Sendable, Equatable {
        public let path: String
        /// 1 or 2.
        public let version: Int
        /// Of "memory" and "pids", those this hierarchy bounds.
        public let controllers: [String]
    }

    public let directories: [Directory]

    /// The variable that hands the run's cgroups to the runner in its sandbox and its graders.
    public static let variable = "NSLAB_CGROUPS"
    static let controllers = ["memory", "pids"]

    /// Makes the run's cgroups; nil, and why, when this host gives none (no controller, a
    /// read-only cgroupfs as in most containers): the grader then bounds with rlimits.
    public static func makeForRun() -> (cgroups: GradingCgroups?, problem: Message?) {
        var made: [Directory] = []
        var problems: [String] = []
        // A name no other run has, in this PID namespace or another: never one to share.
        let name = "nslab-grade-" + String(UInt64.random(in: 1...UInt64.max), radix: 16)
        for (parent, version, controllers) in hierarchies() {
            let path = "\(parent)/\(name)"
            if mkdir(path, 0o755) != 0 {
                problems.append("mkdir \(path): \(errnoName(errno))")
                continue
            }
            // v2 hands a controller on only where the parent's subtree_control names it.
            if version == 2, !writeFile("\(path)/cgroup.subtree_control", controllers.map { "+\($0)" }.joined(separator: " ")) {
                problems.append("\(path)/cgroup.subtree_control: \(errnoName(errno))")
                rmdir(path)
                continue
            }
            made.append(Directory(path: path, version: version, controllers: controllers))
        }
        let covered = Set(made.flatMap(\.controllers))
        guard covered == Set(controllers) else {
            made.reversed().forEach { rmdir($0.path) }
            let uncovered = controllers.filter { !covered.contains($0) }
            let missing = uncovered.count == 2 ? gradingText.both(uncovered[0], uncovered[1]) : Message.list(uncovered)
            return (nil, problems.isEmpty ? gradingText.noCgroupHere(missing) : gradingText.noCgroup(missing, problems.joined(separator: "; ")))
        }
        return (GradingCgroups(directories: made), nil)
    }

    /// Where each controller's run cgroup can go: for each hierarchy, the runner's own cgroup
    /// there (v1) or its nearest ancestor that hands memory and pids on (v2).
    static func hierarchies() -> [(parent: String, version: Int, controllers: [String])] {
        let mounted = CgroupHierarchy.mounted()
        var found: [(String, Int, [String])] = []
        var left = Set(controllers)
        // v1: a hierarchy of the controller's own.
        for controller in controllers {
            guard let hierarchy = mounted.first(where: { $0.version == 1 && $0.controllers.contains(controller) }) else { continue }
            found.append((hierarchy.ownDirectory, 1, [controller]))
            left.remove(controller)
        }
        // v2: the rest, from the unified hierarchy.
        if !left.isEmpty, let unified = mounted.first(where: { $0.version == 2 }) {
            var candidate = unified.ownDirectory
            while true {
                let handed = Set((readTextFile("\(candidate)/cgroup.subtree_control") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
                if left.isSubset(of: handed) {
                    found.append((candidate, 2, left.sorted()))
                    break
                }
                guard candidate.count > unified.mountPoint.count, let slash = candidate.lastIndex(of: "/") else { break }
                candidate = String(candidate[..<slash])
            }
        }
        return found
    }

    /// The cgroup of checkout `index`'s grader, below the run's, bounding `memory` bytes and
    /// `processes` processes.
    public func makeCheckout(_ index: Int, memory: Int, processes: Int) throws -> CheckoutCgroup {
        let cgroup = checkout(index)
        do {
            for path in cgroup.paths {
                try check("mkdir(\(path.path))") { mkdir(path.path, 0o755) }
                let controllers = directories.first { path.path.hasPrefix($0.path + "/") }?.controllers ?? []
                for controller in controllers {
                    for (file, value) in CheckoutCgroup.limits(controller, version: path.version, memory: memory, processes: processes) {
                        // The swap limits exist only where swap is accounted: leave them when absent.
                        if access("\(path.path)/\(file)", F_OK) != 0 && file.contains("sw") { continue }
                        guard writeFile("\(path.path)/\(file)", value) else {
                            throw SystemCallError("write \(path.path)/\(file) \(value)", errno: errno)
                        }
                    }
                }
            }
        } catch {
            cgroup.remove()
            throw error
        }
        return cgroup
    }

    /// Where checkout `index`'s cgroup is (its grader finds it so too).
    public func checkout(_ index: Int) -> CheckoutCgroup {
        CheckoutCgroup(paths: directories.map { CheckoutCgroup.Path(path: "\($0.path)/checkout-\(index)", version: $0.version) })
    }

    /// Removes the run's cgroups and whatever is left below them, deepest first; the ones
    /// that could not be removed, with why.
    public func remove() -> [String] {
        directories.compactMap { nslab_remove_cgroup_tree($0.path) == 0 ? nil : "\($0.path): \(errnoName(errno))" }
    }

    /// Forks a janitor (nslab_cgroup_janitor) that removes the run's cgroups once this process
    /// has ended, however it ends: a supervisor killed with SIGKILL cannot remove them itself.
    /// The write end of the janitor's pipe stays open, close-on-exec, for the rest of this
    /// process's life; after a normal `remove` the janitor finds nothing left.
    public func removeWhenThisProcessEnds() {
        _ = try? CgroupJanitor.start(directories.map(\.path))
    }

    /// The run's cgroups, as the supervisor handed them on; nil when there are none.
    public static var inherited: GradingCgroups? { try? environmentValue(variable, as: GradingCgroups.self) }

    public var environmentEntry: String { Experiments.environmentEntry(GradingCgroups.variable, self) }
}

/// One checkout's grader's cgroup, in each hierarchy of the run's.
public struct CheckoutCgroup: Sendable {
    struct Path: Sendable {
        let path: String
        let version: Int
    }
    let paths: [Path]

    /// The cgroups a process joins (ProcessSpec.cgroups).
    public var directories: [String] { paths.map(\.path) }

    /// The most ids a sandbox maps (root and an exercise's four), each with its own
    /// RLIMIT_NPROC count, and room for the grader's own processes and threads.
    static let processRoom = (ids: 5, grader: 64)

    static func limits(_ controller: String, version: Int, memory: Int, processes: Int) -> [(String, String)] {
        switch (controller, version) {
        // No swap either: past the limit the OOM killer comes, never a slow crawl.
        case ("memory", 2): [("memory.max", "\(memory)"), ("memory.swap.max", "0")]
        case ("memory", _): [("memory.limit_in_bytes", "\(memory)"), ("memory.memsw.limit_in_bytes", "\(memory)")]
        default: [("pids.max", "\(processes * processRoom.ids + processRoom.grader)")]
        }
    }

    /// How many processes the kernel's OOM killer ended here (memory.events, or v1's
    /// memory.oom_control): past the memory limit.
    var oomKills: Int {
        paths.reduce(0) { total, path in
            let file = path.version == 2 ? "memory.events" : "memory.oom_control"
            let line = (readTextFile("\(path.path)/\(file)") ?? "").split(separator: "\n").first { $0.hasPrefix("oom_kill ") }
            return total + (line.flatMap { Int($0.dropFirst("oom_kill ".count)) } ?? 0)
        }
    }

    /// This cgroup when `pid` is in it (in every hierarchy), else nil.
    func madeFor(_ pid: pid_t) -> CheckoutCgroup? {
        paths.allSatisfy { path in
            (readTextFile("\(path.path)/cgroup.procs") ?? "").split(separator: "\n").contains { pid_t($0) == pid }
        } ? self : nil
    }

    /// The processes in it, by the reader's pids (cgroup.procs); nil when it cannot be read.
    var processes: [pid_t]? {
        guard let first = paths.first, let text = readTextFile("\(first.path)/cgroup.procs") else { return nil }
        return text.split(separator: "\n").compactMap { pid_t($0) }
    }

    /// Removes it (its processes are gone by then); what could not be is left for the run's
    /// removal at the end.
    public func remove() {
        for path in paths.reversed() { rmdir(path.path) }
    }
}

/// Writes `text` to a file that exists (a cgroup's, a sysctl): true when it took it whole.
func writeFile(_ path: String, _ text: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
}
