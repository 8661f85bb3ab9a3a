import Glibc

/// clone-vs-unshare (clone(2), unshare(2), namespaces(7)). Two ways into new namespaces:
/// unshare(2) moves the caller itself, clone(2) makes a child in them and leaves the caller
/// where it was; a program that must set up its child before the command runs (Go's, that
/// cannot fork safely) re-executes itself through /proc/self/exe in the new namespaces.
let cloneVsUnshareChapter = Chapter(cloneVsUnshare, exercises: [], messages: say)
private let say = CloneVsUnshareText()

public let cloneVsUnshare = Experiment(
    id: "clone-vs-unshare",
    title: say.title,
    namespaces: [.uts],
    minimumKernel: "3.8",  // /proc/PID/ns links for every kind
    needsCommands: ["unshare", "readlink"],
    demoHostNamespaces: [.uts],
    namespaceBudget: [.uts: 5],  // the sandbox's, the demo host's, one new one a step
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

    let reexec = Message("Re-executing through /proc/self/exe", zh: "通过 /proc/self/exe 重新执行自己")
    let beforeAndAfterTheReexec = Message("new namespace, before and after exec /proc/self/exe", zh: "新命名空间，exec /proc/self/exe 前后")
    let thePidAfterTheReexec = Message("its pid after the re-exec, the same", zh: "重新执行之后它的 pid 不变")
    let theUTSNamespaceAfterTheReexec = Message("its UTS namespace after the re-exec, the same", zh: "重新执行之后它的 UTS 命名空间不变")
}
