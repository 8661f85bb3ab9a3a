import Foundation
import Testing

@testable import Experiments

/// `runner run` with several experiments runs them at once (--jobs, the number of cores by
/// default), each in a sandbox of its own, and says them in order.
@Suite("runner run: several experiments at once, each in a sandbox of its own", .serialized)
struct ConcurrentRunTests {
    /// Inodes, pids, keys, random names and times differ from run to run (and a pid's width
    /// moves a column); the rest must not.
    static func masked(_ text: String) -> String {
        text.replacing(/nslab-run-[0-9a-f]+/, with: "nslab-run-X").replacing(/0x[0-9a-f]+|[0-9]+/, with: "#")
            .replacing(/\ +/, with: " ")
    }

    static func run(_ arguments: [String]) throws -> CommandResult {
        try runCommand(testSandbox + [runnerPath, "run"] + arguments)
    }

    @Test("together or one after another, the same output", arguments: [[String](), ["--json"], ["--lang", "zh"]])
    func theSameOutputAsOneAfterAnother(options: [String]) throws {
        try requireRoot()
        let together = try expectHostUnchanged { try Self.run(["all", "--jobs", "2"] + options) }
        let alone = try Self.run(["all", "--jobs", "1"] + options)
        #expect(together.exitCode == 0, "\(together.errors)")
        #expect(alone.exitCode == 0, "\(alone.errors)")
        #expect(Self.masked(together.output) == Self.masked(alone.output))
        #expect(together.errors.isEmpty && alone.errors.isEmpty)
    }

    @Test("each in a sandbox of its own: the old sides' network namespaces differ, and are one when one after another")
    func eachInASandboxOfItsOwn() throws {
        try requireRoot()
        // uts-namespace and ipc-namespace make no network namespace: their old sides are in
        // the network namespace of the sandbox they run in.
        func networks(jobs: String) throws -> [UInt64?] {
            let result = try Self.run(["uts-namespace", "ipc-namespace", "--json", "--jobs", jobs])
            #expect(result.exitCode == 0, "\(result.errors)")
            return try ChineseTests.decodeReport(result.output).experiments.map { experiment in
                experiment.steps.flatMap(\.observations).compactMap { $0.namespaces?.oldSideHost?.inodes["net"] }.first
            }
        }
        let together = try networks(jobs: "2"), alone = try networks(jobs: "1")
        #expect(together.count == 2 && together.allSatisfy { $0 != nil } && together[0] != together[1], "\(together)")
        #expect(alone.count == 2 && alone.allSatisfy { $0 != nil } && alone[0] == alone[1], "\(alone)")
    }

    @Test("the namespace budget holds: two that do not fit beside each other run one after the other")
    func theBudgetHolds() throws {
        try requireRoot()
        // The limit is per user namespace: set inside a new one, the real host's is untouched.
        // uts-namespace alone needs 4 UTS namespaces here (this sandbox, its own, the demo host,
        // the new one), ipc-namespace 2: together 5, one more than the limit.
        let script = "echo 4 > /proc/sys/user/max_uts_namespaces && exec \"$0\" run uts-namespace ipc-namespace --jobs 2"
        let result = try expectHostUnchanged {
            try runCommand(testSandbox + ["unshare", "--user", "--map-root-user", "sh", "-c", script, runnerPath])
        }
        #expect(result.exitCode == 0, "\(result.output) \(result.errors)")
        #expect(result.output.contains("2 experiments: 2 passed"), "\(result.output)")
    }

    @Test func jobsBelowOneIsBadUsage() throws {
        try requireRoot()
        let bad = try Self.run(["all", "--jobs", "0"])
        #expect(bad.exitCode == 2)
        #expect(bad.errors.contains("--jobs 0"), "\(bad.errors)")
    }
}
