import Glibc
import Testing

@testable import Experiments

@Suite("spawn: clone, namespaces and exec in the C shim")
struct SpawnTests {
    @Test func runsAProgramAndCapturesItsOutput() throws {
        let child = try spawn(ProcessSpec(["sh", "-c", "echo out; echo err >&2; exit 3"]))
        #expect(try child.finish(timeout: 10) == .exited(3))
        #expect(child.lines == ["out", "err"])
    }

    @Test func outputEndsWhenTheChildExitsEvenIfSomethingItLeftHoldsThePipe() throws {
        // The background sleep keeps the output pipe open; it is a stray, not a clock.
        let child = try spawn(ProcessSpec(["sh", "-c", "sleep 30 & echo $!"]))
        #expect(try child.finish(timeout: 10) == .exited(0))  // would throw at the bound
        let stray = try #require(child.lines.first.flatMap { pid_t($0) })
        kill(stray, SIGKILL)
        if ProcessTable.parent(stray) == getpid() { try reap(stray, timeout: 10, command: "sleep") }
    }

    @Test func outputIsKeptUpToItsLimitAndTheRestDrained() throws {
        let child = try spawn(ProcessSpec(["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' 'y' | fold -w 99"]))
        #expect(try child.finish(timeout: 30) == .exited(0))
        #expect(child.outputCut)
        #expect(child.lines.reduce(0) { $0 + $1.utf8.count + 1 } <= ChildProcess.outputLimit)
        #expect(child.lines.count > 10_000)
    }

    @Test func aMissingProgramNamesExecveAndTheErrno() throws {
        #expect(throws: SystemCallError("execve(/nonexistent/nsprobe)", errno: ENOENT)) {
            try spawn(ProcessSpec(["/nonexistent/nsprobe"]))
        }
        let error = #expect(throws: SystemCallError.self) { try spawn(ProcessSpec(["no-such-command-here"])) }
        #expect(error?.description == "execve(no-such-command-here): ENOENT")
    }

    @Test func aFailedMountNamesTheCallAndItsArguments() throws {
        try requireRoot()
        var spec = ProcessSpec(["true"])
        spec.create = [.mnt]
        spec.operations = [.makeRootPrivate, .mount(source: "none", target: "/nonexistent-target", fstype: "tmpfs")]
        let error = #expect(throws: SystemCallError.self) { try spawn(spec) }
        #expect(error?.description == "mount(\"none\", \"/nonexistent-target\", \"tmpfs\", 0, NULL): ENOENT")
    }

    @Test func pivotRootNeedsAMountPointThenRunsTheProbeByFdInTheNewRoot() throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        let root = "\(scratch.path)/rootfs"
        var spec = ProcessSpec([probePath])
        spec.create = [.mnt]
        // The new root is a directory on a filesystem of its own (as a rootfs usually is),
        // but not a mount point itself.
        let prepare: [Operation] = [.makeRootPrivate, .mount(source: "scratch", target: scratch.path, fstype: "tmpfs"),
                                    .mkdir(root), .mkdir("\(root)/a"), .chdir(root)]
        spec.operations = prepare + [.pivotRoot(newRoot: ".", putOld: ".")]
        let error = #expect(throws: SystemCallError.self) { try spawn(spec) }
        #expect(error?.description == "pivot_root(\".\", \".\"): EINVAL")
        // Bind-mounted onto itself it is one; the old root, stacked under it, is detached.
        spec.operations = prepare + [.mount(source: root, target: root, flags: UInt(MS_BIND)), .chdir(root),
                                     .pivotRoot(newRoot: ".", putOld: "."), .umount2(".", flags: Int32(MNT_DETACH)),
                                     .mkdir("/proc"), .mountFreshProc]
        let child = try spawn(spec)
        #expect(try child.finish(timeout: 10) == .exited(0))
        let report = try ProbeOutput(lines: child.lines).report()
        #expect(report.rootEntries?.sorted() == ["a", "proc"])  // no probe in there: it was exec'd by fd
        #expect(report.mounts?.map(\.target) == ["/", "/proc"])
    }

    @Test func operationsAreRefusedOutsideTheNamespacesTheChildProved() throws {
        try requireRoot()
        let directory = try TemporaryDirectory()
        let refusals: [(Set<Namespace>, Operation)] = [
            ([], .sethostname("never")),             // the namespace it was started in
            ([.ipc], .sethostname("never")),         // a new namespace, but not a UTS one
            ([.uts], .mkdir("\(directory.path)/never")),  // files need a mount namespace of its own
            ([.mnt], .write("x", to: "\(directory.path)/never")),  // and writes go only to /proc/self
            ([.mnt], .mkdir(sourceRoot() + "/never")),  // directories only on a tmpfs, not on a disk
            ([.mnt], .rmdir(sourceRoot() + "/Sources")),
        ]
        for (namespaces, operation) in refusals {
            let error = #expect(throws: SystemCallError.self) { try spawn(.new(namespaces, [operation]).with(["true"])) }
            #expect(error?.description.hasPrefix("\(operation.description): refused: not in a namespace the child proved") == true,
                    "\(String(describing: error))")
        }
        #expect(HostState.read().hostname != "never")
        #expect(access("\(directory.path)/never", F_OK) != 0 && access(sourceRoot() + "/never", F_OK) != 0)
    }

    @Test func aScriptRunsByPath() throws {
        let directory = try TemporaryDirectory()
        let script = "\(directory.path)/hello"
        let fd = open(script, O_WRONLY | O_CREAT, 0o755)
        _ = "#!/bin/sh\necho hello from a script\n".withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let child = try spawn(ProcessSpec([script]))
        #expect(try child.finish(timeout: 10) == .exited(0))
        #expect(child.lines == ["hello from a script"])
    }

    @Test func mapsAreWrittenByTheParentAndAFailedWriteNamesIt() throws {
        try requireRoot()
        var spec = ProcessSpec(["sh", "-c", "cat /proc/self/uid_map /proc/self/setgroups; id -u"])
        spec.create = [.user]
        spec.idMaps = IDMaps(uidMap: "0 0 1\n0 1 1", gidMap: "0 0 1")  // two ranges that overlap
        let error = #expect(throws: SystemCallError.self) { try spawn(spec) }
        #expect(error?.description.hasPrefix("write /proc/") == true)
        #expect(error?.description.hasSuffix("/uid_map \"0 0 1\\n0 1 1\": EINVAL") == true, "\(String(describing: error))")
        // A map is written once: the second write of the same map is refused.
        spec.idMaps = IDMaps(uidMap: "100 200 1", gidMap: "100 200 1")
        let twice = #expect(throws: SystemCallError.self) { try spawn(spec) { try spec.idMaps?.write(pid: $0) } }
        #expect(twice?.description.hasSuffix("/setgroups \"deny\": EPERM") == true, "\(String(describing: twice))")
        let child = try spawn(spec)
        #expect(try child.finish(timeout: 10) == .exited(0))
        #expect(child.lines.map { $0.split(separator: " ").joined(separator: " ") } == ["100 200 1", "deny", "65534"])
    }

    @Test func aNewUserNamespaceComesFirstSoTheOthersAreItsOwn() throws {
        try requireRoot()
        // After unshare(CLONE_NEWUSER) the child has no capability over the host's UTS
        // namespace: sethostname works only because the new UTS namespace is made after, and
        // so belongs to, the new user namespace.
        var spec = ProcessSpec([probePath, "report", "hold"])
        spec.create = [.user, .uts]
        spec.idMaps = IDMaps(uidMap: "0 0 1", gidMap: "0 0 1")
        spec.operations = [.sethostname("owned")]
        let holder = try spawn(spec)
        try holder.awaitHold(timeout: 10)
        let report = try ProbeOutput(lines: holder.lines).report()
        #expect(report.hostname == "owned")
        #expect(report.uidMap?.split(whereSeparator: \.isWhitespace).joined(separator: " ") == "0 0 1")
        // Joining both, in runc's order (the UTS namespace first, while the child still has
        // the host's privileges, then the user namespace) works, and the proof holds for both.
        var joiner = ProcessSpec(["hostname"])
        joiner.join = [NamespaceFile("/proc/\(holder.pid)/ns/user", .user, inode: try #require(report.inode(.user))),
                       NamespaceFile("/proc/\(holder.pid)/ns/uts", .uts, inode: try #require(report.inode(.uts)))]
        let joined = try spawn(joiner)
        #expect(try joined.finish(timeout: 10) == .exited(0))
        #expect(joined.lines == ["owned"])
        holder.send()
        #expect(try holder.finish(timeout: 10) == .exited(0))
    }

    @Test func aFailedSetnsNamesTheFile() throws {
        var spec = ProcessSpec(["true"])
        spec.join = [NamespaceFile("/dev/null", .uts, inode: 0)]
        let error = #expect(throws: SystemCallError.self) { try spawn(spec) }
        #expect(error?.description == "setns(/dev/null, CLONE_NEWUTS): EINVAL")
    }

    @Test func aJoinIsCheckedAgainstTheKindItClaims() throws {
        try requireRoot()
        var spec = ProcessSpec(["true"])
        spec.join = [NamespaceFile("/proc/self/ns/ipc", .uts, inode: 0)]  // the kernel refuses the wrong type
        let error = #expect(throws: SystemCallError.self) { try spawn(spec) }
        #expect(error?.description == "setns(/proc/self/ns/ipc, CLONE_NEWUTS): EINVAL")
    }

    @Test func aPidNamespaceIsJoinedByForkingOnceMoreAndProvedByPidForChildren() throws {
        try requireRoot()
        var holderSpec = ProcessSpec([probePath, "report=ns", "hold"])
        holderSpec.create = [.pid, .mnt]
        holderSpec.operations = [.makeRootPrivate, .mountFreshProc]
        let holder = try spawn(holderSpec)
        try holder.awaitHold(timeout: 10)
        let namespace = try #require(try ProbeOutput(lines: holder.lines).report().inode(.pid))
        // setns(2) into a PID namespace moves only the children to come: the shim forks once
        // more, and the program is in the namespace, not its pid 1, and ends as it ended.
        var spec = ProcessSpec([probePath, "report=ns,process"])
        spec.join = [NamespaceFile("/proc/\(holder.pid)/ns/pid", .pid, inode: namespace)]
        let joined = try spawn(spec)
        #expect(try joined.finish(timeout: 10) == .exited(0))
        let report = try ProbeOutput(lines: joined.lines).report()
        #expect(report.inode(.pid) == namespace && report.pid != 1 && report.nspid?.count == 2)
        // The wrong inode: refused, by pid_for_children.
        spec.join = [NamespaceFile("/proc/\(holder.pid)/ns/pid", .pid, inode: 1)]
        let refused = #expect(throws: SystemCallError.self) { try spawn(spec) }
        #expect(refused?.description.contains("refused: expected pid:[1]") == true, "\(String(describing: refused))")
        holder.send()
        #expect(try holder.finish(timeout: 10) == .exited(0))
    }

    @Test func aJoinIsRefusedUnlessTheFileNamesTheNamespaceItsOwnerReported() throws {
        try requireRoot()
        // /proc/self/ns/uts is a real UTS namespace, but not the one with inode 1: a /proc of
        // another PID namespace shows such a file where the demo host's was expected.
        let mine = try #require(Sandbox.ownInode(.uts))
        var spec = ProcessSpec(["true"])
        spec.join = [NamespaceFile("/proc/self/ns/uts", .uts, inode: 1)]
        let error = #expect(throws: SystemCallError.self) { try spawn(spec) }
        #expect(error?.kernelRefused == true)
        #expect(error?.description.hasPrefix("setns(/proc/self/ns/uts, CLONE_NEWUTS): refused: expected uts:[1], "
                                             + "the namespace its owner reported, but found uts:[\(mine)]") == true,
                "\(String(describing: error))")
        spec.join = [NamespaceFile("/proc/self/ns/uts", .uts, inode: mine)]
        #expect(try spawn(spec).finish(timeout: 10) == .exited(0))
    }

    @Test func theChildIsToldWhichNamespacesItProvedAndNothingElse() throws {
        try requireRoot()
        // A caller's NSLAB_OWNED never reaches the child: only what the shim proved does.
        var spec = ProcessSpec(["sh", "-c", "echo \"$NSLAB_OWNED\"; stat -L -c %i /proc/self/ns/uts /proc/self/ns/ipc"],
                               environment: ProcessSpec.defaultEnvironment + ["NSLAB_OWNED=uts:1"])
        spec.create = [.uts]
        let child = try spawn(spec)
        #expect(try child.finish(timeout: 10) == .exited(0))
        #expect(child.lines.count == 3)
        #expect(child.lines.first == "uts:\(child.lines.dropFirst().first ?? "?")", "\(child.lines)")
        let plain = try spawn(ProcessSpec(["sh", "-c", "echo \"[$NSLAB_OWNED]\""],
                                          environment: ProcessSpec.defaultEnvironment + ["NSLAB_OWNED=uts:1"]))
        #expect(try plain.finish(timeout: 10) == .exited(0))
        #expect(plain.lines == ["[]"])
    }

    @Test func anotherProcessNamespaceIsListedOnlyWhenItShowsTheInodeGiven() throws {
        try requireRoot()
        // A holder in a new network namespace; the child is told of it as owned too, by inode.
        var holderSpec = ProcessSpec(["sh", "-c", "stat -L -c %i /proc/self/ns/net; read line"])
        holderSpec.create = [.net]
        let holder = try spawn(holderSpec)
        defer { holder.send(""); _ = try? holder.finish(timeout: 10) }
        let inode = try #require(try holder.readLine(timeout: 10).flatMap { UInt64($0) })
        func owned(_ inode: UInt64) throws -> String? {
            var spec = ProcessSpec(["sh", "-c", "echo \"$NSLAB_OWNED\""])
            spec.create = [.uts]
            spec.alsoOwned = [NamespaceFile("/proc/\(holder.pid)/ns/net", .net, inode: inode)]
            let child = try spawn(spec)
            #expect(try child.finish(timeout: 10) == .exited(0))
            return child.lines.first
        }
        let right = try #require(try owned(inode))
        #expect(right.hasPrefix("uts:") && right.hasSuffix(",net:\(inode)"), "\(right)")
        let wrong = try #require(try owned(inode + 1))
        #expect(wrong.hasPrefix("uts:") && !wrong.contains("net:"), "\(wrong)")
    }

    @Test func theParentActsAtTheSyncPointWhileTheChildWaitsInItsNewNamespace() throws {
        try requireRoot()
        var spec = ProcessSpec(["sh", "-c", "hostname"])
        spec.create = [.uts]
        spec.operations = [.sethostname("synced")]
        var seenAtSyncPoint: String?
        let child = try spawn(spec) { pid in
            // The namespace exists already; the name is set only after the parent's word.
            seenAtSyncPoint = inodeLink("/proc/\(pid)/ns/uts")
        }
        #expect(try child.finish(timeout: 10) == .exited(0))
        #expect(child.lines == ["synced"])
        #expect(seenAtSyncPoint?.hasPrefix("uts:[") == true)
        #expect(seenAtSyncPoint != inodeLink("/proc/self/ns/uts"))
    }

    @Test func writingToAChildThatDiedDoesNotKillTheRunner() throws {
        let child = try spawn(ProcessSpec([probePath, "hold=0"]))  // gives up at once
        #expect(try child.wait(timeout: 10) == .exited(124))
        child.send("too late")  // EPIPE, not SIGPIPE
    }

    @Test func onlyStdioCrossesExec() throws {
        let stray = open("/dev/null", O_RDONLY)  // not close-on-exec, like an fd a caller passed down
        defer { close(stray) }
        let child = try spawn(ProcessSpec([probePath]))
        #expect(try child.finish(timeout: 10) == .exited(0))
        #expect(try ProbeOutput(lines: child.lines).report().fds == [0, 1, 2])
    }

    @Test func aChildStartsWithNoSignalIgnoredOrBlocked() throws {
        let child = try spawn(ProcessSpec([probePath, "hold=10"]))
        try child.awaitHold(timeout: 10)
        let status = readTextFile("/proc/\(child.pid)/status") ?? ""
        child.send()
        #expect(try child.finish(timeout: 10) == .exited(0))
        let fields = status.split(separator: "\n").filter { $0.hasPrefix("SigIgn:") || $0.hasPrefix("SigBlk:") }
        #expect(fields.count == 2)
        #expect(fields.allSatisfy { $0.hasSuffix("\t0000000000000000") }, "\(fields)")
    }

    @Test func aWaitIsBoundedAndKillsTheChildWhenTheBoundPasses() throws {
        let child = try spawn(ProcessSpec([probePath, "hold=30"]))
        try child.awaitHold(timeout: 10)
        let timedOut = #expect(throws: WaitTimedOut.self) { try child.wait(timeout: 0.2) }
        #expect(timedOut?.termination == .signaled(SIGKILL))
        #expect(child.termination == .signaled(SIGKILL))  // recorded: nobody kills that pid again
        #expect(kill(child.pid, 0) == -1)  // reaped: the pid is gone
    }
}

/// readlink(2) of a namespace link: "uts:[4026531838]".
func inodeLink(_ path: String) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    let count = readlink(path, &buffer, buffer.count - 1)
    return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
}
