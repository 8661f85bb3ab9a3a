import CShim
import FoundationEssentials
import Glibc

/// How one exercise of one checkout went.
public struct ExerciseResult: Codable, Sendable {
    public let id: String
    public let points: Int
    public let maxPoints: Int
    public let verdict: Verdict
    public let checks: [Check]
    /// One line a student can act on: the first failed check, or why nothing was judged.
    public let diagnosis: String?
    /// The values the program was given, by placeholder.
    public let values: [String: String]
    /// The program's first lines besides the probe's (its errors, usually).
    public let output: [String]
}

/// How one checkout went: its build, then each exercise of its manifest.
public struct StudentResult: Codable, Sendable {
    public let checkout: String
    public let seed: UInt64
    /// Why the build failed, with its last lines; nil when it passed or there was none.
    public let buildFailure: String?
    public let exercises: [ExerciseResult]
    public var score: Int { exercises.reduce(0) { $0 + $1.points } }
    public var maxScore: Int { exercises.reduce(0) { $0 + $1.maxPoints } }
    public var verdict: Verdict { exercises.map(\.verdict).max() ?? .pass }

    enum CodingKeys: String, CodingKey { case checkout, seed, buildFailure, exercises, score, maxScore }

    public init(checkout: String, seed: UInt64, buildFailure: String?, exercises: [ExerciseResult]) {
        self.checkout = checkout
        self.seed = seed
        self.buildFailure = buildFailure
        self.exercises = exercises
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(checkout: try container.decode(String.self, forKey: .checkout), seed: try container.decode(UInt64.self, forKey: .seed),
                  buildFailure: try container.decodeIfPresent(String.self, forKey: .buildFailure),
                  exercises: try container.decode([ExerciseResult].self, forKey: .exercises))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checkout, forKey: .checkout)
        try container.encode(seed, forKey: .seed)
        try container.encodeIfPresent(buildFailure, forKey: .buildFailure)
        try container.encode(exercises, forKey: .exercises)
        try container.encode(score, forKey: .score)
        try container.encode(maxScore, forKey: .maxScore)
    }
}

/// Grades checkouts: each exercise runs the student's program in a sandbox of its own that
/// plays the host, and the same probe as the experiments judges what it achieved.
///
/// The sandbox: new user (root and the exercise's ids mapped from 1000000 + 65536 × the
/// checkout's number, so the student's root is nobody to the machine), UTS, IPC, mount,
/// network, PID and cgroup namespaces, pivoted into a root of read-only binds of /usr, /etc and
/// the like, single device nodes, a fresh /proc, bounded tmpfs on /tmp and /run, and /work,
/// its copy of the checkout; / is a shared mount, as on a systemd host.
public enum Grader {
    /// Where the sandboxes' ids start, seen from the machine: 1000000 + 65536 × the
    /// checkout's number, so that two students' programs never share a uid.
    static func idBase(_ index: Int) -> UInt32 { UInt32(1_000_000 + 65_536 * index) }

    /// Whether this process runs where a grader's supervisor mounted the workbench: in its
    /// sandbox (a worker, which is not its pid 1).
    public static var isInSandbox: Bool { Workbench.isMounted() }

    /// Mounts the workbench, where every checkout's workspace goes (before any worker starts).
    public static func prepareWorkbench() throws { try Workbench.prepare([.directory("grade")]) }

    /// A worker's result, as JSON, on the workbench, where its supervisor reads it.
    public static func saveResult(_ json: String, index: Int) throws { try Workbench.write(json, to: resultFile(index)) }
    static func resultFile(_ index: Int) -> String { "\(Workbench.path)/grade/\(index).json" }

    /// Grades each checkout by a runner of its own (a worker: this executable with
    /// `workerArguments(index)`), `jobs` at a time, in this sandbox; `done` gets the results
    /// in the order of the checkouts. A worker that fails throws WorkerFailure.
    public static func gradeByWorkers(_ plans: [(checkout: String, manifest: Manifest)], jobs: Int,
                                      done: (StudentResult) -> Void, workerArguments: (Int) -> [String]) throws {
        let program = try executablePath()
        try prepareWorkbench()
        var running: [(index: Int, child: ChildProcess, deadline: Deadline)] = []
        var next = 0
        while next < plans.count || !running.isEmpty {
            while running.count < max(1, jobs) && next < plans.count {
                var spec = ProcessSpec([program] + workerArguments(next))
                spec.inheritsStandardIO = true  // a worker prints only its errors
                // The worker's own bound, from its start: its build, then each exercise's, with
                // room for setting up.
                let manifest = plans[next].manifest
                let bound = manifest.limits.buildTimeout + manifest.entries.reduce(60) { $0 + $1.timeout + 5 }
                running.append((next, try spawn(spec, command: "runner grade \(plans[next].checkout)"), Deadline(seconds: bound)))
                next += 1
            }
            let (index, child, deadline) = running.removeFirst()
            let plan = plans[index]
            let ended = try child.wait(timeout: deadline.remaining)
            guard ended == .exited(0), let text = readTextFile(resultFile(index)) else {
                throw WorkerFailure(checkout: plan.checkout, reason: "its grader ended with \(ended)")
            }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            done(try decoder.decode(StudentResult.self, from: Data(text.utf8)))
        }
    }

    /// Grades `checkout` by `manifest`, in workspace `index` of the run's workbench.
    public static func grade(checkout: String, manifest: Manifest, index: Int, seed: UInt64, only: Set<Exercise.ID>?,
                             probePath: String) throws -> StudentResult {
        // A program joined to a sandbox's PID namespace is re-parented to the grader when its
        // first parent dies (setns, then fork); the grader must be there to reap it.
        _ = nslab_set_child_subreaper()
        let workspace = try GradingWorkspace(index: index, checkout: checkout, probePath: probePath)
        let entries = manifest.entries.filter { only?.contains($0.exercise) ?? true }
        // Every value and every file first: from the build on, /work is the student's.
        let plans = try entries.map { entry in
            var random = SeededGenerator(seed: seed ^ entry.exercise.rawValue.hashValueStable)
            let exercise = Exercise.contract(entry.exercise)
            var values = exercise.choose(&random)
            for fixture in exercise.fixtures(values) {
                try workspace.make(fixture)
                // What a root holds is read now, as the grader made it.
                if case .busyboxRoot(let path) = fixture {
                    values["rootfs_entries"] = try workspace.entries(of: path).joined(separator: "\n")
                }
            }
            return (entry, exercise, values)
        }
        var buildFailure: String?
        if let build = manifest.build {
            buildFailure = workspace.build(build, limits: manifest.limits)
        }
        var results: [ExerciseResult] = []
        for (entry, exercise, values) in plans {
            if let buildFailure {
                results.append(ExerciseResult(id: entry.exercise.rawValue, points: 0, maxPoints: entry.points, verdict: .fail,
                                              checks: [Check("the build", expected: "success", actual: buildFailure, passed: false)],
                                              diagnosis: "the build failed: \(buildFailure)", values: values, output: []))
                continue
            }
            results.append(workspace.run(exercise, entry: entry, values: values, limits: manifest.limits))
        }
        return StudentResult(checkout: checkout, seed: seed, buildFailure: buildFailure, exercises: results)
    }
}

/// One checkout's place on the workbench: the sandbox's root skeleton and its /work.
struct GradingWorkspace {
    let root: String
    let work: String
    /// The machine's uid (and gid) of the sandbox's root.
    let idBase: UInt32

    /// The device nodes the sandbox's /dev has, each bound alone (never the host's whole /dev,
    /// with its world-writable /dev/shm).
    static let devices = ["null", "zero", "full", "random", "urandom", "tty"]

    init(index: Int, checkout: String, probePath: String) throws {
        let base = "\(Workbench.path)/grade/\(index)"
        root = "\(base)/root"
        work = "\(base)/work"
        idBase = Grader.idBase(index)
        try Workbench.prepare([.directory("grade/\(index)/root"), .directory("grade/\(index)/work")])
        // The student's /work: a tmpfs of its own, bounded, in the runner's mount namespace.
        if !Workbench.isMountPoint(work) {
            try check("mount(\"nslab-work\", \"\(work)\", \"tmpfs\", MS_NOSUID|MS_NODEV, \"size=1g\")") {
                mount("nslab-work", work, "tmpfs", UInt(MS_NOSUID | MS_NODEV), "size=1g,mode=0755")
            }
        }
        try Workbench.makeDirectories("\(work)/exercise")
        for directory in ["proc", "sys", "dev/shm", "tmp", "run", "work"] + GradingWorkspace.hostDirectories {
            try Workbench.makeDirectories("\(root)/\(directory)")
        }
        // Mount points for the device nodes, and /dev's usual links.
        for device in GradingWorkspace.devices { try Workbench.write("", to: "\(root)/dev/\(device)") }
        for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                               ("stderr", "/proc/self/fd/2")] { _ = symlink(target, "\(root)/dev/\(name)") }
        // Merged /usr: /bin, /lib and the like are links into usr, as on the host.
        for link in GradingWorkspace.hostLinks { _ = symlink(link.target, "\(root)/\(link.name)") }
        let copied = try spawn(ProcessSpec(["cp", "-a", "\(checkout)/.", "\(work)/checkout"]), command: "cp -a \(checkout)")
        guard try copied.finish(timeout: 60) == .exited(0) else {
            throw LabError("could not copy the checkout \(checkout): \(copied.lines.suffix(2).joined(separator: " "))")
        }
        try copyFile(from: probePath, to: "\(work)/nsprobe", mode: 0o755)
        let owned = try spawn(ProcessSpec(["chown", "-R", "\(idBase):\(idBase)", work]), command: "chown -R")
        guard try owned.finish(timeout: 60) == .exited(0) else { throw LabError("could not chown \(work)") }
    }

    /// The host's directories the sandbox gets read-only, and its links into /usr.
    static let hostDirectories: [String] = ["usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32"].filter { name in
        var info = stat()
        return lstat("/\(name)", &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
    static let hostLinks: [(name: String, target: String)] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"].compactMap { name in
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink("/\(name)", &buffer, buffer.count - 1)
        return count > 0 ? (name, String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)) : nil
    }

    /// The operations that build the sandbox in its new namespaces, in order.
    func sandboxSetup(limits: Manifest.Limits) -> [Operation] {
        let nodev = UInt(MS_NOSUID | MS_NODEV)
        var operations: [Operation] = [.makeRootPrivate, .bind(root, root)]
        for directory in GradingWorkspace.hostDirectories {
            operations += [.mount(source: "/\(directory)", target: "\(root)/\(directory)", flags: UInt(MS_BIND | MS_REC)),
                           .readOnly("\(root)/\(directory)")]
        }
        operations += [
            .mount(source: "/sys", target: "\(root)/sys", flags: UInt(MS_BIND | MS_REC)), .readOnly("\(root)/sys"),
        ] + GradingWorkspace.devices.map { .bind("/dev/\($0)", "\(root)/dev/\($0)") } + [
            // Bounded, so that a program cannot fill the machine's memory through them.
            .mount(source: "shm", target: "\(root)/dev/shm", fstype: "tmpfs", flags: nodev, data: "mode=1777,size=64m"),
            .mount(source: "proc", target: "\(root)/proc", fstype: "proc", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)),
            .mount(source: "tmp", target: "\(root)/tmp", fstype: "tmpfs", flags: nodev, data: "mode=1777,size=512m"),
            .mount(source: "run", target: "\(root)/run", fstype: "tmpfs", flags: nodev, data: "mode=0755,size=16m"),
            .bind(work, "\(root)/work"),
            .chdir(root), .pivotRoot(newRoot: ".", putOld: "."), .umount2(".", flags: Int32(MNT_DETACH)), .chdir("/"),
            // A systemd host's /: a mount of the program's that is not made private shows here.
            .mount(source: nil, target: "/", flags: UInt(MS_REC | MS_SHARED)),
            .setLinkUp("lo"),
            .setresgid(0), .setresuid(0), .setLimit(resource: Int32(__RLIMIT_NPROC.rawValue), limits.processes),
        ]
        return operations
    }

    /// A lab whose demo host is a fresh sandbox: the student's program runs where the old
    /// side would.
    /// Only root is mapped, and the ids an exercise names (`extraIDs`): a program cannot
    /// switch to a uid of its own choosing, each with a fresh RLIMIT_NPROC count.
    func sandboxLab(limits: Manifest.Limits, timeout: Double, probePath: String, extraIDs: [UInt32] = []) -> Lab {
        let map = ([0] + extraIDs).map { "\($0) \(idBase + $0) 1" }.joined(separator: "\n")
        return Lab(probePath: probePath, demoHostNamespaces: [.user, .uts, .ipc, .mnt, .net, .pid, .cgroup],
                   demoHostSetup: sandboxSetup(limits: limits),
                   demoHostMaps: IDMaps(setgroups: nil, uidMap: map, gidMap: map), timeout: timeout)
    }

    /// The names in a directory of /work (a sandbox path), sorted.
    func entries(of path: String) throws -> [String] {
        try directoryEntries(work + path.dropFirst("/work".count)).sorted()
    }

    /// Makes a fixture in /work (given as a sandbox path), owned as the sandbox counts ids.
    func make(_ fixture: Exercise.Fixture) throws {
        func local(_ path: String) -> String { work + path.dropFirst("/work".count) }
        switch fixture {
        case .file(let path, let text, let owner, let mode):
            let file = local(path)
            try Workbench.makeDirectories(String(file[..<file.lastIndex(of: "/")!]))
            try Workbench.write(text, to: file)
            try check("chown(\(file))") { chown(file, idBase + owner, idBase + owner) }
            try check("chmod(\(file))") { chmod(file, mode) }
        case .directory(let path):
            try Workbench.makeDirectories(local(path))
            try check("chown(\(local(path)))") { chown(local(path), idBase, idBase) }
        case .busyboxRoot(let path):
            try Workbench.makeBusyboxRoot(local(path))
            try copyFile(from: "\(work)/nsprobe", to: "\(local(path))/nsprobe", mode: 0o755)
        }
    }

    /// Runs the manifest's build in a sandbox; nil when it succeeded, else why it failed.
    func build(_ command: String, limits: Manifest.Limits) -> String? {
        let lab = sandboxLab(limits: limits, timeout: limits.buildTimeout, probePath: "\(work)/nsprobe")
        defer { lab.close() }
        do {
            let built = try lab.run(GradingBench.studentPlacement(limits), ["/bin/sh", "-c", command])
            if built.termination == .exited(0) { return nil }
            return "`\(command)`: \(built.termination): " + built.output.suffix(3).joined(separator: " | ")
        } catch let timedOut as WaitTimedOut {
            return "`\(command)` did not finish within \(limits.buildTimeout.formatted) s: \(timedOut.termination)"
        } catch {
            return "`\(command)` could not be run: \(error)"
        }
    }

    func run(_ exercise: Exercise, entry: Manifest.Entry, values: [String: String], limits: Manifest.Limits) -> ExerciseResult {
        // The ids the exercise names (inside ones too: a program that maps inside → inside is
        // then told its map is wrong, rather than refused by the kernel).
        let extraIDs = Set(["uid_outside", "gid_outside", "uid_inside", "gid_inside"].compactMap { values[$0].flatMap(UInt32.init) })
            .sorted()
        let lab = sandboxLab(limits: limits, timeout: entry.timeout, probePath: "\(work)/nsprobe", extraIDs: extraIDs)
        defer { lab.close() }
        let bench = GradingBench(lab: lab, workspace: self, entry: entry, values: values, limits: limits)
        let runnerBefore = HostState.read()
        var checks: [Check] = []
        var broken: String?
        do {
            let judged = try exercise.judge(bench)
            guard let before = bench.before else { throw LabError("the exercise never ran the student's program") }
            // What the program did to the host comes before what it achieved: a program that
            // renamed the host is told so first.
            checks = bench.programChecks() + bench.sandboxChecks(before: before, after: try bench.snapshot()) + judged
        } catch let failure as StudentFailure {
            checks = bench.programChecks() + [failure.check]
        } catch {
            broken = "\(error)"
        }
        lab.close()
        let outside = runnerBefore.differences(to: HostState.read())
        checks.append(Check.that("the grader's own sandbox, the real host's stand-in", outside.isEmpty, expected: "unchanged",
                                 actual: outside.isEmpty ? "unchanged" : outside.joined(separator: "; ")))
        let verdict: Verdict = broken != nil ? .broken : checks.allSatisfy(\.passed) ? .pass : .fail
        let diagnosis = broken.map { "the grader could not judge this exercise: \($0)" }
            ?? checks.first { !$0.passed }.map { "\($0.name): expected \($0.expected), got \($0.actual)" }
        return ExerciseResult(id: entry.exercise.rawValue, points: verdict == .pass ? entry.points : 0, maxPoints: entry.points,
                              verdict: verdict, checks: checks, diagnosis: diagnosis,
                              values: values.filter { exercise.placeholders.contains($0.key) }, output: bench.programOutput)
    }
}

/// A worker that could not grade its checkout (it crashed or ran past its bound).
public struct WorkerFailure: Error {
    public let checkout: String
    public let reason: String
}

/// A failure of the student's program that ends the judging early (it never ran the probe,
/// it timed out): one check says what happened.
struct StudentFailure: Error {
    let check: Check
}

/// What an exercise's judge works with: the values, the student's program, and probes in the
/// sandbox that plays the host.
public final class GradingBench {
    /// Where an exercise's files are, as the sandbox (and the student's program) sees them.
    static let exerciseDirectory = "/work/exercise"

    let lab: Lab
    let workspace: GradingWorkspace
    let entry: Manifest.Entry
    public let values: [String: String]
    let limits: Manifest.Limits
    private(set) var student: FinishedProcess?
    /// The sandbox just before the program started (after the grader's own fixtures).
    private(set) var before: ProbeReport?

    init(lab: Lab, workspace: GradingWorkspace, entry: Manifest.Entry, values: [String: String], limits: Manifest.Limits) {
        self.lab = lab
        self.workspace = workspace
        self.entry = entry
        self.values = values
        self.limits = limits
    }

    /// As root of the sandbox, in its copy of the checkout, with the process limit.
    static func studentPlacement(_ limits: Manifest.Limits) -> ProcessSpec {
        var spec = ProcessSpec.oldSide.with(operations: [
            .setresgid(0), .setresuid(0), .setLimit(resource: Int32(__RLIMIT_NPROC.rawValue), limits.processes), .chdir("/work/checkout"),
        ])
        // A checkout's .git belongs to someone else in there: Go must not stamp it.
        spec.environment += ["HOME=/tmp", "TMPDIR=/tmp", "GOFLAGS=-buildvcs=false"]
        spec.outputLimit = limits.outputBytes
        return spec
    }

    /// Runs the student's program once, its placeholders replaced and {probe} standing for
    /// the probe with `actions`; with a hold among them, `meanwhile` runs while it holds.
    /// Throws StudentFailure when the probe never reported.
    func runStudent(_ actions: [ProbeAction], meanwhile: ((ChildProcess) throws -> Void)? = nil) throws -> FinishedProcess {
        var words: [String] = []
        for word in entry.words {
            switch word {
            case "{probe}": words += ["/work/nsprobe"] + actions.map(\.description)
            case "{probe_in_rootfs}": words += ["/nsprobe"] + actions.map(\.description)
            default:
                let name = word.hasPrefix("{") && word.hasSuffix("}") ? String(word.dropFirst().dropLast()) : nil
                words.append(name.flatMap { values[$0] } ?? word)
            }
        }
        before = try snapshot()
        // Through sh, so that the program is found in the sandbox's copy of the checkout.
        let child = try lab.start(GradingBench.studentPlacement(limits), ["/bin/sh", "-c", "exec \"$0\" \"$@\""] + words)
        do {
            if let meanwhile, actions.contains(where: { if case .hold = $0 { true } else { false } }) {
                try? child.awaitHold(timeout: entry.timeout)
                if child.lines.contains(where: ProbeOutput.isHoldReady) {
                    try meanwhile(child)
                }
                child.send()
            }
            student = try lab.finish(child, shown: entry.words.joined(separator: " "))
        } catch is WaitTimedOut {
            lab.close()  // the whole sandbox, with whatever the program left running
            throw StudentFailure(check: Check("your program finished within \(entry.timeout.formatted) s", expected: "finished",
                                              actual: "killed with the whole sandbox — does it wait for something?", passed: false))
        }
        guard let student, (try? student.probe.report()) != nil else {
            throw StudentFailure(check: Check("the probe ran (its report was found)", expected: "a report", actual:
                "none — probe never ran: does your program run the command it is given with its arguments?", passed: false))
        }
        return student
    }

    /// The checks every exercise has about the program itself.
    func programChecks() -> [Check] {
        guard let student else { return [] }
        let errors = programOutput.prefix(3).joined(separator: " | ")
        var checks = [Check.equal("your program's exit status", expected: Termination.exited(0), actual: student.termination)
            .diagnosed(errors.isEmpty ? nil : "it printed: \(errors)")]
        checks.append(Check("its output within \(limits.outputBytes) bytes", expected: "within",
                            actual: student.outputCut ? "more: the rest was read and dropped" : "within", passed: !student.outputCut))
        if (try? student.probe.report()) != nil {
            checks.append(Check("the probe ran (its report was found)", expected: "a report", actual: "a report", passed: true))
        }
        return checks
    }

    /// The program's own first lines (not the probe's).
    var programOutput: [String] { Array((student?.output ?? []).prefix(5)).map { String($0.prefix(200)) } }

    /// Runs the probe with `actions` in the sandbox itself.
    func sandbox(_ actions: [ProbeAction]) throws -> FinishedProcess {
        try lab.probe(.oldSide, actions)
    }

    /// Starts the probe with `actions` (with a hold) in the sandbox and returns it holding.
    func startSandbox(_ actions: [ProbeAction]) throws -> ChildProcess {
        try lab.startProbe(.oldSide, actions)
    }

    /// Releases a probe `startSandbox` started and waits for its end, so that it is gone
    /// before the sandbox is looked at again.
    func stopSandbox(_ probe: ChildProcess) {
        probe.send()
        _ = try? lab.finish(probe)
    }

    /// The inode of the sandbox's namespace of `kind`.
    func sandboxInode(_ kind: Namespace) -> UInt64? { lab.oldSideHost?.inode(kind) }

    /// What the sandbox shows of the state a program could change.
    func snapshot() throws -> ProbeReport {
        try lab.probe(.oldSide, [.report([.hostname, .sysvipc, .mounts, .interfaces, .pids])]).report
    }

    /// Every difference between the sandbox before and after, as a failed check with what
    /// the program did.
    func sandboxChecks(before: ProbeReport, after: ProbeReport) -> [Check] {
        var changes: [String] = []
        if before.hostname != after.hostname {
            changes.append("your program renamed the host: sandbox hostname was \(before.hostname ?? "?"), is now \(after.hostname ?? "?")")
        }
        if before.domainname != after.domainname {
            changes.append("your program changed the host's NIS domain name: was \(before.domainname ?? "?"), is now \(after.domainname ?? "?")")
        }
        let mountsBefore = Set((before.mounts ?? []).map(describeMount)), mountsAfter = (after.mounts ?? []).map(describeMount)
        let addedMounts = mountsAfter.filter { !mountsBefore.contains($0) }
        if !addedMounts.isEmpty {
            changes.append("your program's mounts showed up in the sandbox: \(addedMounts.joined(separator: ", ")) — make mounts private first")
        }
        let expectedDevice = entry.exercise == .netVeth ? values["host_if"] : nil
        let devicesBefore = Set((before.interfaces ?? []).map(\.name))
        let addedDevices = (after.interfaces ?? []).map(\.name).filter { !devicesBefore.contains($0) && $0 != expectedDevice }
        if !addedDevices.isEmpty { changes.append("your program left network devices in the sandbox: \(addedDevices.joined(separator: ", "))") }
        let keysBefore = Set(SysVKind.allCases.flatMap { before.sysvipc?.objects($0).map(\.key) ?? [] })
        let addedKeys = SysVKind.allCases.flatMap { after.sysvipc?.objects($0).map(\.key) ?? [] }.filter { !keysBefore.contains($0) }
        if !addedKeys.isEmpty { changes.append("your program made IPC objects in the sandbox: \(addedKeys.map(ipcKeyText).joined(separator: ", "))") }
        let left = (after.pids ?? []).filter { $0 != 1 && $0 != after.pid && !(before.pids ?? []).contains($0) }
        if !left.isEmpty {
            changes.append("your program left \(left.count) process\(left.count == 1 ? "" : "es") running in the sandbox"
                           + (left.count >= limits.processes - 2 ? " (it hit the limit of \(limits.processes): a fork bomb is contained here)" : ""))
        }
        return [Check.that("the sandbox that plays the host", changes.isEmpty, expected: "as it was",
                           actual: changes.isEmpty ? "as it was" : changes.joined(separator: "; "))]
    }

    private func describeMount(_ mount: ProbeReport.MountEntry) -> String { "\(mount.target) (\(mount.fstype))" }
}

extension String {
    /// A hash that is the same in every run (Swift's hashValue is seeded per process).
    var hashValueStable: UInt64 {
        utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }
}
