import Foundation
import Glibc
import Testing

@testable import Experiments
@testable import Runner

/// The JUnit XML of `runner run --junit`: stable case names, counts that add up, failures and
/// errors that say what was expected and seen, and a document valid against the common JUnit
/// schema (fixtures/junit/junit.xsd), whatever a program printed. The schema is checked with
/// xmllint, from Debian's libxml2-utils.
@Suite("JUnit XML")
struct JUnitTests {
    /// The English of the engine's check for a step whose namespaces the kernel refused.
    static let refusalCheck = engineText.namespacesMade.english

    // MARK: results made by hand

    static let makeObservations = [
        Observation("old namespace", command: "sh -c 'hostname'", printed: ["vm"]),
        Observation("new namespace", command: "sh -c 'hostname'",
                    printed: ["<container> & \"co\" ]]> \u{1B}[31mred\u{1B}[0m\r", "\u{0}\u{FFFE}\ttab"]),
    ]

    static func step(_ key: String, _ checks: [Check], observations: [Observation] = [], broken: Message? = nil,
                     seconds: Double = 0.25) -> StepResult {
        StepResult(key: key, title: .verbatim(key), shell: "", syscalls: [], observations: observations, checks: checks,
                   broken: broken, seconds: seconds)
    }

    static let inodesDiffer = Check("uts namespace inode of the new process", expected: "≠ 4026531838",
                                    actual: "4026532178", passed: true)
    static let hostUnchanged = step(hostUnchangedKey, [
        Check("hostname, domainname, SysV IPC, mounts, network devices and cgroups where the runner runs",
              expected: "unchanged", actual: "unchanged", passed: true),
    ], seconds: 0)

    /// The same experiment as it ends in four runs: passed, failed a check and was refused
    /// by the kernel, broken, and not runnable on the host.
    static let passed = ExperimentResult(id: "demo-pass", title: "demo", steps: [
        step("make", [inodesDiffer, Check("hostname inside", expected: "container", actual: "container", passed: true)],
             observations: makeObservations),
        step("join", [Check("joined", expected: "yes", actual: "yes", passed: true)]),
        hostUnchanged,
    ], seconds: 1.2346)

    static let failed = ExperimentResult(id: "demo-fail", title: "demo", steps: [
        step("make", [inodesDiffer, Check("hostname inside", expected: "container", actual: "vm\nand more", passed: false)],
             observations: makeObservations),
        step("join", [Check(engineText.namespacesMade, expected: "yes",
                            actual: "unshare(CLONE_NEWUTS): Operation not permitted (EPERM)", passed: false)]),
        hostUnchanged,
    ], seconds: 0.5)

    static let broken = ExperimentResult(id: "demo-broken", title: "demo", steps: [
        step("make", [inodesDiffer, Check("hostname inside", expected: "container", actual: "container", passed: true)]),
        step("join", [], broken: "no report from the probe <nsprobe> & no exit\nafter 10 s", seconds: 10.0004),
        hostUnchanged,
    ], seconds: 10.5)

    static let unrunnable: [(id: String, reasons: [Message])] = [("cgroup-namespace", ["no cgroup namespaces", "Linux 4.6 or later needed"])]

    static let document = JUnit.document([passed, failed, broken], unrunnable: unrunnable)

    // MARK: tests

    @Test func everyStepIsACaseNamedByItsKeyInEveryRun() throws {
        let file = try Self.write(Self.document)
        let names = try [Self.passed, Self.failed, Self.broken].map { try Self.caseNames(file.path, suite: $0.id) }
        for runNames in names {
            #expect(runNames.filter { !$0.contains(": ") } == ["make", "join", hostUnchangedKey])
            // A case of a failed or broken run is one a passing run has too: never renamed.
            #expect(Set(runNames).isSubset(of: Set(names[0])), "\(runNames)")
            #expect(Set(runNames).count == runNames.count, "case names are unique in a suite")
        }
        #expect(names[0] == ["make", "make: uts namespace inode of the new process", "make: hostname inside",
                             "join", "join: joined",
                             hostUnchangedKey, "\(hostUnchangedKey): hostname, domainname, SysV IPC, mounts, network devices and cgroups where the runner runs"])
        #expect(!names[1].contains { $0.contains(Self.refusalCheck) })
        #expect(try Self.caseNames(file.path, suite: "cgroup-namespace") == ["runnable on this host"])
    }

    @Test func countsAddUp() throws {
        let file = try Self.write(Self.document)
        for (suite, counts) in [("demo-pass", [7, 0, 0, 0]), ("demo-fail", [6, 2, 0, 0]), ("demo-broken", [6, 0, 1, 0]),
                                ("cgroup-namespace", [1, 0, 0, 1])] {
            let attributes = try ["tests", "failures", "errors", "skipped"].map {
                try Self.xpath(file.path, "string(/testsuites/testsuite[@name='\(suite)']/@\($0))")
            }
            #expect(attributes == counts.map(String.init), "\(suite)")
        }
        // The engine counts the kernel's refusal as a failed check: the same number of failures.
        #expect(Self.failed.failedCount == 2)
        let totals = try ["tests", "failures", "errors"].map { try Self.xpath(file.path, "string(/testsuites/@\($0))") }
        #expect(totals == ["20", "2", "1"])
        #expect(try Self.xpath(file.path, "string(/testsuites/@time)") == "12.235")
        #expect(try Self.xpath(file.path, "string(//testsuite[@name='demo-pass']/@time)") == "1.235")
        try Self.expectConsistent(file.path)
    }

    @Test func failuresAndErrorsSayWhatWasExpectedAndSeen() throws {
        let file = try Self.write(Self.document)
        func value(_ suite: String, _ testCase: String, _ path: String) throws -> String {
            try Self.xpath(file.path, "string(//testsuite[@name='\(suite)']/testcase[@name='\(testCase)']/\(path))")
        }
        #expect(try value("demo-fail", "make: hostname inside", "failure/@type") == "check")
        #expect(try value("demo-fail", "make: hostname inside", "failure/@message") == "expected container, got vm and more")
        #expect(try value("demo-fail", "make: hostname inside", "failure")
                == "hostname inside\nexpected: container\ngot:      vm\nand more")
        #expect(try value("demo-fail", "make", "failure/@type") == "")  // the failed check fails, its step ran
        #expect(try value("demo-fail", "join", "failure/@type") == "refused")
        #expect(try value("demo-fail", "join", "failure/@message")
                == "expected yes, got unshare(CLONE_NEWUTS): Operation not permitted (EPERM)")
        #expect(try value("demo-fail", "join", "failure").hasPrefix(Self.refusalCheck + "\nexpected: yes\n"))
        #expect(try value("demo-broken", "join", "error/@type") == "broken")
        #expect(try value("demo-broken", "join", "error/@message")
                == "no report from the probe <nsprobe> & no exit after 10 s")
        #expect(try value("demo-broken", "join", "error") == "no report from the probe <nsprobe> & no exit\nafter 10 s")
        #expect(try value("cgroup-namespace", "runnable on this host", "skipped/@message")
                == "no cgroup namespaces; Linux 4.6 or later needed")
        // The step's time is on the step's case; its checks' cases carry 0.
        #expect(try value("demo-broken", "join", "@time") == "10.000")
        #expect(try value("demo-pass", "make", "@time") == "0.250")
        #expect(try value("demo-pass", "make: hostname inside", "@time") == "0.000")
        #expect(try value("demo-pass", "make", "@classname") == "demo-pass")
    }

    @Test func theStepsOutputIsItsCasesSystemOut() throws {
        let file = try Self.write(Self.document)
        let output = try Self.xpath(file.path, "string(//testsuite[@name='demo-pass']/testcase[@name='make']/system-out)")
        #expect(output == """
            old namespace
            $ sh -c 'hostname'
            vm

            new namespace
            $ sh -c 'hostname'
            <container> & "co" ]]> \u{FFFD}[31mred\u{FFFD}[0m\u{FFFD}
            \u{FFFD}\u{FFFD}\ttab
            """)
        #expect(try Self.xpath(file.path, "count(//testcase[@name='join']/system-out)") == "0")
    }

    @Test func textAndAttributesAreValidXMLWhateverAProgramPrinted() {
        #expect(Markup.text("a<b & c]]>\r\n\u{0}\u{7F}\u{FFFE}\u{FFFF}\tend ≠") == "a&lt;b &amp; c]]&gt;\u{FFFD}\n\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\tend ≠")
        #expect(Markup.attribute("a\r\nb\"") == "\"a\u{FFFD}&#10;b&quot;\"")
        #expect(JUnit.oneLine("a\nb\r\nc\rd\u{2028}e") == "a b c d e")
    }

    @Test func theDocumentIsValidJUnit() throws {
        let file = try Self.write(Self.document)
        let result = try Self.validate(file.path)
        #expect(result.exitCode == 0, "\(result.errors)")
        let empty = try Self.write(JUnit.document([], unrunnable: []))
        #expect(try Self.validate(empty.path).exitCode == 0)
    }

    /// The schema is no rubber stamp: it refuses what a CI would not read as promised.
    @Test(arguments: [
        #"<testsuites tests="1" failures="0" errors="0" time="0.000" skipped="0"/>"#,
        #"<testsuites tests="1" failures="0" errors="0" time="0.000"><testsuite name="a" tests="1" failures="1" errors="0" skipped="0" time="0.000"><testcase classname="a" name="b" time="0.000"><failure message="m"/></testcase></testsuite></testsuites>"#,
        #"<testsuites tests="1" failures="0" errors="0" time="0.000"><testsuite name="a" tests="-1" failures="0" errors="0" skipped="0" time="0.000"/></testsuites>"#,
        #"<testsuites tests="1" failures="0" errors="0" time="0.000"><testsuite name="a" tests="1" failures="0" errors="0" skipped="0" time="0.000"><testcase name="b" time="0.000"/></testsuite></testsuites>"#,
    ])
    func theSchemaRefusesWhatIsNotValidJUnit(xml: String) throws {
        let file = try Self.write(xml)
        #expect(try Self.validate(file.path).exitCode != 0)
    }

    /// The check JUnit.swift makes a step's refusal is the one the engine reports.
    @Test func theRefusalCheckIsTheEngines() {
        #expect(Check(engineText.namespacesMade, expected: "yes", actual: "EPERM", passed: false).isRefusal)
        #expect(!Check(.verbatim(Self.refusalCheck), expected: "yes", actual: "EPERM", passed: false).isRefusal)
    }

    @Test func runAllWritesValidJUnitWithACasePerStep() throws {
        try requireRoot()
        let junit = try TemporaryFile()
        let result = try runner("run", "all", "--junit", junit.path)
        #expect(result.exitCode == 0, "\(result.output)\n\(result.errors)")
        let validation = try Self.validate(junit.path)
        #expect(validation.exitCode == 0, "\(validation.errors)")
        try Self.expectConsistent(junit.path)
        #expect(try Self.xpath(junit.path, "string(/testsuites/@failures)") == "0")
        #expect(try Self.xpath(junit.path, "string(/testsuites/@errors)") == "0")
        #expect(try Self.xpath(junit.path, "count(/testsuites/testsuite)") == "\(Catalog.all.count)")
        for experiment in Catalog.all {
            let names = try Self.caseNames(junit.path, suite: experiment.id)
            #expect(names.filter { !$0.contains(": ") } == experiment.steps.map(\.key) + [hostUnchangedKey])
            #expect(Set(names).count == names.count, "case names are unique in \(experiment.id): \(names)")
            #expect(names.count > experiment.steps.count + 1, "\(experiment.id) has check cases")
        }
        // Every step of the run printed something, shown with its case.
        #expect(try Self.xpath(junit.path, "count(//testcase[system-out])") != "0")
    }

    // MARK: helpers

    static let sourceRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/ExperimentsTests/JUnitTests.swift
        return parts.joined(separator: "/")
    }()

    static let schema = sourceRoot + "/fixtures/junit/junit.xsd"

    static func write(_ text: String) throws -> TemporaryFile {
        let file = try TemporaryFile()
        try #require(FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8)))
        return file
    }

    static func xmllint(_ arguments: [String]) throws -> CommandResult {
        try #require(access("/usr/bin/xmllint", X_OK) == 0,
                     "these tests need xmllint: apt-get install -y libxml2-utils")
        return try runCommand(["/usr/bin/xmllint"] + arguments)
    }

    static func validate(_ path: String) throws -> CommandResult {
        try xmllint(["--schema", schema, "--noout", path])
    }

    /// An XPath 1.0 expression's value in the file, as xmllint prints it.
    static func xpath(_ path: String, _ expression: String) throws -> String {
        let result = try xmllint(["--xpath", expression, path])
        try #require(result.exitCode == 0 || result.exitCode == 10, "xmllint --xpath \(expression): \(result.errors)")
        return result.output
    }

    /// The names of a suite's test cases, in order, unescaped.
    static func caseNames(_ path: String, suite: String) throws -> [String] {
        let cases = "/testsuites/testsuite[@name='\(suite)']/testcase"
        let count = try #require(Int(try xpath(path, "count(\(cases))")))
        return try (0..<count).map { try xpath(path, "string((\(cases))[\($0 + 1)]/@name)") }
    }

    /// Each suite's counts are its cases', and the totals the suites' sums.
    static func expectConsistent(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for expression in [
            "count(//testsuite[@tests != count(testcase)])",
            "count(//testsuite[@failures != count(testcase[failure])])",
            "count(//testsuite[@errors != count(testcase[error])])",
            "count(//testsuite[@skipped != count(testcase[skipped])])",
            "count(//testcase[count(failure | error | skipped) > 1])",
            "count(/testsuites[@tests != count(testsuite/testcase)])",
            "count(/testsuites[@failures != sum(testsuite/@failures)])",
            "count(/testsuites[@errors != sum(testsuite/@errors)])",
            "count(/testsuites[@time - sum(testsuite/@time) > 0.0005 or sum(testsuite/@time) - @time > 0.0005])",
        ] {
            #expect(try xpath(path, expression) == "0", "\(expression)", sourceLocation: sourceLocation)
        }
    }
}
