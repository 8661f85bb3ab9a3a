import Experiments
import FoundationEssentials

/// Grading results for machines and teachers: JUnit, CSV, Gradescope, GitHub Classroom and
/// Markdown, in English with stable names (as JSON), whatever language the terminal shows.
/// What a student's program printed is data: escaped in Markdown, kept exactly where the
/// format can (JSON, CSV).
enum GradeFormats {
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
        exercise.checks.map { "\($0.passed ? "PASS" : "FAIL")  \($0.name.english): \($0.actual.english)" }.joined(separator: "\n")
    }

    /// The diagnosis, and the names of the other failed checks.
    static func summary(_ exercise: ExerciseResult) -> String {
        (exercise.diagnosis?.english ?? "")
            + (exercise.alsoFailing.isEmpty ? "" : "; also failing: " + exercise.alsoFailing.map(\.english).joined(separator: ", "))
    }

    /// What the program printed, its errors first.
    static func programLines(_ exercise: ExerciseResult) -> [String] {
        (exercise.errors.isEmpty ? [] : ["standard error:"] + exercise.errors)
            + (exercise.output.isEmpty ? [] : ["standard output:"] + exercise.output)
    }

    static func csv(_ report: GradeReport) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacing("\"", with: "\"\"") + "\"" : text
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
