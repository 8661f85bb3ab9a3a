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

/// Runs a command on the host (no namespaces), stdout and stderr captured apart.
func runCommand(_ arguments: [String], environment: [String] = ProcessSpec.defaultEnvironment,
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

func runner(_ arguments: String..., environment: [String] = ProcessSpec.defaultEnvironment) throws -> CommandResult {
    try runCommand([runnerPath] + arguments, environment: environment)
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
    try #require(HostSupport.current(probePath: probePath).hasSysAdmin,
                 "these tests create real namespaces and need CAP_SYS_ADMIN: run them as root")
}
