import Foundation
import Glibc
import Testing

@testable import Experiments
@testable import Runner

/// The map of who is where: for each step, which process is in which namespace, by inode,
/// with the demo host (or the runner) marked and "(new)" on what only the new side has.
@Suite("runner run --map: processes and namespaces, by inode")
struct MapTests {
    // MARK: the renderer, on observations made by hand

    static let demoHost = HostNamespaces(role: .demoHost, pid: 5, inodes: ["uts": 100, "mnt": 300, "pid": 400])

    static func process(_ label: String, pid: Int, uts: UInt64, mnt: UInt64 = 300,
                        host: HostNamespaces? = demoHost) -> Observation {
        Observation(.verbatim(label), command: "hostname", printed: ["vm"],
                    namespaces: ProcessNamespaces(pid: pid, inodes: ["uts": uts, "mnt": mnt, "pid": 400],
                                                  oldSideHost: host))
    }

    static let plain = MapRenderer(style: Style(colour: false, width: 80), language: .en)

    @Test func twoProcessesSharingAnInodeOneAloneAndOneWithoutNamespaces() {
        let lines = Self.plain.lines([
            Self.process("old namespace", pid: 10, uts: 100),
            Self.process("parent", pid: 11, uts: 100),
            Self.process("new namespace", pid: 12, uts: 200),
            Observation("the runner's view", command: "kill -9 12", printed: ["gone"]),
        ], kinds: [.uts])
        #expect(lines == [
            "  who is where, by namespace inode (as lsns -T and pstree -N show it):",
            "    uts  100       ── old namespace (pid 10), parent (pid 11)",
            "                      · demo host (pid 5)",
            "         200 (new) ── new namespace (pid 12)",
            "    not drawn (no report of its namespaces): the runner's view",
        ])
    }

    @Test func afterTheChecksTheMapIsKeyedLikeACheckLine() {
        let lines = Self.plain.lines([Self.process("old namespace", pid: 10, uts: 100)], kinds: [.uts], key: "set-names")
        #expect(lines == [
            "  map   [set-names] who is where, by namespace inode",
            "        uts  100 ── old namespace (pid 10) · demo host (pid 5)",
        ])
    }

    @Test func theHostIsDrawnEvenWhenNoProcessSharesItsInode() {
        let runner = HostNamespaces(role: .runner, pid: 1, inodes: ["uts": 100, "mnt": 300, "pid": 400])
        let lines = Self.plain.lines([Self.process("new namespace", pid: 12, uts: 200, host: runner)], kinds: [.uts])
        #expect(lines.dropFirst() == [
            "    uts  100       ── runner (pid 1)",
            "         200 (new) ── new namespace (pid 12)",
        ])
    }

    @Test func anotherKindIsDrawnOnlyWhereTheProcessesDiffer() {
        let same = Self.plain.lines([Self.process("a", pid: 10, uts: 100), Self.process("b", pid: 11, uts: 200)],
                                    kinds: [.uts])
        #expect(!same.contains { $0.contains("mnt") })
        let differ = Self.plain.lines([Self.process("a", pid: 10, uts: 100), Self.process("b", pid: 11, uts: 200, mnt: 301)],
                                      kinds: [.uts])
        #expect(differ.dropFirst(3) == [
            "    mnt  300       ── a (pid 10) · demo host (pid 5)",
            "         301 (new) ── b (pid 11)",
        ])
    }

    @Test func withoutNamespacesThereIsNoMap() {
        #expect(Self.plain.lines([Observation("the runner's view", command: "true", printed: [])], kinds: [.uts]) == [])
        #expect(Self.plain.lines([], kinds: [.uts]) == [])
    }

    @Test func longLabelsWrapWithin80ColumnsAndKeepTheirPid() {
        let label = "new PID and mount namespaces, fresh /proc, with a label far too long for one line"
        let lines = Self.plain.lines([Self.process(label, pid: 4026, uts: 4026532201),
                                      Self.process("old namespace", pid: 12, uts: 4026532201)], kinds: [.uts])
        #expect(lines.allSatisfy { $0.columns <= 80 }, "\(lines)")
        #expect(lines.joined(separator: " ").contains("(pid 4026),"))
        #expect(lines.joined(separator: " ").split(separator: " ").joined(separator: " ")
            .contains(label + " (pid 4026), old namespace (pid 12)"))
    }

    @Test func stepBodyDrawsTheMapOnlyWhenAsked() throws {
        let result = StepResult(key: "new-namespace", title: "t", shell: "", syscalls: [],
                                observations: [Self.process("old namespace", pid: 10, uts: 100),
                                               Self.process("new namespace", pid: 11, uts: 200)],
                                checks: [Check("differ", expected: "≠ 100", actual: "200", passed: true)], seconds: 0)
        let style = Style(colour: false, width: 80)
        let none = ResultRenderer(style: style, explain: false, language: .en).stepBody(result, namespaces: [.uts])
        #expect(!none.contains("who is where"))
        let map = ResultRenderer(style: style, explain: false, map: true, language: .en).stepBody(result, namespaces: [.uts])
        #expect(map.hasPrefix("  PASS  [new-namespace] differ: 200 (expected: ≠ 100)\n  map   [new-namespace] who is where"), "\(map)")
        // --explain: after the side-by-side output, before the checks.
        let explained = ResultRenderer(style: style, explain: true, language: .en).stepBody(result, namespaces: [.uts])
        let mapAt = try #require(explained.range(of: "    uts  100")), checkAt = try #require(explained.range(of: "PASS"))
        let sideBySide = try #require(explained.range(of: "│ new namespace"))
        #expect(sideBySide.lowerBound < mapAt.lowerBound && mapAt.lowerBound < checkAt.lowerBound, "\(explained)")
    }

    // MARK: data

    @Test func observationJSONGainsOnlyAnOptionalNamespacesField() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let bare = Observation("the runner's view", command: "true", output: ["x"])
        let bareKeys = try JSONSerialization.jsonObject(with: encoder.encode(bare)) as? [String: Any]
        #expect(Set(bareKeys?.keys.map { $0 } ?? []) == ["label", "command", "output"])
        #expect(try decoder.decode(Observation.self, from: Data(#"{"label":"a","command":"b","output":[]}"#.utf8))
            == Observation("a", command: "b", output: []))
        let mapped = Self.process("old namespace", pid: 10, uts: 100)
        #expect(try decoder.decode(Observation.self, from: encoder.encode(mapped)) == mapped)
    }

    @Test func theProbesOwnReportNotItsForkedChilds() throws {
        let output = ProbeOutput(lines: [
            probeMarker + #"{"event":"report","pid":8,"ns":{"uts":2,"pid_for_children":9},"errors":[]}"#,
            probeMarker + #"{"event":"fork","pid":3,"errno":0,"error":"","child":8,"exit_status":0}"#,
            probeMarker + #"{"event":"report","pid":3,"ns":{"uts":1,"pid_for_children":9},"errors":[]}"#,
        ])
        #expect(output.ownReport?.pid == 3)
        let finished = FinishedProcess(pid: 42, command: "nsprobe", lines: [], probe: output, termination: .exited(0))
        // Its own pid, as it sees itself, is its own report's, not the forked child's.
        #expect(finished.namespaces == ProcessNamespaces(pid: 42, inodes: ["uts": 1], ownPid: 3))
        let noNs = ProbeOutput(lines: [probeMarker + #"{"event":"report","pid":3,"hostname":"vm","errors":[]}"#])
        #expect(FinishedProcess(pid: 42, command: "", lines: [], probe: noNs, termination: .exited(0)).namespaces == nil)
    }

    // MARK: the runner, in a test sandbox

    /// The map rows of `step` in `output`: (inode, what the row says after "──").
    static func rows(_ output: String, step key: String?, explain: Bool) -> [(inode: UInt64, who: String)] {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let title = key.map { "  map   [\($0)] who is where" } ?? "  who is where, by namespace inode"
        guard let start = lines.firstIndex(where: { $0.hasPrefix(title) }) else { return [] }
        var rows: [(UInt64, String)] = []
        for line in lines[(start + 1)...] {
            guard line.hasPrefix(explain ? "    " : "        "), !line.contains("not drawn") else { break }
            let parts = line.components(separatedBy: " ── ")
            if parts.count == 2, let inode = parts[0].split(separator: " ").compactMap({ UInt64($0) }).first {
                rows.append((inode, parts[1] + (parts[0].hasSuffix("(new)") || parts[0].contains("(new)") ? " [new]" : "")))
            } else if let last = rows.popLast() {
                rows.append((last.0, last.1 + " " + line.trimmingCharacters(in: .whitespaces)))
            }
        }
        return rows
    }

    /// Two uts rows: the old side's, shared with the demo host, and the new side's, "(new)",
    /// whose inode is the one the step's check reported.
    static func expectUTSMap(_ output: String, explain: Bool) {
        let rows = rows(output, step: explain ? nil : "new-namespace", explain: explain)
        #expect(rows.count == 2, "\(output)")
        guard rows.count == 2 else { return }
        let old = rows[0], new = rows[1]
        #expect(old.who.contains("old namespace (pid ") && old.who.contains("· demo host (pid "), "\(old.who)")
        #expect(new.who.hasPrefix("new namespace (pid ") && new.who.hasSuffix("[new]"), "\(new.who)")
        #expect(!new.who.contains("demo host"))
        #expect(old.inode != new.inode)
        #expect(output.contains("uts namespace inode of the new process: \(new.inode)"), "\(output)")
        let firstLine = output.split(separator: "\n").first { $0.contains(" uts  ") } ?? ""
        #expect(firstLine.hasPrefix(explain ? "    uts  " : "        uts  "), "\(firstLine)")
    }

    @Test func mapAfterEachStepsChecks() throws {
        try requireRoot()
        let run = try runner("run", "uts-namespace", "--map", environment: ProcessSpec.defaultEnvironment + ["COLUMNS=80"])
        #expect(run.exitCode == 0, "\(run.output)\n\(run.errors)")
        Self.expectUTSMap(run.output, explain: false)
        // Every step with processes gets its map; the host-unchanged pseudo-step has none.
        for key in ["new-namespace", "set-names", "set-too-late"] {
            #expect(run.output.contains("  map   [\(key)] who is where"), "\(key)")
        }
        #expect(!run.output.contains("[host-unchanged] who is where"))
        let check = try #require(run.output.range(of: "PASS  [new-namespace]"))
        let map = try #require(run.output.range(of: "map   [new-namespace]"))
        #expect(check.lowerBound < map.lowerBound)
        #expect(run.output.split(separator: "\n").filter { $0.contains(" ── ") }.allSatisfy { $0.count <= 80 })
    }

    @Test func explainAlwaysDrawsTheMap() throws {
        try requireRoot()
        let run = try runner("run", "uts-namespace", "--explain")
        #expect(run.exitCode == 0, "\(run.output)\n\(run.errors)")
        Self.expectUTSMap(run.output, explain: true)
        // The pitfall: the parent that renamed the demo host is in the demo host's namespace.
        // The step's place is the catalogue's, not a number this test knows.
        let experiment = try #require(Catalog.experiment("uts-namespace"))
        let number = try #require(experiment.steps.firstIndex { $0.key == "set-too-late" }) + 1
        let heading = try #require(run.output.range(of: "Step \(number)/\(experiment.steps.count + 1)"))
        let pitfall = String(run.output[heading.lowerBound...])
        let rows = Self.rows(pitfall, step: nil, explain: true)
        #expect(rows.first?.who.hasPrefix("parent, old namespace (pid ") == true, "\(pitfall)")
        #expect(rows.first?.who.contains("· demo host") == true)
    }

    @Test func withoutMapOrExplainNothingChanges() throws {
        try requireRoot()
        let run = try runner("run", "uts-namespace")
        #expect(run.exitCode == 0, "\(run.output)\n\(run.errors)")
        #expect(!run.output.contains("who is where"))
        #expect(!run.output.contains(" ── "))
        #expect(!run.output.contains("demo host (pid"))
    }

    @Test func jsonCarriesTheNamespacesAndTheDemoHost() throws {
        try requireRoot()
        let (exitCode, result) = try runExperiment("uts-namespace")
        #expect(exitCode == 0)
        let observations = try #require(result.steps.first?.observations)
        let old = try #require(observations.first?.namespaces), new = try #require(observations.last?.namespaces)
        #expect(old.inode(.uts) != new.inode(.uts))
        #expect(old.oldSideHost?.role == .demoHost)
        #expect(old.oldSideHost?.inode(.uts) == old.inode(.uts))
        #expect(old.inode(.mnt) == new.inode(.mnt))
    }
}
