import Glibc

/// pivot-root (pivot_root(2), chroot(2)). A container's root: pivot_root(2) swaps the root of
/// a mount namespace for a directory that is a mount point, and the old root, detached, is
/// gone; chroot(2) changes only one process's view, and can be climbed out of. The root is
/// Debian's busybox-static with its applet links (fixtures/rootfs/make-rootfs.sh), built on
/// the run's workbench.
let pivotRootChapter = Chapter(pivotRoot, exercises: [pivotRootExercise], messages: say)
private let say = PivotRootText()

public let pivotRoot = Experiment(
    id: "pivot-root",
    title: say.title,
    namespaces: [.mnt],
    minimumKernel: "3.8",  // /proc/PID/ns/mnt
    needsCommands: ["sh"],
    demoHostNamespaces: [.mnt],
    // mnt: the sandbox's, the demo host's, one new one at a time; pid: the sandbox's and the two
    // of pivot-root-dot, one after the other (the kernel frees a PID namespace's count later)
    namespaceBudget: [.mnt: 3, .pid: 3],
    footprint: Footprint(mountPoints: [newRoot], mountSources: [Workbench.source]),
    workbench: [.busyboxRoot("rootfs")],
    shellTries: ["ls /", "cat /proc/self/mountinfo", "ps"],
    steps: [
        Step("pivot-root", say.pivotRootTitle,
             shell: """
                 unshare --mount sh -c 'mount -t tmpfs lab /mnt &&
                   sh fixtures/rootfs/make-rootfs.sh /mnt/rootfs &&
                   mkdir /mnt/rootfs/oldroot &&
                   { pivot_root /mnt/rootfs /mnt/rootfs/oldroot ||
                     mount --bind /mnt/rootfs /mnt/rootfs; } &&
                   pivot_root /mnt/rootfs /mnt/rootfs/oldroot && cd / &&
                   umount -l /oldroot && rmdir /oldroot &&
                   mount -t proc proc /proc && ls /'
                 """,
             syscalls: ["unshare(CLONE_NEWNS)", "pivot_root(\"\(newRoot)\", \"\(putOld)\")",
                        "mount(NULL, \"/\", NULL, MS_REC|MS_SHARED, NULL)",
                        "mount(\"\(newRoot)\", \"\(newRoot)\", NULL, MS_BIND, NULL)", "umount2(\"/oldroot\", MNT_DETACH)",
                        "mount(\"proc\", \"/proc\", \"proc\", …)"]) { lab in
            let before = try lab.probe(.oldSide, [.list(path: newRoot), .report([.rootEntries, .ns])])
            let rootfs = try before.probe.result(ListResult.self)
            // Not a mount point yet: refused. The directory the try made is removed again.
            let refusal = try expectedRefusal { try lab.run(.new([.mnt], [.makeRootPrivate, .mkdir(putOld), .pivotRoot(newRoot: newRoot, putOld: putOld)]), ["true"]) }
            if access(putOld, F_OK) == 0 { rmdir(putOld) }
            // A mount point now, but / shared (as on a systemd host): refused too, since the
            // pivot would propagate to the peers.
            let whileShared = try expectedRefusal {
                try lab.run(.new([.mnt], [.makeRootPrivate, .mount(source: nil, target: "/", flags: UInt(MS_REC | MS_SHARED)),
                                          .bind(newRoot, newRoot), .chdir(newRoot), .pivotRoot(newRoot: ".", putOld: ".")]), ["true"])
            }
            let new = try lab.probe(.new([.mnt], intoNewRoot), [.report([.rootEntries, .mounts, .ns])], then: ["ls", "/"])
            let after = try lab.probe(.oldSide, [.report([.rootEntries, .mounts])])
            let inside = try new.report
            return StepOutcome(
                observations: [
                    before.observation(words.oldNamespace, command: "ls \(newRoot)", output: listing(rootfs)),
                    Observation(say.beforeTheBindMount, command: "pivot_root \(newRoot) \(putOld)",
                                output: [refusal.map(\.message) ?? say.itSucceeded]),
                    Observation(say.withRootShared, command: "mount --make-rshared /; pivot_root . .",
                                output: [whileShared.map(\.message) ?? say.itSucceeded]),
                    new.observation(say.afterIt),
                ],
                checks: [
                    .fails(say.notAMountPoint(newRoot), with: "EINVAL", refusal),
                    .fails(say.whileRootIsShared, with: "EINVAL", whileShared),
                    .equal(say.listsTheRootAfterPivot, expected: rootfs.entries.sorted(),
                           actual: inside.rootEntries?.sorted()),
                    .equal(say.theMountsItSees, expected: newRootAndProc, actual: inside.mounts.map(mountSummary)),
                    .equal(say.oldRootUnchanged, expected: try before.report.rootEntries?.sorted(),
                           actual: try after.report.rootEntries?.sorted()),
                    .equal(say.andNoMountAt(newRoot), expected: words.noMount, actual: try after.report.mountLine(at: newRoot)),
                ])
        },

        Step("pivot-root-dot", say.pivotRootDotTitle,
             shell: """
                 unshare --mount --pid --fork sh -c 'mount -t tmpfs lab /mnt &&
                   sh fixtures/rootfs/make-rootfs.sh /mnt/rootfs &&
                   mount --bind /mnt/rootfs /mnt/rootfs && cd /mnt/rootfs &&
                   pivot_root . . && umount -l . && mount -t proc proc /proc &&
                   ls / && cat /proc/self/mountinfo &&
                   exec sh -c \"sh -c \\\"echo forked: \\\\$\\\\$\\\"; exec sh -c \\\"echo execed: \\\\$\\\\$\\\"\"'
                 """,
             syscalls: ["clone(CLONE_NEWNS|CLONE_NEWPID)", "chdir(\"\(newRoot)\")", "pivot_root(\".\", \".\")",
                        "umount2(\".\", MNT_DETACH)", "execve(\"/bin/sh\")"]) { lab in
            let rootfs = try lab.probe(.oldSide, [.list(path: newRoot)]).probe.result(ListResult.self)
            let new = try lab.probe(.new([.mnt, .pid], intoNewRootByDot), [.report([.rootEntries, .mounts, .ns])],
                                    then: ["cat", "/proc/self/mountinfo"])
            // The first process of the new root is pid 1 as long as it execs: a command it
            // forks is pid 2; a command it execs is still pid 1, a container's init.
            let pids = try lab.run(.new([.mnt, .pid], intoNewRootByDot), ["/bin/sh", "-c", forkThenExec])
            let inside = try new.report
            let said = { (word: String) in
                pids.lines.first { $0.hasPrefix(word + ": ") }.map { String($0.dropFirst(word.count + 2)) }
            }
            return StepOutcome(
                observations: [new.observation(words.newNamespace),
                               Observation(say.newRootsFirstProcess, command: "/bin/sh -c '\(forkThenExec)'", printed: pids.lines)],
                checks: [
                    .equal(say.listsTheRoot, expected: rootfs.entries.sorted(), actual: inside.rootEntries?.sorted()),
                    .equal(say.stackedOldRootDetached, expected: newRootAndProc, actual: inside.mounts.map(mountSummary)),
                    .equal(say.itsPid, expected: "1", actual: String(inside.pid)),
                    .equal(say.aCommandItForks, expected: "2", actual: said("forked")),
                    .equal(say.aCommandItExecs, expected: "1", actual: said("execed")),
                ])
        },

        Step("chroot-escape", say.chrootEscapeTitle,
             shell: """
                 unshare --mount sh -c 'mount -t tmpfs lab /mnt &&
                   sh fixtures/rootfs/make-rootfs.sh /mnt/rootfs &&
                   mount -t proc proc /mnt/rootfs/proc &&
                   chroot /mnt/rootfs /bin/sh -c \"ls /; ls /proc/1/root/ | head -n 3\"'
                 """,
             syscalls: ["chroot(\"\(newRoot)\")", "chroot(\"tmp\")", "chdir(\"..\") ×64", "chroot(\".\")"]) { lab in
            let escape: [ProbeAction] = [.report([.rootEntries, .ns]), .chrootEscape(dir: "tmp"), .report([.rootEntries])]
            let host = try lab.probe(.oldSide, [.report([.rootEntries]), .list(path: newRoot)])
            // One after the other: the pivoted one makes and removes its oldroot in the root.
            let chrooted = try lab.probe(.new([.mnt], [.makeRootPrivate, .chroot(newRoot), .chdir("/")]), escape)
            let pivoted = try lab.probe(.new([.mnt], intoNewRoot), escape)
            func lines(_ side: FinishedProcess) -> [Message] {
                let before = try? side.probe.report(0), after = try? side.probe.report(1)
                let tried = try? side.probe.result(ChrootEscapeResult.self)
                return [say.lsBefore(before?.rootEntries?.sorted().joined(separator: " ") ?? "?"),
                        say.theEscape(tried?.outcome ?? say.notTried),
                        say.lsAfter(after?.rootEntries?.sorted().joined(separator: " ") ?? "?")]
            }
            let rootfs = try host.probe.result(ListResult.self).entries.sorted()
            return StepOutcome(
                observations: [
                    chrooted.observation(say.newNamespaceChroot, command: "nsprobe chroot-escape=tmp", output: lines(chrooted)),
                    pivoted.observation(say.newNamespacePivotRoot, command: "nsprobe chroot-escape=tmp", output: lines(pivoted)),
                ],
                checks: [
                    .succeeds(say.escapeInTheChroot, try? chrooted.probe.result(ChrootEscapeResult.self)),
                    .equal(say.chrootedSeesOldRoot,
                           expected: try host.report.rootEntries?.sorted(), actual: try chrooted.probe.report(1).rootEntries?.sorted()),
                    .succeeds(say.sameEscapeAfterPivot, try? pivoted.probe.result(ChrootEscapeResult.self)),
                    .equal(say.pivotedSeesOnlyTheRoot, expected: rootfs,
                           actual: try pivoted.probe.report(1).rootEntries?.sorted()),
                ])
        },
    ])

private let newRoot = "\(Workbench.path)/rootfs"
private let putOld = "\(newRoot)/oldroot"

/// pivot_root with a put_old directory: the new root bind-mounted onto itself (a mount
/// point), the old root moved below it; a /proc of its own, then the old root detached and
/// its directory removed. /proc comes first: in a user namespace the kernel mounts a new proc
/// only where a full one is still in sight (the old root's).
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

/// "/ on the busybox root" for the bind mount of the root, "/proc proc", else "TARGET FSTYPE":
/// a list, the first in the reader's language.
private func mountSummary(_ mounts: [ProbeReport.MountEntry]) -> Message {
    .list(mounts.map { mount -> any MessageArgument in
        mount.target == "/" && mount.root == "/rootfs" ? say.onTheBusyboxRoot : "\(mount.target) \(mount.fstype)"
    })
}

/// What a process pivoted into the busybox root sees of mounts: the root and its /proc.
private let newRootAndProc = Message.list([say.onTheBusyboxRoot, "/proc proc"])

/// What the new root's first process runs: a command it forks, then one it execs.
private let forkThenExec = "sh -c 'echo forked: $$'; exec sh -c 'echo execed: $$'"

// MARK: - Graded exercise

/// The busybox root the student's program must pivot into, under /exercise, different in
/// every run.
struct PivotRootExerciseValues: ExerciseValues {
    let rootfs: String
    var placeholders: [(name: String, value: String)] { [("rootfs", rootfs)] }
}

let pivotRootExercise = Exercise(
    id: "pivot-root", task: say.task, probePlaceholder: "probe_in_rootfs",
    choose: { random in PivotRootExerciseValues(rootfs: "\(GradingWorkspace.exerciseInSandbox)/rootfs-\(random.word(4))") },
    fixtures: { values in [.busyboxRoot(values.rootfs)] }
) { paused, values in
    let probe = paused.probe
    let entries = paused.fixtures.entries[values.rootfs]
    let mounts = probe.mounts
    let proc = mounts?.topmost(at: "/proc")
    let oldRoot = try paused.during().mount(at: "/")
    let root = probe.root
    let rootSeen: Message? = root == paused.fixtures[values.rootfs] ? Message.verbatim(values.rootfs)
        : root == nil ? nil : say.anotherDirectory
    return [
        // First: without /proc, what follows reads wrong to the student.
        .equal(say.procCheck, expected: Message.verbatim("proc"),
               actual: mounts.map { _ in proc.map { Message.verbatim($0.fstype) } ?? say.notMounted })
            .diagnosed(proc == nil ? say.mountProcFirst : nil),
        .equal(say.theCommandsRoot, expected: Message.verbatim(values.rootfs), actual: rootSeen),
        .equal(say.rootAsTheCommandSeesIt, expected: entries, actual: probe.list("/")),
        .equal(say.oldRootMountsItSees, expected: words.none,
               actual: mounts.map { mounts in
                   mounts.contains { $0.source == oldRoot?.source && $0.fstype == oldRoot?.fstype && $0.root == oldRoot?.root }
                       ? say.detachTheOldRoot : words.none
               }),
    ]
}

// MARK: - What the chapter says

final class PivotRootText: MessageTable {
    let title = Message("pivot_root: a busybox root for a mount namespace", zh: "pivot_root：为挂载命名空间换上 busybox 根文件系统")

    let pivotRootTitle = Message("pivot_root needs a mount point, then the old root can go", zh: "pivot_root 需要一个挂载点，之后旧根就可以移除")
    let beforeTheBindMount = Message("new namespace, before the bind mount", zh: "新命名空间，绑定挂载之前")
    let afterIt = Message("new namespace, after it", zh: "新命名空间，绑定挂载之后")
    let itSucceeded = Message("(it succeeded)", zh: "（它成功了）")
    let notAMountPoint = Template("pivot_root while {0} is not a mount point", zh: "{0} 还不是挂载点时的 pivot_root")
    let listsTheRootAfterPivot = Message("after the bind mount and pivot_root, / lists the busybox root", zh: "绑定挂载并执行 pivot_root 之后，/ 列出的是 busybox 根文件系统")
    let theMountsItSees = Message("the mounts it sees: the new root and its /proc, the old root detached", zh: "它看到的挂载（新根和它的 /proc，旧根已分离）")
    let onTheBusyboxRoot = Message("/ on the busybox root", zh: "/ 上的 busybox 根")
    let oldRootUnchanged = Message("the old namespace's / is unchanged", zh: "旧命名空间的 / 没有变化")
    let andNoMountAt = Template("and it has no mount at {0}", zh: "旧命名空间在 {0} 处的挂载")

    let pivotRootDotTitle = Message("pivot_root(\".\", \".\"): no directory for the old root", zh: "pivot_root(\".\", \".\")：无需为旧根准备目录")
    let listsTheRoot = Message("/ lists the busybox root", zh: "/ 列出的是 busybox 根文件系统")
    let newRootsFirstProcess = Message("the new root's first process, pid 1 of a new PID namespace", zh: "新根里的第一个进程，新 PID 命名空间的 1 号进程")
    let itsPid = Message("the probe's pid, after the pivot and its exec", zh: "pivot 并 exec 之后探针的 pid")
    let aCommandItForks = Message("the pid of a command sh forks", zh: "sh fork 出的命令的 pid")
    let aCommandItExecs = Message("the pid of a command sh execs", zh: "sh exec 的命令的 pid")
    let withRootShared = Message("new namespace, / made shared", zh: "新命名空间，/ 设为共享")
    let whileRootIsShared = Message("pivot_root while / is shared", zh: "/ 为共享时的 pivot_root")
    let stackedOldRootDetached = Message("the old root, stacked on the new one by pivot_root, is detached", zh: "pivot_root 叠在新根之上的旧根已被分离")

    let chrootEscapeTitle = Message("chroot is not pivot_root: a chroot can be climbed out of", zh: "chroot 不是 pivot_root：可以从 chroot 里爬出去")
    let newNamespaceChroot = Message("new namespace, chroot", zh: "新命名空间，chroot")
    let newNamespacePivotRoot = Message("new namespace, pivot_root", zh: "新命名空间，pivot_root")
    let lsBefore = Template("ls / before: {0}", zh: "之前 ls /：{0}")
    let theEscape = Template("the escape: {0}", zh: "逃逸：{0}")
    let lsAfter = Template("ls / after:  {0}", zh: "之后 ls /：{0}")
    let notTried = Message("not tried", zh: "未尝试")
    let escapeInTheChroot = Message("the escape, in the chroot", zh: "在 chroot 里逃逸")
    let chrootedSeesOldRoot = Message("after it, the chrooted process sees the old namespace's /", zh: "逃逸之后，chroot 里的进程看到旧命名空间的 /")
    let sameEscapeAfterPivot = Message("the same escape, after pivot_root", zh: "pivot_root 之后，同样的逃逸")
    let pivotedSeesOnlyTheRoot = Message("after it, the pivoted process still sees only the busybox root", zh: "逃逸之后，切换过根的进程仍然只看到 busybox 根文件系统")

    let task = Message("in a new mount namespace, make {rootfs} the root with pivot_root(2), mount proc on /proc while the old root is still there, detach the old root, run the command", zh: "在一个新的挂载命名空间里，用 pivot_root(2) 让 {rootfs} 成为根，趁旧根还在时在 /proc 上挂载 proc，再分离旧根，然后运行命令")
    let procCheck = Message("/proc", zh: "/proc")
    let notMounted = Message("not mounted", zh: "未挂载")
    let mountProcFirst = Message("mount proc on /proc before you detach the old root: in a user namespace the kernel refuses a new proc once no full proc is visible (mount_namespaces(7))", zh: "在分离旧根之前把 proc 挂载到 /proc 上：在用户命名空间里，一旦看不到完整的 proc，内核就会拒绝挂载新的 proc（mount_namespaces(7)）")
    let theCommandsRoot = Message("the command's root", zh: "命令的根目录")
    let anotherDirectory = Message("another directory", zh: "另一个目录")
    let rootAsTheCommandSeesIt = Message("/ as the command sees it", zh: "命令看到的 /")
    let oldRootMountsItSees = Message("mounts of the old root it can see", zh: "命令能看到的旧根的挂载")
    let detachTheOldRoot = Message("the old root: detach it (umount2(put_old, MNT_DETACH))", zh: "旧根：请把它分离（umount2(put_old, MNT_DETACH)）")
}
