import Glibc
import Testing

@testable import Experiments

/// The busybox root the pivot_root chapter will use, built from Debian's busybox-static.
@Suite("fixtures: the busybox root")
struct RootfsTests {
    @Test func theScriptBuildsARootThatTheProbeAndBusyboxRunInAfterPivotRoot() throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        let root = "\(scratch.path)/rootfs"
        let made = try runCommand(["sh", sourceRoot() + "/fixtures/rootfs/make-rootfs.sh", root])
        #expect(made.exitCode == 0, "\(made.errors)")
        // A second build never overwrites the first.
        let again = try runCommand(["sh", sourceRoot() + "/fixtures/rootfs/make-rootfs.sh", root])
        #expect(again.exitCode == 2 && again.errors.contains("exists already"))

        var spec = ProcessSpec([probePath, "report=root_entries,mounts", "--", "ls", "/bin/busybox", "/bin/sh"])
        spec.create = [.mnt, .pid]
        spec.operations = [.makeRootPrivate, .mount(source: root, target: root, flags: UInt(MS_BIND)), .chdir(root),
                           .pivotRoot(newRoot: ".", putOld: "."), .umount2(".", flags: Int32(MNT_DETACH)),
                           .mountFreshProc]
        let child = try spawn(spec)
        #expect(try child.finish(timeout: 10) == .exited(0))
        let output = ProbeOutput(lines: child.lines)
        let report = try output.report()
        #expect(report.rootEntries?.sorted() == ["bin", "dev", "etc", "proc", "sys", "tmp"])
        #expect(report.mounts?.map(\.target) == ["/", "/proc"])  // the old root is gone
        #expect(output.otherLines == ["/bin/busybox", "/bin/sh"])  // busybox's ls, inside
    }

    @Test func theRunnerMakesTheSameRootAsTheScript() throws {
        try requireRoot()
        let scratch = try TemporaryDirectory()
        #expect(try runCommand(["sh", sourceRoot() + "/fixtures/rootfs/make-rootfs.sh", "\(scratch.path)/script"]).exitCode == 0)
        try Workbench.makeBusyboxRoot("\(scratch.path)/runner")
        // Every name, its type and mode, and where each link points.
        func listing(_ root: String) throws -> String {
            try runCommand(["sh", "-c", "cd \"$0\" && find . -printf '%p %y %m %l\\n' | sort", root]).output
        }
        let script = try listing("\(scratch.path)/script"), runner = try listing("\(scratch.path)/runner")
        #expect(script == runner)
        #expect(script.contains("./bin/sh l 777 busybox") && script.contains("./tmp d 1777"))
    }
}
