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
    /// The other checks that failed, by name: a student fixes them all at once.
    public let alsoFailing: [String]
    /// The values the program was given, by placeholder.
    public let values: [String: String]
    /// The program's first lines on standard error, then on standard output (the probe's
    /// left out): what it said went wrong comes first.
    public let errors: [String]
    public let output: [String]

    /// A result whose verdict and points follow from `checks`: every one passed, or 0 points
    /// and the first failure as the diagnosis; `broken`: the grader could not judge.
    init(id: Exercise.ID, points: Int, checks: [Check], broken: String? = nil, values: [String: String] = [:],
         errors: [String] = [], output: [String] = []) {
        let failed = checks.filter { !$0.passed }
        verdict = broken != nil ? .broken : failed.isEmpty ? .pass : .fail
        self.id = id.rawValue
        self.points = verdict == .pass ? points : 0
        maxPoints = points
        self.checks = checks
        diagnosis = broken.map { "the grader could not judge this exercise: \($0)" }
            ?? failed.first.map { "\($0.name): expected \($0.expected), got \($0.actual)" }
        alsoFailing = broken == nil ? failed.dropFirst().map(\.name) : []
        self.values = values
        self.errors = errors
        self.output = output
    }
}

/// How a checkout's build went.
public struct BuildResult: Codable, Sendable {
    public let command: String
    public let passed: Bool
    /// "exit 0", "exit 2", "killed by SIGKILL", or why it could not be run.
    public let ended: String
    /// Its first lines that say what went wrong (errors before warnings), for the diagnosis.
    public let firstErrors: [String]
    /// All it printed, up to the output limit.
    public let log: [String]
    /// Whether an identical checkout's build of this run was used instead of building again.
    public let reused: Bool
}

/// How one checkout went: its build, then each exercise of the course.
public struct StudentResult: Codable, Sendable {
    public let checkout: String
    public let seed: UInt64
    /// What is wrong with the checkout itself (its lab.yml), when something is.
    public let problem: String?
    public let build: BuildResult?
    public let exercises: [ExerciseResult]
    public var score: Int { exercises.reduce(0) { $0 + $1.points } }
    public var maxScore: Int { exercises.reduce(0) { $0 + $1.maxPoints } }
    public var verdict: Verdict { exercises.map(\.verdict).max() ?? .pass }

    enum CodingKeys: String, CodingKey { case checkout, seed, problem, build, exercises, score, maxScore }

    public init(checkout: String, seed: UInt64, problem: String?, build: BuildResult?, exercises: [ExerciseResult]) {
        self.checkout = checkout
        self.seed = seed
        self.problem = problem
        self.build = build
        self.exercises = exercises
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(checkout: try container.decode(String.self, forKey: .checkout), seed: try container.decode(UInt64.self, forKey: .seed),
                  problem: try container.decodeIfPresent(String.self, forKey: .problem),
                  build: try container.decodeIfPresent(BuildResult.self, forKey: .build),
                  exercises: try container.decode([ExerciseResult].self, forKey: .exercises))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checkout, forKey: .checkout)
        try container.encode(seed, forKey: .seed)
        try container.encodeIfPresent(problem, forKey: .problem)
        try container.encodeIfPresent(build, forKey: .build)
        try container.encode(exercises, forKey: .exercises)
        try container.encode(score, forKey: .score)
        try container.encode(maxScore, forKey: .maxScore)
    }

    /// A checkout none of whose exercises could be judged, each failing with the same check.
    static func failing(_ checkout: String, seed: UInt64, course: Course, problem: String?, check: Check,
                        broken: String? = nil) -> StudentResult {
        StudentResult(checkout: checkout, seed: seed, problem: problem, build: nil, exercises: course.entries.map {
            ExerciseResult(id: $0.exercise, points: $0.points, checks: [check], broken: broken)
        })
    }
}

/// Grades checkouts: each exercise runs the student's program in a sandbox of its own that
/// plays the host, and the grader judges what it achieved from outside, reading the kernel
/// where the program cannot reach.
public enum Grader {
    /// Whether this process runs where a grader's supervisor mounted the workbench: in its
    /// sandbox (a worker, which is not its pid 1).
    public static var isInSandbox: Bool { Workbench.isMounted() }

    /// Mounts the workbench, where every checkout's workspace goes (before any worker starts).
    public static func prepareWorkbench() throws { try Workbench.prepare([.directory("grade")]) }

    /// A worker's result, as JSON, on the workbench, where its supervisor reads it.
    public static func saveResult(_ json: String, index: Int) throws { try Workbench.write(json, to: resultFile(index)) }
    static func resultFile(_ index: Int) -> String { "\(Workbench.path)/grade/\(index).json" }

    /// Grades each checkout by a runner of its own (a worker: this executable with
    /// `workerArguments(index)`), `jobs` at a time, each in mount, UTS, IPC and network
    /// namespaces of its own, so that what it checks of its surroundings is its own alone;
    /// `done` gets the results in the order of the checkouts. A worker that fails gives its
    /// checkout a broken result; the others are graded.
    public static func gradeByWorkers(_ checkouts: [String], course: Course, seed: UInt64, jobs: Int, cgroups: GradingCgroups?,
                                      done: (StudentResult) -> Void, workerArguments: (Int) -> [String]) throws {
        let program = try executablePath()
        try prepareWorkbench()
        // The worker's own bound, from its start: its build, then each exercise's, with room
        // for setting up.
        let bound = course.limits.buildTimeout + course.entries.reduce(60) { $0 + $1.timeout + 10 }
        var running: [(index: Int, child: ChildProcess, deadline: Deadline, cgroup: CheckoutCgroup?)] = []
        var next = 0
        while next < checkouts.count || !running.isEmpty {
            while running.count < max(1, jobs) && next < checkouts.count {
                var spec = ProcessSpec([program] + workerArguments(next), environment: currentEnvironment())
                spec.create = [.mnt, .uts, .ipc, .net]
                spec.inheritsStandardIO = true  // a worker prints only its errors
                // Born in its checkout's cgroup, with all it starts: see GradingCgroups.
                // (One that cannot be made leaves the grader to bound the program with rlimits.)
                let cgroup = try? cgroups?.makeCheckout(next, memory: course.limits.memoryBytes, processes: course.limits.processes)
                spec.cgroups = cgroup?.procsFiles ?? []
                running.append((next, try spawn(spec, command: "runner grade \(checkouts[next])"), Deadline(seconds: bound), cgroup))
                next += 1
            }
            let (index, child, deadline, cgroup) = running.removeFirst()
            let ended = (try? child.wait(timeout: deadline.remaining)) ?? .signaled(SIGKILL)
            cgroup?.remove()
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            if ended == .exited(0), let text = readTextFile(resultFile(index)),
               let result = try? decoder.decode(StudentResult.self, from: Data(text.utf8)) {
                done(result)
            } else {
                let why = "its grader ended with \(ended)" + (ended == .signaled(SIGKILL) ? " (past its bound of \(Int(bound)) s)" : "")
                done(.failing(checkouts[index], seed: seed, course: course, problem: nil,
                              check: Check("the grader", expected: "a result", actual: why, passed: false), broken: why))
            }
        }
    }

    /// Grades `checkout` by `course`, in workspace `index` of the run's workbench. Whatever is
    /// wrong with the checkout is its own failure; what goes wrong with the grader is broken.
    public static func grade(checkout: String, course: Course, index: Int, seed: UInt64, probePath: String,
                             cgroups: GradingCgroups?) -> StudentResult {
        // A program joined to a sandbox's PID namespace is re-parented to the grader when its
        // first parent dies (setns, then fork); the grader must be there to reap it.
        _ = nslab_set_child_subreaper()
        // In the checkout's cgroup with the program: the OOM killer takes the program, never
        // the grader (its children inherit this; the program's own placement undoes it).
        let cgroup = cgroups?.checkout(index).madeFor(getpid())
        if cgroup != nil { _ = writeFile("/proc/self/oom_score_adj", "-1000") }
        var directory = stat()
        guard stat(checkout, &directory) == 0, (directory.st_mode & S_IFMT) == S_IFDIR else {
            let problem = "\(checkout) is not a directory (a student's checkout)"
            return .failing(checkout, seed: seed, course: course, problem: problem,
                            check: Check("the checkout", expected: "a directory", actual: "not one", passed: false))
        }
        let lab: LabFile?
        do {
            lab = try readTextFile("\(checkout)/lab.yml").map { text throws(ManifestError) in try LabFile.parse(text, file: "lab.yml") }
        } catch {
            return .failing(checkout, seed: seed, course: course, problem: error.description,
                            check: Check("its lab.yml", expected: "valid", actual: error.description, passed: false))
        }
        if lab == nil && course.entries.contains(where: { $0.run == nil }) {
            let problem = "no lab.yml: it gives the build and each exercise's command line"
            return .failing(checkout, seed: seed, course: course, problem: problem,
                            check: Check("its lab.yml", expected: "present", actual: "none", passed: false))
        }
        let plans = course.entries.map { entry in (entry: entry, words: entry.run ?? lab?.runs[entry.exercise]) }
        var workspace: GradingWorkspace
        do {
            workspace = try GradingWorkspace(index: index, probePath: probePath)
            try workspace.copy(checkout: checkout)
        } catch {
            return .failing(checkout, seed: seed, course: course, problem: nil,
                            check: Check("the grader's workspace", expected: "made", actual: "\(error)", passed: false), broken: "\(error)")
        }
        var build: BuildResult?
        if let command = course.build ?? lab?.build, plans.contains(where: { $0.words != nil }) {
            do {
                build = try Builds.build(command, in: workspace, limits: course.limits, cgroup: cgroup)
            } catch {
                return .failing(checkout, seed: seed, course: course, problem: nil,
                                check: Check("the build's sandbox", expected: "made", actual: "\(error)", passed: false), broken: "\(error)")
            }
        }
        var results: [ExerciseResult] = []
        for plan in plans {
            let entry = plan.entry
            guard let words = plan.words else {
                results.append(ExerciseResult(id: entry.exercise, points: entry.points, checks: [
                    Check("its command line (lab.yml's `run`)", expected: "given", actual: "none: not attempted", passed: false),
                ]))
                continue
            }
            if let build, !build.passed {
                let why = "`\(build.command)`: \(build.ended)" + (build.firstErrors.isEmpty ? "" : ": " + build.firstErrors.joined(separator: " | "))
                results.append(ExerciseResult(id: entry.exercise, points: entry.points,
                                              checks: [Check("the build", expected: "success", actual: why, passed: false)]))
                continue
            }
            var random = SeededGenerator(seed: seed ^ entry.exercise.rawValue.hashValueStable)
            let exercise = Exercise.contract(entry.exercise)
            let values = exercise.choose(&random)
            var runner = ExerciseRunner(exercise: exercise, entry: entry, words: words, values: values, limits: course.limits,
                                        cgroup: cgroup)
            results.append(runner.run(in: &workspace))
        }
        return StudentResult(checkout: checkout, seed: seed, problem: nil, build: build, exercises: results)
    }
}

/// A failure of the student's program that ends the judging early (it never ran the probe,
/// it timed out): one check says what happened.
struct StudentFailure: Error {
    let check: Check
}

/// One exercise of one checkout: its sandbox, the student's program in it, and the checks.
struct ExerciseRunner {
    let exercise: Exercise
    let entry: Course.Entry
    /// The `run` line's words, placeholders in place.
    let words: [String]
    var values: [String: String]
    let limits: Course.Limits
    /// The checkout's cgroup, where the program is born; nil where the host gives none.
    let cgroup: CheckoutCgroup?

    /// What the probe is told: report its namespaces and pid (and what the exercise adds),
    /// then pause until the grader has looked.
    var probeWords: [String] {
        [ProbeAction.report(Set<ReportSection>([.ns, .process]).union(exercise.reportSections)).description, "pause=\(Int(entry.timeout) + 5)"]
    }

    /// The sandbox ids besides root: those the exercise names (inside ones too: a program
    /// that maps inside → inside is then told its map is wrong, rather than refused).
    var extraIDs: [UInt32] {
        Set(["uid_outside", "gid_outside", "uid_inside", "gid_inside"].compactMap { values[$0].flatMap(UInt32.init) }).sorted()
    }

    mutating func run(in workspace: inout GradingWorkspace) -> ExerciseResult {
        let fixtures: [String: FileIdentity]
        do {
            fixtures = try workspace.prepareExercise(exercise.fixtures(values))
            if let rootfs = values["rootfs"] {
                values["rootfs_entries"] = try directoryEntries(workspace.local(rootfs)).sorted().joined(separator: "\n")
            }
        } catch {
            workspace.removeExercise()
            return ExerciseResult(id: entry.exercise, points: entry.points,
                                  checks: [Check("the exercise's files", expected: "made", actual: "\(error)", passed: false)],
                                  broken: "\(error)", values: shownValues)
        }
        defer { workspace.removeExercise() }
        let sandbox: GradingSandbox
        do {
            sandbox = try GradingSandbox(workspace: workspace, limits: limits, timeout: entry.timeout, extraIDs: extraIDs,
                                         withExercise: true, observe: exercise.sandboxSetup(values), cgroup: cgroup)
        } catch {
            return ExerciseResult(id: entry.exercise, points: entry.points,
                                  checks: [Check("the sandbox", expected: "made", actual: "\(error)", passed: false)],
                                  broken: "\(error)", values: shownValues)
        }
        let graderBefore = HostState.read()
        var checks: [Check] = []
        var broken: String?
        var program: ProgramRun?
        do {
            let before = try sandbox.snapshot()
            let run = try runProgram(in: sandbox, workspace: workspace, fixtures: fixtures)
            program = run
            checks = run.programChecks
            if let after = run.after {
                let changes = before.changes(to: after, exemptDevices: exercise.leavesDevices(values), processLimit: limits.processes)
                checks.append(.that("the sandbox that plays the host", changes.isEmpty, expected: "as it was",
                                    actual: changes.isEmpty ? "as it was" : changes.joined(separator: "; ")))
            }
            checks += run.exerciseChecks
        } catch {
            broken = "\(error)"
        }
        sandbox.close()
        let outside = graderBefore.differences(to: HostState.read())
        checks.append(.that("the grader's own sandbox, the real host's stand-in", outside.isEmpty, expected: "unchanged",
                            actual: outside.isEmpty ? "unchanged" : outside.joined(separator: "; ")))
        return ExerciseResult(id: entry.exercise, points: entry.points, checks: checks, broken: broken, values: shownValues,
                              errors: Array((program?.errors ?? []).prefix(5)).map { String($0.prefix(200)) },
                              output: Array((program?.output ?? []).prefix(5)).map { String($0.prefix(200)) })
    }

    /// The values a student sees in the report: those of the placeholders.
    var shownValues: [String: String] { values.filter { exercise.placeholders.contains($0.key) } }

    /// The run line with every placeholder replaced; {probe} stands for the probe's words.
    var expandedWords: [String] {
        words.flatMap { word -> [String] in
            switch word {
            case "{probe}", "{probe_in_rootfs}": return [GradingWorkspace.probeInSandbox] + probeWords
            default:
                let name = word.hasPrefix("{") && word.hasSuffix("}") ? String(word.dropFirst().dropLast()) : nil
                return [name.flatMap { values[$0] } ?? word]
            }
        }
    }

    /// As root of the sandbox, in its copy of the checkout, with the process limit (and,
    /// without a cgroup, a memory limit by rlimit).
    static func placement(_ limits: Course.Limits, cgroups: Bool) -> ProcessSpec {
        // The OOM killer may take the program (the grader it is born of may not be taken).
        var operations: [Operation] = [.write("0", to: "/proc/self/oom_score_adj"), .setresgid(0), .setresuid(0),
                                       .setLimit(resource: Int32(__RLIMIT_NPROC.rawValue), limits.processes)]
        if !cgroups { operations.append(.setLimit(resource: Int32(RLIMIT_DATA.rawValue), limits.memoryBytes)) }
        var spec = ProcessSpec.oldSide.with(operations: operations + [.chdir("/work/checkout")])
        // A checkout's .git belongs to someone else in there: Go must not stamp it.
        spec.environment += ["HOME=/tmp", "TMPDIR=/tmp", "GOFLAGS=-buildvcs=false"]
        spec.outputLimit = limits.outputBytes
        return spec
    }

    /// Runs the program once and, while its probe pauses, looks at it from outside.
    func runProgram(in sandbox: GradingSandbox, workspace: GradingWorkspace, fixtures: [String: FileIdentity]) throws -> ProgramRun {
        var spec = ExerciseRunner.placement(limits, cgroups: sandbox.cgroup != nil)
        spec.separatesStandardError = true
        let deadline = Deadline(seconds: entry.timeout)
        // Through sh, so that the program is found in the sandbox's copy of the checkout.
        let child = try sandbox.start(spec, ["/bin/sh", "-c", "exec \"$0\" \"$@\""] + expandedWords)
        // Until the probe pauses; a command the program left running still gets to print.
        child.outputEndsAtExit = false
        var run = ProgramRun(limits: limits, timeout: entry.timeout, reportSections: Set<ReportSection>([.ns, .process]).union(exercise.reportSections))
        let oomKills = cgroup?.oomKills ?? 0
        do {
            try child.readLine(until: ProbeOutput.isHoldReady, timeout: deadline.remaining)
            run.pauseSeen = true
        } catch {
            // Out of time: the program's own, or only that of what it left holding its output.
            run.timedOut = deadline.remaining <= 0 && !child.hasExited
        }
        if run.pauseSeen {
            run.sighting = ProbeSighting.look(in: sandbox, genuine: workspace.genuineProbes)
            switch run.sighting {
            case .none:
                // A line that says the probe paused, and no probe: nothing more to learn of the
                // program; what it did to the sandbox is still looked at.
                run.stopped = true
                sandbox.killProgram(child)
            case .several(let probes), .traced(let probes):
                // Judged already; released, so that the program can end as it would.
                probes.forEach { _ = $0.signal(SIGUSR1) }
            case .found(let probe):
                let paused = PausedProbe(values: values, probe: probe, sandbox: sandbox, workspace: workspace, fixtures: fixtures,
                                         sandboxIDs: Set(extraIDs))
                do {
                    run.exerciseChecks = try exercise.judge(paused)
                } catch let failure as StudentFailure {
                    run.lookFailure = failure.check
                }
                run.kernel = (probe.inodes, probe.nspid.last, paused.seenHostname)
                // Still running while its command pauses: it waits for it (a command cannot end
                // before it is released).
                run.waited = !child.hasExited
                _ = probe.signal(SIGUSR1)
                probe.waitForExit(timeout: deadline.remaining)
            }
        } else if run.timedOut, case .found = ProbeSighting.look(in: sandbox, genuine: workspace.genuineProbes) {
            run.pausedUnseen = true
        }
        if !run.timedOut && !run.stopped {
            child.outputEndsAtExit = true
            do {
                // Ended already when only what it left ran out of time: its pipes are drained.
                run.termination = try child.finish(timeout: child.hasExited ? max(deadline.remaining, 1) : deadline.remaining)
            } catch is WaitTimedOut {
                run.timedOut = true
            } catch where deadline.remaining <= 0 {
                run.timedOut = true
            }
        }
        if run.timedOut || run.stopped {
            // Every process of the program, with the sandbox's PID namespace; the rest of the
            // sandbox stays to be compared.
            sandbox.killProgram(child)
            _ = try? child.finish(timeout: 5)
        }
        run.after = try sandbox.snapshot()
        run.oomKills = (cgroup?.oomKills ?? 0) - oomKills
        let probeOutput = ProbeOutput(lines: child.lines)
        run.probeOutput = probeOutput
        run.output = probeOutput.otherLines
        run.errors = child.errorLines
        run.outputCut = child.outputCut
        return run
    }
}

/// The grader's probe as found in a sandbox: one process of it, not traced, or why not.
enum ProbeSighting {
    case found(ProcessView)
    case none
    case several([ProcessView])
    case traced([ProcessView])

    /// The processes of the sandbox (its PID namespace and those below) that run one of the
    /// `genuine` probe files, as the kernel shows their executables.
    static func look(in sandbox: GradingSandbox, genuine: Set<FileIdentity>) -> ProbeSighting {
        let probes = sandbox.members().compactMap(ProcessView.init(pid:))
            .filter { $0.executable.map(genuine.contains) ?? false }
        guard probes.count == 1, let probe = probes.first else { return probes.isEmpty ? .none : .several(probes) }
        return probe.tracer == 0 ? .found(probe) : .traced(probes)
    }
}

/// How the student's program ran for one exercise, and what the grader saw while its probe paused.
struct ProgramRun {
    let limits: Course.Limits
    let timeout: Double
    let reportSections: Set<ReportSection>
    var pauseSeen = false
    var timedOut = false
    /// Stopped by the grader once it knew: a line said the probe paused, and none had.
    var stopped = false
    /// Why the grader could not finish looking, when the program's doing ended the probe.
    var lookFailure: Check?
    /// Out of time with the probe paused, its line never seen: the output never came.
    var pausedUnseen = false
    var sighting: ProbeSighting = .none
    var exerciseChecks: [Check] = []
    /// Whether the program still ran when its probe was released.
    var waited: Bool?
    /// What the kernel showed of the probe: its namespaces, its own pid, its hostname.
    var kernel: (inodes: [Namespace: UInt64], pid: Int?, hostname: String?)?
    var termination: Termination?
    var after: SandboxSnapshot?
    var oomKills = 0
    var probeOutput = ProbeOutput(lines: [])
    var output: [String] = []
    var errors: [String] = []
    var outputCut = false

    /// The checks every exercise has about the program itself, in the order a student fixes
    /// them: memory, its end, its output, the probe, its waiting, the report.
    var programChecks: [Check] {
        var checks = [Check.that("its memory within \(limits.memoryBytes >> 20) MiB", oomKills == 0, expected: "within",
                                 actual: oomKills == 0 ? "within" : "more: the kernel's OOM killer ended it")]
        if timedOut {
            checks.append(Check("your program finished within \(timeout.formatted) s", expected: "finished",
                                actual: "killed with the whole sandbox — " + (pausedUnseen
                                    ? "its probe had paused, but the line that says so never reached the grader: pass the command's standard output on"
                                    : "does it wait for something?"), passed: false))
        } else if !stopped {
            let said = (errors + output).prefix(3).joined(separator: " | ")
            checks.append(Check.equal("your program's exit status", expected: Termination.exited(0), actual: termination)
                .diagnosed(said.isEmpty ? nil : "it printed: \(said)" + (ProgramRun.refusalHint(errors + output).map { " — \($0)" } ?? "")))
        }
        checks.append(Check("its output within \(limits.outputBytes) bytes", expected: "within",
                            actual: outputCut ? "more: the rest was read and dropped" : "within", passed: !outputCut))
        checks.append(probeCheck)
        if let lookFailure { checks.append(lookFailure) }
        if case .found = sighting {
            checks.append(.that("your program waited for its command", waited == true, expected: "yes",
                                actual: waited == true ? "yes"
                                    : "no: it ended while its command still ran — wait for the command and exit with its status"))
            checks.append(reportCheck)
        }
        return checks
    }

    /// What a refusal a program met in the sandbox means, where a real root host would have
    /// let it: the sandbox is a user namespace, as a rootless container is (user_namespaces(7)).
    static func refusalHint(_ lines: [String]) -> String? {
        let refusals = lines.map { $0.lowercased() }.filter { line in
            ["permission denied", "not permitted", "eperm", "eacces"].contains { line.contains($0) }
        }
        func said(_ words: String...) -> Bool { refusals.contains { line in words.allSatisfy { line.contains($0) } } }
        if said("mount", "proc") {
            return "in a user namespace the kernel mounts a new proc only where a full proc is still visible, for a PID namespace "
                + "of the mounter's own user namespace: mount proc before you detach the old root"
        }
        if said("mknod") {
            return "a user namespace may not make device nodes: bind-mount the few it needs (/dev/null, /dev/zero) instead"
        }
        if said("devtmpfs") {
            return "a user namespace may not mount devtmpfs: mount a tmpfs on /dev and bind the devices it needs"
        }
        return nil
    }

    /// Whether the grader's probe ran, unchanged, in the sandbox, and paused while it looked.
    var probeCheck: Check {
        let name = "the probe ran", expected = "the grader's probe, paused while the grader looked"
        let reports = (try? probeOutput.reports) ?? []
        let actual: String
        switch (pauseSeen, sighting) {
        case (true, .found): return Check(name, expected: expected, actual: expected, passed: true)
        case (true, .several(let probes)): actual = "\(probes.count) of them at once: run the command once"
        case (true, .traced): actual = "traced (ptrace): run the command without a tracer or debugger"
        case (true, .none):
            actual = "no process of the grader's probe in the sandbox when its output said the probe paused: "
                + "what a program prints proves nothing, the grader looks at the probe itself"
        case (false, _) where pausedUnseen: actual = "it paused, but the line that says so never reached the grader"
        case (false, _) where timedOut: actual = "it never paused within \(timeout.formatted) s"
        case (false, _):
            if let report = reports.first, report.mounts != nil || report.interfaces != nil || report.pids != nil {
                actual = "without its arguments (a full report, no pause): pass every argument after the command on to it"
            } else if !reports.isEmpty {
                actual = "it never paused for the grader: was it ended, or its output cut short?"
            } else {
                actual = "none — the probe never ran: does your program run the command it is given with its arguments?"
                    + (errors.first.map { " It said: \($0.prefix(200))" } ?? "")
            }
        }
        return Check(name, expected: expected, actual: actual, passed: false)
    }

    /// Whether every report the program's output carries says what the kernel shows.
    var reportCheck: Check {
        let name = "the probe's report, against the kernel"
        guard let reports = try? probeOutput.reports, !reports.isEmpty else {
            return Check(name, expected: "what the kernel shows", actual: outputCut ? "none within the output limit"
                : "none reached the grader: pass the command's standard output on", passed: false)
        }
        var kinds: [String] = [], others: [String] = []
        for report in reports {
            for (kind, inode) in (kernel?.inodes ?? [:]).sorted(by: { $0.key < $1.key }) where report.inode(kind).map({ $0 != inode }) ?? false {
                kinds.append(kind.rawValue)
            }
            if let pid = kernel?.pid, report.pid != pid { others.append("its pid") }
            if let hostname = kernel?.hostname, let said = report.hostname, said != hostname { others.append("its hostname") }
        }
        let uniqueKinds = kinds.enumerated().filter { kinds.firstIndex(of: $0.element) == $0.offset }.map(\.element)
        let unique = (uniqueKinds.isEmpty ? [] : ["its namespaces (\(uniqueKinds.joined(separator: ", ")))"])
            + others.enumerated().filter { others.firstIndex(of: $0.element) == $0.offset }.map(\.element)
        return .that(name, unique.isEmpty, expected: "what the kernel shows", actual: unique.isEmpty ? "what the kernel shows"
                     : "a report that does not match what the kernel shows (\(unique.joined(separator: ", "))): the grader reads the kernel itself")
    }
}

extension String {
    /// A hash that is the same in every run (Swift's hashValue is seeded per process).
    var hashValueStable: UInt64 {
        utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }
}
