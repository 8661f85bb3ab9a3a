import Testing

@testable import Experiments

/// The course's manifest (the teacher's: exercises, points, limits) and a checkout's lab.yml
/// (the student's: build and command lines), and the one-line errors (file, line, field) a
/// bad one gets.
@Suite("grading: the course's manifest and a checkout's lab.yml")
struct ManifestTests {
    @Test func aCourseReadsItsExercisesPointsAndLimits() throws {
        let course = try Course.parse("""
            limits: { timeout: 5, processes: 64, memory: 256M }
            exercises:
              uts-namespace: { points: 10 }
              ipc-namespace:
              pivot-root:
                timeout: 20
                run: ./lab pivot {rootfs} {probe_in_rootfs}
            """, file: "course.yml")
        #expect(course.limits.timeout == 5 && course.limits.processes == 64 && course.limits.memoryBytes == 256 << 20)
        #expect(course.entries.map(\.exercise) == ["uts-namespace", "ipc-namespace", "pivot-root"])
        #expect(course.entries.map(\.points) == [10, 1, 1] && course.entries.map(\.timeout) == [5, 5, 20])
        #expect(course.entries[2].run == ["./lab", "pivot", "{rootfs}", "{probe_in_rootfs}"] && course.entries[0].run == nil)
        // --only and --timeout narrow it.
        let narrowed = course.narrowed(to: ["pivot-root"], timeout: 3)
        #expect(narrowed.entries.map(\.exercise) == ["pivot-root"] && narrowed.entries[0].timeout == 3)
        // The limits alone, or no manifest at all: every exercise, 1 point each.
        let limitsOnly = try Course.parse("limits: { memory: 1G }\n", file: "course.yml")
        #expect(limitsOnly.entries.map(\.exercise) == Catalog.exercises.map(\.id) && limitsOnly.limits.memoryBytes == 1 << 30)
        #expect(Course.everyExercise.entries.map(\.exercise) == Catalog.exercises.map(\.id) && Course.everyExercise.entries.allSatisfy { $0.points == 1 })
    }

    @Test func aCheckoutsLabFileReadsItsBuildAndCommandLines() throws {
        let lab = try LabFile.parse("""
            build: cc -o lab lab.c
            exercises:
              uts-namespace: { run: "./lab uts {hostname} {probe}" }
            """, file: "lab.yml")
        #expect(lab.build == "cc -o lab lab.c" && lab.runs == ["uts-namespace": ["./lab", "uts", "{hostname}", "{probe}"]])
    }

    /// libyaml reads what YAML allows: a block scalar, single and double quotes, an anchor and
    /// its alias; the composer beside it bounds nesting and refuses a key given twice.
    @Test func yamlIsReadWhole() throws {
        let lab = try LabFile.parse("""
            build: 'make lab'  # a comment
            exercises:
              uts-namespace: &same
                run: >-
                  ./lab
                  {probe}
              ipc-namespace: *same
              pid-namespace: { run: "./lab \\"pid\\" {probe}" }
            """, file: "lab.yml")
        #expect(lab.build == "make lab")
        #expect(lab.runs == ["uts-namespace": ["./lab", "{probe}"], "ipc-namespace": ["./lab", "{probe}"],
                             "pid-namespace": ["./lab", "pid", "{probe}"]])
        let twice = #expect(throws: ManifestError.self) {
            try LabFile.parse("exercises:\n  uts-namespace: { run: \"x {probe}\" }\n  uts-namespace: { run: \"y {probe}\" }\n", file: "lab.yml")
        }
        #expect(twice?.description == "lab.yml:3: not valid YAML: the key \"uts-namespace\" is given twice")
        let deep = #expect(throws: ManifestError.self) { try LabFile.parse(String(repeating: "[", count: 100), file: "lab.yml") }
        #expect(deep?.description == "lab.yml:1: not valid YAML: nested more than 64 deep")
        let alias = #expect(throws: ManifestError.self) { try LabFile.parse("exercises: *nowhere\n", file: "lab.yml") }
        #expect(alias?.description == "lab.yml:1: not valid YAML: the alias *nowhere names no anchor before it")
    }

    @Test("a bad lab.yml names the file, line and field", arguments: [
        ("exercises:\n  uts-namespaces: { run: \"./lab {hostname} {probe}\" }\n",
         "lab.yml:2: exercises.uts-namespaces: unknown exercise; did you mean uts-namespace?"),
        ("exercises:\n  uts-namespace: { }\n", "lab.yml:2: exercises.uts-namespace.run: missing: the command line that runs your program"),
        ("exercises:\n  uts-namespace: { run: \"./lab {name} {probe}\" }\n",
         "lab.yml:2: exercises.uts-namespace.run: unknown placeholder {name}; uts-namespace has {hostname} {probe}"),
        ("exercises:\n  uts-namespace: { run: \"./lab\" }\n",
         "lab.yml:2: exercises.uts-namespace.run: no {probe}: your program must be given the command to run"),
        // The end of the file is where the parser gave up; the sequence began on line 1.
        ("exercises: [uts-namespace\n", "lab.yml:2: not valid YAML: did not find expected ',' or ']' (in a flow sequence that begins on line 1)"),
        ("build: make\n", "lab.yml:1: exercises: missing: the exercises to grade"),
        ("exercises:\n  uts-namespace: { run: \"./lab 'x {probe}\" }\n", "lab.yml:2: exercises.uts-namespace.run: a ' is not closed"),
        ("exercise:\n  uts-namespace: { run: \"x {probe}\" }\n", "lab.yml:1: exercise: unknown field; expected build, exercises, limits"),
        ("", "lab.yml:1: the file is empty"),
        ("exercises:\n  uts-namespace: { run: \"./lab --name={hostname} {probe}\" }\n",
         "lab.yml:2: exercises.uts-namespace.run: {hostname} must be a word of its own (in `--name={hostname}` it would not be replaced)"),
        // What is graded and what it is worth are the course's: a checkout choosing its own grade is its error.
        ("exercises:\n  uts-namespace: { run: \"x {probe}\", points: 1000 }\n",
         "lab.yml:2: exercises.uts-namespace.points: points are the course's to set (in its manifest), not a checkout's: remove this field"),
        ("exercises:\n  uts-namespace: { run: \"x {probe}\", timeout: 3600 }\n",
         "lab.yml:2: exercises.uts-namespace.timeout: time limits are the course's to set (in its manifest), not a checkout's: remove this field"),
        ("limits: { timeout: 3600 }\nexercises:\n  uts-namespace: { run: \"x {probe}\" }\n",
         "lab.yml:1: limits: limits are the course's to set (in its manifest), not a checkout's: remove this field"),
    ])
    func badLabFile(text: String, error: String) {
        let thrown = #expect(throws: ManifestError.self) { try LabFile.parse(text, file: "lab.yml") }
        #expect(thrown?.description == error)
    }

    @Test("a bad course names the file, line and field", arguments: [
        ("limits: { timeout: -1 }\nexercises:\n  uts-namespace:\n", "course.yml:1: limits.timeout: a number from 0.1 to 3600 was expected"),
        ("limits: { memory: lots }\nexercises:\n  uts-namespace:\n",
         "course.yml:1: limits.memory: a size from 16M to 64G was expected (bytes, or a number with K, M or G)"),
        ("exercises:\n  uts-namespace: { points: 1001 }\n", "course.yml:2: exercises.uts-namespace.points: a number from 0 to 1000 was expected"),
        ("exercises:\n  uts-namespace: { run: \"./lab\" }\n",
         "course.yml:2: exercises.uts-namespace.run: no {probe}: your program must be given the command to run"),
        ("exercises:\n  uts-namespace: { score: 3 }\n", "course.yml:2: exercises.uts-namespace.score: unknown field; expected points, run, timeout"),
    ])
    func badCourse(text: String, error: String) {
        let thrown = #expect(throws: ManifestError.self) { try Course.parse(text, file: "course.yml") }
        #expect(thrown?.description == error)
    }

    @Test("a course file that cannot be read says why", arguments: [("/nonexistent/course.yml", "ENOENT"), ("/", "EISDIR")])
    func unreadableCourse(path: String, errno: String) {
        let thrown = #expect(throws: ManifestError.self) { try Course.load(path) }
        #expect(thrown?.description.hasSuffix("cannot be read: \(errno)") == true, "\(thrown?.description ?? "")")
    }

    @Test func sizesReadAsBytesOrWithAUnit() throws {
        func memory(_ text: String) throws -> Int {
            try Course.parse("limits: { memory: \(text) }\nexercises:\n  uts-namespace:\n", file: "c").limits.memoryBytes
        }
        #expect(try memory("512M") == 512 << 20 && memory("1G") == 1 << 30 && memory("1GiB") == 1 << 30)
        #expect(try memory("268435456") == 256 << 20 && memory("65536K") == 64 << 20)
    }

    @Test("a manifest unusable in any other way is an error, never a crash", arguments: [
        "\u{0}\u{1}\u{2}binary",
        String(repeating: "[", count: 5000),
        "a: &x [*x]\n",
        "exercises: &e { uts-namespace: { run: \"x {probe}\" } }\nbuild: *e\n",
        "exercises:\n  uts-namespace: { run: [a, b] }\n",
        "exercises:\n  uts-namespace: { run: \"x {probe}\", points: lots }\n",
        "exercises:\n  uts-namespace: { run: \"x {probe}\" }\n  uts-namespace: { run: \"y {probe}\" }\n",
        "--- 1\n--- 2\n",
        "exercises: 7\n",
        String(repeating: "exercises:\n  uts-namespace: { run: \"x {probe}\" }\n", count: 20000),
    ])
    func unusableManifest(text: String) {
        for parse in [{ _ = try LabFile.parse(text, file: "lab.yml") }, { _ = try Course.parse(text, file: "lab.yml") }] as [() throws -> Void] {
            do {
                try parse()
            } catch {
                #expect("\(error)".hasPrefix("lab.yml:"))
            }
        }
    }

    @Test func runSplitsLikeAShellWithoutExpanding() throws {
        #expect(try splitWords(#"sh -c 'hostname "$1" && shift && exec "$@"' sh {hostname} {probe}"#)
                == ["sh", "-c", #"hostname "$1" && shift && exec "$@""#, "sh", "{hostname}", "{probe}"])
        #expect(try splitWords(#"a\ b "c \"d\" \x" ''"#) == ["a b", #"c "d" \x"#, ""])
    }

    @Test func theSameSeedGivesTheSameValuesAndAnotherSeedOthers() {
        func values(_ seed: UInt64) -> [String] {
            var random = SeededGenerator(seed: seed)
            return Catalog.exercise("user-namespace").map { $0.choose(&random).values.map(\.value) } ?? []
        }
        #expect(values(7) == values(7))
        #expect(values(7) != values(8))
    }
}
