import ArgumentParser
import Experiments
import FoundationEssentials
import Glibc

struct GradeCommand: ParsableCommand, SpeaksLanguage {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Grade students' namespace programs: each exercise of the course, in a sandbox of its own, judged from the kernel.",
        discussion: "Exit status: 0 every checkout reaches --min-score (default: every point), 1 one does not, 2 bad usage or a bad course manifest, 3 this host cannot grade, 4 the grader itself could not judge an exercise.")

    @Argument(help: "Student checkouts, each with its lab.yml (the build and each exercise's command line).", completion: .directory)
    var checkouts: [String]

    @Option(help: ArgumentHelp("The course's manifest: the exercises graded, their points and limits (default: every exercise, 1 point each).", valueName: "file"),
            completion: .file(extensions: ["yml", "yaml"]))
    var manifest: String?

    @Option(help: ArgumentHelp("Only these exercises (comma-separated ids).", valueName: "ids"), completion: .list(Catalog.exercises.map(\.id)))
    var only: String?

    @Option(help: "The seed of the random values students must apply; the same seed gives the same report.")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Wall-clock bound of each exercise, seconds (default: the course's, else 10).", valueName: "seconds"))
    var timeout: Double?

    @Option(name: .customLong("min-score"), help: "The score each checkout must reach for exit 0 (default: every point).")
    var minScore: Int?

    @Option(help: ArgumentHelp("Also write JUnit XML here (`-` for standard output).", valueName: "file"), completion: .file())
    var junit: String?

    @Option(help: ArgumentHelp("Also write the results as JSON here.", valueName: "file"), completion: .file())
    var json: String?

    @Option(help: ArgumentHelp("Also write the class table (student, exercise, points, verdict, diagnosis) as CSV here.", valueName: "file"), completion: .file())
    var csv: String?

    @Option(help: ArgumentHelp("Also write Gradescope's results.json here.", valueName: "file"), completion: .file())
    var gradescope: String?

    @Option(help: ArgumentHelp("Also append result=<base64 JSON> to $GITHUB_OUTPUT for GitHub Classroom's reporter, under this step id (letters and digits).", valueName: "name"))
    var classroom: String?

    @Option(help: ArgumentHelp("Also write the class page here: one HTML file, students by exercise, each failure's diagnosis, the totals.",
                               valueName: "file"), completion: .file(extensions: ["html"]))
    var html: String?

    @Flag(help: "Grade the one checkout again whenever one of its files changes, showing what changed; Ctrl-C ends it.")
    var watch = false

    @Option(help: "How many checkouts to grade at once (default: the number of cores).")
    var jobs: Int?

    /// Inside the sandbox: grade checkout number N alone and write its result there.
    @Option(help: .hidden)
    var worker: Int?

    @OptionGroup var colour: ColourOption

    @OptionGroup var language: LanguageOption

    func run() throws {
        let language = language.language
        // The teacher's own mistakes come first, before any sandbox: exit 2.
        let course = try loadCourse(language)
        let host = HostSupport.current()
        if worker != nil && !Grader.isInSandbox {
            printError(runnerText.workerIsTheGraders, language)
            throw Exit.usage
        }
        if !Sandbox.isInside && worker == nil {
            try superviseWithCgroups(mode: try gradingMode(host, language), language)
        }
        let chosenSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        if let worker {
            // One checkout, in the namespaces its supervisor made: the result goes to a file there.
            let result = Grader.grade(checkout: checkouts[0], course: course, index: worker, seed: chosenSeed,
                                      probePath: host.probePath, cgroups: GradingCgroups.inherited)
            try Grader.saveResult(try encodeWholeJSON(result), index: worker)
            return
        }
        let style = Style.forStandardOutput(colour.choice)
        let renderer = GradeRenderer(style: style, language: language)
        // Watched from before the first grade: a change made while it runs counts.
        let watching = watch ? try CheckoutWatch(checkouts[0]) : nil
        var previous: StudentResult?
        while true {
            // Results written to standard output (`-`) are all it gets; a grade again, its changes.
            let report = try gradeOnce(course, seed: chosenSeed,
                                       printing: writesToStandardOutput || previous != nil ? nil : renderer)
            try write(report, language)
            guard let watching, let current = report.students.first else {
                return try judge(report.students)
            }
            if let previous { print(renderer.changes(from: previous, to: current)) }
            print(style.dim(runnerText.watching(checkouts[0]).text(language)))
            fflush(nil)
            previous = current
            try watching.waitForChange()
        }
    }

    /// Every checkout graded once, each result printed by `printing` as it comes.
    private func gradeOnce(_ course: Course, seed chosenSeed: UInt64, printing: GradeRenderer?) throws -> GradeReport {
        var students: [StudentResult] = []
        try Grader.gradeByWorkers(checkouts, course: course, seed: chosenSeed, jobs: jobs ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                                  cgroups: GradingCgroups.inherited,
                                  done: { result in
                                      students.append(result)
                                      if let printing { print(printing.student(result)) }
                                      fflush(nil)
                                  }) { index in
            // This same command, for one checkout: what the worker needs of it.
            ["grade", checkouts[index], "--worker", "\(index)", "--seed", "\(chosenSeed)"]
                + (manifest.map { ["--manifest", $0] } ?? []) + (only.map { ["--only", $0] } ?? [])
                + (timeout.map { ["--timeout", "\($0)"] } ?? [])
        }
        return GradeReport(seed: chosenSeed, students: students)
    }

    /// The results, written where the options say.
    private func write(_ report: GradeReport, _ language: Language) throws {
        let students = report.students
        if let json { try ResultDestination(path: json, option: "--json").write(try encodeJSON(report)) }
        if let junit { try ResultDestination(path: junit, option: "--junit").write(GradeFormats.junit(report)) }
        if let csv { try ResultDestination(path: csv, option: "--csv").write(GradeFormats.csv(report)) }
        if let html { try ResultDestination(path: html, option: "--html").write(ClassPage(language: language).document(report)) }
        if let gradescope, let first = students.first {
            try ResultDestination(path: gradescope, option: "--gradescope").write(try encodeJSON(GradeFormats.gradescope(first)))
        }
        if let summary = environment("GITHUB_STEP_SUMMARY") {
            appendToFile(summary, GradeFormats.markdown(report), what: runnerText.stepSummary, language)
        }
        if let classroom {
            guard let output = environment("GITHUB_OUTPUT") else {
                printError(runnerText.noGitHubOutput(classroom), language)
                throw Exit.broken
            }
            appendToFile(output, "result=" + Data(try GradeFormats.classroom(report).utf8).base64EncodedString() + "\n",
                         what: .verbatim("GITHUB_OUTPUT"), language)
        }
    }

    /// The exit status: broken, short of the score, or all reached it.
    private func judge(_ students: [StudentResult]) throws {
        if students.contains(where: { $0.verdict == .broken }) { throw Exit.broken }
        if students.contains(where: { $0.score < (minScore ?? $0.maxScore) }) { throw Exit.failed }
    }

    /// How the grading sandbox is made: as real root; else, as rootless Podman does, with the
    /// user's subordinate ids (one checkout's worth each 65,536); else exit 3, saying what to
    /// install or run.
    func gradingMode(_ host: HostSupport, _ language: Language) throws -> Sandbox.Mode {
        if host.hasSysAdmin && host.mapsEveryID {
            guard let mode = Sandbox.mode(host) else {
                printError(runnerText.cannotGrade(Message.joined(Sandbox.problems(host))), language)
                throw Exit.hostCannot
            }
            return mode
        }
        // Root in a user namespace (a container) has no subordinate ids to map.
        guard !host.isRoot else {
            printError(runnerText.gradeNeedsRoot, language)
            throw Exit.hostCannot
        }
        switch SubordinateIDs.ofThisUser() {
        case .failure(let refusal):
            printError(refusal.message, language)
            throw Exit.hostCannot
        case .success(let ids):
            if let problem = host.userNamespaceProblem {
                printError(runnerText.cannotGrade(problem), language)
                throw Exit.hostCannot
            }
            guard checkouts.count <= ids.checkouts else {
                printError(runnerText.tooFewSubordinateIDs(checkouts.count, Int(ids.count)), language)
                throw Exit.hostCannot
            }
            return .subordinate(ids)
        }
    }

    /// The supervisor's part: the run's cgroups, made outside every namespace of the run and
    /// removed after it, also after an interrupt, and by a janitor after SIGKILL; the runner
    /// itself goes on in its sandbox.
    func superviseWithCgroups(mode: Sandbox.Mode, _ language: Language) throws -> Never {
        let (cgroups, problem) = GradingCgroups.makeForRun()
        if let problem { printError(runnerText.rlimitsInstead(problem), language) }
        cgroups?.removeWhenThisProcessEnds()
        do {
            try rerunInSandbox([], mode: mode, language, environment: cgroups.map { [$0.environmentEntry] } ?? [], makesCgroup: false)
        } catch let code as ExitCode {
            let left = cgroups?.remove() ?? []
            for path in left { printError(runnerText.cgroupLeft(path), language) }
            throw left.isEmpty || code != ExitCode.success ? code : Exit.failed
        }
    }

    /// The course's manifest, or every exercise at 1 point; narrowed by --only and --timeout.
    /// A bad one, or a bad flag, is the teacher's to fix: exit 2.
    func loadCourse(_ language: Language) throws -> Course {
        if let timeout, !(0.1...3600).contains(timeout) {
            printError(runnerText.badTimeout(timeout), language)
            throw Exit.usage
        }
        if let classroom, classroom.isEmpty || !classroom.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            printError(runnerText.badClassroom(classroom), language)
            throw Exit.usage
        }
        if let jobs, jobs < 1 {
            printError(runnerText.badJobs(jobs), language)
            throw Exit.usage
        }
        if watch && checkouts.count != 1 {
            printError(runnerText.watchOneCheckout(checkouts.count), language)
            throw Exit.usage
        }
        if watch && writesToStandardOutput {
            printError(runnerText.watchPrints, language)
            throw Exit.usage
        }
        // A folder to watch that is not there is a typo on the command line, said before grading.
        if watch, let checkout = checkouts.first, !isFolder(checkout) {
            printError(runnerText.watchNoFolder(checkout), language)
            throw Exit.usage
        }
        do {
            let course = try manifest.map { path throws(ManifestError) in try Course.load(path) } ?? .everyExercise
            return course.narrowed(to: try onlyIDs(language), timeout: timeout)
        } catch let error as ManifestError {
            printError(runnerText.badManifest(error.message), language)
            throw Exit.usage
        }
    }

    func onlyIDs(_ language: Language) throws -> Set<String>? {
        guard let only else { return nil }
        return Set(try only.split(separator: ",").map { word in
            guard let exercise = Catalog.exercise(String(word)) else {
                let close = alternatives(closest(to: String(word), among: Catalog.exercises.map(\.id)))
                printError(close.map { runnerText.unknownOnlyClose(word, $0) } ?? runnerText.unknownOnly(word), language)
                throw Exit.usage
            }
            return exercise.id
        })
    }
}

extension GradeCommand: WritesResults {
    /// Whether a result file is standard output (`-`), which the text report then leaves.
    var writesToStandardOutput: Bool { resultDestinations.contains { $0.path == "-" } }

    var resultDestinations: [ResultDestination] {
        [(junit, "--junit"), (json, "--json"), (csv, "--csv"), (gradescope, "--gradescope"), (html, "--html")].compactMap { path, option in
            path.map { ResultDestination(path: $0, option: option) }
        }
    }
}

/// Every checkout graded in one run, with the seed that reproduces it.
struct GradeReport: Encodable {
    let seed: UInt64
    let students: [StudentResult]
}

/// Appends `text` to the file at `path` (GitHub's step summary and outputs), creating it.
func appendToFile(_ path: String, _ text: String, what: Message, _ language: Language) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return printError(runnerText.cannotWriteFile(what, path, errnoName(errno)), language) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}
