import CShim
import Glibc

/// One checkout's place on the run's workbench, made by its grader in a mount namespace of the
/// grader's own (no other grader sees its mounts):
/// - `root/`: the sandbox's root, the grader's: mount points, /dev's links, and `/nsprobe`,
///   the probe a program must run. The machine's root owns it, mode 0111: nothing in a
///   sandbox can change it, read it or trace it (execve(2): a program that cannot be read
///   runs undumpable), and the grader knows it by its inode.
/// - `work/`: a bounded tmpfs, the sandbox's /work, the student's: the checkout's copy, built
///   there.
/// - `exercise/`: a bounded tmpfs made fresh for each exercise, the sandbox's /exercise: the
///   files the exercise hands the program, the student's root's. No program has seen it
///   before the grader has made them, so the grader never follows a link of a student's.
struct GradingWorkspace {
    let root: String
    let work: String
    let exercise: String
    /// The grader's uid (and gid) for the sandbox's root: 1000000 + 65536 × the checkout's
    /// number as real root, 1 + 65536 × it with subordinate ids, so that two students'
    /// programs never share a uid.
    let idBase: UInt32
    /// The grader's own probe (run by fd for everything the grader does itself).
    let probePath: String
    /// The probes a student's program may run, by inode: /nsprobe, and the copy in this
    /// exercise's root for pivot-root.
    var genuineProbes: Set<FileIdentity> { exerciseProbes.union(sandboxProbe.map { [$0] } ?? []) }
    private var sandboxProbe: FileIdentity?
    private var exerciseProbes: Set<FileIdentity> = []

    /// Where a sandbox finds the probe, and where an exercise's files are.
    static let probeInSandbox = "/nsprobe"
    static let exerciseInSandbox = "/exercise"

    /// The device nodes the sandbox's /dev has, each bound alone (never the host's whole /dev,
    /// with its world-writable /dev/shm).
    static let devices = ["null", "zero", "full", "random", "urandom", "tty"]

    init(index: Int, probePath: String) throws {
        let base = "\(Workbench.path)/grade/\(index)"
        root = "\(base)/root"
        work = "\(base)/work"
        exercise = "\(base)/exercise"
        // Far above the machine's users as real root; from 1 in a user namespace of the
        // runner's own, whose 65,536 subordinate ids a checkout takes.
        idBase = UInt32((HostSupport.mapsEveryID ? 1_000_000 : 1) + 65_536 * index)
        self.probePath = probePath
        try Workbench.prepare([.directory("grade/\(index)/root"), .directory("grade/\(index)/work"),
                               .directory("grade/\(index)/exercise")])
        try GradingWorkspace.mountTmpfs("nslab-work", on: work, size: "1g")
        try check("chown(\(work))") { chown(work, idBase, idBase) }
        for directory in ["proc", "sys", "dev/shm", "tmp", "run", "work", "exercise"] + GradingWorkspace.hostDirectories {
            try Workbench.makeDirectories("\(root)/\(directory)")
        }
        // Mount points for the device nodes, and /dev's usual links.
        for device in GradingWorkspace.devices { try Workbench.write("", to: "\(root)/dev/\(device)") }
        for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                               ("stderr", "/proc/self/fd/2")] { _ = symlink(target, "\(root)/dev/\(name)") }
        // Merged /usr: /bin, /lib and the like are links into usr, as on the host.
        for link in GradingWorkspace.hostLinks { _ = symlink(link.target, "\(root)/\(link.name)") }
        sandboxProbe = try placeProbe(at: "\(root)\(GradingWorkspace.probeInSandbox)")
    }

    /// Mounts a bounded tmpfs in the grader's own mount namespace.
    static func mountTmpfs(_ source: String, on target: String, size: String) throws {
        try check("mount(\"\(source)\", \"\(target)\", \"tmpfs\", MS_NOSUID|MS_NODEV, \"size=\(size),mode=0755\")") {
            mount(source, target, "tmpfs", UInt(MS_NOSUID | MS_NODEV), "size=\(size),mode=0755")
        }
    }

    /// A copy of the grader's probe that the machine's root owns, mode 0111, known by inode.
    private func placeProbe(at path: String) throws -> FileIdentity {
        try copyFile(from: probePath, to: path, mode: 0o111)
        guard let identity = FileIdentity.of(path) else { throw SystemCallError("stat(\(path))", errno: errno) }
        return identity
    }

    /// The checkout's files in /work/checkout, the student's root's.
    func copy(checkout: String) throws {
        try runTool(["cp", "-a", "\(checkout)/.", "\(work)/checkout"]) { LabError(gradingText.couldNotCopy(checkout, $0)) }
        try ownTree(work)
    }

    /// Gives everything below `path` (links themselves, never followed) to the sandbox's root.
    func ownTree(_ path: String) throws {
        try check("lchown(\(path))") { lchown(path, idBase, idBase) }
        guard isDirectory(path) else { return }
        for name in try directoryEntries(path) { try ownTree("\(path)/\(name)") }
    }

    /// The host's directories the sandbox gets read-only, and its links into /usr.
    static let hostDirectories: [String] = ["usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32"].filter {
        isDirectory("/\($0)")
    }
    static let hostLinks: [(name: String, target: String)] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"].compactMap { name in
        linkTarget("/\(name)").map { (name, String(decoding: $0, as: UTF8.self)) }
    }

    /// Where a sandbox path of /exercise is, for the grader.
    func local(_ sandboxPath: String) -> String {
        exercise + sandboxPath.dropFirst(GradingWorkspace.exerciseInSandbox.count)
    }

    /// A fresh /exercise with `fixtures` in it; the inode of each fixture, by its sandbox path.
    mutating func prepareExercise(_ fixtures: [Exercise.Fixture]) throws -> ExerciseFiles {
        try GradingWorkspace.mountTmpfs("nslab-exercise", on: exercise, size: "64m")
        exerciseProbes = []
        var made = ExerciseFiles()
        for fixture in fixtures {
            switch fixture {
            case .file(let path, let text, let owner, let mode):
                let file = local(path)
                try makeDirectories(String(file[..<file.lastIndex(of: "/")!]))
                try Workbench.write(text, to: file)
                try check("chown(\(file))") { chown(file, idBase + owner, idBase + owner) }
                try check("chmod(\(file))") { chmod(file, mode) }
                made.identities[path] = FileIdentity.of(file)
                let directory = String(path[..<path.lastIndex(of: "/")!])
                made.identities[directory] = FileIdentity.of(local(directory))
            case .directory(let path):
                try makeDirectories(local(path))
                made.identities[path] = FileIdentity.of(local(path))
            case .busyboxRoot(let path):
                try makeDirectories(String(local(path)[..<local(path).lastIndex(of: "/")!]))
                try Workbench.makeBusyboxRoot(local(path))
                try ownTree(local(path))
                exerciseProbes.insert(try placeProbe(at: "\(local(path))\(GradingWorkspace.probeInSandbox)"))
                made.identities[path] = FileIdentity.of(local(path))
                made.entries[path] = try directoryEntries(local(path)).sorted()
            }
        }
        return made
    }

    /// The exercise's /exercise goes, with whatever the program left there.
    func removeExercise() {
        _ = umount2(exercise, Int32(MNT_DETACH))
    }

    /// Directories down to `path`, those below /exercise the sandbox's root's.
    private func makeDirectories(_ path: String) throws {
        try Workbench.makeDirectories(path) { made in
            if made.hasPrefix(exercise + "/") { try check("chown(\(made))") { chown(made, idBase, idBase) } }
        }
    }
}

/// The files an exercise handed the program, as the grader made them: the inode of each, and
/// the entries of each busybox root, by sandbox path.
struct ExerciseFiles: Sendable {
    var identities: [String: FileIdentity] = [:]
    var entries: [String: [String]] = [:]

    /// The file or directory at `path`, as made.
    subscript(path: String) -> FileIdentity? { identities[path] }
}

/// Runs a tool of the grader's own (cp, rm) to its end, at most a minute; throws `failure` of
/// its last lines unless it exits 0. What it printed, by line.
@discardableResult
func runTool(_ arguments: [String], failure: (String) -> any Error) throws -> [String] {
    let child = try spawn(ProcessSpec(arguments), command: arguments.joined(separator: " "))
    guard try child.finish(timeout: 60) == .exited(0) else {
        throw failure(child.lines.suffix(2).joined(separator: " "))
    }
    return child.lines
}
