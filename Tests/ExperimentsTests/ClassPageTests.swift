import Foundation
import Glibc
import Testing

@testable import Experiments
@testable import Runner

/// `runner grade … --html FILE`: the class page, checked with Debian's HTML Tidy.
@Suite("runner grade --html: the class page", .serialized)
struct ClassPageTests {
    @Test("students by exercise, sorted, each failure's diagnosis, totals, every student byte escaped, valid HTML",
          arguments: ["en", "zh"])
    func theClassPage(language: String) throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        // A checkout whose very name is markup: a student chose it.
        let hostile = scratch.path + "/<i>x&y<i>\"'"
        let copy = try runCommand(["cp", "-r", GradeTests.checkout("hostname-too-late"), hostile])
        try #require(copy.exitCode == 0, "\(copy.errors)")
        let page = scratch.path + "/class.html"
        let checkouts = [GradeTests.checkout("good-c"), hostile, GradeTests.checkout("forged-report")]
        let (_, report, _, _) = try GradeTests.grade(checkouts, ["--only", "uts-namespace,ipc-namespace", "--html", page,
                                                                 "--lang", language])
        let html = try String(contentsOfFile: page, encoding: .utf8)

        // Valid, and without a warning: HTML Tidy exits 0 only then.
        let tidy = try runCommand(["tidy", "-q", "-e", page])
        #expect(tidy.exitCode == 0, "\(tidy.output) \(tidy.errors)")
        // Nothing fetched from elsewhere.
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://") && !html.contains("<link"))
        // The student's bytes as text, never markup.
        #expect(html.contains("&lt;i&gt;x&amp;y&lt;i&gt;\"'") && !html.contains("<i>x"))
        // One row per checkout, sorted; one cell per exercise, each with its points.
        let rows = html.components(separatedBy: "<tr><th scope=\"row\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
        #expect(rows.count == 4, "three students and the totals")
        #expect(Array(rows.prefix(3)) == checkouts.sorted().map(Markup.text))
        for student in report.students {
            for exercise in student.exercises {
                let points = "\(exercise.points)/\(exercise.maxPoints)"
                if exercise.verdict == .pass {
                    #expect(html.contains("✔ PASS \(points)"))
                } else {
                    // A failure opens on its diagnosis, with a key as with a click.
                    #expect(html.contains("<summary>✘ \(exercise.verdict == .broken ? "BROKEN" : "FAIL") \(points)</summary>"))
                    // (The report's JSON keeps a diagnosis's English words, not its Chinese.)
                    if language == "en", let diagnosis = exercise.diagnosis {
                        #expect(html.contains("<p>" + Markup.text(diagnosis.english) + "</p>"), "\(diagnosis.english)")
                    }
                }
            }
            #expect(html.contains("<td>\(student.score)/\(student.maxScore)</td></tr>"))
        }
        #expect(html.contains(language == "zh" ? "最难的" : "Hardest: "))
        #expect(html.contains("42"), "the seed")
    }
}
