import Foundation
import Glibc
import Testing

@testable import Experiments

/// The bad starts of "Safe by construction", each on the real kernel, each inside a test
/// sandbox that plays the machine: whatever goes wrong changes that, never the machine.
@Suite("safe by construction: bad starts change nothing", .serialized)
struct SafetyTests {
    @Test func aForeignProcNeverLetsTheRunnerTouchAnotherProcess() throws {
        try requireRoot()
        let directory = try TemporaryDirectory()
        let release = "\(directory.path)/release"
        try #require(mkfifo(release, 0o600) == 0)
        // pid 2 of the sandbox's /proc is a decoy with UTS and IPC namespaces of its own. The
        // runner starts in a new PID namespace that still shows that /proc, where it is pid 1
        // and its first child pid 2: /proc/2 is the decoy, not anything of the runner's.
        let result = try sandboxShell("""
            unshare --uts --ipc sh -c 'hostname decoy; ipcmk -Q > /dev/null; exec cat "$0" > /dev/null' \(release) &
            unshare --pid --fork "$1" run uts-namespace ipc-namespace > /dev/null; echo "runner exit $?"
            echo "decoy $! $(nsenter -t 2 -u hostname) $(nsenter -t 2 -i ipcs -q | grep -c '^0x')"
            : > \(release); wait
            """)
        #expect(result.output == "runner exit 0\ndecoy 2 decoy 1", "\(result.output) \(result.errors)")
    }

    @Test func aNoisyHostFailsNoRun() throws {
        try requireRoot()
        // Another process renames the host, makes and removes IPC objects, links and mounts
        // all through the run: none of it is the run's doing, so none of it fails the run.
        let result = try sandboxShell("""
            before=$(hostname)
            ( i=0; while :; do i=$((i+1)); hostname noise$i; ipcmk -Q > /dev/null; ipcrm --all=msg
              ip link add nz$i type veth peer name nzp$i && ip link del nz$i
              mount -t tmpfs noise /mnt && umount /mnt; done ) 2> /dev/null &
            "$1" run all > /dev/null; code=$?
            kill $!; wait
            [ "$(hostname)" != "$before" ] && echo "noise ran"; echo "runner exit $code"
            """)
        #expect(result.output == "noise ran\nrunner exit 0", "\(result.output) \(result.errors)")
    }

    @Test func twentyRunsAtOnceAllPass() throws {
        try requireRoot()
        // What a run that failed said is kept, to tell why.
        let result = try sandboxShell("""
            out=$(mktemp -d); pids=""
            for i in $(seq 20); do "$1" run all > "$out/$i" 2>&1 & pids="$pids $!"; done
            failed=0; for p in $pids; do wait $p || failed=$((failed+1)); done; echo "failed: $failed"
            [ $failed = 0 ] || grep -h -e "  FAIL" -e "  BROKEN" -e "^runner:" "$out"/* | sort | uniq -c | head -20
            rm -r "$out"
            """, timeout: 300)
        #expect(result.output == "failed: 0", "\(result.output)")
    }

    @Test func thirtyTwoFileDescriptorsAreEnough() throws {
        try requireRoot()
        let result = try sandboxShell("ulimit -n 32; exec \"$1\" run all")
        #expect(result.exitCode == 0, "\(result.output.split(separator: "\n").filter { !$0.contains("PASS") })")
    }

    // Limits can be lowered only in a user namespace of its own (the machine's stay as they
    // are), where an experiment that needs real root does not run: it says so instead.
    @Test("each experiment passes with every namespace limit at its stated budget",
          arguments: Catalog.all.filter { $0.needsRealRoot == nil }.map(\.id))
    func budget(id: String) throws {
        try requireRoot()
        let experiment = try #require(Catalog.experiment(id))
        // Limits are per user namespace: set in a new one, the machine's stay as they are.
        let limits = experiment.namespacesNeeded.map { "echo \($0.value) > \($0.key.limitPath)" }.joined(separator: " && ")
        let result = try runCommand(testSandbox + ["unshare", "--user", "--map-root-user", "sh", "-c",
                                                   "\(limits) && exec \"$0\" run \(id)", runnerPath])
        #expect(result.exitCode == 0, "\(result.output.split(separator: "\n").filter { !$0.contains("PASS") })")
    }

    @Test func rootWithoutCapSysAdminRunsInAUserNamespaceOfItsOwn() throws {
        try requireRoot()
        // A container's default: uid 0 without CAP_SYS_ADMIN. The runner makes its sandbox in
        // a user namespace of its own, as `unshare -Ur runner run …` would, and says so.
        let dropped = ["setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin", "--"]
        let alone = try runCommand(testSandbox + dropped + [runnerPath, "run", "uts-namespace"])
        #expect(alone.exitCode == 0, "\(alone.errors)")
        #expect(alone.errors.hasPrefix("runner: without CAP_SYS_ADMIN: running in a user namespace of its own"), "\(alone.errors)")
        // Given one by hand, it needs none of its own; what needs real root says so.
        let advised = try runCommand(testSandbox + dropped + ["unshare", "-Ur", runnerPath, "run", "all"])
        #expect(advised.exitCode == 0, "\(advised.output.split(separator: "\n").filter { !$0.contains("PASS") })")
        #expect(advised.errors.contains("cannot run user-namespace on this host: needs real root"), "\(advised.errors)")
    }

    @Test func theHostChecksFailOnARealChangeAndOnAReadThatFails() throws {
        try requireRoot()
        // Paused at --step, something changes the runner's sandbox (its hostname, and a mount
        // that hides /proc/sysvipc/msg) and the real host (a name the run itself sets).
        let sandbox = try spawn(ProcessSpec(testSandbox + [runnerPath, "run", "uts-namespace", "--step"], environment: testEnvironment))
        try sandbox.readLine(until: { $0.hasPrefix("Press Enter") }, timeout: 20)
        let (outer, inner) = try runnerPids(under: sandbox)
        #expect(try runCommand(["nsenter", "-t", "\(inner)", "-u", "hostname", "tampered"]).exitCode == 0)
        #expect(try runCommand(["nsenter", "-t", "\(inner)", "-m", "mount", "--bind", "/dev/null", "/proc/sysvipc/msg"]).exitCode == 0)
        #expect(try runCommand(["nsenter", "-t", "\(outer)", "-u", "hostname", "container"]).exitCode == 0)
        for _ in 0..<3 { sandbox.send() }
        #expect(try sandbox.finish(timeout: 20) == .exited(1))
        let output = sandbox.lines.joined(separator: "\n")
        #expect(output.contains("FAIL  [host-unchanged] hostname, domainname, SysV IPC, mounts, network devices and cgroups where the runner runs: expected unchanged, got could not read: fstatfs(/proc/sysvipc/msg): not a procfs file"), "\(output)")
        #expect(output.contains(" → tampered"))
        #expect(output.contains("runner: the real host changed during the run: hostname "), "\(output)")
        #expect(output.contains(" → container"))
    }

    @Test func aNameLeftInRunNetnsIsAChange() throws {
        try requireRoot()
        // Paused at --step, a name appears in /run/netns where the runner runs and where its
        // supervisor runs: each on a tmpfs mounted there first, in that process's own mount
        // namespace, so that the real /run is never written.
        let sandbox = try spawn(ProcessSpec(testSandbox + [runnerPath, "run", "net-namespace", "--step"], environment: testEnvironment))
        try sandbox.readLine(until: { $0.hasPrefix("Press Enter") }, timeout: 20)
        let (outer, inner) = try runnerPids(under: sandbox)
        for pid in [inner, outer] {
            let name = "mount -t tmpfs nslab-test /run && mkdir /run/netns && touch /run/netns/nslab-lab"
            #expect(try runCommand(["nsenter", "-t", "\(pid)", "-m", "sh", "-c", name]).exitCode == 0)
        }
        for _ in 0..<8 { sandbox.send() }
        #expect(try sandbox.finish(timeout: 30) == .exited(1))
        let output = sandbox.lines.joined(separator: "\n")
        #expect(output.contains("FAIL  [host-unchanged]") && output.contains("named network namespaces (/run/netns) added: nslab-lab"),
                "\(output)")
        #expect(output.contains("runner: the real host changed during the run: named network namespaces (/run/netns) added: nslab-lab"),
                "\(output)")
    }
}

/// A directory in /tmp, removed with what it holds when this object goes.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/nslab-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
        path = String(cString: made)
    }

    deinit { _ = try? runCommand(["rm", "-rf", path]) }
}
