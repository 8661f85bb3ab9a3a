import Foundation
import Glibc
import Testing

@testable import Experiments
@testable import Runner

/// `runner grade` on the sample students of fixtures/students, in a test sandbox: the verdicts,
/// the checks that fail and what they say, the same report for the same seed and any --jobs,
/// and the host (mounts, names, links, cgroups) as it was after each.
@Suite("grading the sample students", .serialized)
struct GradeTests {
    struct Report: Decodable { let seed: UInt64; let students: [StudentResult] }

    static let course = sourceRoot() + "/fixtures/courses/namespaces.yml"

    static func checkout(_ student: String) -> String { sourceRoot() + "/fixtures/students/" + student }

    /// Grades `checkouts` with `arguments`, checking that the machine's mounts, names, links and
    /// cgroups are as they were; the exit code, the JSON report, what it printed.
    static func grade(_ checkouts: [String], _ arguments: [String] = [], seed: UInt64 = 42,
                      environment: [String] = testEnvironment) throws
        -> (exitCode: Int32?, report: Report, output: String, errors: String)
    {
        let scratch = try TemporaryDirectory()
        let json = "\(scratch.path)/grade.json"
        let cgroupsBefore = cgroupTree()
        let run = try expectHostUnchanged {
            try runCommand(testSandbox + [runnerPath, "grade"] + checkouts + ["--seed", "\(seed)", "--json", json] + arguments,
                           environment: environment, timeout: 600)
        }
        #expect(cgroupTree() == cgroupsBefore, "the machine's cgroup tree changed")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let text = try #require(readTextFile(json), "no report: \(run.errors)")
        return (run.exitCode, try decoder.decode(Report.self, from: Data(text.utf8)), run.output, run.errors)
    }

    /// Grades sample students by name.
    static func grade(students: [String], _ arguments: [String] = [], seed: UInt64 = 42) throws
        -> (exitCode: Int32?, report: Report, output: String, errors: String)
    {
        try grade(students.map(checkout), arguments, seed: seed)
    }

    @Test("a grade fits the terminal, diagnoses wrapped under their exercise", arguments: [("en", 60), ("zh", 80)])
    func gradeFitsTheWidth(language: String, columns: Int) throws {
        try requireRoot()
        let (_, report, output, _) = try Self.grade(["forged-report", "build-error", "user-wrong-map"].map(Self.checkout),
                                                    ["--lang", language],
                                                    environment: ProcessSpec.defaultEnvironment + ["COLUMNS=\(columns)"])
        #expect(report.students.contains { $0.exercises.contains { $0.verdict != .pass } }, "there are diagnoses to wrap")
        let wide = output.split(separator: "\n").filter { line in
            // A checkout's path is shown whole: it is the student's name.
            String(line).columns > columns && !report.students.contains { line.hasPrefix($0.checkout) }
        }
        #expect(wide.isEmpty, "\(wide)")
    }

    @Test func aFailedBuildIsSaidOnceAndAnExerciseNotAttemptedSaysSo() throws {
        try requireRoot()
        let (_, report, output, _) = try Self.grade(students: ["build-error"], ["--manifest", Self.course])
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("  BUILD ") }, "\(output)")
        // gcc's source and caret lines one under the other, as gcc printed them.
        let source = try #require(lines.firstIndex { $0.hasSuffix("32 |     if (sethostname(hostname, strlen(hostnmae)) < 0) {") }, "\(output)")
        #expect(lines[source + 1].hasSuffix("   |                                      ^~~~~~~~"), "\(output)")
        let typo = try #require(lines[source].range(of: "hostnmae")), caret = try #require(lines[source + 1].range(of: "^"))
        #expect(lines[source].distance(from: lines[source].startIndex, to: typo.lowerBound)
                == lines[source + 1].distance(from: lines[source + 1].startIndex, to: caret.lowerBound), "the caret under the typo")
        // The exercise it attempted failed for the build, said above; the others, for no command line.
        #expect(lines.contains { $0.contains(" uts-namespace ") && $0.hasSuffix("(above)") }, "\(output)")
        #expect(lines.contains { $0.contains(" ipc-namespace ") && $0.contains("its command line") }, "\(output)")
        #expect(report.students.first?.exercises.first { $0.id == "ipc-namespace" }?.diagnosis?.english.contains("not attempted") == true)
    }

    @Test func theGoodStudentsPassEveryExerciseAndTheCourseGivesThePoints() throws {
        try requireRoot()
        let (exitCode, report, _, errors) = try Self.grade(students: ["good-c", "good-userns", "good-userns-sh"],
                                                           ["--manifest", Self.course])
        #expect(exitCode == 0, "\(errors)")
        for student in report.students {
            #expect(student.exercises.map(\.id) == Catalog.exercises.map(\.id))
            for exercise in student.exercises {
                #expect(exercise.verdict == .pass, "\(student.checkout) \(exercise.id): \(exercise.diagnosis?.english ?? "")")
                #expect(exercise.checks.count >= 8 && exercise.checks.allSatisfy(\.passed))
            }
            // The course's points: uts-namespace is worth 10 there, the others 1.
            let points = Catalog.exercises.count - 1 + 10
            #expect(student.score == points && student.maxScore == points, "\(student.checkout)")
        }
    }

    @Test func theGoodGoStudentPassesWhatItImplementsAndTheRestIsNotAttempted() throws {
        try requireRoot()
        let (exitCode, report, _, errors) = try Self.grade(students: ["good-go"])
        #expect(exitCode == 1, "\(errors)")
        let student = try #require(report.students.first)
        let implemented: Set = ["uts-namespace", "ipc-namespace", "pid-namespace", "net-namespace"]
        for exercise in student.exercises {
            if implemented.contains(exercise.id) {
                #expect(exercise.verdict == .pass, "\(exercise.id): \(exercise.diagnosis?.english ?? "")")
            } else {
                #expect(exercise.verdict == .fail && exercise.points == 0 && exercise.diagnosis?.english.contains("not attempted") == true)
            }
        }
        #expect(student.score == implemented.count && student.maxScore == Catalog.exercises.count)
    }

    /// Each student that gets something wrong, the exercise, the check that fails first, and
    /// words of what it says: the old mistakes and the hostile programs alike.
    static let pitfalls: [(student: String, exercise: String, check: String, says: String)] = [
        ("hostname-too-late", "uts-namespace", "the sandbox that plays the host", "your program renamed the host: sandbox hostname was "),
        ("time-offsets-too-late", "time-namespace", "timens_offsets the command sees", "got monotonic 0 0; boottime 0 0"),
        ("limits-in-the-parent", "namespace-limits", "max_uts_namespaces in the command's user namespace", "got 2147483647"),
        ("setns-uts-only", "setns", "ipc namespace of the command", "ipc namespace of the command: expected process 2's, got the sandbox's"),
        ("cgroup-unshare-alone", "cgroup-namespace", "cgroup namespace of the command, not the sandbox's", "got the sandbox's"),
        ("clone-unshare-fork", "clone-vs-unshare", "the command's parent (your program) in the sandbox's UTS namespace",
         "got the command's own: your program moved itself (unshare) before it started the command"),
        ("no-namespace", "uts-namespace", "uts namespace of the command, not the sandbox's", "the sandbox's"),
        ("no-command", "uts-namespace", "the probe ran", "the probe never ran: does your program run the command it is given"),
        ("flood", "uts-namespace", "its output within 1048576 bytes", "the rest was read and dropped"),
        ("pid-no-proc", "pid-namespace", "the pids its /proc lists", "/proc shows the sandbox's processes"),
        ("pid-not-exec", "pid-namespace", "the command's pid", "pid 1 in the namespace is `sh`, not the command: exec it"),
        ("mount-shared-leak", "mount-namespace", "the sandbox that plays the host",
         "your program's mounts showed up in the sandbox: /exercise/"),
        ("pivot-no-bind", "pivot-root", "your program's exit status", "pivot_root: Invalid argument"),
        ("pivot-proc-late", "pivot-root", "your program's exit status", "mount proc before you detach the old root"),
        ("user-no-deny", "user-namespace", "your program's exit status", "gid_map: Operation not permitted"),
        ("user-wrong-map", "user-namespace", "its uid_map", "expected"),
        ("net-lo-down", "net-namespace", "devices it sees", "lo is down: bring it up"),
        ("drops-args", "net-namespace", "the probe ran", "pass every argument after the command on to it"),
        // What a student's program prints proves nothing.
        ("forged-report", "uts-namespace", "the probe ran", "no process of the grader's probe in the sandbox when its output said"),
        ("forged-hidden", "uts-namespace", "the probe's report, against the kernel", "does not match what the kernel shows"),
        ("forged-edit", "uts-namespace", "the probe's report, against the kernel", "(its hostname)"),
        ("fake-probe", "uts-namespace", "the probe ran", "no process of the grader's probe in the sandbox"),
        ("traced-probe", "uts-namespace", "the probe ran", "traced (ptrace)"),
        ("no-wait", "uts-namespace", "your program waited for its command", "it ended while its command still ran"),
        // The sandbox is read from outside: a mount over its /proc hides nothing.
        ("masked-proc", "pid-namespace", "the sandbox that plays the host", "a tmpfs is now mounted on the sandbox's /proc"),
        ("proc-leak", "pid-namespace", "the sandbox that plays the host",
         "a second proc is now mounted on the sandbox's /proc: make / private (mount --make-rprivate /) before you mount proc"),
        ("delete-probe", "uts-namespace", "your program's exit status", "cannot remove '/nsprobe'"),
        ("memory-hog", "uts-namespace", "its memory within 512 MiB", "the kernel's OOM killer ended it"),
        ("stderr-noise", "uts-namespace", "your program's exit status", "it printed: lab: sethostname: Operation not permitted | {"),
        ("build-error", "uts-namespace", "the build", "error: 'hostnmae' undeclared"),
        ("bad-yaml", "uts-namespace", "its lab.yml", "lab.yml:4: not valid YAML"),
        ("points-cheat", "uts-namespace", "its lab.yml", "points are the course's to set"),
    ]

    @Test func everyStudentThatGetsItWrongFailsOnTheRightCheckIsToldWhyAndNothingIsBroken() throws {
        try requireRoot()
        let (exitCode, report, _, errors) = try Self.grade(students: Self.pitfalls.map(\.student), ["--jobs", "3"])
        #expect(exitCode == 1, "never 4: \(errors)")
        #expect(report.students.count == Self.pitfalls.count)
        for (student, pitfall) in zip(report.students, Self.pitfalls) {
            #expect(!student.exercises.contains { $0.verdict == .broken }, "\(pitfall.student): \(student.exercises.map(\.diagnosis))")
            let exercise = try #require(student.exercises.first { $0.id == pitfall.exercise }, "\(pitfall.student)")
            #expect(exercise.verdict == .fail, "\(pitfall.student): \(exercise.verdict)")
            let failed = try #require(exercise.checks.first { !$0.passed }, "\(pitfall.student)")
            #expect(failed.name.english == pitfall.check, "\(pitfall.student): \(failed.name): \(failed.actual)")
            #expect(exercise.diagnosis?.english.contains(pitfall.says) == true, "\(pitfall.student): \(exercise.diagnosis?.english ?? "")")
            #expect(exercise.points == 0)
        }
        // One student's delete-probe leaves the next exercise's probe alone.
        let deleter = try #require(report.students.first { $0.checkout.hasSuffix("delete-probe") })
        #expect(deleter.exercises.first { $0.id == "ipc-namespace" }?.verdict == .pass)
    }

    @Test func programsThatRaceTheGraderNeverBreakIt() throws {
        try requireRoot()
        // It kills every process it can see the moment its probe pauses; the other prints that
        // its probe paused before it runs one. What the grader finds depends on the race: a
        // kill that lands after the grader has looked and released the probe changes nothing
        // it judged (a class-wide grade saw kills-everything pass so). Never broken: whatever
        // the grader found is the student's doing.
        let (exitCode, report, _, errors) = try Self.grade(students: ["kills-everything", "fake-ready"], ["--only", "uts-namespace"])
        #expect(exitCode != 4, "never 4: \(errors)")
        #expect(report.students.count == 2)
        for student in report.students {
            let exercise = try #require(student.exercises.first)
            #expect(exercise.verdict != .broken, "\(student.checkout): \(exercise.diagnosis?.english ?? "")")
        }
    }

    @Test func programsThatRunPastTheirTimeAreKilledWithTheirSandbox() throws {
        try requireRoot()
        let (exitCode, report, _, errors) = try Self.grade(students: ["hangs", "fork-bomb", "closes-output"],
                                                           ["--only", "uts-namespace", "--timeout", "3"])
        #expect(exitCode == 1, "\(errors)")
        let says = ["hangs": "killed with the whole sandbox — does it wait for something?",
                    "fork-bomb": "fork #", "closes-output": "the line that says so never reached the grader"]
        for student in report.students {
            let exercise = try #require(student.exercises.first)
            let name = String(student.checkout.split(separator: "/").last ?? "")
            let said = try #require(says[name], "\(name) is one of the students graded")
            #expect(exercise.verdict == .fail && exercise.diagnosis?.english.contains(said) == true,
                    "\(name): \(exercise.diagnosis?.english ?? "")")
        }
        // The fork bomb's leftover processes are named, and the pids cgroup stopped it.
        let bomb = try #require(report.students.first { $0.checkout.hasSuffix("fork-bomb") }?.exercises.first)
        #expect(bomb.checks.contains { $0.name.english == "the sandbox that plays the host" && $0.actual.english.contains("left ") })
    }

    @Test func theSameSeedGivesTheSameReportWhateverTheTimingAndAnotherSeedOtherValues() throws {
        try requireRoot()
        let students = ["good-c", "no-wait", "hostname-too-late", "forged-edit"]
        let only = ["--only", "uts-namespace,user-namespace"]
        let first = try Self.grade(students: students, only, seed: 9).report
        let again = try Self.grade(students: students, only + ["--jobs", "1"], seed: 9).report
        let other = try Self.grade(students: ["good-c"], only, seed: 10).report
        #expect(try Self.encoded(first) == Self.encoded(again))
        #expect(first.students[0].exercises.map(\.values) != other.students[0].exercises.map(\.values))
        #expect(first.students[0].exercises.map(\.id) == ["uts-namespace", "user-namespace"])
    }

    /// The reports of a class, as JSON with sorted keys: what must not differ between runs.
    static func encoded(_ report: Report) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(report.students), as: UTF8.self)
    }

    @Test func gradingAClassInParallelGivesTheVerdictsAndReportsOfOneAtATime() throws {
        try requireRoot()
        // Twelve checkouts, alike and not: each checks its own sandbox alone, whatever the others do.
        let scratch = try TemporaryDirectory()
        var checkouts: [String] = []
        for (index, student) in (["good-c", "mount-shared-leak", "proc-leak", "hostname-too-late"] + Array(repeating: "good-c", count: 8)).enumerated() {
            let copy = "\(scratch.path)/student-\(index)"
            #expect(try runCommand(["cp", "-a", Self.checkout(student), copy]).exitCode == 0)
            _ = unlink("\(copy)/lab")
            checkouts.append(copy)
        }
        let only = ["--only", "uts-namespace,mount-namespace,pid-namespace"]
        let one = try Self.grade(checkouts, only + ["--jobs", "1"]).report
        for jobs in ["2", "4", "4"] {
            let parallel = try Self.grade(checkouts, only + ["--jobs", jobs]).report
            #expect(try Self.encoded(parallel) == Self.encoded(one), "--jobs \(jobs)")
        }
        let verdicts = one.students.map { $0.exercises.map(\.verdict) }
        #expect(verdicts.filter { $0 == [.pass, .pass, .pass] }.count == 9, "\(verdicts)")
        // Identical checkouts build once: the others use the first one's build.
        #expect(one.students.filter { $0.build?.reused == true }.count >= 8)
    }

    @Test func aCheckoutsOwnErrorsAreItsOwnAndTheClassIsGraded() throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        let (csv, junit) = ("\(scratch.path)/class.csv", "\(scratch.path)/grade.xml")
        let (exitCode, report, _, errors) = try Self.grade(students: ["bad-yaml", "points-cheat", "good-c"],
                                                           ["--only", "uts-namespace", "--csv", csv, "--junit", junit])
        #expect(exitCode == 1, "\(errors)")
        #expect(report.students.map(\.problem).map { $0 != nil } == [true, true, false])
        #expect(report.students[2].score == 1, "the others are graded")
        #expect(report.students[1].score == 0, "a checkout never chooses its points")
        #expect(try #require(readTextFile(csv)).split(separator: "\n").count == 4)
        #expect(try JUnitTests.validate(junit).exitCode == 0)
        // A missing checkout is that checkout's failure too.
        let missing = try Self.grade(["/nonexistent/student"] + [Self.checkout("good-c")], ["--only", "uts-namespace"])
        #expect(missing.exitCode == 1 && missing.report.students.map(\.score) == [0, 1], "\(missing.errors)")
    }

    @Test("the teacher's own mistakes are exit 2 with the file, line and field, before any sandbox", arguments: [
        ("exercises:\n  uts-namespace: { points: lots }\n", ":2: exercises.uts-namespace.points: a number from 0 to 1000 was expected"),
        ("exercises:\n  uts: { points: 1 }\n", ":2: exercises.uts: unknown exercise"),
        ("exercises: {\n", ":2: not valid YAML"),
        ("limits: { memory: 2T }\nexercises:\n  uts-namespace:\n", ":1: limits.memory: a size from 16M to 64G was expected"),
    ])
    func badCourse(text: String, error: String) throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        let manifest = "\(scratch.path)/course.yml"
        #expect(try runCommand(["sh", "-c", "printf '%s' \"$0\" > \"$1\"", text, manifest]).exitCode == 0)
        let run = try runCommand(testSandbox + [runnerPath, "grade", Self.checkout("good-c"), "--manifest", manifest])
        #expect(run.exitCode == 2)
        #expect(run.errors.hasPrefix("runner: bad manifest: \(manifest)\(error)"), "\(run.errors)")
        #expect(run.errors.split(separator: "\n").count == 1)
    }

    @Test func whatAStudentPrintsReachesTheTeacherAsDataNeverAsControl() throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        let summary = "\(scratch.path)/summary.md"
        let (_, report, output, _) = try Self.grade([Self.checkout("escape-codes")], ["--only", "uts-namespace"],
                                                    environment: testEnvironment + ["GITHUB_STEP_SUMMARY=\(summary)"])
        // JSON keeps the bytes exactly; the terminal shows them; Markdown escapes them.
        #expect(report.students[0].exercises[0].output.first == "\r\u{1B}[2K  PASS  uts-namespace  1/1\u{1B}[8m")
        #expect(!output.contains("\u{1B}") && output.contains(#"\r\x1b[2K  PASS  uts-namespace  1/1\x1b[8m"#), "\(output)")
        let markdown = try #require(readTextFile(summary))
        #expect(!markdown.contains("\u{1B}") && markdown.contains(#"\\r\\x1b\[2K"#), "\(markdown)")
    }

    @Test func gitHubClassroomGetsItsResultAsTheReporterReadsIt() throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        let outputs = "\(scratch.path)/outputs"
        #expect(try runCommand(["sh", "-c", "echo 'earlier=kept' > \"$0\"", outputs]).exitCode == 0)
        let (exitCode, _, _, errors) = try Self.grade([Self.checkout("net-lo-down")],
                                                      ["--manifest", Self.course, "--only", "uts-namespace,net-namespace",
                                                       "--classroom", "net"],
                                                      environment: testEnvironment + ["GITHUB_OUTPUT=\(outputs)"])
        #expect(exitCode == 1, "\(errors)")
        let lines = try #require(readTextFile(outputs)).split(separator: "\n")
        #expect(lines.first == "earlier=kept" && lines.count == 2)
        let encoded = try #require(lines.last.map { String($0) }.flatMap { $0.hasPrefix("result=") ? String($0.dropFirst(7)) : nil })
        let json = try #require(Data(base64Encoded: encoded))
        struct Result: Decodable {
            struct Test: Decodable { let name: String; let status: String; let score: Int; let testCode: String; let lineNo: Int }
            let version: Int; let status: String; let maxScore: Int; let tests: [Test]
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let result = try decoder.decode(Result.self, from: json)
        #expect(result.version == 1 && result.status == "fail" && result.maxScore == 11)
        #expect(result.tests.map(\.name) == ["uts-namespace", "net-namespace"] && result.tests.map(\.score) == [0, 0])
        #expect(result.tests[1].status == "fail" && result.tests[1].testCode.contains("lo is down") && result.tests[1].lineNo == 0)
    }

    @Test func anInterruptedRunLeavesNoCgroupMountOrProcess() throws {
        try requireRoot()
        let cgroupsBefore = cgroupTree()
        let before = HostState.read()
        var spec = ProcessSpec(testSandbox + [runnerPath, "grade", Self.checkout("hangs"), "--only", "uts-namespace"], environment: testEnvironment)
        spec.standardErrorFile = "/dev/null"
        let run = try spawn(spec)
        // Interrupted while it grades: once the checkout's cgroup is there.
        let parents = GradingCgroups.hierarchies().map(\.parent)
        let runCgroup = try awaitDirectory(in: [parents[0]]) { $0.hasPrefix("nslab-grade-") }
        _ = try awaitDirectory(in: [runCgroup]) { $0 == "checkout-0" }
        let (supervisor, _) = try runnerPids(under: run)
        kill(supervisor, SIGINT)
        #expect(try run.finish(timeout: 30) == .exited(130))
        #expect(before.differences(to: HostState.read()) == [])
        #expect(cgroupTree() == cgroupsBefore)
    }

    @Test func aKilledGradersJanitorRemovesItsCgroups() throws {
        try requireRoot()
        let cgroupsBefore = cgroupTree()
        // No PID namespace around it: the runner is not a pid 1 whose death takes its janitor.
        var spec = ProcessSpec(["unshare", "--uts", "--ipc", "--mount", "--net", runnerPath, "grade", Self.checkout("hangs"),
                                "--only", "uts-namespace"], environment: testEnvironment)
        spec.standardErrorFile = "/dev/null"
        let run = try spawn(spec)
        let parents = GradingCgroups.hierarchies().map(\.parent)
        let runCgroup = try awaitDirectory(in: [parents[0]]) { $0.hasPrefix("nslab-grade-") }
        _ = try awaitDirectory(in: [runCgroup]) { $0 == "checkout-0" }
        #expect(try killAwaitingJanitor(run), "the janitor did not end")
        #expect(cgroupTree() == cgroupsBefore)
    }

    @Test func gradingWithoutRootNorSubordinateIDsSaysWhatToRun() throws {
        try requireRoot()
        // Empty subordinate id files, in the test sandbox alone (SubordinateGradeTests grades with some).
        let run = try runCommand(testSandbox + ["sh", "-c", "mount --bind /dev/null /etc/subuid && mount --bind /dev/null /etc/subgid"
                                                + " && exec setpriv --reuid=65534 --regid=65534 --clear-groups -- \"$0\" grade \"$1\"",
                                                runnerPath, Self.checkout("good-c")])
        #expect(run.exitCode == 3)
        #expect(run.errors.contains("sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 nobody"), "\(run.errors)")
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
            dd if=/dev/zero of=/dev/shm/fill bs=1M count=100 2>/dev/null || echo "shm: full"
            { echo 1 > /sys/fs/cgroup/pids/cgroup.procs; } 2>/dev/null || echo "cgroup: refused"
            hostname hostile
            exec "$@"
            """
        #expect(try runCommand(["sh", "-c", "printf '%s\\n' \"$0\" > \"$1\"/lab.sh && chmod +x \"$1\"/lab.sh && "
                                + "printf 'exercises:\\n  uts-namespace: { run: \"./lab.sh uts {hostname} {probe}\" }\\n' > \"$1\"/lab.yml",
                                script, scratch.path]).exitCode == 0)
        let (exitCode, report, _, errors) = try Self.grade([scratch.path], ["--only", "uts-namespace"], seed: 1)
        #expect(exitCode == 1, "\(errors)")
        #expect(access("/etc/nslab-hostile", F_OK) != 0)
        let exercise = try #require(report.students.first?.exercises.first)
        #expect(exercise.output.prefix(5) == ["etc: refused", "remount: refused", "sysctl: refused", "shm: full", "cgroup: refused"],
                "\(exercise.output)")
        #expect(exercise.diagnosis?.english.contains("your program renamed the host: sandbox hostname was ") == true)
    }
}

/// Every directory below the cgroups the grader makes its own in (v1 and v2), for a before
/// and after: the run's cgroups and every exercise's must be gone.
func cgroupTree() -> [String] {
    var directories: [String] = []
    func walk(_ path: String) {
        directories.append(path)
        for name in (try? directoryEntries(path)) ?? [] {
            var info = stat()
            if lstat("\(path)/\(name)", &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { walk("\(path)/\(name)") }
        }
    }
    GradingCgroups.hierarchies().forEach { walk($0.parent) }
    return directories.sorted()
}

/// Waits, bounded, until a directory whose name `matches` is made in one of `parents`; its
/// path. Woken by inotify (watched before looking, so none is missed), never a sleep.
func awaitDirectory(in parents: [String], timeout: Double = 30, where matches: (String) -> Bool) throws -> String {
    let deadline = Deadline(seconds: timeout)
    let watch = inotify_init1(Int32(IN_CLOEXEC))
    defer { close(watch) }
    for parent in parents { _ = inotify_add_watch(watch, parent, UInt32(IN_CREATE)) }
    while true {
        for parent in parents {
            for name in (try? directoryEntries(parent)) ?? [] where matches(name) {
                var info = stat()
                if lstat("\(parent)/\(name)", &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { return "\(parent)/\(name)" }
            }
        }
        var poller = pollfd(fd: watch, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, deadline.remainingMilliseconds) > 0 else { throw LabError(.verbatim("nothing was made in \(parents) in time")) }
        var events = [UInt8](repeating: 0, count: 4096)
        _ = read(watch, &events, events.count)
    }
}
