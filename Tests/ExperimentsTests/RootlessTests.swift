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

/// `runner grade` without root, as rootless Podman works: the user's subordinate ids mapped by
/// newuidmap and newgidmap (Debian's uidmap). Tested as a user made for the test: /etc/passwd,
/// /etc/group, /etc/subuid and /etc/subgid copied, changed and bind-mounted over the real ones
/// in the test sandbox's mount namespace alone; the machine's files are never written.
@Suite("runner grade without root: subordinate ids", .serialized)
struct SubordinateGradeTests {
    static let user = "nslab-student", uid = 4242

    /// Runs `script` in a test sandbox where the test's user exists (with subordinate ids
    /// when `subordinateIDs`), as that user, its home `home`; $RUNNER is the runner.
    static func asStudent(_ script: String, home: String, subordinateIDs: Bool = true, helpers: Bool = true)
        throws -> CommandResult
    {
        let etc = try TemporaryDirectory()
        let ranges = subordinateIDs ? "\(user):100000:65536\n" : ""
        for (file, added) in [("passwd", "\(user):x:\(uid):\(uid)::\(home):/bin/sh\n"), ("group", "\(user):x:\(uid):\n"),
                              ("subuid", ranges), ("subgid", ranges)] {
            let original = readTextFile("/etc/\(file)") ?? ""
            try #require(FileManager.default.createFile(atPath: "\(etc.path)/\(file)", contents: Data((original + added).utf8)))
            chmod("\(etc.path)/\(file)", 0o644)
        }
        // Without the helpers: /dev/null, which nobody may execute, over newuidmap.
        let mounts = (["passwd", "group", "subuid", "subgid"].map { "mount --bind \(etc.path)/\($0) /etc/\($0)" }
            + (helpers ? [] : ["mount --bind /dev/null \(try #require(resolveExecutable("newuidmap")))"])).joined(separator: " && ")
        return try runCommand(testSandbox + ["sh", "-c", mounts + " && cd / && exec setpriv --reuid=\(uid) --regid=\(uid) "
                                             + "--clear-groups -- env HOME=\(home) RUNNER=\(runnerPath) sh -c \"$0\"",
                                             script], environment: testEnvironment, timeout: 900)
    }

    static func home() throws -> TemporaryDirectory {
        let home = try TemporaryDirectory()
        chown(home.path, uid_t(uid), gid_t(uid))
        return home
    }

    @Test("every sample student gets the same verdicts as from root, for the same seed")
    func theSameVerdictsAsRoot() throws {
        try requireRoot()
        let students = try directoryEntries(sourceRoot() + "/fixtures/students").filter { $0 != "README.md" }.sorted()
        let (_, asRoot, _, _) = try GradeTests.grade(students.map(GradeTests.checkout), seed: 5)
        let home = try Self.home()
        // One checkout at a time: 65,536 subordinate ids are one checkout's.
        let script = students.map { "\"$RUNNER\" grade \(GradeTests.checkout($0)) --seed 5 --json \"$HOME/\($0).json\" > /dev/null" }
            .joined(separator: "; ")
        let run = try expectHostUnchanged { try Self.asStudent(script + "; true", home: home.path) }
        #expect(run.exitCode == 0, "\(run.errors)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        // These two race the grader on purpose (their READMEs): whoever wins, never broken.
        let racing = ["kills-everything", "fake-ready"]
        for (name, byRoot) in zip(students, asRoot.students) {
            let text = try #require(readTextFile("\(home.path)/\(name).json"), "\(name): no report")
            let rootless = try #require(try decoder.decode(GradeTests.Report.self, from: Data(text.utf8)).students.first)
            if racing.contains(name) {
                #expect(!(rootless.exercises + byRoot.exercises).contains { $0.verdict == .broken }, "\(name)")
                continue
            }
            #expect(rootless.exercises.map { "\($0.id) \($0.verdict) \($0.points)" }
                    == byRoot.exercises.map { "\($0.id) \($0.verdict) \($0.points)" }, "\(name)")
        }
        // Nothing of the grade left in the student's home but the reports asked for.
        #expect(try directoryEntries(home.path).sorted() == students.map { "\($0).json" }.sorted())
    }

    @Test("without subordinate ids, or without newuidmap, exit 3 says what to run")
    func whatToRun() throws {
        try requireRoot()
        let home = try Self.home()
        let grade = "\"$RUNNER\" grade \(GradeTests.checkout("good-c")) --only uts-namespace"
        let noRange = try Self.asStudent(grade, home: home.path, subordinateIDs: false)
        #expect(noRange.exitCode == 3)
        #expect(noRange.errors.contains("sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 \(Self.user)"),
                "\(noRange.errors)")
        let noHelper = try Self.asStudent(grade, home: home.path, helpers: false)
        #expect(noHelper.exitCode == 3)
        #expect(noHelper.errors.contains("apt-get install uidmap"), "\(noHelper.errors)")
        let two = try Self.asStudent(grade + " " + GradeTests.checkout("good-userns"), home: home.path)
        #expect(two.exitCode == 3 && two.errors.contains("2 checkouts need 65536 subordinate ids each"), "\(two.errors)")
        #expect(try directoryEntries(home.path).isEmpty)
    }
}
