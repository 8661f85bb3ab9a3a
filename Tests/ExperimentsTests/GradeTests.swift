import Foundation
import Glibc
import Testing

@testable import Experiments

/// `runner grade` on the sample students of fixtures/students, in a test sandbox: the verdicts,
/// the checks that fail and what they say, the same report for the same seed, and the host as
/// it was after each.
@Suite("grading the sample students", .serialized)
struct GradeTests {
    struct Report: Decodable { let seed: UInt64; let students: [StudentResult] }

    /// Grades `students` (directories of fixtures/students) with `arguments`; the JSON report.
    static func grade(_ students: [String], _ arguments: [String] = [], seed: UInt64 = 42,
                      environment: [String] = ProcessSpec.defaultEnvironment) throws
        -> (exitCode: Int32?, report: Report, errors: String)
    {
        let scratch = try TemporaryDirectory()
        let json = "\(scratch.path)/grade.json"
        let checkouts = students.map { sourceRoot() + "/fixtures/students/" + $0 }
        let run = try expectHostUnchanged {
            try runCommand(testSandbox + [runnerPath, "grade"] + checkouts + ["--seed", "\(seed)", "--json", json] + arguments,
                           environment: environment, timeout: 300)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let text = try #require(readTextFile(json), "no report: \(run.errors)")
        return (run.exitCode, try decoder.decode(Report.self, from: Data(text.utf8)), run.errors)
    }

    @Test func theGoodCStudentPassesEveryExercise() throws {
        try requireRoot()
        let (exitCode, report, errors) = try Self.grade(["good-c"])
        #expect(exitCode == 0, "\(errors)")
        let student = try #require(report.students.first)
        #expect(student.exercises.map(\.id) == Exercise.ID.allCases.map(\.rawValue))
        for exercise in student.exercises {
            #expect(exercise.verdict == .pass, "\(exercise.id): \(exercise.diagnosis ?? "")")
            #expect(exercise.checks.count >= 5 && exercise.checks.allSatisfy(\.passed))
        }
        #expect(student.score == student.maxScore && student.maxScore == 17)
    }

    @Test func theGoodGoStudentPassesTheExercisesItImplements() throws {
        try requireRoot()
        let (exitCode, report, errors) = try Self.grade(["good-go"])
        #expect(exitCode == 0, "\(errors)")
        let student = try #require(report.students.first)
        #expect(student.exercises.map(\.id) == ["uts-namespace", "ipc-namespace", "pid-namespace", "net-namespace"])
        #expect(student.exercises.allSatisfy { $0.verdict == .pass }, "\(student.exercises.compactMap(\.diagnosis))")
    }

    /// Each buggy student, the exercise it gets wrong, the check that fails first, and words of
    /// what that check says.
    static let pitfalls: [(student: String, exercise: String, check: String, says: String)] = [
        ("hostname-too-late", "uts-namespace", "the sandbox that plays the host", "your program renamed the host: sandbox hostname was "),
        ("no-namespace", "uts-namespace", "uts namespace of the command, not the sandbox's", "the sandbox's"),
        ("no-command", "uts-namespace", "the probe ran (its report was found)",
         "probe never ran: does your program run the command it is given with its arguments?"),
        ("hangs", "uts-namespace", "your program finished within 10 s", "killed with the whole sandbox"),
        ("flood", "uts-namespace", "its output within 1048576 bytes", "the rest was read and dropped"),
        ("fork-bomb", "uts-namespace", "your program's exit status", "Resource temporarily unavailable"),
        ("pid-no-proc", "pid-namespace", "the pids /proc lists", "/proc shows the sandbox's processes"),
        ("pid-not-exec", "pid-namespace", "the command's pid", "pid 1 in the namespace is `sh`, not the command: exec it"),
        ("mount-shared-leak", "mount-namespace", "the sandbox that plays the host",
         "your program's mounts showed up in the sandbox: /work/exercise/"),
        ("pivot-no-bind", "pivot-root", "your program's exit status", "pivot_root: Invalid argument"),
        ("user-no-deny", "user-namespace", "your program's exit status", "gid_map: Operation not permitted"),
        ("user-wrong-map", "user-namespace", "its uid_map", "expected"),
        ("net-lo-down", "net-namespace", "devices it sees", "lo is down: bring it up"),
    ]

    @Test func everyBuggyStudentFailsOnTheRightCheckAndIsToldWhy() throws {
        try requireRoot()
        let (exitCode, report, errors) = try Self.grade(Self.pitfalls.map(\.student), ["--jobs", "2"])
        #expect(exitCode == 1, "\(errors)")
        #expect(report.students.count == Self.pitfalls.count)
        for (student, pitfall) in zip(report.students, Self.pitfalls) {
            let exercise = try #require(student.exercises.first { $0.id == pitfall.exercise }, "\(pitfall.student)")
            #expect(exercise.verdict == .fail, "\(pitfall.student): \(exercise.verdict)")
            let failed = try #require(exercise.checks.first { !$0.passed }, "\(pitfall.student)")
            #expect(failed.name == pitfall.check, "\(pitfall.student): \(failed.name)")
            #expect(exercise.diagnosis?.contains(pitfall.says) == true, "\(pitfall.student): \(exercise.diagnosis ?? "")")
            #expect(exercise.points == 0)
        }
    }

    @Test func theClassTableJUnitAndGradescopeSayTheSame() throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        let (junit, csv, gradescope) = ("\(scratch.path)/grade.xml", "\(scratch.path)/class.csv", "\(scratch.path)/results.json")
        let summary = "\(scratch.path)/summary.md"
        let (exitCode, _, errors) = try Self.grade(["good-go", "net-lo-down"],
                                                   ["--junit", junit, "--csv", csv, "--gradescope", gradescope],
                                                   environment: ProcessSpec.defaultEnvironment + ["GITHUB_STEP_SUMMARY=\(summary)"])
        #expect(exitCode == 1, "\(errors)")
        let valid = try JUnitTests.validate(junit)
        #expect(valid.exitCode == 0, "\(valid.errors)")
        #expect(try JUnitTests.xpath(junit, "count(//testcase)").trimmingCharacters(in: .whitespacesAndNewlines) == "5")
        #expect(try JUnitTests.xpath(junit, "string(//testcase[failure]/@name)") == "net-namespace")
        let rows = try #require(readTextFile(csv)).split(separator: "\n")
        #expect(rows.first == "student,exercise,points,verdict,diagnosis" && rows.count == 6)
        #expect(rows.last?.hasPrefix("\(sourceRoot())/fixtures/students/net-lo-down,net-namespace,0,fail,") == true)
        // GitHub's step summary: a Markdown table, a row per exercise.
        let markdown = try #require(readTextFile(summary)).split(separator: "\n")
        #expect(markdown.first == "### runner grade (seed 42)" && markdown.filter { $0.hasPrefix("| ") }.count == 7)  // header, rule, 5 rows
        // Gradescope gets the first checkout's: every test passed, 13 points.
        let results = try #require(readTextFile(gradescope))
        #expect(results.contains("\"score\" : 13") && results.contains("\"max_score\" : 10") && !results.contains("failed"))
    }

    @Test func aHostileProgramChangesNothingOutsideItsSandbox() throws {
        try requireRoot()
        // Written here, never kept in the repository: run by hand as root, it would do harm.
        let scratch = try TemporaryDirectory()
        let script = """
            #!/bin/sh
            shift 2
            touch /etc/nslab-hostile 2>/dev/null || echo "etc: refused"
            unshare --mount sh -c 'mount -o remount,rw,bind /etc && echo x > /etc/nslab-hostile' 2>/dev/null || echo "remount: refused"
            { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null || echo "sysctl: refused"
            dd if=/dev/zero of=/tmp/fill bs=1M count=600 2>/dev/null || echo "tmp: full"
            hostname hostile
            exec "$@"
            """
        #expect(try runCommand(["sh", "-c", "printf '%s\\n' \"$0\" > \"$1\"/lab.sh && chmod +x \"$1\"/lab.sh && "
                                + "printf 'exercises:\\n  uts-namespace: { run: \"./lab.sh uts {hostname} {probe}\" }\\n' > \"$1\"/lab.yml",
                                script, scratch.path]).exitCode == 0)
        let json = "\(scratch.path)/grade.json"
        let run = try expectHostUnchanged {
            try runCommand(testSandbox + [runnerPath, "grade", scratch.path, "--seed", "1", "--json", json])
        }
        #expect(run.exitCode == 1)
        #expect(access("/etc/nslab-hostile", F_OK) != 0)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let text = try #require(readTextFile(json))
        let exercise = try #require(try decoder.decode(Report.self, from: Data(text.utf8)).students.first?.exercises.first)
        #expect(exercise.output.prefix(4) == ["etc: refused", "remount: refused", "sysctl: refused", "tmp: full"], "\(exercise.output)")
        #expect(exercise.diagnosis?.contains("your program renamed the host: sandbox hostname was ") == true)
    }

    @Test func theSameSeedGivesTheSameReportAndAnotherSeedOtherValues() throws {
        try requireRoot()
        let first = try Self.grade(["good-c"], ["--only", "uts-namespace,user-namespace"], seed: 9).report
        let again = try Self.grade(["good-c"], ["--only", "uts-namespace,user-namespace"], seed: 9).report
        let other = try Self.grade(["good-c"], ["--only", "uts-namespace,user-namespace"], seed: 10).report
        func encoded(_ report: Report) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return String(decoding: try encoder.encode(report.students), as: UTF8.self)
        }
        #expect(try encoded(first) == encoded(again))
        #expect(first.students[0].exercises.map(\.values) != other.students[0].exercises.map(\.values))
        #expect(first.students[0].exercises.map(\.id) == ["uts-namespace", "user-namespace"])
    }

    @Test("a bad manifest is exit 2 with its file, line and field, before any sandbox", arguments: [
        ("exercises:\n  uts-namespace: { run: \"./lab {nom} {probe}\" }\n", ":2: exercises.uts-namespace.run: unknown placeholder {nom}"),
        ("exercises:\n  uts: { run: \"./lab {probe}\" }\n", ":2: exercises.uts: unknown exercise"),
        ("exercises: {\n", ":2: not valid YAML"),
    ])
    func badManifest(text: String, error: String) throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        let manifest = "\(scratch.path)/lab.yml"
        #expect(try runCommand(["sh", "-c", "printf '%s' \"$0\" > \"$1\"", text, manifest]).exitCode == 0)
        let run = try runCommand(testSandbox + [runnerPath, "grade", scratch.path])
        #expect(run.exitCode == 2)
        #expect(run.errors == "runner: bad manifest: \(manifest)\(error)" || run.errors.hasPrefix("runner: bad manifest: \(manifest)\(error)"),
                "\(run.errors)")
        #expect(run.errors.split(separator: "\n").count == 1)
    }

    @Test func gradingNeedsRealRootAndSaysSo() throws {
        try requireRoot()
        let run = try runCommand(testSandbox + ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", runnerPath,
                                                "grade", sourceRoot() + "/fixtures/students/good-c"])
        #expect(run.exitCode == 3)
        #expect(run.errors.contains("runner grade needs real root"), "\(run.errors)")
    }
}
