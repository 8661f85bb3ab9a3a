import FoundationEssentials
import Glibc

/// A checkout's build: in a sandbox like an exercise's (without /exercise), under the course's
/// limits, once per content in a run. Checkouts whose files and build line are the same build
/// once: the first builds while the others wait on a lock, then take its result, after making
/// sure the files really are the same (the key is only a hash).
enum Builds {
    static var cache: String { "\(Workbench.path)/grade/builds" }

    /// Builds `command` in the workspace's /work/checkout, or takes an identical checkout's
    /// build. Throws when the grader could not run it at all.
    static func build(_ command: String, in workspace: GradingWorkspace, limits: Course.Limits, cgroup: CheckoutCgroup?) throws
        -> BuildResult
    {
        try Workbench.makeDirectories(cache)
        let key = String(TreeDigest.of(workspace.work, salt: command), radix: 16)
        let entry = "\(cache)/\(key)"
        // Identical checkouts wait for the first one's build: a lock, not a sleep, held at most
        // as long as that build may run.
        let lock = try check("open(\(entry).lock)") { open("\(entry).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            if errno != EINTR { throw SystemCallError("flock(\(entry).lock, LOCK_EX)", errno: errno) }
        }
        defer { flock(lock, LOCK_UN) }
        let decoder = JSONDecoder()
        if let text = readTextFile("\(entry)/outcome.json"), let outcome = try? decoder.decode(BuildResult.self, from: Data(text.utf8)),
           TreeDigest.same("\(entry)/source", workspace.work) {
            try copyTree("\(entry)/work", to: workspace.work)
            try workspace.ownTree(workspace.work)
            return BuildResult(command: outcome.command, passed: outcome.passed, ended: outcome.ended, firstErrors: outcome.firstErrors,
                               log: outcome.log, reused: true)
        }
        if access(entry, F_OK) == 0 { _ = try? run(["rm", "-rf", entry]) }  // another checkout's, by a rare hash collision
        try Workbench.makeDirectories(entry)
        try copyTree(workspace.work, to: "\(entry)/source")
        let outcome = try run(command, in: workspace, limits: limits, cgroup: cgroup)
        try copyTree(workspace.work, to: "\(entry)/work")
        // A checkout's own history stays its own.
        try run(["rm", "-rf", "\(entry)/work/checkout/.git"])
        let encoder = JSONEncoder()
        try Workbench.write(String(decoding: try encoder.encode(outcome), as: UTF8.self), to: "\(entry)/outcome.json")
        return outcome
    }

    /// Runs the build in a sandbox of its own.
    static func run(_ command: String, in workspace: GradingWorkspace, limits: Course.Limits, cgroup: CheckoutCgroup?) throws
        -> BuildResult
    {
        let sandbox = try GradingSandbox(workspace: workspace, limits: limits, timeout: limits.buildTimeout, extraIDs: [],
                                         withExercise: false, observe: nil, cgroup: cgroup)
        let oomKills = cgroup?.oomKills ?? 0
        defer { sandbox.close() }
        let spec = ExerciseRunner.placement(limits, cgroups: sandbox.cgroup != nil)
        let child = try sandbox.start(spec, ["/bin/sh", "-c", command])
        let ended: Message
        var passed = false
        do {
            let termination = try child.finish(timeout: limits.buildTimeout)
            passed = termination == .exited(0)
            ended = termination.message
        } catch is WaitTimedOut {
            ended = gradingText.buildTooLong(limits.buildTimeout)
        } catch is OutputTimedOut {
            ended = gradingText.buildTooLong(limits.buildTimeout)
        }
        if (cgroup?.oomKills ?? 0) > oomKills {
            return BuildResult(command: command, passed: false, ended: gradingText.buildMemory(limits.memoryBytes >> 20),
                               firstErrors: [], log: child.lines, reused: false)
        }
        return BuildResult(command: command, passed: passed, ended: ended, firstErrors: passed ? [] : firstErrors(child.lines),
                           log: child.lines, reused: false)
    }

    /// What a failed build's log says went wrong first: its first line that says "error"
    /// (a compiler's) with the two after it (the code and its caret); else its first lines that
    /// are not warnings or notes (Go says "undefined: x", no "error").
    static func firstErrors(_ log: [String]) -> [String] {
        let lines = log.map { String($0.prefix(300)) }
        if let first = lines.firstIndex(where: { $0.lowercased().contains("error") && !$0.lowercased().contains("warning") }) {
            return Array(lines[first...].prefix(3))
        }
        let plain = lines.filter { line in
            let lower = line.lowercased()
            return !line.allSatisfy(\.isWhitespace) && !lower.contains("warning") && !lower.contains("note:")
        }
        return Array((plain.isEmpty ? lines.suffix(3) : plain.prefix(3)))
    }

    /// Copies a tree whole, owners and modes kept (cp -a).
    static func copyTree(_ source: String, to destination: String) throws {
        try Workbench.makeDirectories(destination)
        try run(["cp", "-a", "\(source)/.", destination])
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> [String] {
        try runTool(arguments) { LabError(gradingText.commandFailed(arguments.joined(separator: " "), $0)) }
    }
}

/// A checkout's files, as a key and compared whole: every entry's path, type, permission
/// bits, and content or link target, in name order; `.git` left out (two clones of the same
/// files differ only there). Links are never followed.
enum TreeDigest {
    /// FNV-1a 64 of the tree at `root` and `salt` (the build line).
    static func of(_ root: String, salt: String) -> UInt64 {
        var hash = FNV()
        hash.add(Array(salt.utf8))
        walk(root, "") { path, info, content in
            hash.add(Array(path.utf8) + [0, UInt8(truncatingIfNeeded: info.st_mode >> 8), UInt8(truncatingIfNeeded: info.st_mode)])
            hash.add(content)
        }
        return hash.value
    }

    /// Whether two trees hold the same entries, byte for byte.
    static func same(_ a: String, _ b: String) -> Bool {
        var left: [(String, mode_t, [UInt8])] = [], right: [(String, mode_t, [UInt8])] = []
        guard access(a, F_OK) == 0 else { return false }
        walk(a, "") { left.append(($0, $1.st_mode, $2)) }
        walk(b, "") { right.append(($0, $1.st_mode, $2)) }
        return left.count == right.count && zip(left, right).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 }
    }

    /// Calls `visit` for every entry below `root`, in name order, with its relative path, its
    /// lstat and its content (a file's bytes, a link's target, nothing for the rest).
    private static func walk(_ root: String, _ relative: String, _ visit: (String, stat, [UInt8]) -> Void) {
        for name in ((try? directoryEntries(root + relative)) ?? []).sorted() where name != ".git" {
            let path = "\(relative)/\(name)"
            var info = stat()
            guard lstat(root + path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                visit(path, info, [])
                walk(root, path, visit)
            case S_IFREG:
                visit(path, info, contents(root + path))
            case S_IFLNK:
                visit(path, info, linkTarget(root + path) ?? [])
            default:
                visit(path, info, [])  // a FIFO or a device: its kind alone (reading could block)
            }
        }
    }

    private static func contents(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return bytes
    }

    private struct FNV {
        var value: UInt64 = 14_695_981_039_346_656_037
        mutating func add(_ bytes: [UInt8]) {
            for byte in bytes { value = (value ^ UInt64(byte)) &* 1_099_511_628_211 }
        }
    }
}
