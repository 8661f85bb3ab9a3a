import Foundation
import Glibc
import Testing

@testable import Experiments

/// Without root: the runner makes its sandbox inside a user namespace of its own, where it
/// is root with only the user's ids mapped, runs there whatever can run there, and says what
/// needs real root. Run here as nobody (setpriv), in a test sandbox.
@Suite("no root needed", .serialized)
struct RootlessTests {
    static let asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]

    @Test func nobodyRunsEveryExperimentButTheOneThatNeedsRealRoot() throws {
        try requireRoot()
        let limit = readTextFile("/proc/sys/user/max_user_namespaces")
        let run = try expectHostUnchanged { try runCommand(testSandbox + Self.asNobody + [runnerPath, "run", "all", "--json"]) }
        #expect(run.exitCode == 0, "\(run.errors)")
        #expect(run.errors.contains("runner: without CAP_SYS_ADMIN: running in a user namespace of its own, where it has it"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        struct Report: Decodable {
            struct Unrunnable: Decodable { let id: String; let reasons: [String] }
            let experiments: [ExperimentResult]
            let unrunnable: [Unrunnable]
        }
        let report = try decoder.decode(Report.self, from: Data(run.output.utf8))
        let needRoot = Catalog.all.filter { $0.needsRealRoot != nil }.map(\.id)
        #expect(needRoot == ["user-namespace", "setns"])
        // And those that make cgroups: nobody's cgroup is root's, not nobody's to write.
        let skipped = Catalog.all.filter { $0.needsRealRoot != nil || $0.usesCgroups }.map(\.id)
        #expect(skipped == ["user-namespace", "cgroup-namespace", "setns", "clone-vs-unshare"])
        #expect(report.experiments.map(\.id) == Catalog.all.map(\.id).filter { !skipped.contains($0) })
        for experiment in report.experiments {
            #expect(experiment.verdict == .pass, "\(experiment.id): \(experiment.steps.compactMap(\.firstFailure).map(\.name))")
        }
        #expect(report.unrunnable.map(\.id) == skipped)
        #expect(report.unrunnable.first?.reasons.first?.hasPrefix("needs real root: it maps ids other than your own") == true)
        #expect(report.unrunnable[1].reasons.first?.hasPrefix("needs real root: cannot make a cgroup in ") == true, "\(report.unrunnable)")
        #expect(readTextFile("/proc/sys/user/max_user_namespaces") == limit)
    }

    @Test func withOnlyWhatNeedsRealRootAskedForNothingRunsAndItSaysWhy() throws {
        try requireRoot()
        let run = try runCommand(testSandbox + Self.asNobody + [runnerPath, "run", "user-namespace"])
        #expect(run.exitCode == 3)
        #expect(run.errors.contains("cannot run user-namespace on this host: needs real root"), "\(run.errors)")
    }

    @Test func doctorWithoutRootNeverSaysOkForWhatNeedsSudo() throws {
        try requireRoot()
        let doctor = try runCommand(testSandbox + Self.asNobody + [runnerPath, "doctor", "--color", "never"])
        #expect(doctor.exitCode == 0, "\(doctor.output)")
        for experiment in Catalog.all where experiment.needsRealRoot != nil {
            let line = doctor.output.split(separator: "\n").first { $0.contains(" \(experiment.id) needs ") }
            #expect(line?.hasPrefix("note ") == true && line?.contains("needs real root") == true, "\(doctor.output)")
        }
        #expect(doctor.output.contains("Next: `runner list`"))
    }

    @Test func theSandboxsUserNamespaceIsNewAndMapsOnlyTheUser() throws {
        try requireRoot()
        // The runner's shell in its sandbox, as nobody: root there, nobody outside.
        let run = try runCommand(testSandbox + Self.asNobody + [runnerPath, "shell", "uts-namespace"],
                                 input: "id -u; cat /proc/self/uid_map; exit\n")
        #expect(run.exitCode == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        #expect(lines.contains("0") && lines.contains("0 65534 1"), "\(lines)")
    }
}
