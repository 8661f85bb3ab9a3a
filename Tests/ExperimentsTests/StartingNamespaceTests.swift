import Glibc
import Testing

@testable import Experiments

/// The mount and network chapters change mounts, devices, addresses and /run/netns, each
/// only in namespaces the runner made. Here the namespace the runner is started in (a test
/// sandbox playing the machine) is read before and after, with the tools a student would
/// use: mountinfo, `ip -j link`, `ip -j addr`, /run/netns and /mnt, after a run that passed,
/// one that broke and one interrupted at a --step prompt.
@Suite("the namespace the runner starts in is as it was", .serialized)
struct StartingNamespaceTests {
    /// Prints the starting namespace's state between marker lines, runs the runner ($1) with
    /// the arguments after $2, and prints the state again.
    static let script = """
        look() {
            echo @@STATE@@
            cut -d' ' -f5- /proc/self/mountinfo | sort
            ip -j link; ip -j addr
            ls -A /run/netns /mnt 2>&1
            echo @@END@@
        }
        look; runner=$1; shift 2; "$runner" "$@"; echo "exit $?"; look
        """

    static let chapters = ["mount-namespace", "pivot-root", "net-namespace"]

    /// The two states the script printed.
    func states(_ output: String) -> [String] {
        output.components(separatedBy: "@@STATE@@\n").dropFirst().map { $0.components(separatedBy: "@@END@@")[0] }
    }

    @Test("after a run that passed", arguments: chapters)
    func afterAPassingRun(id: String) throws {
        try requireRoot()
        let result = try expectHostUnchanged { try sandboxShell(Self.script, arguments: ["run", id]) }
        #expect(result.output.contains("exit 0\n"), "\(result.output.suffix(300))")
        let seen = states(result.output)
        #expect(seen.count == 2 && seen[0] == seen[1], "\(seen)")
    }

    @Test("after a run whose probe printed nothing (every step broken)", arguments: chapters)
    func afterABrokenRun(id: String) throws {
        try requireRoot()
        let result = try expectHostUnchanged {
            try sandboxShell(Self.script, arguments: ["run", id],
                             environment: ProcessSpec.defaultEnvironment + ["NSLAB_PROBE=/bin/true"])
        }
        #expect(result.output.contains("exit 4\n"))
        let seen = states(result.output)
        #expect(seen.count == 2 && seen[0] == seen[1], "\(seen)")
    }

    @Test("after a run interrupted at its second --step prompt", arguments: chapters)
    func afterAnInterruptedRun(id: String) throws {
        try requireRoot()
        let before = HostState.read()
        let sandbox = try spawn(ProcessSpec(testSandbox + ["sh", "-c", Self.script, "sh", runnerPath, probePath, "run", id, "--step"]))
        let prompt = { (line: String) in line.hasPrefix("Press Enter") }
        try sandbox.readLine(until: prompt, timeout: 20)  // paused after step 1
        sandbox.send()
        try sandbox.readLine(until: prompt, timeout: 20)  // after step 2: the demo host is there
        // The test sandbox's pid 1 is sh; its child the supervising runner.
        let shell = try #require(try ProcessTable.descendants(of: sandbox.pid).first { ProcessTable.parent($0) == sandbox.pid })
        let supervisor = try #require(try ProcessTable.descendants(of: shell).first { ProcessTable.parent($0) == shell })
        kill(supervisor, SIGINT)
        #expect(try sandbox.finish(timeout: 20) == .exited(0))
        let output = sandbox.lines.joined(separator: "\n") + "\n"
        #expect(output.contains("exit 130\n"), "\(output.suffix(300))")
        let seen = states(output)
        #expect(seen.count == 2 && seen[0] == seen[1], "\(seen)")
        #expect(before.differences(to: HostState.read()) == [])
    }
}
