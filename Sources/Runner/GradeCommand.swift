import ArgumentParser
import Experiments
import FoundationEssentials
import Glibc

struct GradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Grade students' namespace programs: each exercise of a checkout's lab.yml, in a sandbox of its own.",
        discussion: "Exit status: 0 the score reaches --min-score (default: every point), 1 it does not, 2 a bad manifest, 3 this host cannot grade, 4 the grader could not judge an exercise.")

    @Argument(help: "Student checkouts, each with its lab.yml (unless --manifest).")
    var checkouts: [String]

    @Option(help: ArgumentHelp("The manifest for every checkout, instead of each one's lab.yml.", valueName: "file"))
    var manifest: String?

    @Option(help: ArgumentHelp("Only these exercises (comma-separated ids).", valueName: "ids"))
    var only: String?

    @Option(help: "The seed of the random values students must apply; the same seed gives the same report.")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Wall-clock bound of each exercise, seconds (default: the manifest's, else 10).", valueName: "seconds"))
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

    @Option(help: "How many checkouts to grade at once (default: the number of cores).")
    var jobs: Int?

    /// Inside the sandbox: grade checkout number N alone and write its result there.
    @Option(help: .hidden)
    var worker: Int?

    @OptionGroup var colour: ColourOption

    func run() throws {
        // Before any sandbox: a bad manifest or a bad id is the teacher's to fix (exit 2).
        let plans = try checkouts.map { checkout in (checkout, try loadManifest(for: checkout)) }
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
            try rerunInSandbox([], mode: mode)
        }
        let chosenSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        if let worker {
            // One checkout, in the sandbox its supervisor made: the result goes to a file there.
            let result = try Grader.grade(checkout: plans[0].0, manifest: plans[0].1, index: worker, seed: chosenSeed,
                                          only: try onlyIDs(), probePath: host.probePath)
            try Grader.saveResult(try encodeJSON(result), index: worker)
            return
        }
        let style = Style.forStandardOutput(colour.choice)
        var students: [StudentResult] = []
        // Results written to standard output (`-`) are all it gets.
        let quiet = [junit, json, csv, gradescope].contains("-")
        try gradeAll(plans, seed: chosenSeed) { result in
            students.append(result)
            if !quiet { print(GradeRenderer(style: style).student(result)) }
            fflush(nil)
        }
        let report = GradeReport(seed: chosenSeed, students: students)
        if let json { try ResultDestination(path: json, option: "--json").write(try encodeJSON(report)) }
        if let junit { try ResultDestination(path: junit, option: "--junit").write(GradeRenderer.junit(report)) }
        if let csv { try ResultDestination(path: csv, option: "--csv").write(GradeRenderer.csv(report)) }
        if let gradescope, let first = students.first {
            try ResultDestination(path: gradescope, option: "--gradescope").write(try encodeJSON(GradeRenderer.gradescope(first)))
        }
        if let summary = getenv("GITHUB_STEP_SUMMARY").map({ String(cString: $0) }), !summary.isEmpty {
            appendToFile(summary, GradeRenderer.markdown(report))
        }
        if students.contains(where: { $0.verdict == .broken }) { throw Exit.broken }
        if students.contains(where: { $0.score < (minScore ?? $0.maxScore) }) { throw Exit.failed }
    }

    /// Grades every checkout, `jobs` at a time, each by a worker runner in this sandbox;
    /// `done` gets the results in the order of the checkouts.
    func gradeAll(_ plans: [(String, Manifest)], seed: UInt64, done: (StudentResult) -> Void) throws {
        do {
            try Grader.gradeByWorkers(plans.map { (checkout: $0.0, manifest: $0.1) },
                                      jobs: jobs ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), done: done) { index in
                // This same command, for one checkout: what the worker needs of it.
                ["grade", plans[index].0, "--worker", "\(index)", "--seed", "\(seed)"]
                    + (manifest.map { ["--manifest", $0] } ?? []) + (only.map { ["--only", $0] } ?? [])
                    + (timeout.map { ["--timeout", "\($0)"] } ?? [])
            }
        } catch let failure as WorkerFailure {
            printError("could not grade \(failure.checkout): \(failure.reason)")
            throw Exit.broken
        }
    }

    /// The manifest for `checkout`; a ManifestError (or an unknown --only id) is exit 2.
    func loadManifest(for checkout: String) throws -> Manifest {
        var directory = stat()
        guard stat(checkout, &directory) == 0, (directory.st_mode & S_IFMT) == S_IFDIR else {
            printError("\(checkout): not a directory (a student's checkout)")
            throw Exit.usage
        }
        do {
            _ = try onlyIDs()
            if let timeout, !(0.1...3600).contains(timeout) {
                printError("--timeout: \(timeout) is not a number of seconds from 0.1 to 3600")
                throw Exit.usage
            }
            return try Manifest.load(manifest ?? "\(checkout)/lab.yml").bounded(by: timeout)
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

/// Appends `text` to the file at `path` (GitHub's step summary), creating it.
func appendToFile(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return printError("cannot write the step summary to \(path): \(errnoName(errno))") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// How grading results read: the terminal, JUnit, CSV, Gradescope and Markdown.
struct GradeRenderer {
    let style: Style

    func student(_ result: StudentResult) -> String {
        var lines = [style.bold("\(result.checkout)") + style.dim(" (seed \(result.seed))")]
        if let failure = result.buildFailure { lines.append("  " + style.fail("BUILD") + "  \(failure)") }
        for exercise in result.exercises {
            let mark = switch exercise.verdict {
            case .pass: style.pass("PASS  ")
            case .fail: style.fail("FAIL  ")
            case .broken: style.fail("BROKEN")
            }
            let name = exercise.id.padding(toLength: 16, withPad: " ", startingAt: 0)
            lines.append("  \(mark) \(name) \(exercise.points)/\(exercise.maxPoints)"
                         + (exercise.verdict == .pass ? "" : "  " + (exercise.diagnosis ?? "")))
        }
        lines.append("score \(result.score)/\(result.maxScore)")
        return lines.joined(separator: "\n")
    }

    /// One suite per checkout, one case per exercise: its failed checks as the failure (or,
    /// broken, the error), every check in the body. No times: the same seed, the same XML.
    static func junit(_ report: GradeReport) -> String {
        JUnit.render(report.students.map { student in
            JUnit.Suite(name: student.checkout, milliseconds: 0, cases: student.exercises.map { exercise in
                let body = exercise.checks.map { "\($0.passed ? "PASS" : "FAIL")  \($0.name): \($0.actual)" }.joined(separator: "\n")
                let problem: JUnit.Problem? = switch exercise.verdict {
                case .pass: nil
                case .fail: JUnit.Problem(element: "failure", type: "check", message: JUnit.oneLine(exercise.diagnosis ?? ""), body: body)
                case .broken: JUnit.Problem(element: "error", type: "broken", message: JUnit.oneLine(exercise.diagnosis ?? ""), body: body)
                }
                return JUnit.Case(name: exercise.id, milliseconds: 0, problem: problem)
            })
        }, name: "runner grade")
    }

    static func csv(_ report: GradeReport) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = ["student,exercise,points,verdict,diagnosis"]
        for student in report.students {
            for exercise in student.exercises {
                lines.append([student.checkout, exercise.id, "\(exercise.points)", exercise.verdict.rawValue,
                              exercise.diagnosis ?? ""].map(field).joined(separator: ","))
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
                            output: exercise.checks.map { "\($0.passed ? "PASS" : "FAIL")  \($0.name): \($0.actual)" }.joined(separator: "\n"))
        })
    }

    static func markdown(_ report: GradeReport) -> String {
        var lines = ["### runner grade (seed \(report.seed))", "", "| checkout | exercise | points | verdict | diagnosis |",
                     "| --- | --- | --- | --- | --- |"]
        for student in report.students {
            for exercise in student.exercises {
                let diagnosis = (exercise.diagnosis ?? "").replacingOccurrences(of: "|", with: "\\|")
                lines.append("| \(student.checkout) | \(exercise.id) | \(exercise.points)/\(exercise.maxPoints) | \(exercise.verdict.rawValue) | \(diagnosis) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
