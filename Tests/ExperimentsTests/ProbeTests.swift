import Foundation
import Glibc
import Testing

@testable import Experiments

@Suite("nsprobe: one report, actions, never a crash")
struct ProbeTests {
    private func probe(_ arguments: [String], input: String? = nil) throws -> (Termination, ProbeOutput) {
        let result = try runCommand([probePath] + arguments, input: input)
        return (result.status, ProbeOutput(lines: result.output.split(separator: "\n").map(String.init)))
    }

    @Test func theReportMatchesWhatThisProcessSeesOfTheKernel() throws {
        let (status, output) = try probe([])
        #expect(status == .exited(0))
        let report = try output.report()
        #expect(report.errors == [])
        for namespace in Namespace.allCases {
            // Same namespaces as its parent, this test process.
            var mine = stat()
            #expect(stat("/proc/self/ns/\(namespace.rawValue)", &mine) == 0)
            #expect(report.inode(namespace) == UInt64(mine.st_ino), "\(namespace)")
        }
        #expect(report.ppid == Int(getpid()))
        #expect(report.nspid == [report.pid])
        #expect(report.uid == Int(getuid()))
        #expect(report.hostname == HostState.read().hostname)
        #expect(report.pids?.contains(Int(getpid())) == true)
        #expect(report.mounts?.contains { $0.target == "/" } == true)
        #expect(report.interfaces?.contains { $0.name == "lo" } == true)
        #expect(report.rootEntries?.contains("proc") == true)
        #expect(report.capEff?.count == 16)
        #expect(report.uidMap != nil && report.cgroup != nil && report.monotonic != nil && report.fds != nil)
    }

    @Test func aReportOfSectionsPrintsThoseAloneAndTheOthersAreNil() throws {
        let (status, output) = try probe(["report=ns,hostname", "fork=process", "report="])
        #expect(status == .exited(0))
        // event, pid and errors always; then only the sections asked for, absent (not empty)
        // the others.
        let first = try #require(output.events.first)
        let keys = try JSONDecoder().decode(TopLevelKeys.self, from: Data(first.json.utf8)).keys
        #expect(keys == ["event", "pid", "ns", "hostname", "domainname", "errors"])
        let report = try output.report()
        #expect(report.inode(.uts) != nil && report.hostname == HostState.read().hostname && report.errors == [])
        #expect(report.sysvipc == nil && report.pids == nil && report.mounts == nil && report.ppid == nil)
        let child = try output.report(1)
        #expect(child.ppid == report.pid && child.nspid == [child.pid] && child.ns == nil)
        #expect(try output.result(ForkResult.self).child == child.pid)
        let bare = try output.report(2)
        #expect(bare.ns == nil && bare.hostname == nil && bare.errors == [])
    }

    @Test func anUnknownSectionIsAUsageError() throws {
        let (status, output) = try probe(["report=ns,everything"])
        #expect(status == .exited(2))
        let usage = try output.result(ProbeUsageError.self)
        #expect(usage.unknownSection == "everything" && usage.error == "EINVAL")
        #expect(output.events.map(\.event) == ["usage"])
    }

    @Test func aReportTooLargeForOneLineLeavesItsLongListsOut() throws {
        try requireRoot()
        // A root of 34,000 names of 240 characters, more than the probe's 8 MiB line: on a
        // tmpfs in a mount namespace of its own, so that nothing stays behind.
        var template = Array("/tmp/nslab-large-root-XXXXXX".utf8CString)
        let root = String(cString: try #require(mkdtemp(&template)))
        defer { rmdir(root) }
        let script = """
            mount -t tmpfs -o size=64m none "$1" && cp "$2" "$1/nsprobe" && cd "$1" &&
            name=$(printf '%0240d' 0) && seq 34000 | sed "s/^/$name/" | xargs touch &&
            exec chroot "$1" /nsprobe report=hostname,root_entries
            """
        let result = try runCommand(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                                     root, probePath])
        #expect(result.exitCode == 0, "\(result.errors)")
        let report = try ProbeOutput(lines: result.output.split(separator: "\n").map(String.init)).report()
        #expect(report.errors == [.init(what: "report too large, left out: root_entries", error: "EFBIG")])
        #expect(report.rootEntries == nil)
        #expect(report.hostname == HostState.read().hostname)
    }

    @Test func eachActionIsTheWordTheProbeTakes() {
        let lab = Lab(probePath: "/somewhere/nsprobe", demoHostNamespaces: [])
        let actions: [ProbeAction] = [
            .fullReport, .report([.hostname, .ns]), .hold(), .hold(seconds: 5), .makeQueue(key: 0x4e53_4c42),
            .makeSharedMemory(key: 1), .makeSemaphores(key: -1), .sethostname("container"), .orphan,
            .killInit(signal: SIGTERM), .killInit(signal: SIGUSR1), .spawn(count: 3), .setns(path: "/proc/7/ns/pid"),
            .fork(report: ReportSection.all), .fork(report: [.rootEntries, .process]), .zombie, .write(path: "/x y"),
            .serve([.interfaces, .mounts]),
        ]
        #expect(lab.shownCommand(actions, then: []) == "nsprobe report report=ns,hostname hold hold=5 mkqueue=0x4e534c42 "
            + "mkshm=0x1 mksem=0xffffffff sethostname=container orphan kill-init=TERM kill-init=\(SIGUSR1) spawn=3 "
            + "setns=/proc/7/ns/pid fork fork=process,root_entries zombie 'write=/x y' serve=mounts,interfaces")
    }

    @Test func aCommandOnlyShownRunsOnlyWhereItIsShown() {
        let lab = Lab(probePath: "/somewhere/nsprobe", demoHostNamespaces: [])
        #expect(lab.probeArguments([.report([.hostname])], then: ["hostname"]) == ["/somewhere/nsprobe", "report=hostname", "--", "hostname"])
        lab.runsShownCommands = false  // a plain run: nobody sees the observations
        #expect(lab.probeArguments([.report([.hostname])], then: ["hostname"]) == ["/somewhere/nsprobe", "report=hostname"])
        #expect(lab.shownCommand([.report([.hostname])], then: ["hostname"]) == "hostname")
    }

    @Test func holdPrintsReadyAndGoesOnAtALine() throws {
        let (status, output) = try probe(["hold=10", "report"], input: "")
        #expect(status == .exited(0))
        #expect(output.events.map(\.event) == ["ready", "released", "report"])
        #expect(try output.result(HoldReleased.self).how == "line")
    }

    @Test func serveReportsAfterEachLineAndEndsAtEndOfFile() throws {
        let (status, output) = try probe(["serve=hostname"], input: "\n")  // two lines: runCommand ends the input with one
        #expect(status == .exited(0))
        #expect(output.events.map(\.event) == ["ready", "report", "ready", "report", "ready", "released"])
        #expect(try output.result(HoldReleased.self).how == "eof")
        #expect(try output.lastReport().hostname == HostState.read().hostname)
    }

    @Test func eachLookOfAServingProbeSeesTheKernelAsItIsThen() throws {
        try requireRoot()
        // The demo host's new UTS namespace: the hostname changes there, never here.
        let lab = Lab(probePath: probePath, demoHostNamespaces: [.uts])
        defer { lab.close() }
        let server = try lab.startProbe(.oldSide, [.serve([.hostname])])
        let before = try lab.look(server).hostname
        _ = try lab.probe(.oldSide, [.sethostname("served-\(getpid())")])
        #expect(try lab.look(server).hostname == "served-\(getpid())")
        #expect(before == HostState.read().hostname)
        #expect(try lab.finish(server).termination == .exited(0))
        // A look at a probe that has ended is an error, never the last report again.
        #expect(throws: (any Error).self) { try lab.look(server) }
    }

    @Test func aHoldNobodyReleasesEndsAtItsBound() throws {
        let child = try spawn(ProcessSpec([probePath, "hold=1", "report"]))
        let status = try child.wait(timeout: 10)  // stdin stays open: only the bound ends it
        #expect(status == .exited(124))
    }

    @Test func makesSysVObjectsAndSeesThem() throws {
        try requireRoot()
        // In a new IPC namespace, so the real host never holds the objects.
        var spec = ProcessSpec([probePath, "mkqueue=0x1234", "mkshm=0x1234", "mksem=0x1234", "report"])
        spec.create = [.ipc]
        let child = try spawn(spec)
        #expect(try expectHostUnchanged { try child.finish(timeout: 10) } == .exited(0))
        let output = ProbeOutput(lines: child.lines)
        let made = try output.results(MadeIPCObject.self)
        #expect(made.map(\.kind) == [.msg, .shm, .sem] && made.allSatisfy { !$0.failed && $0.key == 0x1234 })
        let report = try output.report()
        #expect(report.sysvipc?.msg.map(\.key) == [0x1234])
        #expect(report.sysvipc?.shm.map(\.key) == [0x1234])
        #expect(report.sysvipc?.sem.map(\.key) == [0x1234])
    }

    @Test func pidsListsEveryProcessOfAFreshProc() throws {
        try requireRoot()
        var spec = ProcessSpec([probePath, "spawn=3", "report"])
        spec.create = [.pid, .mnt]
        spec.operations = [.makeRootPrivate, .mountFreshProc]
        let child = try spawn(spec)
        #expect(try child.finish(timeout: 10) == .exited(0))
        #expect(try ProbeOutput(lines: child.lines).report().pids == [1, 2, 3, 4])
    }

    @Test func errorsAreReportedNotCrashedOn() throws {
        let (status, output) = try probe(["write=/nonexistent/file", "setns=/nonexistent/ns"])
        #expect(status == .exited(0))
        #expect(try output.result(WriteResult.self).error == "ENOENT")
        #expect(try output.result(SetnsResult.self).error == "ENOENT")
        let (usage, unknown) = try probe(["fly"])
        #expect(usage == .exited(2))
        #expect(try unknown.result(ProbeUsageError.self).error == "EINVAL")
        #expect(try unknown.result(ProbeUsageError.self).unknownAction == "fly")
    }

    @Test func killInitIsRefusedUnlessTheProbeIsThatInit() throws {
        let (_, output) = try probe(["kill-init"])  // the initial PID namespace: the host's init
        #expect(try output.result(KillInitResult.self).sent == false)
        try requireRoot()
        // In a new PID namespace, but as pid 2: pid 1 is a shell the probe does not stand for.
        var spec = ProcessSpec(["sh", "-c", "\"$0\" kill-init=TERM; echo shell alive", probePath])
        spec.create = [.pid]
        let child = try spawn(spec)
        #expect(try child.finish(timeout: 10) == .exited(0))
        let result = try ProbeOutput(lines: child.lines).result(KillInitResult.self)
        #expect(result.sent == false && result.refused != nil && result.initAliveAfter == nil)
        #expect(child.lines.last == "shell alive")
    }

    @Test func theProbeReportsWithoutProcInABareRoot() throws {
        try requireRoot()
        // A root with nothing but the probe: no /proc, no libc, no loader.
        var template = Array("/tmp/nslab-bare-root-XXXXXX".utf8CString)
        let root = String(cString: try #require(mkdtemp(&template)))
        defer { _ = try? runCommand(["rm", "-rf", root]) }
        #expect(try runCommand(["cp", probePath, "\(root)/nsprobe"]).exitCode == 0)
        let result = try runCommand(["chroot", root, "/nsprobe", "report", "write=/x"])
        #expect(result.exitCode == 0)
        let output = ProbeOutput(lines: result.output.split(separator: "\n").map(String.init))
        let report = try output.report()
        #expect(report.rootEntries == ["nsprobe"])
        #expect(report.errors.contains { $0.what == "/proc/self/status" && $0.error == "ENOENT" })
        // What it could not read is left out, not shown empty.
        #expect(report.nspid == nil && report.pids == nil && report.fds == nil && report.mounts == nil)
        #expect(report.ns == nil && report.uidMap == nil)
        // SysV IPC objects are asked of the kernel itself (msgctl(2) and the like): no /proc needed.
        #expect(report.sysvipc != nil)
        #expect(report.errors.contains { $0.what == "/proc/self/ns" && $0.error == "ENOENT" })
        #expect(try output.result(WriteResult.self).error == "ENOENT")
    }

    @Test func theProbeIsStaticallyLinked() throws {
        // A static ELF has no PT_INTERP program header: it needs no loader, so it runs in a
        // bare busybox rootfs after pivot_root.
        let fd = open(probePath, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 64)
        #expect(read(fd, &header, 64) == 64)
        #expect(header[0..<4] == [0x7f, 0x45, 0x4c, 0x46])
        func word(_ at: Int, _ size: Int) -> Int { (0..<size).reduce(0) { $0 | Int(header[at + $1]) << (8 * $1) } }
        let programHeaders = word(32, 8), entrySize = word(54, 2), count = word(56, 2)
        var types: [Int] = []
        for index in 0..<count {
            var entry = [UInt8](repeating: 0, count: 4)
            #expect(pread(fd, &entry, 4, off_t(programHeaders + index * entrySize)) == 4)
            types.append(Int(entry[0]) | Int(entry[1]) << 8 | Int(entry[2]) << 16 | Int(entry[3]) << 24)
        }
        let ptInterp = 3, ptDynamic = 2
        #expect(!types.isEmpty)
        #expect(!types.contains(ptInterp) && !types.contains(ptDynamic))
    }
}

/// The keys of a JSON object, in no order.
private struct TopLevelKeys: Decodable {
    struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    let keys: Set<String>

    init(from decoder: any Decoder) throws {
        keys = Set(try decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue))
    }
}
