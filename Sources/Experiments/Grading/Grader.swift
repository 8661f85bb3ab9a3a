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
    public let diagnosis: Message?
    /// The other checks that failed, by name: a student fixes them all at once.
    public let alsoFailing: [Message]
    /// The values the program was given, by placeholder.
    public let values: [String: String]
    /// The program's first lines on standard error, then on standard output (the probe's
    /// left out): what it said went wrong comes first.
    public let errors: [String]
    public let output: [String]

    /// A result whose verdict and points follow from `checks`: every one passed, or 0 points
    /// and the first failure as the diagnosis; `broken`: the grader could not judge.
    init(id: String, points: Int, checks: [Check], broken: Message? = nil, values: [String: String] = [:],
         errors: [String] = [], output: [String] = []) {
        let failed = checks.filter { !$0.passed }
        verdict = broken != nil ? .broken : failed.isEmpty ? .pass : .fail
        self.id = id
        self.points = verdict == .pass ? points : 0
        maxPoints = points
        self.checks = checks
        diagnosis = broken.map { gradingText.couldNotJudge($0) }
            ?? failed.first.map { gradingText.failedCheck($0.name, $0.expected, $0.actual) }
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
    public let ended: Message
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
    public let problem: Message?
    public let build: BuildResult?
    public let exercises: [ExerciseResult]
    public var score: Int { exercises.reduce(0) { $0 + $1.points } }
    public var maxScore: Int { exercises.reduce(0) { $0 + $1.maxPoints } }
    public var verdict: Verdict { exercises.map(\.verdict).max() ?? .pass }

    enum CodingKeys: String, CodingKey { case checkout, seed, problem, build, exercises, score, maxScore }

    public init(checkout: String, seed: UInt64, problem: Message?, build: BuildResult?, exercises: [ExerciseResult]) {
        self.checkout = checkout
        self.seed = seed
        self.problem = problem
        self.build = build
        self.exercises = exercises
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(checkout: try container.decode(String.self, forKey: .checkout), seed: try container.decode(UInt64.self, forKey: .seed),
                  problem: try container.decodeIfPresent(Message.self, forKey: .problem),
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

    /// Whether `exercise` failed for what a report says once, above the exercises: the
    /// checkout's problem, or its build (an exercise it did not attempt fails for that alone).
    public func failedAsSaidAbove(_ exercise: ExerciseResult) -> Bool {
        guard exercise.verdict != .pass, exercise.checks.count == 1 else { return false }
        return problem != nil || (build?.passed == false && exercise.checks[0].name == gradingText.theBuild)
    }

    /// A checkout none of whose exercises could be judged, each failing with the same check.
    static func failing(_ checkout: String, seed: UInt64, course: Course, problem: Message?, check: Check,
                        broken: Message? = nil) -> StudentResult {
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
        let decoder = JSONDecoder.ofWholeMessages()
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
                spec.cgroups = cgroup?.directories ?? []
                running.append((next, try spawn(spec, command: "runner grade \(checkouts[next])"), Deadline(seconds: bound), cgroup))
                next += 1
            }
            let (index, child, deadline, cgroup) = running.removeFirst()
            let ended = (try? child.wait(timeout: deadline.remaining)) ?? .signaled(SIGKILL)
            cgroup?.remove()
            if ended == .exited(0), let text = readTextFile(resultFile(index)),
               let result = try? decoder.decode(StudentResult.self, from: Data(text.utf8)) {
                done(result)
            } else {
                let why = ended == .signaled(SIGKILL) ? gradingText.graderPastBound(ended.message, Int(bound)) : gradingText.graderEnded(ended.message)
                done(.failing(checkouts[index], seed: seed, course: course, problem: nil,
                              check: Check(gradingText.theGrader, expected: gradingText.aResult, actual: why, passed: false), broken: why))
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
        guard isFolder(checkout) else {
            return .failing(checkout, seed: seed, course: course, problem: gradingText.notADirectory(checkout),
                            check: Check(gradingText.theCheckout, expected: gradingText.aDirectory, actual: gradingText.notOne, passed: false))
        }
        let lab: LabFile?
        do {
            lab = try readTextFile("\(checkout)/lab.yml").map { text throws(ManifestError) in try LabFile.parse(text, file: "lab.yml") }
        } catch {
            return .failing(checkout, seed: seed, course: course, problem: error.message,
                            check: Check(gradingText.itsLabFile, expected: gradingText.valid, actual: error.message, passed: false))
        }
        if lab == nil && course.entries.contains(where: { $0.run == nil }) {
            return .failing(checkout, seed: seed, course: course, problem: gradingText.noLabFile,
                            check: Check(gradingText.itsLabFile, expected: gradingText.present, actual: words.none, passed: false))
        }
        let plans = course.entries.map { entry in (entry: entry, runLine: entry.run ?? lab?.runs[entry.exercise]) }
        var workspace: GradingWorkspace
        do {
            workspace = try GradingWorkspace(index: index, probePath: probePath)
            try workspace.copy(checkout: checkout)
        } catch {
            return .failing(checkout, seed: seed, course: course, problem: nil, check: .notMade(gradingText.workspace, error),
                            broken: Message.of(error))
        }
        var build: BuildResult?
        if let command = course.build ?? lab?.build, plans.contains(where: { $0.runLine != nil }) {
            do {
                build = try Builds.build(command, in: workspace, limits: course.limits, cgroup: cgroup)
            } catch {
                return .failing(checkout, seed: seed, course: course, problem: nil, check: .notMade(gradingText.buildSandbox, error),
                                broken: Message.of(error))
            }
        }
        var results: [ExerciseResult] = []
        for plan in plans {
            let entry = plan.entry
            guard let runLine = plan.runLine else {
                results.append(ExerciseResult(id: entry.exercise, points: entry.points, checks: [
                    Check(gradingText.itsCommandLine, expected: gradingText.oneCommandLine, actual: gradingText.notAttempted, passed: false),
                ]))
                continue
            }
            if let build, !build.passed {
                let ended = gradingText.buildEnded(build.command, build.ended)
                let why = build.firstErrors.isEmpty ? ended : gradingText.buildSaid(ended, build.firstErrors.joined(separator: " | "))
                results.append(ExerciseResult(id: entry.exercise, points: entry.points,
                                              checks: [Check(gradingText.theBuild, expected: words.success, actual: why, passed: false)]))
                continue
            }
            var random = SeededGenerator(seed: seed ^ entry.exercise.hashValueStable)
            guard let exercise = Catalog.exercise(entry.exercise) else { continue }  // a course names known ones only
            let runner = ExerciseRunner(exercise: exercise, chosen: exercise.choose(&random), entry: entry, runLine: runLine,
                                        limits: course.limits, cgroup: cgroup)
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
    /// Its values for this checkout, and what follows from them.
    let chosen: ChosenExercise
    let entry: Course.Entry
    /// The `run` line's words, placeholders in place.
    let runLine: [String]
    let limits: Course.Limits
    /// The checkout's cgroup, where the program is born; nil where the host gives none.
    let cgroup: CheckoutCgroup?

    /// What the probe is told: report its namespaces and pid (and what the exercise adds),
    /// then pause until the grader has looked.
    var probeWords: [String] {
        [ProbeAction.report(Set<ReportSection>([.ns, .process]).union(exercise.reportSections)).description,
         "pause=\(Int(entry.timeout) + 5)"]
    }

    /// The sandbox ids besides root: those the exercise names.
    var extraIDs: [UInt32] { Set(chosen.sandboxIDs).sorted() }

    func run(in workspace: inout GradingWorkspace) -> ExerciseResult {
        let fixtures: ExerciseFiles
        do {
            fixtures = try workspace.prepareExercise(chosen.fixtures)
        } catch {
            workspace.removeExercise()
            return notMade(gradingText.exerciseFiles, error)
        }
        defer { workspace.removeExercise() }
        let sandbox: GradingSandbox
        do {
            sandbox = try GradingSandbox(workspace: workspace, limits: limits, timeout: entry.timeout, extraIDs: extraIDs,
                                         withExercise: true, observe: chosen.sandboxSetup, cgroup: cgroup)
        } catch {
            return notMade(gradingText.theSandbox, error)
        }
        let graderBefore = HostState.read()
        var checks: [Check] = []
        var broken: Message?
        var program: ProgramRun?
        do {
            let before = try sandbox.snapshot()
            let run = try runProgram(in: sandbox, workspace: workspace, fixtures: fixtures)
            program = run
            checks = run.programChecks
            if let after = run.after {
                let changes = before.changes(to: after, exemptDevices: chosen.leavesDevices, processLimit: limits.processes)
                checks.append(.noChanges(gradingText.sandboxPlaysHost, changes, steady: gradingText.asItWas))
            }
            checks += run.exerciseChecks
        } catch {
            broken = Message.of(error)
        }
        sandbox.close()
        checks.append(.noChanges(gradingText.gradersSandbox, graderBefore.differences(to: HostState.read())))
        return ExerciseResult(id: entry.exercise, points: entry.points, checks: checks, broken: broken, values: shownValues,
                              errors: Array((program?.errors ?? []).prefix(5)).map { String($0.prefix(200)) },
                              output: Array((program?.output ?? []).prefix(5)).map { String($0.prefix(200)) })
    }

    /// The exercise not judged: the grader could not make `what`.
    func notMade(_ what: Message, _ error: any Error) -> ExerciseResult {
        ExerciseResult(id: entry.exercise, points: entry.points, checks: [.notMade(what, error)], broken: Message.of(error),
                       values: shownValues)
    }

    /// The values a student sees in the report: those of the placeholders.
    var shownValues: [String: String] { Dictionary(chosen.values.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }) }

    /// The run line with every placeholder replaced; {probe} stands for the probe's words.
    var expandedWords: [String] {
        runLine.flatMap { word -> [String] in
            switch word {
            case "{\(exercise.probePlaceholder)}": return [GradingWorkspace.probeInSandbox] + probeWords
            default:
                return [placeholderName(word).flatMap(chosen.value(of:)) ?? word]
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
    func runProgram(in sandbox: GradingSandbox, workspace: GradingWorkspace, fixtures: ExerciseFiles) throws -> ProgramRun {
        var spec = ExerciseRunner.placement(limits, cgroups: sandbox.cgroup != nil)
        spec.separatesStandardError = true
        let deadline = Deadline(seconds: entry.timeout)
        // Through sh, so that the program is found in the sandbox's copy of the checkout.
        let child = try sandbox.start(spec, ["/bin/sh", "-c", "exec \"$0\" \"$@\""] + expandedWords)
        // Until the probe pauses; a command the program left running still gets to print.
        child.outputEndsAtExit = false
        var run = ProgramRun(limits: limits, timeout: entry.timeout)
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
                let paused = PausedProbe(probe: probe, sandbox: sandbox, workspace: workspace, fixtures: fixtures,
                                         sandboxIDs: Set(extraIDs))
                do {
                    run.exerciseChecks = try chosen.judge(paused)
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
        let say = gradingText
        var checks = [Check.that(say.memoryWithin(limits.memoryBytes >> 20), oomKills == 0, expected: say.within,
                                 actual: oomKills == 0 ? say.within : say.outOfMemory)]
        if timedOut {
            checks.append(Check(say.finishedWithin(timeout), expected: say.finished,
                                actual: say.killedWithSandbox(pausedUnseen ? say.pauseLineLost : say.waitsForSomething), passed: false))
        } else if !stopped {
            let said = (errors + output).prefix(3).joined(separator: " | ")
            let hint = ProgramRun.refusalHint(errors + output)
            checks.append(Check.equal(say.exitStatus, expected: Termination.exited(0).message, actual: termination?.message)
                .diagnosed(said.isEmpty ? nil : hint.map { say.itPrintedHint(said, $0) } ?? say.itPrinted(said)))
        }
        checks.append(Check(say.outputWithin(limits.outputBytes), expected: say.within,
                            actual: outputCut ? say.outputDropped : say.within, passed: !outputCut))
        checks.append(probeCheck)
        if let lookFailure { checks.append(lookFailure) }
        if case .found = sighting {
            checks.append(.that(say.waited, waited == true, expected: words.yes, actual: waited == true ? words.yes : say.didNotWait))
            checks.append(reportCheck)
        }
        return checks
    }

    /// What a refusal a program met in the sandbox means, where a real root host would have
    /// let it: the sandbox is a user namespace, as a rootless container is (user_namespaces(7)).
    static func refusalHint(_ lines: [String]) -> Message? {
        let refusals = lines.map { $0.lowercased() }.filter { line in
            ["permission denied", "not permitted", "eperm", "eacces"].contains { line.contains($0) }
        }
        func said(_ parts: String...) -> Bool { refusals.contains { line in parts.allSatisfy { line.contains($0) } } }
        if said("mount", "proc") { return gradingText.procRefused }
        if said("mknod") { return gradingText.mknodRefused }
        if said("devtmpfs") { return gradingText.devtmpfsRefused }
        return nil
    }

    /// Whether the grader's probe ran, unchanged, in the sandbox, and paused while it looked.
    var probeCheck: Check {
        let say = gradingText
        let reports = (try? probeOutput.reports) ?? []
        let actual: Message
        switch (pauseSeen, sighting) {
        case (true, .found): return Check(say.probeRan, expected: say.probePaused, actual: say.probePaused, passed: true)
        case (true, .several(let probes)): actual = say.severalProbes(probes.count)
        case (true, .traced): actual = say.tracedProbe
        case (true, .none): actual = say.noProbeProcess
        case (false, _) where pausedUnseen: actual = say.pauseLineNeverCame
        case (false, _) where timedOut: actual = say.neverPausedWithin(timeout)
        case (false, _):
            if let report = reports.first, report.mounts != nil || report.interfaces != nil || report.pids != nil {
                actual = say.withoutArguments
            } else if !reports.isEmpty {
                actual = say.neverPaused
            } else {
                actual = errors.first.map { say.probeNeverRanSaid(String($0.prefix(200))) } ?? say.probeNeverRan
            }
        }
        return Check(say.probeRan, expected: say.probePaused, actual: actual, passed: false)
    }

    /// Whether every report the program's output carries says what the kernel shows.
    var reportCheck: Check {
        let say = gradingText
        guard let reports = try? probeOutput.reports, !reports.isEmpty else {
            return Check(say.reportAgainstKernel, expected: say.whatTheKernelShows,
                         actual: outputCut ? say.noReportWithinLimit : say.noReportReached, passed: false)
        }
        var kinds: [String] = [], others: [Message] = []
        for report in reports {
            for (kind, inode) in (kernel?.inodes ?? [:]).sorted(by: { $0.key < $1.key }) where report.inode(kind).map({ $0 != inode }) ?? false {
                kinds.append(kind.rawValue)
            }
            if let pid = kernel?.pid, report.pid != pid { others.append(say.itsPid) }
            if let hostname = kernel?.hostname, let said = report.hostname, said != hostname { others.append(say.itsHostname) }
        }
        let uniqueKinds = kinds.enumerated().filter { kinds.firstIndex(of: $0.element) == $0.offset }.map(\.element)
        let unique = (uniqueKinds.isEmpty ? [] : [say.itsNamespaces(Message.list(uniqueKinds))])
            + others.enumerated().filter { others.firstIndex(of: $0.element) == $0.offset }.map(\.element)
        return .that(say.reportAgainstKernel, unique.isEmpty, expected: say.whatTheKernelShows,
                     actual: unique.isEmpty ? say.whatTheKernelShows : say.reportMismatch(Message.list(unique)))
    }
}

extension String {
    /// A hash that is the same in every run (Swift's hashValue is seeded per process).
    var hashValueStable: UInt64 {
        utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }
}
