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
        #expect(html.contains(language == "zh" ? "种子 42（" : "Seed 42 ("), "the seed")
        // The same seed, the same page, apart from pids and inodes a diagnosis may name.
        _ = try GradeTests.grade(checkouts, ["--only", "uts-namespace,ipc-namespace", "--html", page, "--lang", language])
        #expect(ConcurrentRunTests.masked(try String(contentsOfFile: page, encoding: .utf8)) == ConcurrentRunTests.masked(html))
    }
}

/// `runner grade CHECKOUT --watch`: graded again whenever a file of the checkout changes.
@Suite("runner grade --watch: graded again on every change", .serialized)
struct GradeWatchTests {
    @Test func aFixIsGradedAgainAndShownAsAChangeAndCtrlCEndsItLeavingNothing() throws {
        try requireRoot()
        let before = HostState.read()
        let scratch = try TemporaryDirectory()
        let manifest = scratch.path + "/lab.yml"
        // The classic mistake first: the probe run in the sandbox's own UTS namespace.
        try #require(writeFile(manifest, "exercises:\n  uts-namespace: { run: \"{probe}\" }\n"))
        let grade = try spawn(ProcessSpec(testSandbox + [runnerPath, "grade", scratch.path, "--watch", "--only", "uts-namespace",
                                                         "--seed", "7"], environment: testEnvironment))
        let watching = { (line: String) in line.hasPrefix("Watching ") }
        try grade.readLine(until: watching, timeout: 60)
        #expect(grade.lines.contains { $0.contains("FAIL") && $0.contains("uts-namespace") }, "\(grade.lines)")

        // The fix: a new UTS namespace, named as asked.
        try #require(writeFile(manifest, """
            exercises:
              uts-namespace: { run: "unshare --uts sh -c 'hostname \\"$1\\" && shift && exec \\"$@\\"' sh {hostname} {probe}" }

            """))
        let seen = grade.lines.count
        try grade.readLine(until: watching, timeout: 60)
        let again = Array(grade.lines[seen...])
        #expect(again.contains { $0.contains("uts-namespace") && $0.contains("FAIL 0/1 → PASS 1/1") }, "\(again)")
        #expect(again.contains { $0.contains("1/1") })

        let supervisor = try runnerPids(under: grade).supervisor
        let left = try ProcessTable.descendants(of: supervisor)
        kill(supervisor, SIGINT)
        #expect(try grade.finish(timeout: 20) == .exited(130))
        for pid in left { #expect(kill(pid, 0) != 0 || ProcessTable.state(pid) == "Z", "pid \(pid) outlived the grade") }
        #expect(before.differences(to: HostState.read()) == [])
        // It prints its grades: no document beside them on standard output.
        let both = try runner("grade", scratch.path, "--watch", "--json", "-")
        #expect(both.exitCode == 2 && both.errors.contains("--watch"), "\(both.errors)")
    }
}

/// Writes `text` to `path` as an editor saves: the file truncated, written and closed.
private func writeFile(_ path: String, _ text: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
}
