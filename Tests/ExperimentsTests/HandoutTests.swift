import Foundation
import Testing

@testable import Experiments

/// `runner run … --handout FILE.md`: the run as a Markdown page, checked with GitHub's own
/// renderer (Debian's cmark-gfm, with GitHub's table extension).
@Suite("runner run --handout: the run as a page to hand out", .serialized)
struct HandoutTests {
    static func rendered(_ path: String) throws -> String {
        let html = try runCommand(["cmark-gfm", "--extension", "table", path])
        try #require(html.exitCode == 0, "cmark-gfm is missing: apt-get install cmark-gfm")
        return html.output
    }

    @Test("every step a heading with its lesson, commands and output in code, its checks in a table",
          arguments: [("en", "Step"), ("zh", "第")])
    func aPageGitHubRenders(language: String, stepWord: String) throws {
        try requireRoot()
        let directory = try ScratchDirectory()
        let path = directory.path + "/handout.md"
        let ids = ["uts-namespace", "pid-namespace"]
        let run = try runCommand(testSandbox + [runnerPath, "run"] + ids + ["--handout", path, "--lang", language])
        #expect(run.exitCode == 0, "\(run.errors)")
        let markdown = try String(contentsOfFile: path, encoding: .utf8)
        let html = try Self.rendered(path)

        for id in ids {
            let experiment = try #require(Catalog.experiment(id))
            #expect(html.contains("<h1>") && html.contains("(<code>\(id)</code>)</h1>"), "\(id)")
            for step in experiment.steps.map(\.key) + [hostUnchangedKey] {
                #expect(html.contains("<code>[\(step)]</code></h2>"), "\(id) [\(step)]: no heading")
            }
        }
        #expect(html.components(separatedBy: "<h2>\(stepWord)").count - 1
                == ids.compactMap(Catalog.experiment).reduce(0) { $0 + $1.steps.count + 1 })
        // Every check the text report printed is a row of a table of four columns.
        let checks = run.output.split(separator: "\n").filter { $0.hasPrefix("  PASS") || $0.hasPrefix("  FAIL") }.count
        #expect(checks > 0 && html.components(separatedBy: "<td>PASS</td>").count - 1 == checks)
        let rows = html.components(separatedBy: "<tr>").count - 1, tables = html.components(separatedBy: "<table>").count - 1
        #expect(html.components(separatedBy: "<td>").count - 1 == 4 * (rows - tables))
        #expect(html.contains("<pre><code class=\"language-sh\">unshare --uts"))
        #expect(html.contains("<pre><code class=\"language-console\">$ "))
        // The lessons' own text, without the {#key} GitHub would print, and no terminal codes.
        #expect(!markdown.contains("{#") && !markdown.contains("\u{1B}["))
        #expect(markdown.contains(try Lesson.load(id: "uts-namespace", language: language).intro.prefix(60)))
    }

    @Test func aHandoutThatCannotBeWrittenIsBadUsageBeforeAnyExperiment() throws {
        let run = try runner("run", "uts-namespace", "--handout", "/nonexistent/handout.md")
        #expect(run.exitCode == 2)
        #expect(run.errors.contains("--handout") && !run.output.contains("PASS"), "\(run.errors)")
    }
}
