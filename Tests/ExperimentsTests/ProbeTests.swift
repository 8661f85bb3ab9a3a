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
        #expect(report.pids.contains(Int(getpid())))
        #expect(report.mounts.contains { $0.target == "/" })
        #expect(report.interfaces.contains { $0.name == "lo" })
        #expect(report.rootEntries.contains("proc"))
        #expect(report.capEff.count == 16)
    }

    @Test func holdPrintsReadyAndGoesOnAtALine() throws {
        let (status, output) = try probe(["hold=10", "report"], input: "")
        #expect(status == .exited(0))
        #expect(output.events.map(\.event) == ["ready", "released", "report"])
        #expect(try output.event("released").how == "line")
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
        #expect(output.events.filter { $0.event == "make-ipc" }.allSatisfy { !$0.failed })
        let report = try output.report()
        #expect(report.sysvipc.msg.map(\.key) == [0x1234])
        #expect(report.sysvipc.shm.map(\.key) == [0x1234])
        #expect(report.sysvipc.sem.map(\.key) == [0x1234])
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
        #expect(try output.event("write").error == "ENOENT")
        #expect(try output.event("setns").error == "ENOENT")
        let (usage, unknown) = try probe(["fly"])
        #expect(usage == .exited(2))
        #expect(try unknown.event("usage").error == "EINVAL")
    }

    @Test func killInitIsRefusedUnlessTheProbeIsThatInit() throws {
        let (_, output) = try probe(["kill-init"])  // the initial PID namespace: the host's init
        #expect(try output.event("kill-init").sent == false)
        try requireRoot()
        // In a new PID namespace, but as pid 2: pid 1 is a shell the probe does not stand for.
        var spec = ProcessSpec(["sh", "-c", "\"$0\" kill-init=TERM; echo shell alive", probePath])
        spec.create = [.pid]
        let child = try spawn(spec)
        #expect(try child.finish(timeout: 10) == .exited(0))
        let event = try ProbeOutput(lines: child.lines).event("kill-init")
        #expect(event.sent == false && event.refused != nil)
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
        #expect(try output.event("write").error == "ENOENT")
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
