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
        let directory = try TemporaryDirectory()
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
        // Two experiments run at once: what each hands back is said in the page's language too.
        if language == "zh" { #expect(!markdown.contains("namespace inode of the new process"), "English in the zh page") }
        // The lessons' own text, without the {#key} GitHub would print, and no terminal codes.
        #expect(!markdown.contains("{#") && !markdown.contains("\u{1B}["))
        #expect(markdown.contains(try Lesson.load(id: "uts-namespace", language: language).intro.prefix(60)))
        // Another run writes the same page, apart from inodes, pids, keys and times.
        let again = try runCommand(testSandbox + [runnerPath, "run"] + ids + ["--handout", path, "--lang", language])
        #expect(again.exitCode == 0)
        #expect(ConcurrentRunTests.masked(try String(contentsOfFile: path, encoding: .utf8)) == ConcurrentRunTests.masked(markdown))
    }

    @Test("each step's map as an SVG: well-formed, every inode and process of the step in it, the same in every run")
    func mapPictures() throws {
        try requireRoot()
        let directory = try TemporaryDirectory()
        var pictures: [[String: String]] = []
        for run in 0..<2 {
            // Made if missing; written into if there.
            let folder = "\(directory.path)/maps\(run)"
            if run == 1 { mkdir(folder, 0o755) }
            let result = try runCommand(testSandbox + [runnerPath, "run", "pid-namespace", "user-namespace", "--svg", folder, "--json"])
            #expect(result.exitCode == 0, "\(result.errors) \(whatFailed(inReport: result.output))")
            var files: [String: String] = [:]
            for experiment in try ChineseTests.decodeReport(result.output).experiments {
                let kinds = try #require(Catalog.experiment(experiment.id)).namespaces
                for (index, step) in experiment.steps.enumerated() {
                    let mapped = step.observations.compactMap(\.namespaces)
                    let name = "\(experiment.id)-\(index + 1)-\(step.key).svg", path = "\(folder)/\(name)"
                    guard !mapped.isEmpty else {
                        #expect(access(path, F_OK) != 0, "\(name): a step without a map has no picture")
                        continue
                    }
                    let svg = try String(contentsOfFile: path, encoding: .utf8)
                    #expect(try runCommand(["xmllint", "--noout", path]).exitCode == 0, "\(name) is not well-formed")
                    for namespaces in mapped {
                        #expect(svg.contains("(pid \(namespaces.pid)"), "\(name): pid \(namespaces.pid) missing")
                        for kind in kinds {
                            if let inode = namespaces.inode(kind) { #expect(svg.contains("\(kind.rawValue) \(inode)"), "\(name): \(kind) \(inode)") }
                        }
                    }
                    files[name] = ConcurrentRunTests.masked(svg)
                }
            }
            pictures.append(files)
        }
        #expect(!pictures[0].isEmpty && pictures[0] == pictures[1], "apart from inodes and pids, every run draws the same")
        let handout = directory.path + "/page.md"
        #expect(try runner("run", "uts-namespace", "--handout", handout).exitCode == 0)
        let page = try String(contentsOfFile: handout, encoding: .utf8)
        #expect(page.contains("](page-maps/uts-namespace-1-new-namespace.svg)"))
        #expect(access(directory.path + "/page-maps/uts-namespace-1-new-namespace.svg", F_OK) == 0)
    }

    @Test func aHandoutThatCannotBeWrittenIsBadUsageBeforeAnyExperiment() throws {
        let run = try runner("run", "uts-namespace", "--handout", "/nonexistent/handout.md")
        #expect(run.exitCode == 2)
        #expect(run.errors.contains("--handout") && !run.output.contains("PASS"), "\(run.errors)")
        let twoDocuments = try runner("run", "uts-namespace", "--json", "--handout", "-")
        #expect(twoDocuments.exitCode == 2 && twoDocuments.errors.contains("standard output"), "\(twoDocuments.errors)")
        let svg = try runner("run", "uts-namespace", "--svg", "/nonexistent/maps")
        #expect(svg.exitCode == 2 && svg.errors.contains("--svg") && !svg.output.contains("PASS"), "\(svg.errors)")
    }
}
