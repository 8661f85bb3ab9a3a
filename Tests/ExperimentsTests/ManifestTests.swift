import Testing

@testable import Experiments

/// lab.yml: what a teacher writes, and the one-line errors (file, line, field) a bad one gets.
@Suite("grading: the lab.yml manifest")
struct ManifestTests {
    @Test func aManifestReadsItsBuildLimitsAndExercises() throws {
        let manifest = try Manifest.parse("""
            build: cc -o lab lab.c
            limits: { timeout: 5, processes: 64 }
            exercises:
              uts-namespace: { run: "./lab uts {hostname} {probe}", points: 10 }
              pivot-root:
                run: ./lab pivot {rootfs} {probe_in_rootfs}
                timeout: 20
            """, file: "lab.yml")
        #expect(manifest.build == "cc -o lab lab.c")
        #expect(manifest.limits.timeout == 5 && manifest.limits.processes == 64)
        #expect(manifest.entries.map(\.exercise) == [.utsNamespace, .pivotRoot])
        #expect(manifest.entries[0].words == ["./lab", "uts", "{hostname}", "{probe}"] && manifest.entries[0].points == 10)
        #expect(manifest.entries[0].timeout == 5 && manifest.entries[1].timeout == 20 && manifest.entries[1].points == 1)
    }

    @Test("a bad manifest names the file, line and field", arguments: [
        ("exercises:\n  uts-namespaces: { run: \"./lab {hostname} {probe}\" }\n",
         "lab.yml:2: exercises.uts-namespaces: unknown exercise; did you mean uts-namespace?"),
        ("exercises:\n  uts-namespace: { points: 3 }\n", "lab.yml:2: exercises.uts-namespace.run: missing: the command line that runs your program"),
        ("exercises:\n  uts-namespace: { run: \"./lab {name} {probe}\" }\n",
         "lab.yml:2: exercises.uts-namespace.run: unknown placeholder {name}; uts-namespace has {hostname} {probe}"),
        ("exercises:\n  uts-namespace: { run: \"./lab\" }\n",
         "lab.yml:2: exercises.uts-namespace.run: no {probe}: your program must be given the command to run"),
        ("exercises: [uts-namespace\n", "lab.yml:2: not valid YAML: did not find expected ',' or ']'"),
        ("build: make\n", "lab.yml:1: exercises: missing: the exercises to grade, each with its `run`"),
        ("exercises:\n  uts-namespace: { run: \"./lab 'x {probe}\" }\n", "lab.yml:2: exercises.uts-namespace.run: a ' is not closed"),
        ("limits: { timeout: -1 }\nexercises:\n  uts-namespace: { run: \"x {probe}\" }\n",
         "lab.yml:1: limits.timeout: a number from 0.1 to 3600 was expected"),
        ("exercise:\n  uts-namespace: { run: \"x {probe}\" }\n", "lab.yml:1: exercise: unknown field; expected build, exercises, limits"),
        ("", "lab.yml:1: the file is empty"),
        ("exercises:\n  uts-namespace: { run: \"./lab --name={hostname} {probe}\" }\n",
         "lab.yml:2: exercises.uts-namespace.run: {hostname} must be a word of its own (in `--name={hostname}` it would not be replaced)"),
    ])
    func badManifest(text: String, error: String) {
        let thrown = #expect(throws: ManifestError.self) { try Manifest.parse(text, file: "lab.yml") }
        #expect(thrown?.description == error)
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
        do {
            _ = try Manifest.parse(text, file: "lab.yml")
        } catch {
            #expect(error.description.hasPrefix("lab.yml:"))
        }
    }

    @Test func runSplitsLikeAShellWithoutExpanding() throws {
        #expect(try splitWords(#"sh -c 'hostname "$1" && shift && exec "$@"' sh {hostname} {probe}"#)
                == ["sh", "-c", #"hostname "$1" && shift && exec "$@""#, "sh", "{hostname}", "{probe}"])
        #expect(try splitWords(#"a\ b "c \"d\" \x" ''"#) == ["a b", #"c "d" \x"#, ""])
    }

    @Test func theSameSeedGivesTheSameValuesAndAnotherSeedOthers() {
        func values(_ seed: UInt64) -> [String: String] {
            var random = SeededGenerator(seed: seed)
            return Exercise.contract(.userNamespace).choose(&random)
        }
        #expect(values(7) == values(7))
        #expect(values(7) != values(8))
    }
}
