import ArgumentParser
import Experiments
import FoundationEssentials
import Glibc

struct GradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Grade students' namespace programs: each exercise of the course, in a sandbox of its own, judged from the kernel.",
        discussion: "Exit status: 0 every checkout reaches --min-score (default: every point), 1 one does not, 2 bad usage or a bad course manifest, 3 this host cannot grade, 4 the grader itself could not judge an exercise.")

    @Argument(help: "Student checkouts, each with its lab.yml (the build and each exercise's command line).")
    var checkouts: [String]

    @Option(help: ArgumentHelp("The course's manifest: the exercises graded, their points and limits (default: every exercise, 1 point each).", valueName: "file"))
    var manifest: String?

    @Option(help: ArgumentHelp("Only these exercises (comma-separated ids).", valueName: "ids"))
    var only: String?

    @Option(help: "The seed of the random values students must apply; the same seed gives the same report.")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Wall-clock bound of each exercise, seconds (default: the course's, else 10).", valueName: "seconds"))
    var timeout: Double?

    @Option(name: .customLong("min-score"), help: "The score each checkout must reach for exit 0 (default: every point).")
    var minScore: Int?

    @Option(help: ArgumentHelp("Also write JUnit XML here (`-` for standard output).", valueName: "file"))
    var junit: String?

    @Option(help: ArgumentHelp("Also write the results as JSON here.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Also write the class table (student, exercise, points, verdict, diagnosis) as CSV here.", valueName: "file"))
    var csv: String?

    @Option(help: ArgumentHelp("Also write Gradescope's results.json here.", valueName: "file"))
    var gradescope: String?

    @Option(help: ArgumentHelp("Also append result=<base64 JSON> to $GITHUB_OUTPUT for GitHub Classroom's reporter, under this step id (letters and digits).", valueName: "name"))
    var classroom: String?

    @Option(help: "How many checkouts to grade at once (default: the number of cores).")
    var jobs: Int?

    /// Inside the sandbox: grade checkout number N alone and write its result there.
    @Option(help: .hidden)
    var worker: Int?

    @OptionGroup var colour: ColourOption

    func run() throws {
        // The teacher's own mistakes come first, before any sandbox: exit 2.
        let course = try loadCourse()
        let host = HostSupport.current()
        if worker != nil && !Grader.isInSandbox {
            printError("--worker is the grader's own: run `runner grade CHECKOUT...`")
            throw Exit.usage
        }
        if !Sandbox.isInside && worker == nil {
            guard host.hasSysAdmin, host.mapsEveryID else {
                printError("runner grade needs real root: each sandbox maps ids of the machine (run it with sudo)")
                throw Exit.hostCannot
            }
            guard let mode = Sandbox.mode(host) else {
                printError("cannot grade on this host: \(Sandbox.problems(host).joined(separator: "; "))")
                throw Exit.hostCannot
            }
            try superviseWithCgroups(mode: mode)
        }
        let chosenSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        if let worker {
            // One checkout, in the namespaces its supervisor made: the result goes to a file there.
            let result = Grader.grade(checkout: checkouts[0], course: course, index: worker, seed: chosenSeed,
                                      probePath: host.probePath, cgroups: GradingCgroups.inherited)
            try Grader.saveResult(try encodeJSON(result), index: worker)
            return
        }
        let style = Style.forStandardOutput(colour.choice)
        var students: [StudentResult] = []
        // Results written to standard output (`-`) are all it gets.
        let quiet = [junit, json, csv, gradescope].contains("-")
        try Grader.gradeByWorkers(checkouts, course: course, seed: chosenSeed, jobs: jobs ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                                  cgroups: GradingCgroups.inherited,
                                  done: { result in
                                      students.append(result)
                                      if !quiet { print(GradeRenderer(style: style).student(result)) }
                                      fflush(nil)
                                  }) { index in
            // This same command, for one checkout: what the worker needs of it.
            ["grade", checkouts[index], "--worker", "\(index)", "--seed", "\(chosenSeed)"]
                + (manifest.map { ["--manifest", $0] } ?? []) + (only.map { ["--only", $0] } ?? [])
                + (timeout.map { ["--timeout", "\($0)"] } ?? [])
        }
        let report = GradeReport(seed: chosenSeed, students: students)
        if let json { try ResultDestination(path: json, option: "--json").write(try encodeJSON(report)) }
        if let junit { try ResultDestination(path: junit, option: "--junit").write(GradeRenderer.junit(report)) }
        if let csv { try ResultDestination(path: csv, option: "--csv").write(GradeRenderer.csv(report)) }
        if let gradescope, let first = students.first {
            try ResultDestination(path: gradescope, option: "--gradescope").write(try encodeJSON(GradeRenderer.gradescope(first)))
        }
        if let summary = environment("GITHUB_STEP_SUMMARY") {
            appendToFile(summary, GradeRenderer.markdown(report), what: "the step summary")
        }
        if let classroom {
            guard let output = environment("GITHUB_OUTPUT") else {
                printError("--classroom \(classroom): GITHUB_OUTPUT is not set (with sudo: sudo --preserve-env=GITHUB_OUTPUT)")
                throw Exit.broken
            }
            appendToFile(output, "result=" + Data(try GradeRenderer.classroom(report).utf8).base64EncodedString() + "\n",
                         what: "GITHUB_OUTPUT")
        }
        if students.contains(where: { $0.verdict == .broken }) { throw Exit.broken }
        if students.contains(where: { $0.score < (minScore ?? $0.maxScore) }) { throw Exit.failed }
    }

    /// The supervisor's part: the run's cgroups, made outside every namespace of the run and
    /// removed after it, also after an interrupt; the runner itself goes on in its sandbox.
    func superviseWithCgroups(mode: Sandbox.Mode) throws -> Never {
        let (cgroups, problem) = GradingCgroups.makeForRun()
        if let problem {
            printError("\(problem): memory is bounded with RLIMIT_DATA and processes with RLIMIT_NPROC instead")
        }
        if let cgroups { putenv(strdup(cgroups.environmentEntry)) }
        do {
            try rerunInSandbox([], mode: mode)
        } catch let code as ExitCode {
            let left = cgroups?.remove() ?? []
            for path in left { printError("the real host changed during the run: a cgroup of the grader's is left: \(path)") }
            throw left.isEmpty || code != ExitCode.success ? code : Exit.failed
        }
    }

    /// The course's manifest, or every exercise at 1 point; narrowed by --only and --timeout.
    /// A bad one, or a bad flag, is the teacher's to fix: exit 2.
    func loadCourse() throws -> Course {
        if let timeout, !(0.1...3600).contains(timeout) {
            printError("--timeout: \(timeout) is not a number of seconds from 0.1 to 3600")
            throw Exit.usage
        }
        if let classroom, classroom.isEmpty || !classroom.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            printError("--classroom \(classroom): a step id of letters and digits only (GitHub Classroom's reporter hides its errors for others)")
            throw Exit.usage
        }
        if let jobs, jobs < 1 {
            printError("--jobs: \(jobs) is not a number of checkouts from 1")
            throw Exit.usage
        }
        do {
            let course = try manifest.map { path throws(ManifestError) in try Course.load(path) } ?? .everyExercise
            return course.narrowed(to: try onlyIDs(), timeout: timeout)
        } catch let error as ManifestError {
            printError("bad manifest: \(error)")
            throw Exit.usage
        }
    }

    func onlyIDs() throws -> Set<Exercise.ID>? {
        guard let only else { return nil }
        return Set(try only.split(separator: ",").map { word in
            guard let id = Exercise.ID(rawValue: String(word)) else {
                let close = closest(to: String(word), among: Exercise.ID.allCases.map(\.rawValue))
                printError("--only: unknown exercise \(word)" + (close.isEmpty ? "" : "; did you mean \(close.joined(separator: " or "))?"))
                throw Exit.usage
            }
            return id
        })
    }
}

extension GradeCommand: WritesResults {
    var resultDestinations: [ResultDestination] {
        [(junit, "--junit"), (json, "--json"), (csv, "--csv"), (gradescope, "--gradescope")].compactMap { path, option in
            path.map { ResultDestination(path: $0, option: option) }
        }
    }
}

/// Every checkout graded in one run, with the seed that reproduces it.
struct GradeReport: Encodable {
    let seed: UInt64
    let students: [StudentResult]
}

/// A variable of the environment, when set and not empty.
func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
}

/// Appends `text` to the file at `path` (GitHub's step summary and outputs), creating it.
func appendToFile(_ path: String, _ text: String, what: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return printError("cannot write \(what) to \(path): \(errnoName(errno))") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// How grading results read: the terminal, JUnit, CSV, Gradescope, GitHub Classroom and
/// Markdown. What a student's program printed reaches each of them as data: made visible on a
/// terminal, escaped in Markdown, kept exactly where the format can (JSON, CSV).
struct GradeRenderer {
    let style: Style

    func student(_ result: StudentResult) -> String {
        var lines = [style.bold(visible(result.checkout)) + style.dim(" (seed \(result.seed))")]
        if let problem = result.problem { lines.append("  " + style.fail("CHECKOUT") + "  \(visible(problem))") }
        if let build = result.build, !build.passed {
            lines.append("  " + style.fail("BUILD ") + "  \(visible(build.command)): \(visible(build.ended))"
                         + (build.firstErrors.isEmpty ? "" : ": " + visible(build.firstErrors.joined(separator: " | "))))
        }
        // A checkout or build that failed fails every exercise the same way: said once, above.
        let saidAbove = result.problem != nil || result.build?.passed == false
        for exercise in result.exercises {
            let mark = switch exercise.verdict {
            case .pass: style.pass("PASS  ")
            case .fail: style.fail("FAIL  ")
            case .broken: style.fail("BROKEN")
            }
            let name = exercise.id.padding(toLength: 16, withPad: " ", startingAt: 0)
            let also = exercise.alsoFailing.isEmpty ? "" : " (also failing: \(exercise.alsoFailing.joined(separator: ", ")))"
            let shown = exercise.verdict == .pass ? "" : saidAbove && exercise.checks.count == 1 ? "  (above)"
                : "  " + visible(exercise.diagnosis ?? "") + also
            lines.append("  \(mark) \(name) \(exercise.points)/\(exercise.maxPoints)" + shown)
        }
        lines.append("score \(result.score)/\(result.maxScore)")
        return lines.joined(separator: "\n")
    }

    /// One suite per checkout, one case per exercise: its failed checks as the failure (or,
    /// broken, the error), every check in the body, the build's log as its output. No times:
    /// the same seed, the same XML.
    static func junit(_ report: GradeReport) -> String {
        JUnit.render(report.students.map { student in
            JUnit.Suite(name: student.checkout, milliseconds: 0, cases: student.exercises.map { exercise in
                let body = checkLines(exercise)
                let message = JUnit.oneLine(summary(exercise))
                let problem: JUnit.Problem? = switch exercise.verdict {
                case .pass: nil
                case .fail: JUnit.Problem(element: "failure", type: "check", message: message, body: body)
                case .broken: JUnit.Problem(element: "error", type: "broken", message: message, body: body)
                }
                return JUnit.Case(name: exercise.id, milliseconds: 0, problem: problem,
                                  output: (student.build.map { ["$ \($0.command)"] + $0.log } ?? []) + programLines(exercise))
            })
        }, name: "runner grade")
    }

    /// Every check of an exercise, a line each: `FAIL  name: actual`.
    static func checkLines(_ exercise: ExerciseResult) -> String {
        exercise.checks.map { "\($0.passed ? "PASS" : "FAIL")  \($0.name): \($0.actual)" }.joined(separator: "\n")
    }

    /// The diagnosis, and the names of the other failed checks.
    static func summary(_ exercise: ExerciseResult) -> String {
        (exercise.diagnosis ?? "") + (exercise.alsoFailing.isEmpty ? "" : "; also failing: " + exercise.alsoFailing.joined(separator: ", "))
    }

    /// What the program printed, its errors first.
    static func programLines(_ exercise: ExerciseResult) -> [String] {
        (exercise.errors.isEmpty ? [] : ["standard error:"] + exercise.errors)
            + (exercise.output.isEmpty ? [] : ["standard output:"] + exercise.output)
    }

    static func csv(_ report: GradeReport) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = ["student,exercise,points,verdict,diagnosis"]
        for student in report.students {
            for exercise in student.exercises {
                lines.append([student.checkout, exercise.id, "\(exercise.points)", exercise.verdict.rawValue, summary(exercise)]
                    .map(field).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    struct Gradescope: Encodable {
        struct Test: Encodable {
            let name: String
            let score: Int
            let maxScore: Int
            let status: String
            let output: String
            enum CodingKeys: String, CodingKey { case name, score, maxScore = "max_score", status, output }
        }
        let score: Int
        let tests: [Test]
    }

    static func gradescope(_ student: StudentResult) -> Gradescope {
        Gradescope(score: student.score, tests: student.exercises.map { exercise in
            Gradescope.Test(name: exercise.id, score: exercise.points, maxScore: exercise.maxPoints,
                            status: exercise.verdict == .pass ? "passed" : "failed",
                            output: checkLines(exercise))
        })
    }

    /// GitHub Classroom's autograding result (education/autograding-grading-reporter): one
    /// test per exercise of the first checkout, `score` its points (the reporter adds them up
    /// against `max_score`), `test_code` what the student reads of a failure (the only field it
    /// shows for one), `message` for an exercise the grader could not judge.
    static func classroom(_ report: GradeReport) throws -> String {
        struct Result: Encodable {
            struct Test: Encodable {
                let name: String
                let status: String
                let score: Int
                let message: String
                let testCode: String
                let filename = ""
                let lineNo = 0
                enum CodingKeys: String, CodingKey { case name, status, score, message, testCode = "test_code", filename, lineNo = "line_no" }
            }
            let version = 1
            let status: String
            let maxScore: Int
            let tests: [Test]
            enum CodingKeys: String, CodingKey { case version, status, maxScore = "max_score", tests }
        }
        let exercises = report.students.first?.exercises ?? []
        let statuses = exercises.map { $0.verdict == .pass ? "pass" : $0.verdict == .broken ? "error" : "fail" }
        let result = Result(status: statuses.contains("error") ? "error" : statuses.contains("fail") ? "fail" : "pass",
                            maxScore: exercises.reduce(0) { $0 + $1.maxPoints },
                            tests: zip(exercises, statuses).map { exercise, status in
                                Result.Test(name: exercise.id, status: status, score: exercise.points, message: summary(exercise),
                                            testCode: status == "pass" ? "" : summary(exercise))
                            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(result), as: UTF8.self)
    }

    /// GitHub's step summary: a table, every byte of a student's escaped (never rendered).
    static func markdown(_ report: GradeReport) -> String {
        var lines = ["### runner grade (seed \(report.seed))", "", "| checkout | exercise | points | verdict | diagnosis |",
                     "| --- | --- | --- | --- | --- |"]
        for student in report.students {
            for exercise in student.exercises {
                lines.append("| \(markdownEscaped(student.checkout)) | \(exercise.id) | \(exercise.points)/\(exercise.maxPoints) "
                             + "| \(exercise.verdict.rawValue) | \(markdownEscaped(summary(exercise))) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `text` safe on a terminal: control characters (a program's escape sequences, carriage
/// returns, bells) shown as `\x1b`, `\r`, never acted on.
func visible(_ text: String) -> String {
    var shown = ""
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x0A: shown += "\\n"
        case 0x0D: shown += "\\r"
        case 0x09: shown += "\\t"
        case 0x00..<0x20, 0x7F, 0x80..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
            shown += scalar.value <= 0xFF ? "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2) : "\\u{\(String(scalar.value, radix: 16))}"
        default: shown.unicodeScalars.append(scalar)
        }
    }
    return shown
}

/// `text` as literal Markdown (GitHub's): control characters made visible, every ASCII
/// punctuation character backslash-escaped, so no markup or HTML of a student's is rendered.
func markdownEscaped(_ text: String) -> String {
    var escaped = ""
    for character in visible(text) {
        if character.isASCII && character.isPunctuation || character.isASCII && character.isSymbol { escaped.append("\\") }
        escaped.append(character)
    }
    return escaped
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
