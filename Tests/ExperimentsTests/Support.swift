import Foundation
import Glibc
import Testing

@testable import Experiments

/// The built products beside the test bundle: runner and nsprobe.
let productsDirectory = executableDirectory()
let runnerPath = "\(productsDirectory)/runner"
let probePath = locateProbe()

/// What a command printed and how it ended.
struct CommandResult {
    let status: Termination
    let output: String
    let errors: String

    var exitCode: Int32? {
        if case .exited(let code) = status { return code }
        return nil
    }
}

/// The environment commands get in tests: a wide terminal, so that a test can look for a whole
/// line; the tests of width (WidthTests) set their own.
let testEnvironment = ProcessSpec.defaultEnvironment + ["COLUMNS=1000"]

/// Runs a command on the host (no namespaces), stdout and stderr captured apart.
func runCommand(_ arguments: [String], environment: [String] = testEnvironment,
                input: String? = nil, timeout: Double = 60) throws -> CommandResult {
    let errorFile = try TemporaryFile()
    var spec = ProcessSpec(arguments, environment: environment)
    spec.standardErrorFile = errorFile.path
    let child = try spawn(spec)
    if let input { child.send(input) }
    let status = try child.finish(timeout: timeout)
    return CommandResult(status: status, output: child.lines.joined(separator: "\n"),
                         errors: readTextFile(errorFile.path) ?? "")
}

/// The throwaway namespaces every test runs the runner in (with a /proc of their own): the
/// runner treats them as the real host, so a regression in one of its guards changes these,
/// which the test sees, and never the machine that runs the tests.
let testSandbox = ["unshare", "--uts", "--ipc", "--mount", "--net", "--pid", "--fork", "--mount-proc"]

/// Runs the runner in a fresh test sandbox.
func runner(_ arguments: String..., environment: [String] = testEnvironment) throws -> CommandResult {
    try runCommand(testSandbox + [runnerPath] + arguments, environment: environment)
}

/// Runs a shell script in a fresh test sandbox, with the runner as $1, the probe as $2 and
/// `arguments` after them.
func sandboxShell(_ script: String, arguments: [String] = [], environment: [String] = testEnvironment,
                  timeout: Double = 120) throws -> CommandResult {
    try runCommand(testSandbox + ["sh", "-c", script, "sh", runnerPath, probePath] + arguments, environment: environment,
                   timeout: timeout)
}

/// `runner run <id> --json` in a test sandbox, decoded.
func runExperiment(_ id: String, environment: [String] = testEnvironment) throws
    -> (exitCode: Int32?, result: ExperimentResult)
{
    let run = try runner("run", id, "--json", environment: environment)
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    struct Report: Decodable { let experiments: [ExperimentResult] }
    let report = try decoder.decode(Report.self, from: Data(run.output.utf8))
    return (run.exitCode, try #require(report.experiments.first))
}

/// A file in /tmp that is removed when this object goes.
final class TemporaryFile {
    let path: String

    init() throws {
        var template = Array("/tmp/nslab-test-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw SystemCallError("mkstemp", errno: errno) }
        close(fd)
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit { unlink(path) }
}

/// Runs `body` and checks that the real host shows the same names, SysV IPC objects, mounts
/// and network devices afterwards.
func expectHostUnchanged<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) rethrows -> T {
    let before = HostState.read()
    let result = try body()
    #expect(before.differences(to: HostState.read()) == [], sourceLocation: sourceLocation)
    return result
}

/// Fails the test, saying why, when this process lacks CAP_SYS_ADMIN (these tests create
/// real namespaces; CI runs them as root and they must not be skipped there).
func requireRoot() throws {
    try #require(HostSupport.current(probeFile: probePath).hasSysAdmin,
                 "these tests create real namespaces and need CAP_SYS_ADMIN: run them as root")
}

/// For a runner started in a test sandbox (`unshare` → the supervising runner → the runner
/// inside its own sandbox): the supervisor's pid and the inner runner's, as this process sees them.
func runnerPids(under sandbox: ChildProcess) throws -> (supervisor: pid_t, inside: pid_t) {
    func child(of parent: pid_t) throws -> pid_t {
        try #require(try ProcessTable.descendants(of: parent).first { ProcessTable.parent($0) == parent })
    }
    let supervisor = try child(of: sandbox.pid)
    return (supervisor, try child(of: supervisor))
}

/// In a test, a string literal where a message goes is a value shown as it is: a check or
/// an observation made by hand. (The library itself has no such conversion: every sentence
/// of its own is a template in a table.)
extension Message: ExpressibleByStringLiteral {
    public init(stringLiteral text: String) { self = .verbatim(text) }
}

extension Observation {
    /// Its lines in English, as JSON carries them.
    var lines: [String] { output.map(\.english) }
}

/// What a `--json` report says went wrong, for a test's message: each broken step and failed
/// check, so that a failure seen once says which.
func whatFailed(inReport json: String) -> String {
    guard let report = try? ChineseTests.decodeReport(json) else { return "no report" }
    return report.experiments.flatMap { experiment in
        experiment.steps.flatMap { step in
            (step.broken.map { ["\(experiment.id)/\(step.key): broken: \($0.english)"] } ?? [])
                + step.checks.filter { !$0.passed }.map {
                    "\(experiment.id)/\(step.key): \($0.name.english): expected \($0.expected.english), got \($0.actual.english)"
                }
        }
    }.joined(separator: "; ")
}
