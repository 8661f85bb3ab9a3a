import Glibc

/// mount-namespace (mount_namespaces(7)). A new mount namespace starts with a copy of the
/// mounts; what it mounts afterwards stays inside, unless the mounts are shared with the
/// parent's, as a systemd host makes them. Every path is on the run's workbench (/mnt).
let mountChapter = Chapter(mountNamespace, exercises: [mountExercise], messages: say)
private let say = MountText()

public let mountNamespace = Experiment(
    id: "mount-namespace",
    title: say.title,
    namespaces: [.mnt],
    minimumKernel: "3.8",  // /proc/PID/ns/mnt
    needsCommands: ["sh", "grep"],
    demoHostNamespaces: [.mnt],
    // The sandbox's, the demo host's, and at most two new ones alive at once.
    namespaceBudget: [.mnt: 4],
    footprint: Footprint(mountPoints: [bindTarget, peer, unmountTarget, expiring], mountSources: [Workbench.source, "peer", "expiring"]),
    // A systemd host: the demo host's /mnt is a shared mount (`mount --make-shared /mnt`), so a
    // new namespace's copy of it is its peer, whatever the machine's own / is.
    demoHostSetup: [.mount(source: nil, target: Workbench.path, flags: UInt(MS_SHARED))],
    workbench: [.file("binding/source/a", text: "written before the bind mount\n"), .directory("binding/target"),
                .directory("propagation/peer"), .file("unmount/data/note", text: "a file on the busy mount\n"),
                .directory("unmount/target"), .directory("unmount/expiring"), .file("unmount/image", text: "not a filesystem\n")],
    shellTries: ["findmnt -o TARGET,PROPAGATION /mnt", "mount --bind /mnt/binding/source /mnt/binding/target; ls /mnt/binding/target",
                 "readlink /proc/self/ns/mnt"],
    steps: [
        .newNamespace(.mnt, say.aNewMountNamespace),

        Step("bind", say.bindTitle,
             shell: """
                 unshare --mount sh -c 'mount -t tmpfs lab /mnt &&
                   mkdir /mnt/source /mnt/target && touch /mnt/source/a &&
                   mount --bind /mnt/source /mnt/target && ls /mnt/target &&
                   grep /mnt/target /proc/self/mountinfo'
                 """,
             syscalls: ["unshare(CLONE_NEWNS)", "mount(NULL, \"/\", NULL, MS_REC|MS_SLAVE, NULL)",
                        "mount(\"\(bindSource)\", \"\(bindTarget)\", NULL, MS_BIND, NULL)"]) { lab in
            let look: [ProbeAction] = [.list(path: bindTarget), .report([.mounts, .ns])]
            // The old side looks while the bind mount exists, not after.
            let (new, old) = try lab.probe(.new([.mnt], [.makeRootSlave, .bind(bindSource, bindTarget)]), look + [.hold()]) { _ in
                try lab.probe(.oldSide, look)
            }
            let newList = try new.probe.result(ListResult.self), oldList = try old.probe.result(ListResult.self)
            let newMount = try new.report.mount(at: bindTarget), oldMount = try old.report.mount(at: bindTarget)
            return StepOutcome(
                observations: [
                    old.observation(words.oldNamespace, command: "ls \(bindTarget); grep \(bindTarget) mountinfo",
                                    output: listing(oldList) + [oldMount.map { Message.verbatim(describe($0)) } ?? say.noMountAt(bindTarget)]),
                    new.observation(words.newNamespace, command: "ls \(bindTarget); grep \(bindTarget) mountinfo",
                                    output: listing(newList) + [newMount.map { Message.verbatim(describe($0)) } ?? say.noMountAt(bindTarget)]),
                ],
                checks: [
                    .equal(say.newListsAt(bindTarget), expected: ["a"], actual: newList.entries),
                    .equal(say.rootIsTheSource, expected: "/binding/source", actual: newMount?.root),
                    .isEmpty(say.oldListsAt(bindTarget), oldList.entries) { $0 },
                    .equal(say.oldHasNoMountThere, expected: words.noMount, actual: try old.report.mountLine(at: bindTarget)),
                ])
        },

        Step("propagation", say.propagationTitle,
             shell: say.playsTheHost("""
                 unshare --mount sh -c 'mount -t tmpfs lab /mnt &&
                   mount --make-shared /mnt && mkdir /mnt/peer &&
                   unshare --mount --propagation unchanged mount -t tmpfs peer /mnt/peer &&
                   grep -c /mnt/peer /proc/self/mountinfo && umount /mnt/peer &&
                   unshare --mount --propagation slave mount -t tmpfs peer /mnt/peer
                   grep -c /mnt/peer /proc/self/mountinfo || true'
                 """),
             syscalls: [say.inTheDemoHost("mount(NULL, \"/mnt\", NULL, MS_SHARED, NULL)"), .verbatim("unshare(CLONE_NEWNS)"),
                        .verbatim("mount(\"peer\", \"\(peer)\", \"tmpfs\", 0, NULL)"),
                        .verbatim("mount(NULL, \"/\", NULL, MS_REC|MS_SLAVE, NULL)"),
                        .verbatim("mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)")]) { lab in
            let mountPeer = Operation.mount(source: "peer", target: peer, fstype: "tmpfs")
            // Still shared: the mount outlives the new namespace in the old one, until unmounted there.
            let shared = try lab.probe(.new([.mnt], [mountPeer]), [.report([.mounts, .ns])])
            let sharedReport = try shared.report
            let seen = try lab.probe(.oldSide, [.report([.mounts, .ns]), .unmount(path: peer), .report([.mounts])])
            // Slave, then private: looked at from the old side while the new mount exists. `name` is
            // mount(8)'s word, in the command; `kind` is what mountinfo then shows.
            let quiet = try [("slave", words.slave, Operation.makeRootSlave),
                             ("private", words.private, Operation.makeRootPrivate)].map { name, kind, first in
                let (new, old) = try lab.probe(.new([.mnt], [first, mountPeer]), [.report([.mounts, .ns]), .hold()]) { _ in
                    try lab.probe(.oldSide, [.report([.mounts])])
                }
                return (name: name, kind: kind, new: new, newReport: try new.report, old: try old.report)
            }
            let seenBefore = try seen.probe.report(0), seenAfter = try seen.probe.report(1)
            let cleanup = try seen.probe.result(UnmountResult.self)
            func line(_ report: ProbeReport, _ target: String) -> Message {
                report.mountLine(at: target).map { $0 == words.noMount ? say.noMountAt(target) : $0 } ?? say.mountsNotReportedLine
            }
            return StepOutcome(
                observations: [
                    shared.observation(say.newAsItCame, command: "mount -t tmpfs peer \(peer)",
                                       output: [line(sharedReport, Workbench.path), line(sharedReport, peer)]),
                    seen.observation(say.oldAfterIt, command: "grep \(peer) mountinfo; umount \(peer)",
                                     output: [line(seenBefore, peer), say.umountLine(peer, cleanup.outcome)]),
                ] + quiet.flatMap { side -> [Observation] in [
                    side.new.observation(say.newAfterMakeR(side.name),
                                         command: "mount -t tmpfs peer \(peer)",
                                         output: [line(side.newReport, Workbench.path), line(side.newReport, peer)]),
                    Observation(say.oldMeanwhile, command: "grep \(peer) mountinfo", output: [line(side.old, peer)],
                                namespaces: lab.oldSideHost.map { ProcessNamespaces(pid: $0.pid, inodes: $0.inodes) }),
                ] },
                checks: [
                    .equal(say.oldMntIsShared, expected: words.shared,
                           actual: seenBefore.mount(at: Workbench.path)?.propagationKind),
                    .equal(say.tmpfsShowsInOld, expected: Message.verbatim("tmpfs peer"),
                           actual: seenBefore.mount(at: peer).map { Message.verbatim("\($0.fstype) \($0.source)") } ?? words.noMount),
                    .succeeds(say.umountCleaningUp(peer), cleanup),
                    .equal(say.afterItNoMountAt(peer), expected: words.noMount, actual: seenAfter.mountLine(at: peer)),
                ] + quiet.flatMap { side -> [Check] in [
                    .equal(say.afterMakeRNewMntIs(side.name), expected: side.kind,
                           actual: side.newReport.mount(at: Workbench.path)?.propagationKind),
                    .equal(say.afterMakeROldHasNoMountAt(side.name, peer), expected: words.noMount,
                           actual: side.old.mountLine(at: peer)),
                ] })
        },

        Step("unmount", say.unmountTitle,
             shell: """
                 unshare --mount sh -c 'mount -t tmpfs lab /mnt && cd /mnt &&
                   { umount /mnt || echo \"umount: exit $?\"; } &&
                   umount --lazy /mnt && echo still here > note && cat note &&
                   grep -c \" /mnt \" /proc/self/mountinfo || true'
                 """,
             syscalls: ["umount2(\"\(unmountTarget)\", 0)", "umount2(\"\(unmountTarget)\", MNT_FORCE)",
                        "umount2(\"\(unmountTarget)\", MNT_DETACH)", "umount2(\"\(expiring)\", MNT_EXPIRE)",
                        "mount(\"\(image)\", \"\(unmountTarget)\", \"ext4\", 0, NULL)"]) { lab in
            // One new namespace, whose first process keeps its working directory on the mount.
            let setup: [Operation] = [.makeRootPrivate, .bind("\(Workbench.path)/unmount/data", unmountTarget),
                                      .mount(source: "expiring", target: expiring, fstype: "tmpfs"), .chdir(unmountTarget)]
            let (inside, unmounter) = try lab.probe(.new([.mnt], setup), [.report([.ns]), .hold(), .write(path: "note"),
                                                                          .list(path: ".")]) { holder in
                try lab.probe(try lab.inside(holder, [.mnt]), [
                    .unmount(path: unmountTarget), .unmount(path: unmountTarget, flags: .force),
                    .unmount(path: unmountTarget, flags: .detach), .report([.mounts, .ns]),
                    .unmount(path: expiring, flags: .expire), .unmount(path: expiring, flags: .expire), .report([.mounts]),
                ])
            }
            let calls = try unmounter.probe.results(UnmountResult.self)
            guard calls.count == 5 else { throw LabError(say.notAllCalls(calls.count, 5)) }
            // A filesystem on a regular file needs a block device: mount(8) would set up a loop
            // device first; the system call alone refuses.
            let notABlockDevice = try expectedRefusal {
                try lab.run(.new([.mnt], [.makeRootPrivate, .mount(source: image, target: unmountTarget, fstype: "ext4")]), ["true"])
            }
            let afterDetach = try unmounter.probe.report(0), afterExpire = try unmounter.probe.report(1)
            let written = try inside.probe.result(WriteResult.self), listed = try inside.probe.result(ListResult.self)
            return StepOutcome(
                observations: [
                    unmounter.observation(say.newAnotherProcess, command: "umount; umount --force; umount --lazy; umount2(MNT_EXPIRE) ×2",
                                          output: calls.map { say.umount2Line($0.path, flagName($0.flags), $0.outcome) }
                                              + [say.mountImageLine(image, notABlockDevice.outcome)]
                                              + [say.thenAt(unmountTarget, afterDetach.mountLine(at: unmountTarget) ?? say.mountsNotReported)]),
                    inside.observation(say.newProcessIn(unmountTarget), command: "echo >> note; ls",
                                       output: [say.openNote(written.outcome), say.lsLine(listed.entries.joined(separator: " "))]),
                ],
                checks: [
                    .fails(say.umountBusy(unmountTarget), with: "EBUSY", calls[0]),
                    .fails(say.umountForceBusy(unmountTarget), with: "EBUSY", calls[1]),
                    .succeeds(say.umountDetach(unmountTarget), calls[2]),
                    .equal(say.goneFromMountinfo(unmountTarget), expected: words.noMount,
                           actual: afterDetach.mountLine(at: unmountTarget)),
                    .succeeds(say.stillOpensItsFile, written),
                    .fails(say.expireMarks(expiring), with: "EAGAIN", calls[3]),
                    .succeeds(say.expireUnmounts, calls[4]),
                    .equal(say.goneFromMountinfo(expiring), expected: words.noMount,
                           actual: afterExpire.mountLine(at: expiring)),
                    // In a user namespace of its own (no sudo), ext4 may not be mounted at all.
                    HostSupport.mapsEveryID
                        ? .fails(say.regularFileAsExt4, with: "ENOTBLK", notABlockDevice)
                        : .fails(say.regularFileAsExt4InAUserNamespace, with: "EPERM", notABlockDevice),
                ])
        },
    ])

private let bindSource = "\(Workbench.path)/binding/source"
private let bindTarget = "\(Workbench.path)/binding/target"
private let peer = "\(Workbench.path)/propagation/peer"
private let unmountTarget = "\(Workbench.path)/unmount/target"
private let expiring = "\(Workbench.path)/unmount/expiring"
/// A regular file, no block device: what `mount -t ext4` without a loop device is given.
private let image = "\(Workbench.path)/unmount/image"

private func flagName(_ flags: String) -> String {
    UnmountFlag(rawValue: flags)?.constantName ?? "0"
}

// MARK: - Graded exercise

/// Where the student's program must bind-mount, different in every run: a directory holding a
/// marker file, and an empty one, both under /exercise.
struct MountExerciseValues: ExerciseValues {
    let source: String
    let target: String
    /// The marker file's name in the source: a copy of the source's files has it too.
    let marker: String
    var placeholders: [(name: String, value: String)] { [("source", source), ("target", target)] }
}

let mountExercise = Exercise(
    id: "mount-namespace", task: say.task,
    choose: { (random) -> MountExerciseValues in
        let directory = "\(GradingWorkspace.exerciseInSandbox)/mount-\(random.word(4))"
        return MountExerciseValues(source: "\(directory)/source", target: "\(directory)/target", marker: "marker-\(random.word(6))")
    },
    fixtures: { values in
        [.file("\(values.source)/\(values.marker)", text: "the source's marker\n"), .directory(values.target)]
    }
) { paused, values in
    let seen: Message = switch paused.probe.identity(of: values.target) {
    case nil: say.cannotFind(values.target)
    case paused.fixtures[values.source]: .verbatim(values.source)
    case paused.fixtures[values.target]: say.theTargetItself(values.target)
    default: (paused.probe.list(values.target) ?? []).contains(values.marker) ? say.aCopyOf(values.source) : say.anotherDirectory
    }
    let during = try paused.during().mount(at: values.target).map { say.aMountOf($0.fstype) } ?? words.noMount
    return [
        paused.newNamespace(.mnt),
        .equal(say.theCommandFinds, expected: Message.verbatim(values.source), actual: seen),
        .equal(say.sandboxMountsAtTarget, expected: words.noMount, actual: during)
            .diagnosed(during == words.noMount ? nil : say.mountShowedUp),
    ]
}

// MARK: - What the chapter says

final class MountText: MessageTable {
    let title = Message("Mount namespace: bind mounts, propagation and unmounting", zh: "挂载命名空间：绑定挂载、传播与卸载")
    let aNewMountNamespace = Message("A new mount namespace", zh: "新的挂载命名空间")

    // What a probe saw of the mounts
    let noMountAt = Template("(no mount at {0})", zh: "（{0} 处没有挂载）")
    let mountsNotReportedLine = Message("(mounts not reported)", zh: "（未报告挂载）")
    let mountsNotReported = Message("mounts not reported", zh: "未报告挂载")

    let bindTitle = Message("A bind mount shows only in its namespace", zh: "绑定挂载只在它的命名空间里可见")
    let newListsAt = Template("at {0} the new namespace lists", zh: "新命名空间在 {0} 列出的内容")
    let rootIsTheSource = Message("its mount there shows the source's directory as its root", zh: "它在那里的挂载以来源目录为根")
    let oldListsAt = Template("at {0} the old namespace lists", zh: "旧命名空间在 {0} 列出的内容")
    let oldHasNoMountThere = Message("the old namespace has no mount there", zh: "旧命名空间在那里的挂载")

    let propagationTitle = Message("Shared mounts propagate back; slave and private ones do not", zh: "共享挂载会传播回去，从属挂载和私有挂载不会")
    let playsTheHost = Template("{0}   # this sh plays the host", zh: "{0}   # 这个 sh 扮演宿主机")
    let inTheDemoHost = Template("{0} in the demo host", zh: "演示宿主机中的 {0}")
    let newAsItCame = Message("new namespace, / as it came (shared)", zh: "新命名空间，/ 保持原样（共享）")
    let oldAfterIt = Message("old namespace, after it", zh: "旧命名空间，随后")
    let umountLine = Template("umount {0}: {1}", zh: "umount {0}：{1}")
    /// `{0}` is mount(8)'s word, as the command has it: slave or private.
    let newAfterMakeR = Template("new namespace, after mount --make-r{0} /", zh: "新命名空间，执行 mount --make-r{0} / 之后")
    let oldMeanwhile = Message("old namespace, meanwhile", zh: "旧命名空间，与此同时")
    let oldMntIsShared = Message("/mnt in the old namespace is shared (the demo host made it so)", zh: "旧命名空间里 /mnt 的传播类型（演示宿主机把它设为共享）")
    let tmpfsShowsInOld = Message("a tmpfs mounted in the new namespace shows in the old one", zh: "新命名空间里挂载的 tmpfs 出现在旧命名空间里")
    let umountCleaningUp = Template("umount {0} in the old namespace (cleaning up)", zh: "在旧命名空间里 umount {0}（清理）")
    let afterItNoMountAt = Template("after it, no mount at {0} there", zh: "随后旧命名空间在 {0} 处的挂载")
    let afterMakeRNewMntIs = Template("after mount --make-r{0} /, the new namespace's /mnt is", zh: "执行 mount --make-r{0} / 之后，新命名空间里 /mnt 的传播类型")
    let afterMakeROldHasNoMountAt = Template("after mount --make-r{0} /, the old namespace has no mount at {1}", zh: "执行 mount --make-r{0} / 之后，旧命名空间在 {1} 处的挂载")

    let unmountTitle = Message("Unmounting: busy, lazy (MNT_DETACH) and expiring (MNT_EXPIRE)", zh: "卸载：忙碌、延迟（MNT_DETACH）与过期（MNT_EXPIRE）")
    let notAllCalls = Template("the probe reported {0} of its {1} umount calls", zh: "探针报告了它 {1} 次 umount 调用中的 {0} 次")
    let newAnotherProcess = Message("new namespace, another process", zh: "新命名空间，另一个进程")
    let umount2Line = Template("umount2({0}, {1}): {2}", zh: "umount2({0}, {1})：{2}")
    let thenAt = Template("then at {0}: {1}", zh: "随后 {0} 处：{1}")
    let newProcessIn = Template("new namespace, the process in {0}", zh: "新命名空间，工作目录在 {0} 的进程")
    let openNote = Template("open(note, O_WRONLY): {0}", zh: "open(note, O_WRONLY)：{0}")
    let lsLine = Template("ls: {0}", zh: "ls：{0}")
    let umountBusy = Template("umount2({0}, 0) while a process works there", zh: "有进程在那里工作时 umount2({0}, 0)")
    let umountForceBusy = Template("umount2({0}, MNT_FORCE), busy still: tmpfs has no forced unmount", zh: "umount2({0}, MNT_FORCE)，依然忙：tmpfs 不支持强制卸载")
    let mountImageLine = Template("mount {0} as ext4: {1}", zh: "把 {0} 作为 ext4 挂载：{1}")
    let regularFileAsExt4 = Message("mounting a regular file as ext4, without a loop device", zh: "不经过 loop 设备，把普通文件作为 ext4 挂载")
    let regularFileAsExt4InAUserNamespace = Message("mounting a regular file as ext4, in a user namespace, where ext4 cannot be mounted", zh: "在用户命名空间里把普通文件作为 ext4 挂载，而那里根本不能挂载 ext4")
    let umountDetach = Template("umount2({0}, MNT_DETACH), as umount --lazy", zh: "umount2({0}, MNT_DETACH)，即 umount --lazy")
    let goneFromMountinfo = Template("then {0} is gone from mountinfo", zh: "随后 mountinfo 里 {0} 处的挂载")
    let stillOpensItsFile = Message("the process there still opens its file for writing", zh: "那里的进程仍能以写方式打开它的文件")
    let expireMarks = Template("umount2({0}, MNT_EXPIRE) the first time marks it", zh: "第一次 umount2({0}, MNT_EXPIRE) 只作标记")
    let expireUnmounts = Message("the second time, unused since, unmounts it", zh: "第二次（此后没人用过）将它卸载")

    // The graded exercise
    let task = Message("in a new mount namespace whose mounts do not propagate back, bind-mount {source} onto {target}, then run the command", zh: "在一个挂载不会向外传播的新挂载命名空间里，把 {source} 绑定挂载到 {target} 上，然后运行这条命令")
    let theCommandFinds = Message("at {target} the command finds", zh: "命令在 {target} 处找到的")
    let cannotFind = Template("nothing: it cannot find {0}", zh: "什么也没有：它找不到 {0}")
    let theTargetItself = Template("{0} itself: nothing is mounted there", zh: "{0} 本身：那里没有挂载任何东西")
    let aCopyOf = Template("a copy of {0}'s files, not {0} itself", zh: "{0} 里文件的一份副本，不是 {0} 本身")
    let anotherDirectory = Message("another directory", zh: "另一个目录")
    let sandboxMountsAtTarget = Message("mounts at {target} in the sandbox while the command runs", zh: "命令运行期间沙箱里 {target} 处的挂载")
    let aMountOf = Template("a {0} mount", zh: "一个 {0} 挂载")
    let mountShowedUp = Message("your mount showed up in the sandbox: make mounts private first (mount --make-rprivate /)", zh: "你的挂载出现在了沙箱里：先把挂载设为私有（mount --make-rprivate /）")
}
