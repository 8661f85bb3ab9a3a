import Glibc

/// cgroup-namespace (cgroup_namespaces(7), cgroups(7)). A cgroup namespace virtualises the
/// paths of /proc/PID/cgroup: a process sees its cgroups relative to the ones it was in when
/// the namespace was made, its root. It hides paths, not limits, and not the tree that an old
/// mount of cgroupfs still shows; a cgroup2 mounted inside starts at the namespace's root.
///
/// The steps' cgroups live below the run's (RunCgroup), which the supervising runner made
/// below its own: `root`, the new namespaces' root, `root/child`, and `outside`, beside it.
let cgroupChapter = Chapter(cgroupNamespace, exercises: [cgroupExercise], messages: say)
private let say = CgroupText()

public let cgroupNamespace = Experiment(
    id: "cgroup-namespace",
    title: say.title,
    namespaces: [.cgroup],
    minimumKernel: "4.6",  // CLONE_NEWCGROUP
    needsCommands: ["unshare", "cat"],
    demoHostNamespaces: [],
    namespaceBudget: [.cgroup: 2, .mnt: 2],  // the initial ones and one new one a step
    workbench: [.directory(mountedHere)],
    usesCgroups: true,
    shellTries: ["cat /proc/self/cgroup", "readlink /proc/self/ns/cgroup", "ls /sys/fs/cgroup"],
    steps: [
        Step("path-hidden", say.pathHidden,
             shell: "mkdir /sys/fs/cgroup/nslab-demo; sh -c 'echo $$ > /sys/fs/cgroup/nslab-demo/cgroup.procs; "
                + "cat /proc/self/cgroup; unshare --cgroup cat /proc/self/cgroup'; rmdir /sys/fs/cgroup/nslab-demo",
             syscalls: ["mkdir(\"…/root\")", "write(\"…/root/cgroup.procs\", \"0\")", "unshare(CLONE_NEWCGROUP)"]) { lab in
            let root = try lab.makeCgroup(rootPath)
            let processes = try lab.probe([ProcessSpec.oldSide.inCgroup(root), ProcessSpec.new([.cgroup]).inCgroup(root)],
                                          [.report([.ns, .cgroup])])
            let outside = try processes[0].report, inside = try processes[1].report
            let run = try lab.runCgroup
            return StepOutcome(
                observations: [processes[0].observation(words.oldNamespace, command: "cat /proc/self/cgroup", output: lines(outside)),
                               processes[1].observation(words.newNamespace, command: "unshare --cgroup cat /proc/self/cgroup",
                                                        output: lines(inside))],
                checks: [
                    .differ(say.aNewCgroupNamespace, old: outside.inode(.cgroup), new: inside.inode(.cgroup)),
                    .equal(say.pathOutside, expected: root.hierarchyPath, actual: outside.cgroupPath(in: run)),
                    .equal(say.pathInside, expected: "/", actual: inside.cgroupPath(in: run)),
                    .equal(say.everyHierarchyInside, expected: ["/"], actual: paths(inside)),
                ])
        },

        Step("root-fixed", say.rootFixed,
             shell: "mkdir -p /sys/fs/cgroup/nslab-demo/child; sh -c 'echo $$ > /sys/fs/cgroup/nslab-demo/cgroup.procs; "
                + "exec unshare --cgroup sh -c \"echo \\$\\$ > /sys/fs/cgroup/nslab-demo/child/cgroup.procs; cat /proc/self/cgroup\"'; "
                + "rmdir /sys/fs/cgroup/nslab-demo/child /sys/fs/cgroup/nslab-demo",
             syscalls: ["unshare(CLONE_NEWCGROUP)", "write(\"…/root/child/cgroup.procs\", PID)", "write(\"…/outside/cgroup.procs\", PID)"]) { lab in
            let root = try lab.makeCgroup(rootPath), child = try lab.makeCgroup(rootPath + "/child")
            let outside = try lab.makeCgroup(outsidePath)
            // The probe reports at its root, then after each move the runner makes from outside.
            let (held, _) = try lab.probe(ProcessSpec.new([.cgroup]).inCgroup(root),
                                          [.report([.ns, .cgroup]), .hold(), .report([.cgroup]), .hold(), .report([.cgroup])],
                                          shown: "cat /proc/self/cgroup; echo PID > …/child/cgroup.procs; …") { probe in
                try child.move(probe.pid)
                probe.send()
                try probe.awaitHold(timeout: lab.timeout)
                try outside.move(probe.pid)
            }
            let run = try lab.runCgroup
            let atRoot = try held.probe.report(0), inChild = try held.probe.report(1), besideRoot = try held.probe.report(2)
            return StepOutcome(
                observations: [held.observation(words.newNamespace, command: "cat /proc/self/cgroup (at its root, in child, in outside)",
                                                output: [atRoot, inChild, besideRoot].map { .verbatim($0.cgroupPath(in: run) ?? "?") })],
                checks: [
                    .equal(say.atItsRoot, expected: "/", actual: atRoot.cgroupPath(in: run)),
                    .equal(say.movedIntoChild, expected: "/child", actual: inChild.cgroupPath(in: run)),
                    .equal(say.movedBesideItsRoot, expected: "/../outside", actual: besideRoot.cgroupPath(in: run)),
                ])
        },

        Step("not-hidden", say.notHidden,
             shell: "mkdir /sys/fs/cgroup/nslab-demo; echo 3 > /sys/fs/cgroup/nslab-demo/cgroup.max.descendants; "
                + "sh -c 'echo $$ > /sys/fs/cgroup/nslab-demo/cgroup.procs; exec unshare --cgroup "
                + "cat /proc/self/cgroup /sys/fs/cgroup/nslab-demo/cgroup.max.descendants'; rmdir /sys/fs/cgroup/nslab-demo",
             syscalls: ["write(\"…/root/cgroup.max.descendants\", \"3\")", "unshare(CLONE_NEWCGROUP)",
                        "open(\"…/root/cgroup.max.descendants\")"]) { lab in
            let root = try lab.makeCgroup(rootPath)
            _ = try lab.makeCgroup(outsidePath)
            let run = try lab.runCgroup
            let limitFile = run.version == 2 ? "cgroup.max.descendants" : "pids.max"
            try root.write(limitFile, "3")
            let experiment = run.below(experimentPath)
            let new = try lab.probe(ProcessSpec.new([.cgroup]).inCgroup(root),
                                    [.report([.ns, .cgroup]), .list(path: experiment.path), .read(path: "\(root.path)/\(limitFile)")])
            let inside = try new.report
            let listed = cgroups(try? new.probe.result(ListResult.self))
            let limit = (try? new.probe.result(ReadResult.self))?.text?.trimmingNewline
            return StepOutcome(
                observations: [new.observation(words.newNamespace, command: "cat /proc/self/cgroup; ls …; cat …/root/\(limitFile)",
                                               output: lines(inside) + [say.listed(experiment.path, Message.list(listed ?? [])),
                                                                        say.limitReads(limitFile, limit ?? "?")])],
                checks: [
                    .equal(say.pathInside, expected: "/", actual: inside.cgroupPath(in: run)),
                    .contains(say.theTreeStillShown, "outside", in: listed) { $0 },
                    .equal(say.theLimitInside(limitFile), expected: "3", actual: limit),
                ])
        },

        Step("mount-root", say.mountRoot,
             shell: "mkdir -p /sys/fs/cgroup/nslab-demo/child; sh -c 'echo $$ > /sys/fs/cgroup/nslab-demo/cgroup.procs; "
                + "exec unshare --cgroup --mount sh -c \"umount -l /sys/fs/cgroup; mount -t cgroup2 none /sys/fs/cgroup; ls -d /sys/fs/cgroup/child; "
                + "cat /sys/fs/cgroup/cgroup.procs\"'; rmdir /sys/fs/cgroup/nslab-demo/child /sys/fs/cgroup/nslab-demo",
             syscalls: ["unshare(CLONE_NEWCGROUP|CLONE_NEWNS)", "mount(\"none\", \"/mnt/cgroup\", \"cgroup2\", 0, NULL)"]) { lab in
            let root = try lab.makeCgroup(rootPath)
            _ = try lab.makeCgroup(rootPath + "/child")
            _ = try lab.makeCgroup(outsidePath)
            let run = try lab.runCgroup
            // On the workbench: over the hierarchy's own mount, the same filesystem would be
            // refused (EBUSY), and in a user namespace that mount is locked to its parent's.
            let mountPoint = "\(Workbench.path)/\(mountedHere)"
            let mount = Operation.mount(source: "none", target: mountPoint, fstype: run.version == 2 ? "cgroup2" : "cgroup",
                                        data: run.version == 2 ? nil : "pids")
            let new = try lab.probe(ProcessSpec.new([.cgroup, .mnt], [.makeRootPrivate, mount]).inCgroup(root),
                                    [.report([.ns]), .list(path: mountPoint), .read(path: "\(mountPoint)/cgroup.procs")])
            let inside = try new.report
            let listed = cgroups(try? new.probe.result(ListResult.self))
            let members = (try? new.probe.result(ReadResult.self))?.text.map { $0.split(separator: "\n").map(String.init) }
            return StepOutcome(
                observations: [new.observation(words.newNamespace, command: "ls \(mountPoint); cat \(mountPoint)/cgroup.procs",
                                               output: [say.listed(mountPoint, Message.list(listed ?? [])),
                                                        say.members(Message.list(members ?? []))])],
                checks: [
                    .differ(say.aNewCgroupNamespace, old: Sandbox.ownInode(.cgroup), new: inside.inode(.cgroup)),
                    .contains(say.theRootsChildShown, "child", in: listed) { $0 },
                    .notContains(say.nothingBesideItsRoot, "outside", in: listed) { $0 },
                    .equal(say.itsRootHoldsItself, expected: ["\(inside.pid)"], actual: members),
                ])
        },
    ])

/// Where mount-root mounts the hierarchy again, on the workbench.
private let mountedHere = "cgroup"

/// The steps' cgroups, below the run's.
private let experimentPath = "cgroup-namespace"
private let rootPath = "\(experimentPath)/root"
private let outsidePath = "\(experimentPath)/outside"


/// The distinct paths of every hierarchy in a report's /proc/self/cgroup.
private func paths(_ report: ProbeReport) -> [String]? {
    report.cgroup.map { text in
        Array(Set(text.split(separator: "\n").compactMap { line in
            line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).dropFirst(2).first.map(String.init)
        })).sorted()
    }
}

/// The cgroups a listing of a cgroup directory shows: its entries but the files, whose names
/// have a dot (cgroup.procs, pids.max) but v1's few.
private func cgroups(_ listing: ListResult?) -> [String]? {
    listing.map { $0.entries.filter { !$0.contains(".") && !["tasks", "notify_on_release", "release_agent"].contains($0) }.sorted() }
}

/// A report's /proc/self/cgroup, line by line.
private func lines(_ report: ProbeReport) -> [Message] {
    (report.cgroup ?? "").split(separator: "\n").map { .verbatim(String($0)) }
}

// MARK: - Graded exercise

struct CgroupExerciseValues: ExerciseValues {}

let cgroupExercise = Exercise(
    id: "cgroup-namespace", task: say.task, choose: { _ in CgroupExerciseValues() }
) { paused, _ in
    // The grader's own probe, in the cgroups the program started in, joins the program's
    // cgroup namespace: its paths read / when those cgroups are the namespace's root.
    let inside = try paused.look(joining: [.cgroup], [.report([.cgroup])]).report()
    return [
        paused.newNamespace(.cgroup),
        .equal(say.itsCgroupsInside, expected: ["/"], actual: paths(inside)),
    ]
}

// MARK: - What the chapter says

final class CgroupText: MessageTable {
    let title = Message("Cgroup namespace: /proc/self/cgroup relative to the namespace's root", zh: "cgroup 命名空间：/proc/self/cgroup 相对于命名空间的根")

    let pathHidden = Message("/proc/self/cgroup in a new cgroup namespace", zh: "新 cgroup 命名空间里的 /proc/self/cgroup")
    let aNewCgroupNamespace = Message("cgroup namespace inode of the new process", zh: "新进程的 cgroup 命名空间 inode 号")
    let pathOutside = Message("its cgroup outside: the full path", zh: "外面看到它的 cgroup：完整路径")
    let pathInside = Message("its cgroup inside: the namespace's root", zh: "里面看到它的 cgroup：命名空间的根")
    let everyHierarchyInside = Message("the paths of every hierarchy inside", zh: "里面每个层级的路径")

    let rootFixed = Message("The root is fixed when the namespace is made", zh: "命名空间创建时，它的根就固定了")
    let atItsRoot = Message("at its root", zh: "在它的根")
    let movedIntoChild = Message("moved into root/child from outside", zh: "从外面移入 root/child 之后")
    let movedBesideItsRoot = Message("moved into outside, beside its root", zh: "移入根旁边的 outside 之后")

    let notHidden = Message("What the namespace does not hide", zh: "命名空间不隐藏的东西")
    let listed = Template("{0}: {1}", zh: "{0}：{1}")
    let limitReads = Template("{0}: {1}", zh: "{0}：{1}")
    let theTreeStillShown = Message("the old mount still shows the tree above its root", zh: "旧的挂载仍然显示它的根之上的树")
    let theLimitInside = Template("{0} of its cgroup, read inside", zh: "在里面读到的它的 cgroup 的 {0}")

    let mountRoot = Message("Mounting cgroup2 inside shows the namespace's root", zh: "在里面挂载 cgroup2，看到的是命名空间的根")
    let members = Template("cgroup.procs: {0}", zh: "cgroup.procs：{0}")
    let theRootsChildShown = Message("the new mount shows its root's child cgroup", zh: "新的挂载显示它的根下的子 cgroup")
    let nothingBesideItsRoot = Message("and nothing beside its root", zh: "而不显示它的根旁边的任何 cgroup")
    let itsRootHoldsItself = Message("cgroup.procs at the top of the new mount", zh: "新挂载顶层的 cgroup.procs")

    let task = Message("run the command in a new cgroup namespace: the cgroups it starts in are the namespace's root, so /proc/self/cgroup reads / in every hierarchy", zh: "在一个新的 cgroup 命名空间里运行命令：它开始时所在的 cgroup 就是命名空间的根，因此 /proc/self/cgroup 在每个层级中都读到 /")
    let itsCgroupsInside = Message("its cgroups, read in its cgroup namespace", zh: "在它的 cgroup 命名空间里读到的它的 cgroup")
}
