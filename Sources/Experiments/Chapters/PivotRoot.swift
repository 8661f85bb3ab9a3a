import Glibc

/// pivot-root: seeds 002 and 004. A container's root: pivot_root(2) swaps the root of a
/// mount namespace for a directory that is a mount point, and the old root, detached, is
/// gone; chroot(2) changes only one process's view, and can be climbed out of. The root is
/// Debian's busybox-static with its applet links (fixtures/rootfs/make-rootfs.sh), built on
/// the run's workbench.
public let pivotRoot = Experiment(
    id: "pivot-root",
    title: "pivot_root: a busybox root for a mount namespace",
    namespaces: [.mnt],
    minimumKernel: "3.8",  // /proc/PID/ns/mnt
    needsCommands: ["sh"],
    demoHostNamespaces: [.mnt],
    namespaceBudget: [.mnt: 3],  // the sandbox's, the demo host's, one new one at a time
    footprint: Footprint(mountPoints: [newRoot], mountSources: [Workbench.source]),
    workbench: [.busyboxRoot("rootfs")],
    shellTries: ["ls /", "cat /proc/self/mountinfo", "ps"],
    steps: [
        Step("pivot-root", "pivot_root needs a mount point, then the old root can go",
             shell: "unshare --mount sh -c 'mount -t tmpfs lab /mnt && sh fixtures/rootfs/make-rootfs.sh /mnt/rootfs && mkdir /mnt/rootfs/oldroot && { pivot_root /mnt/rootfs /mnt/rootfs/oldroot || mount --bind /mnt/rootfs /mnt/rootfs; } && pivot_root /mnt/rootfs /mnt/rootfs/oldroot && cd / && umount -l /oldroot && rmdir /oldroot && mount -t proc proc /proc && ls /'",
             syscalls: ["unshare(CLONE_NEWNS)", "pivot_root(\"\(newRoot)\", \"\(putOld)\")",
                        "mount(\"\(newRoot)\", \"\(newRoot)\", NULL, MS_BIND, NULL)", "umount2(\"/oldroot\", MNT_DETACH)",
                        "mount(\"proc\", \"/proc\", \"proc\", …)"]) { lab in
            let before = try lab.probe(.oldSide, [.list(path: newRoot), .report([.rootEntries, .ns])])
            let rootfs = try before.probe.result(ListResult.self)
            // Not a mount point yet: refused. The directory the try made is removed again.
            let refusal = try expectedRefusal { try lab.run(.new([.mnt], [.makeRootPrivate, .mkdir(putOld), .pivotRoot(newRoot: newRoot, putOld: putOld)]), ["true"]) }
            if access(putOld, F_OK) == 0 { rmdir(putOld) }
            let new = try lab.probe(.new([.mnt], intoNewRoot), [.report([.rootEntries, .mounts, .ns])], then: ["ls", "/"])
            let after = try lab.probe(.oldSide, [.report([.rootEntries, .mounts])])
            let inside = try new.report
            return StepOutcome(
                observations: [
                    before.observation("old namespace", command: "ls \(newRoot)", output: listing(rootfs)),
                    Observation("new namespace, before the bind mount", command: "pivot_root \(newRoot) \(putOld)",
                                output: [refusal.map { "\($0)" } ?? "(it succeeded)"]),
                    new.observation("new namespace, after it"),
                ],
                checks: [
                    .equal("pivot_root while \(newRoot) is not a mount point", expected: "EINVAL", actual: refusal?.errnoName ?? "success"),
                    .equal("after the bind mount and pivot_root, / lists the busybox root", expected: rootfs.entries.sorted(),
                           actual: inside.rootEntries?.sorted()),
                    .equal("the mounts it sees: the new root and its /proc, the old root detached",
                           expected: ["/ on the busybox root", "/proc proc"], actual: inside.mounts.map(mountSummary)),
                    .equal("the old namespace's / is unchanged", expected: try before.report.rootEntries?.sorted(),
                           actual: try after.report.rootEntries?.sorted()),
                    .equal("and it has no mount at \(newRoot)", expected: "no mount", actual: try after.report.mountLine(at: newRoot)),
                ])
        },

        Step("pivot-root-dot", "pivot_root(\".\", \".\"): no directory for the old root",
             shell: "unshare --mount sh -c 'mount -t tmpfs lab /mnt && sh fixtures/rootfs/make-rootfs.sh /mnt/rootfs && mount --bind /mnt/rootfs /mnt/rootfs && cd /mnt/rootfs && pivot_root . . && umount -l . && mount -t proc proc /proc && ls / && cat /proc/self/mountinfo'",
             syscalls: ["chdir(\"\(newRoot)\")", "pivot_root(\".\", \".\")", "umount2(\".\", MNT_DETACH)"]) { lab in
            let rootfs = try lab.probe(.oldSide, [.list(path: newRoot)]).probe.result(ListResult.self)
            let new = try lab.probe(.new([.mnt], intoNewRootByDot), [.report([.rootEntries, .mounts, .ns])],
                                    then: ["cat", "/proc/self/mountinfo"])
            let inside = try new.report
            return StepOutcome(
                observations: [new.observation("new namespace")],
                checks: [
                    .equal("/ lists the busybox root", expected: rootfs.entries.sorted(), actual: inside.rootEntries?.sorted()),
                    .equal("the old root, stacked on the new one by pivot_root, is detached",
                           expected: ["/ on the busybox root", "/proc proc"], actual: inside.mounts.map(mountSummary)),
                ])
        },

        Step("chroot-escape", "chroot is not pivot_root: a chroot can be climbed out of",
             shell: "unshare --mount sh -c 'mount -t tmpfs lab /mnt && sh fixtures/rootfs/make-rootfs.sh /mnt/rootfs && mount -t proc proc /mnt/rootfs/proc && chroot /mnt/rootfs /bin/sh -c \"ls /; ls /proc/1/root/ | head -n 3\"'",
             syscalls: ["chroot(\"\(newRoot)\")", "chroot(\"tmp\")", "chdir(\"..\") ×64", "chroot(\".\")"]) { lab in
            let escape: [ProbeAction] = [.report([.rootEntries, .ns]), .chrootEscape(dir: "tmp"), .report([.rootEntries])]
            let host = try lab.probe(.oldSide, [.report([.rootEntries]), .list(path: newRoot)])
            // One after the other: the pivoted one makes and removes its oldroot in the root.
            let chrooted = try lab.probe(.new([.mnt], [.makeRootPrivate, .chroot(newRoot), .chdir("/")]), escape)
            let pivoted = try lab.probe(.new([.mnt], intoNewRoot), escape)
            func lines(_ side: FinishedProcess) -> [String] {
                let before = try? side.probe.report(0), after = try? side.probe.report(1)
                let tried = try? side.probe.result(ChrootEscapeResult.self)
                return ["ls / before: " + (before?.rootEntries?.sorted().joined(separator: " ") ?? "?"),
                        "the escape: \(tried?.outcome ?? "not tried")",
                        "ls / after:  " + (after?.rootEntries?.sorted().joined(separator: " ") ?? "?")]
            }
            let rootfs = try host.probe.result(ListResult.self).entries.sorted()
            return StepOutcome(
                observations: [
                    chrooted.observation("new namespace, chroot", command: "nsprobe chroot-escape=tmp", output: lines(chrooted)),
                    pivoted.observation("new namespace, pivot_root", command: "nsprobe chroot-escape=tmp", output: lines(pivoted)),
                ],
                checks: [
                    .errno("the escape, in the chroot", expected: "success", actual: try? chrooted.probe.result(ChrootEscapeResult.self)),
                    .equal("after it, the chrooted process sees the old namespace's /",
                           expected: try host.report.rootEntries?.sorted(), actual: try chrooted.probe.report(1).rootEntries?.sorted()),
                    .errno("the same escape, after pivot_root", expected: "success", actual: try? pivoted.probe.result(ChrootEscapeResult.self)),
                    .equal("after it, the pivoted process still sees only the busybox root", expected: rootfs,
                           actual: try pivoted.probe.report(1).rootEntries?.sorted()),
                ])
        },
    ])

private let newRoot = "\(Workbench.path)/rootfs"
private let putOld = "\(newRoot)/oldroot"

/// pivot_root with a put_old directory, as seed 004 does it: the new root bind-mounted onto
/// itself (a mount point), the old root moved below it; a /proc of its own, then the old root
/// detached and its directory removed. /proc comes first: in a user namespace the kernel
/// mounts a new proc only where a full one is still in sight (the old root's).
private let intoNewRoot: [Operation] = [
    .makeRootPrivate, .bind(newRoot, newRoot), .mkdir(putOld), .pivotRoot(newRoot: newRoot, putOld: putOld), .chdir("/"),
    .mountFreshProc, .umount2("/oldroot", flags: Int32(MNT_DETACH)), .rmdir("/oldroot"),
]

/// The same with pivot_root(".", "."): the old root ends up on top of the new one, where "/"
/// now leads, so proc is mounted by a path relative to the working directory (the new root),
/// and the old root is detached at ".".
private let intoNewRootByDot: [Operation] = [
    .makeRootPrivate, .bind(newRoot, newRoot), .chdir(newRoot), .pivotRoot(newRoot: ".", putOld: "."),
    .mount(source: "proc", target: "proc", fstype: "proc", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)),
    .umount2(".", flags: Int32(MNT_DETACH)),
]

/// "/ on the busybox root" for the bind mount of the root, "/proc proc", else "TARGET FSTYPE".
private func mountSummary(_ mounts: [ProbeReport.MountEntry]) -> [String] {
    mounts.map { mount in
        mount.target == "/" && mount.root == "/rootfs" ? "/ on the busybox root" : "\(mount.target) \(mount.fstype)"
    }
}

