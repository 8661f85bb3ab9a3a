import Glibc

/// clone-vs-unshare (clone(2), unshare(2), namespaces(7)). Two ways into new namespaces:
/// unshare(2) moves the caller itself, clone(2) makes a child in them and leaves the caller
/// where it was; a program that must set up its child before the command runs (Go's, that
/// cannot fork safely) re-executes itself through /proc/self/exe in the new namespaces.
let cloneVsUnshareChapter = Chapter(cloneVsUnshare, exercises: [cloneExercise], messages: say)
private let say = CloneVsUnshareText()

public let cloneVsUnshare = Experiment(
    id: "clone-vs-unshare",
    title: say.title,
    namespaces: [.uts],
    minimumKernel: "3.8",  // /proc/PID/ns links for every kind
    needsCommands: ["unshare", "readlink"],
    demoHostNamespaces: [.uts],
    namespaceBudget: [.uts: 5],  // the sandbox's, the demo host's, one new one a step
    footprint: Footprint(names: [insideHostname]),
    usesCgroups: true,  // clone-into-cgroup's
    shellTries: ["readlink /proc/self/ns/uts", "unshare --uts readlink /proc/self/ns/uts"],
    steps: [
        Step("unshare-moves-caller", say.unshareMovesCaller,
             shell: "sh -c 'readlink /proc/$$/ns/uts; exec unshare --uts sh -c \"readlink /proc/\\$\\$/ns/uts\"'",
             syscalls: ["unshare(CLONE_NEWUTS)"]) { lab in
            let probe = try lab.probe(.oldSide, [.report([.ns, .process]), .unshare([.uts]), .report([.ns, .process])])
            let before = try probe.probe.report(0), after = try probe.probe.report(1)
            return StepOutcome(
                observations: [probe.observation(say.oneProcess, command: "readlink /proc/self/ns/uts; unshare(CLONE_NEWUTS); readlink …",
                                                 output: [say.beforeAndAfter(before.link(.uts), after.link(.uts)), say.itsPid(before.pid, after.pid)])],
                checks: [
                    .differ(say.itsOwnUTSNamespace, old: before.inode(.uts), new: after.inode(.uts)),
                    .equal(say.theSameProcess, expected: before.pid, actual: after.pid),
                ])
        },

        Step("clone-makes-child", say.cloneMakesChild,
             shell: "unshare --uts --fork sh -c 'readlink /proc/$PPID/ns/uts /proc/$$/ns/uts'",
             syscalls: ["clone(CLONE_NEWUTS|SIGCHLD)"]) { lab in
            let probe = try lab.probe(.oldSide, [.report([.ns, .process]), .clone([.uts]), .report([.ns])])
            let before = try probe.probe.report(0), child = try probe.probe.report(1), after = try probe.probe.report(2)
            return StepOutcome(
                observations: [probe.observation(say.parentAndChild, command: "clone(CLONE_NEWUTS|SIGCHLD)",
                                                 output: [say.parentIn(before.link(.uts), after.link(.uts)),
                                                          say.childIn(child.link(.uts), child.pid, child.ppid ?? 0)])],
                checks: [
                    .equal(say.theParentStays, expected: before.inode(.uts), actual: after.inode(.uts)),
                    .differ(say.theChildsUTSNamespace, old: before.inode(.uts), new: child.inode(.uts)),
                    .equal(say.theChildsParent, expected: before.pid, actual: child.ppid),
                ])
        },

        Step("clone-into-cgroup", say.cloneIntoCgroup,
             shell: "mkdir /sys/fs/cgroup/nslab-demo; sh -c 'echo $$ > /sys/fs/cgroup/nslab-demo/cgroup.procs; "
                + "exec cat /proc/self/cgroup'; rmdir /sys/fs/cgroup/nslab-demo",
             syscalls: ["open(\"…/born-here\", O_DIRECTORY)", "clone3({.flags = CLONE_INTO_CGROUP, .cgroup = fd})"]) { lab in
            let run = try lab.runCgroup
            let cgroup = try lab.makeCgroup("clone-vs-unshare/born-here")
            let probe = try lab.probe(.oldSide, [.report([.cgroup, .process]), .cloneInto(path: cgroup.path), .report([.cgroup])])
            // Its own report, the child's (when it was born), then its own again.
            let before = try probe.probe.report(0), after = try probe.probe.results(ProbeReport.self).last ?? before
            let born = try? probe.probe.result(ForkResult.self)
            let child = born?.errno == 0 ? try? probe.probe.report(1) : nil
            let path = { (report: ProbeReport?) in report?.cgroupPath(in: run) }
            let parentStays = Check.equal(say.theParentsCgroup, expected: path(before), actual: path(after))
            return StepOutcome(
                observations: [probe.observation(say.parentAndChild, command: "cat /proc/self/cgroup",
                                                 output: [say.parentIn(path(before) ?? "?", path(after) ?? "?"),
                                                          say.bornIn(child.flatMap(path) ?? born.map { Message.verbatim($0.error) } ?? "?")])],
                // CLONE_INTO_CGROUP takes a cgroup v2 directory: on v1's it is EBADF.
                checks: run.version == 2
                    ? [.equal(say.theChildsCgroup, expected: cgroup.hierarchyPath, actual: child.flatMap(path)), parentStays]
                    : [.fails(say.intoAV1Cgroup, with: "EBADF", born), parentStays])
        },

        .hostnameSetTooLate("hostname-after-clone", say.hostnameAfterClone,
                            shell: .verbatim("unshare --uts sh -c 'unshare --uts sleep 9 & sleep 1; hostname container; hostname; nsenter --uts --target $! hostname; kill $!'")),

        Step("reexec", say.reexec,
             shell: "unshare --uts sh -c 'echo $$; readlink /proc/self/ns/uts; exec /proc/self/exe -c \"echo \\$\\$; readlink /proc/self/ns/uts\"'",
             syscalls: ["clone(CLONE_NEWUTS)", "execve(\"/proc/self/exe\")"]) { lab in
            // The probe in new namespaces reports, then execs its own binary again, which
            // reports from the start: the same process, the same namespaces, a fresh program.
            let probe = try lab.probe(.new([.uts]), [.report([.ns, .process])], thenRead: ["/proc/self/exe", "report=ns,process"])
            let first = try probe.probe.report(0), again = try probe.probe.report(1)
            return StepOutcome(
                observations: [probe.observation(say.beforeAndAfterTheReexec, command: "exec /proc/self/exe …",
                                                 output: [say.itsPid(first.pid, again.pid), say.beforeAndAfter(first.link(.uts), again.link(.uts))])],
                checks: [
                    .equal(say.thePidAfterTheReexec, expected: first.pid, actual: again.pid),
                    .equal(say.theUTSNamespaceAfterTheReexec, expected: first.inode(.uts), actual: again.inode(.uts)),
                ])
        },
    ])

// MARK: - Graded exercise

/// The hostname the command's new UTS namespace must have, different in every run.
struct CloneExerciseValues: ExerciseValues {
    let hostname: String
    var placeholders: [(name: String, value: String)] { [("hostname", hostname)] }
}

let cloneExercise = Exercise(
    id: "clone-vs-unshare", task: say.task,
    choose: { random in CloneExerciseValues(hostname: "child-" + random.word(6)) }
) { paused, values in
    let seen = try paused.look(joining: [.uts], [.report([.hostname])]).report()
    // Its parent, from the grader's own /proc: the student's program, which must have stayed.
    let parent = paused.probe.status("PPid").first.flatMap { pid_t($0) }.flatMap(ProcessView.init(pid:))?.inode(.uts)
    let sandbox = paused.sandbox.inode(.uts)
    let parentIn: Message = parent == nil ? words.nothing
        : parent == sandbox ? say.theSandboxs : parent == paused.probe.inode(.uts) ? say.theCommands : say.anotherOne
    return [
        paused.newNamespace(.uts),
        .equal(say.hostnameTheCommandSees, expected: values.hostname, actual: seen.hostname),
        .that(say.itsParentStayed, parent != nil && parent == sandbox, expected: say.theSandboxs, actual: parentIn),
    ]
}

// MARK: - What the chapter says

final class CloneVsUnshareText: MessageTable {
    let title = Message("clone vs unshare: a child in new namespaces, or the caller moved", zh: "clone 与 unshare：新命名空间里的子进程，还是移动调用者自己")

    let unshareMovesCaller = Message("unshare(2) moves the caller", zh: "unshare(2) 移动的是调用者")
    let oneProcess = Message("one process, before and after unshare(2)", zh: "同一个进程，unshare(2) 前后")
    let beforeAndAfter = Template("before: {0}; after: {1}", zh: "之前：{0}；之后：{1}")
    let itsPid = Template("pid before: {0}; after: {1}", zh: "之前的 pid：{0}；之后：{1}")
    let itsOwnUTSNamespace = Message("its own UTS namespace, after unshare", zh: "unshare 之后它自己的 UTS 命名空间")
    let theSameProcess = Message("the same process (its pid)", zh: "同一个进程（它的 pid）")

    let cloneMakesChild = Message("clone(2) makes a child in the new namespaces", zh: "clone(2) 在新命名空间里创建子进程")
    let parentAndChild = Message("the parent, and the child clone(2) made", zh: "父进程，以及 clone(2) 创建的子进程")
    let parentIn = Template("parent before: {0}; after: {1}", zh: "父进程之前：{0}；之后：{1}")
    let childIn = Template("child: {0}, pid {1}, parent {2}", zh: "子进程：{0}，pid {1}，父进程 {2}")
    let theParentStays = Message("the parent's UTS namespace, unchanged", zh: "父进程的 UTS 命名空间没有变化")
    let theChildsUTSNamespace = Message("the child's UTS namespace, a new one", zh: "子进程的 UTS 命名空间是新的")
    let theChildsParent = Message("the child's parent, the caller", zh: "子进程的父进程就是调用者")

    let cloneIntoCgroup = Message("clone3(2) with CLONE_INTO_CGROUP: born in a cgroup", zh: "带 CLONE_INTO_CGROUP 的 clone3(2)：一出生就在某个 cgroup 里")
    let bornIn = Template("child born in: {0}", zh: "子进程出生在：{0}")
    let theChildsCgroup = Message("the child's cgroup, the one given to clone3", zh: "子进程的 cgroup，就是交给 clone3 的那个")
    let intoAV1Cgroup = Message("CLONE_INTO_CGROUP with a cgroup v1 directory", zh: "对 cgroup v1 目录使用 CLONE_INTO_CGROUP")
    let theParentsCgroup = Message("the parent's cgroup, unchanged", zh: "父进程的 cgroup 没有变化")

    let hostnameAfterClone = Message("The pitfall: a hostname set in the parent after clone(2)", zh: "陷阱：clone(2) 之后在父进程里设置主机名")

    let reexec = Message("Re-executing through /proc/self/exe", zh: "通过 /proc/self/exe 重新执行自己")
    let beforeAndAfterTheReexec = Message("new namespace, before and after exec /proc/self/exe", zh: "新命名空间，exec /proc/self/exe 前后")
    let thePidAfterTheReexec = Message("its pid after the re-exec, the same", zh: "重新执行之后它的 pid 不变")
    let task = Message("start the command as a child in a new UTS namespace whose hostname is {hostname}, your program staying in the sandbox's UTS namespace (clone(2), not unshare(2)), and wait for it", zh: "把命令作为子进程启动在一个新的 UTS 命名空间里，其主机名为 {hostname}；你的程序自己留在沙箱的 UTS 命名空间里（用 clone(2)，而不是 unshare(2)），并等待它结束")
    let hostnameTheCommandSees = Message("hostname the command sees", zh: "命令看到的主机名")
    let theSandboxs = Message("the sandbox's", zh: "沙箱的")
    let theCommands = Message("the command's own: your program moved itself (unshare) before it started the command", zh: "命令自己的那个：你的程序在启动命令之前先移动了自己（unshare）")
    let anotherOne = Message("another one, neither the sandbox's nor the command's", zh: "另一个，既不是沙箱的，也不是命令的")
    let itsParentStayed = Message("the command's parent (your program) in the sandbox's UTS namespace", zh: "命令的父进程（你的程序）在沙箱的 UTS 命名空间里")
    let theUTSNamespaceAfterTheReexec = Message("its UTS namespace after the re-exec, the same", zh: "重新执行之后它的 UTS 命名空间不变")
}
