import Glibc
import Testing

@testable import Experiments

/// The probe changes a namespace's state (hostname, SysV IPC objects, a signal to init) only
/// when that namespace is listed, by inode, in NSLAB_OWNED: the namespaces the runner made.
/// Each test runs the probe in a throwaway namespace made by `unshare`, so the real machine
/// stays as it was even if the guard is broken, and each asserts on the kernel's state.
@Suite("nsprobe: changes only namespaces listed in NSLAB_OWNED")
struct ProbeGuardTests {
    /// What one run printed: the probe's lines, and the shell's own lines apart.
    struct Run {
        let output: ProbeOutput
        let errors: String
        /// `uname -n` in the throwaway namespace before and after the probe ran.
        let before: String?
        let after: String?
        let probeExit: String?
    }

    /// Runs `nsprobe ACTIONS... report` in a new `kind` namespace (`unshare --KIND`), with
    /// NSLAB_OWNED set to `owned`, every "{new}" in it replaced by that new namespace's
    /// inode, or unset when `owned` is nil. The variable is set inside the command line, as
    /// the spawner replaces any NSLAB_OWNED given in the child's environment.
    private func probeInThrowaway(_ kind: String, owned: String?, _ actions: [String]) throws -> Run {
        try requireRoot()
        let script = """
            new=$(stat -L -c %i /proc/self/ns/\(kind)) || exit 97
            echo "before: $(uname -n)"
            unset NSLAB_OWNED
            if [ "$1" = set ]; then NSLAB_OWNED=$(printf '%s' "$2" | sed "s/{new}/$new/g"); export NSLAB_OWNED; fi
            shift 2
            "$0" "$@" report
            echo "probe exit: $?"
            echo "after: $(uname -n)"
            """
        let arguments = ["unshare", "--\(kind)", "sh", "-c", script, probePath,
                         owned == nil ? "unset" : "set", owned ?? ""] + actions
        let result = try expectHostUnchanged { try runCommand(arguments) }
        #expect(result.status == .exited(0), "\(result.errors)")
        let output = ProbeOutput(lines: result.output.split(separator: "\n").map(String.init))
        func shell(_ prefix: String) -> String? {
            output.otherLines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        return Run(output: output, errors: result.errors, before: shell("before: "),
                   after: shell("after: "), probeExit: shell("probe exit: "))
    }

    /// The inode of this test process's `kind` namespace: one the throwaway run did not make.
    private func myInode(_ kind: String) throws -> UInt64 {
        var st = stat()
        try #require(stat("/proc/self/ns/\(kind)", &st) == 0)
        return UInt64(st.st_ino)
    }

    /// The action was refused with EPERM and a reason naming the namespace and NSLAB_OWNED.
    private func expectRefused(_ result: some ProbeActionResult, refused: String?, _ kind: String,
                               because reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.errno == Int(EPERM), sourceLocation: sourceLocation)
        #expect(result.error == "EPERM", sourceLocation: sourceLocation)
        let refused = refused ?? ""
        #expect(refused.hasPrefix("\(kind) namespace ") && refused.contains("was not made by the runner"),
                "\(refused)", sourceLocation: sourceLocation)
        #expect(refused.hasSuffix("(\(reason))"), "\(refused)", sourceLocation: sourceLocation)
    }

    /// The probe exited 0 and printed only valid JSON events (every other line is the shell's).
    private func expectClean(_ run: Run, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.probeExit == "0", sourceLocation: sourceLocation)
        #expect(run.errors == "", sourceLocation: sourceLocation)
        #expect(run.output.otherLines.count == 3, "\(run.output.otherLines)", sourceLocation: sourceLocation)
    }

    // MARK: sethostname, in `unshare --uts`

    private func expectHostnameRefused(_ run: Run, because reason: String,
                                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        expectClean(run, sourceLocation: sourceLocation)
        let result = try run.output.result(HostnameSet.self)
        expectRefused(result, refused: result.refused, "uts", because: reason, sourceLocation: sourceLocation)
        let before = try #require(run.before, sourceLocation: sourceLocation)
        #expect(before != "decoy", sourceLocation: sourceLocation)
        #expect(run.after == before, sourceLocation: sourceLocation)
        #expect(try run.output.report().hostname == before, sourceLocation: sourceLocation)
    }

    @Test func sethostnameIsRefusedWithoutNSLABOwned() throws {
        let run = try probeInThrowaway("uts", owned: nil, ["sethostname=decoy"])
        try expectHostnameRefused(run, because: "NSLAB_OWNED is not set")
    }

    @Test func sethostnameIsRefusedWithAnEmptyNSLABOwned() throws {
        let run = try probeInThrowaway("uts", owned: "", ["sethostname=decoy"])
        try expectHostnameRefused(run, because: "not in NSLAB_OWNED")
    }

    @Test func sethostnameWorksInAnOwnedUTSNamespace() throws {
        let run = try probeInThrowaway("uts", owned: "uts:{new}", ["sethostname=decoy"])
        expectClean(run)
        let result = try run.output.result(HostnameSet.self)
        #expect(result.errno == 0 && result.refused == nil && result.name == "decoy", "\(result)")
        #expect(try run.output.report().hostname == "decoy")
        #expect(run.after == "decoy")
        #expect(run.before != "decoy")
    }

    @Test func sethostnameIsRefusedWhenNSLABOwnedListsAnotherUTSNamespace() throws {
        let run = try probeInThrowaway("uts", owned: "uts:\(try myInode("uts"))", ["sethostname=decoy"])
        try expectHostnameRefused(run, because: "not in NSLAB_OWNED")
    }

    @Test func theInodeCountsOnlyUnderItsOwnKind() throws {
        // The right inode, listed as another kind ("pid_for_children" also starts with "pid").
        let run = try probeInThrowaway("uts", owned: "ipc:{new},net:{new},uts_:{new},ut:{new}",
                                       ["sethostname=decoy"])
        try expectHostnameRefused(run, because: "not in NSLAB_OWNED")
    }

    /// Malformed values; "long list" and "long number" stand for 60,000-character ones.
    @Test(arguments: ["uts:", "garbage", "uts:12x", "uts:{new}x", "uts: {new}", "uts:-{new}",
                      "uts:{new}{new}{new}", ",,,", ":{new}", "uts{new}", "uts:{new}:",
                      "long list", "long number"])
    func aMalformedNSLABOwnedIsRefusedNotCrashedOn(owned: String) throws {
        let value = switch owned {
        case "long list": String(repeating: "uts:1,", count: 10_000)
        case "long number": "uts:" + String(repeating: "9", count: 60_000)
        default: owned
        }
        let run = try probeInThrowaway("uts", owned: value, ["sethostname=decoy"])
        try expectHostnameRefused(run, because: "not in NSLAB_OWNED")
    }

    @Test func malformedEntriesAreSkippedAndAGoodOneStillCounts() throws {
        let run = try probeInThrowaway("uts", owned: "garbage,,uts:12x,uts:,ipc:1,uts:{new}",
                                       ["sethostname=decoy"])
        expectClean(run)
        #expect(try run.output.result(HostnameSet.self).errno == 0)
        #expect(try run.output.report().hostname == "decoy")
    }

    // MARK: devices through rtnetlink(7), in `unshare --net`

    /// The devices the probe's report shows, as "name UP|DOWN address...", by name.
    private func devices(_ run: Run) throws -> [String] {
        try (run.output.report().interfaces ?? []).map { ([$0.name, $0.up ? "UP" : "DOWN"] + $0.addresses).joined(separator: " ") }.sorted()
    }

    @Test func aVethPairIsMadeAddressedAndBroughtUpInAnOwnedNetworkNamespace() throws {
        let run = try probeInThrowaway("net", owned: "net:{new}", ["veth=nz-a,nz-b", "addr=nz-a,10.201.0.1/24", "link-up=nz-a",
                                                                 "link-delete=nz-b"])
        expectClean(run)
        let changes = try run.output.results(LinkChanged.self)
        #expect(changes.map(\.change) == ["veth", "addr", "up", "delete"])
        #expect(changes.allSatisfy { $0.errno == 0 && $0.refused == nil }, "\(changes)")
        // Deleting one end took the pair: the kernel shows only lo.
        #expect(try devices(run) == ["lo DOWN"])
        let kept = try probeInThrowaway("net", owned: "net:{new}", ["veth=nz-a,nz-b", "addr=nz-a,10.201.0.1/24", "link-up=nz-a"])
        #expect(try devices(kept) == ["lo DOWN", "nz-a UP 10.201.0.1", "nz-b DOWN"])
    }

    @Test func aDeviceChangeIsRefusedOutsideAnOwnedNetworkNamespace() throws {
        let run = try probeInThrowaway("net", owned: nil, ["veth=nz-a,nz-b"])
        expectClean(run)
        let made = try run.output.result(LinkChanged.self)
        expectRefused(made, refused: made.refused, "net", because: "NSLAB_OWNED is not set")
        #expect(try devices(run) == ["lo DOWN"])
    }

    /// Runs `nsprobe ACTIONS... report=interfaces` in a throwaway network and mount namespace,
    /// beside a second network namespace held by a shell: "{target}" in an action is that
    /// shell's pid, "{path}" a bind mount of its namespace (on a tmpfs at /run, in the
    /// throwaway mount namespace), as `ip netns attach` makes one. NSLAB_OWNED lists the first
    /// namespace, and the second too when `targetOwned`. Returns the run, and the devices the
    /// second namespace shows afterwards, by name.
    private func probeBesideTarget(targetOwned: Bool, _ actions: [String]) throws -> (run: Run, target: [String]) {
        try requireRoot()
        let script = """
            mount -t tmpfs nslab-test /run && mkfifo /run/ready /run/go || exit 97
            unshare --net sh -c 'echo $$ > /run/ready; read _ < /run/go' &
            read target < /run/ready
            touch /run/target && mount --bind /proc/$target/ns/net /run/target || exit 97
            NSLAB_OWNED=net:$(stat -L -c %i /proc/self/ns/net)
            if [ "$1" = owned ]; then NSLAB_OWNED=$NSLAB_OWNED,net:$(stat -L -c %i /proc/$target/ns/net); fi
            export NSLAB_OWNED
            shift
            "$0" $(printf '%s\n' "$@" | sed "s|{target}|$target|g; s|{path}|/run/target|g") report=interfaces
            echo "probe exit: $?"
            echo "target: $(nsenter --net --target $target ip -brief link | cut -d' ' -f1 | cut -d@ -f1 | sort | tr '\n' ' ')"
            umount /run/target; echo > /run/go; wait
            """
        let arguments = ["unshare", "--net", "--mount", "sh", "-c", script, probePath, targetOwned ? "owned" : "not"] + actions
        let result = try expectHostUnchanged { try runCommand(arguments) }
        #expect(result.status == .exited(0), "\(result.errors)")
        let output = ProbeOutput(lines: result.output.split(separator: "\n").map(String.init))
        func shell(_ prefix: String) -> String? {
            output.otherLines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        let target = (shell("target: ") ?? "?").split(separator: " ").map(String.init)
        return (Run(output: output, errors: result.errors, before: nil, after: nil, probeExit: shell("probe exit: ")), target)
    }

    @Test func aDeviceGoesIntoAnotherOwnedNetworkNamespaceByPidOrByName() throws {
        let (run, target) = try probeBesideTarget(targetOwned: true, ["veth=nz-a,nz-b,{target}", "veth=nz-c,nz-d", "link-netns=nz-d,{path}"])
        #expect(run.probeExit == "0" && run.errors == "")
        let changes = try run.output.results(LinkChanged.self)
        #expect(changes.map(\.change) == ["veth", "veth", "netns"], "\(changes)")
        #expect(changes.allSatisfy { $0.errno == 0 && $0.refused == nil }, "\(changes)")
        #expect(try devices(run) == ["lo DOWN", "nz-a DOWN", "nz-c DOWN"])
        #expect(target == ["lo", "nz-b", "nz-d"])
    }

    @Test func aDeviceNeverGoesIntoANetworkNamespaceTheRunnerDidNotMake() throws {
        let (run, target) = try probeBesideTarget(targetOwned: false, ["veth=nz-a,nz-b,{target}", "veth=nz-c,nz-d",
                                                                       "link-netns=nz-d,{target}", "link-netns=nz-d,{path}"])
        #expect(run.probeExit == "0" && run.errors == "")
        let changes = try run.output.results(LinkChanged.self)
        #expect(changes.count == 4)
        for index in [0, 2, 3] where index < changes.count {
            expectRefused(changes[index], refused: changes[index].refused, "target net", because: "not in NSLAB_OWNED")
        }
        #expect(changes.count > 1 && changes[1].errno == 0)
        // Refused, it made nothing: no nz-a, and nz-d stayed where it was made.
        #expect(try devices(run) == ["lo DOWN", "nz-c DOWN", "nz-d DOWN"])
        #expect(target == ["lo"])
    }

    @Test(arguments: ["veth=nz-a", "veth=,nz-b", "veth=nz-a,nz-b,12x", "veth=nz-a,nz-b,", "veth=nz-aaaaaaaaaaaaaa,nz-b",
                      "addr=nz-a", "addr=nz-a,10.0.0.1", "addr=nz-a,10.0.0.1/33", "addr=nz-a,10.0.0.1/4294967297",
                      "addr=nz-a,10.0.0.1/024", "addr=nz-a,nonsense/24", "addr=,10.0.0.1/24", "link-netns=nz-a",
                      "link-netns=nz-a,lab", "link-netns=nz-a,99999999999", "link-up=", "link-delete="])
    func aMalformedDeviceChangeIsEINVALAndChangesNothing(action: String) throws {
        let run = try probeInThrowaway("net", owned: "net:{new}", [action])
        expectClean(run)
        let change = try run.output.result(LinkChanged.self)
        #expect(change.errno == Int(EINVAL) && change.error == "EINVAL", "\(change)")
        #expect(try devices(run) == ["lo DOWN"])
    }

    // MARK: mkqueue, in `unshare --ipc`

    private func expectQueueRefused(_ run: Run, because reason: String,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        expectClean(run, sourceLocation: sourceLocation)
        let made = try run.output.result(MadeIPCObject.self)
        expectRefused(made, refused: made.refused, "ipc", because: reason, sourceLocation: sourceLocation)
        #expect(made.kind == .msg && made.key == 0x1234 && made.id == -1, sourceLocation: sourceLocation)
        #expect(try run.output.report().sysvipc?.msg == [], sourceLocation: sourceLocation)
    }

    @Test func mkqueueIsRefusedWithoutNSLABOwned() throws {
        let run = try probeInThrowaway("ipc", owned: nil, ["mkqueue=0x1234"])
        try expectQueueRefused(run, because: "NSLAB_OWNED is not set")
    }

    @Test func mkqueueWorksInAnOwnedIPCNamespace() throws {
        let run = try probeInThrowaway("ipc", owned: "uts:1,ipc:{new}", ["mkqueue=0x1234"])
        expectClean(run)
        let made = try run.output.result(MadeIPCObject.self)
        #expect(made.errno == 0 && made.refused == nil && made.id >= 0, "\(made)")
        #expect(try run.output.report().sysvipc?.msg.map(\.key) == [0x1234])
    }

    @Test func mkqueueIsRefusedWhenNSLABOwnedListsAnotherIPCNamespace() throws {
        let run = try probeInThrowaway("ipc", owned: "ipc:\(try myInode("ipc")),uts:{new}", ["mkqueue=0x1234"])
        try expectQueueRefused(run, because: "not in NSLAB_OWNED")
    }

    @Test func mkshmAndMksemAreGuardedToo() throws {
        let refused = try probeInThrowaway("ipc", owned: "uts:{new}", ["mkshm=0x1234", "mksem=0x1234"])
        expectClean(refused)
        let refusals = try refused.output.results(MadeIPCObject.self)
        for made in refusals {
            expectRefused(made, refused: made.refused, "ipc", because: "not in NSLAB_OWNED")
        }
        #expect(refusals.map(\.kind) == [.shm, .sem])
        let report = try refused.output.report()
        #expect(report.sysvipc?.shm == [] && report.sysvipc?.sem == [])

        let owned = try probeInThrowaway("ipc", owned: "ipc:{new}", ["mkshm=0x1234", "mksem=0x1234"])
        expectClean(owned)
        let made = try owned.output.report()
        #expect(made.sysvipc?.shm.map(\.key) == [0x1234] && made.sysvipc?.sem.map(\.key) == [0x1234])
    }
}

extension ProbeGuardTests {
    // MARK: kill-init, as pid 1 of `unshare --pid --fork --mount-proc`

    @Test(arguments: [false, true])
    func killInitIsSentOnlyInAnOwnedPIDNamespace(owned: Bool) throws {
        try requireRoot()
        let script = """
            unset NSLAB_OWNED
            if [ "$1" = set ]; then export NSLAB_OWNED="pid:$(stat -L -c %i /proc/self/ns/pid)"; fi
            exec "$0" kill-init=TERM report
            """
        let result = try expectHostUnchanged {
            try runCommand(["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", script, probePath,
                            owned ? "set" : "unset"])
        }
        #expect(result.status == .exited(0) && result.errors == "", "\(result.errors)")
        let output = ProbeOutput(lines: result.output.split(separator: "\n").map(String.init))
        let kill = try output.result(KillInitResult.self)
        #expect(kill.pid == 1)
        #expect(kill.sent == owned)
        if owned {
            #expect(kill.errno == 0 && kill.refused == nil && kill.initAliveAfter == true, "\(kill)")
        } else {
            #expect(kill.error == "EPERM" && kill.refused?.hasSuffix("(NSLAB_OWNED is not set)") == true,
                    "\(kill)")
        }
        #expect(try output.report().pid == 1)  // init went on
    }
}
