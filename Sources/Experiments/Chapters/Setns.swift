import Glibc

/// setns (setns(2), nsenter(1), pidfd_open(2)). A process joins the namespaces of another
/// through its /proc/PID/ns files, or all at once through a pidfd; joining needs
/// CAP_SYS_ADMIN over the namespace and in one's own user namespace, which is why a user
/// namespace is joined first; a PID join moves only the children to come.
let setnsChapter = Chapter(setnsExperiment, exercises: [setnsExercise], messages: say)
private let say = SetnsText()

public let setnsExperiment = Experiment(
    id: "setns",
    title: say.title,
    namespaces: [.uts, .ipc, .pid, .user],
    minimumKernel: "5.8",  // setns(2) with a pidfd
    needsCommands: ["nsenter", "hostname"],
    demoHostNamespaces: [.uts],
    // Each step's holder: new UTS, IPC and PID namespaces; a user namespace for user-first.
    namespaceBudget: [.uts: 3, .ipc: 2, .pid: 2, .user: 2],
    needsRealRoot: say.needsRealRoot,
    shellTries: ["readlink /proc/1/ns/uts", "nsenter --target 1 --uts hostname"],
    steps: [
        Step("join-by-path", say.joinByPath,
             shell: "unshare --uts sh -c 'hostname \(heldName); exec sleep 9' & sleep 1; nsenter --target $! --uts hostname; kill $!",
             syscalls: ["open(\"/proc/PID/ns/uts\")", "setns(fd, CLONE_NEWUTS)"]) { lab in
            let (holder, joiner) = try lab.probe(holding, [.report([.hostname, .ns]), .hold()]) { held in
                try lab.probe(.oldSide, [.report([.hostname, .ns]), .setns(path: "/proc/\(held.pid)/ns/uts", kind: .uts),
                                         .report([.hostname, .ns])])
            }
            let target = try holder.report, before = try joiner.probe.report(0), after = try joiner.probe.report(1)
            let joined = try? joiner.probe.result(SetnsResult.self)
            return StepOutcome(
                observations: [
                    holder.observation(say.theHolder, command: "hostname", output: [.verbatim(target.hostname ?? "?")]),
                    joiner.observation(say.theJoiner, command: "nsenter --target \(holder.pid) --uts hostname",
                                       output: [say.beforeAfter(before.hostname ?? "?", joined?.outcome ?? words.nothing, after.hostname ?? "?")]),
                ],
                checks: [
                    .succeeds(say.setnsThroughTheFile, joined),
                    .equal(say.itsUTSNamespaceAfter, expected: target.inode(.uts), actual: after.inode(.uts)),
                    .equal(say.theHostnameItSees, expected: heldName, actual: after.hostname),
                    .equal(say.itsOtherNamespaces, expected: before.inode(.ipc), actual: after.inode(.ipc)),
                ])
        },

        Step("join-by-pidfd", say.joinByPidfd,
             shell: "unshare --uts --ipc sleep 9 & sleep 1; nsenter --target $! --uts --ipc sh -c 'readlink /proc/self/ns/uts /proc/self/ns/ipc'; kill $!",
             syscalls: ["pidfd_open(PID, 0)", "setns(pidfd, CLONE_NEWUTS|CLONE_NEWIPC)"]) { lab in
            let (holder, joiner) = try lab.probe(.new([.uts, .ipc], [.sethostname(heldName)]), [.report([.ns]), .hold()]) { held in
                try lab.probe(.oldSide, [.setnsPidfd(pid: Int(held.pid), kinds: [.uts, .ipc]), .report([.ns])])
            }
            let target = try holder.report, after = try joiner.report
            let joined = try? joiner.probe.result(SetnsPidfdResult.self)
            return StepOutcome(
                observations: [
                    holder.observation(say.theHolder),
                    joiner.observation(say.theJoiner, command: "setns(pidfd, CLONE_NEWUTS|CLONE_NEWIPC)",
                                       output: [say.gave(joined?.outcome ?? words.nothing), .verbatim(after.link(.uts)), .verbatim(after.link(.ipc))]),
                ],
                checks: [
                    .succeeds(say.setnsThroughAPidfd, joined),
                    .equal(say.itsUTSNamespaceAfter, expected: target.inode(.uts), actual: after.inode(.uts)),
                    .equal(say.itsIPCNamespaceAfter, expected: target.inode(.ipc), actual: after.inode(.ipc)),
                ])
        },

        Step("wrong-type", say.wrongType,
             shell: "unshare --uts sleep 9 & sleep 1; nsenter --ipc=/proc/$!/ns/uts true || echo refused; kill $!",
             syscalls: ["open(\"/proc/PID/ns/uts\")", "setns(fd, CLONE_NEWIPC)"]) { lab in
            let (_, joiner) = try lab.probe(holding, [.report([.ns]), .hold()]) { held in
                try lab.probe(.oldSide, [.setns(path: "/proc/\(held.pid)/ns/uts", kind: .ipc), .report([.ns])])
            }
            let refused = try? joiner.probe.result(SetnsResult.self)
            return StepOutcome(
                observations: [joiner.observation(say.theJoiner, command: "setns(fd of …/ns/uts, CLONE_NEWIPC)",
                                                  output: [say.gave(refused?.outcome ?? words.nothing)])],
                checks: [.fails(say.aUTSFileAsIPC, with: "EINVAL", refused)])
        },

        Step("pid-children-only", say.pidChildrenOnly,
             shell: "unshare --pid --fork sleep 9 & sleep 1; nsenter --target $(pgrep -P $! sleep) --pid sh -c 'echo $$'; kill $!",
             syscalls: ["setns(fd of /proc/PID/ns/pid, CLONE_NEWPID)", "fork()"]) { lab in
            let (holder, joiner) = try lab.probe(.new([.pid]), [.report([.ns]), .hold()]) { held in
                try lab.probe(.oldSide, [.report([.ns]), .setns(path: "/proc/\(held.pid)/ns/pid", kind: .pid), .report([.ns]),
                                         .fork(report: [.ns, .process])])
            }
            let target = try holder.report
            let before = try joiner.probe.report(0), after = try joiner.probe.report(1), child = try joiner.probe.report(2)
            return StepOutcome(
                observations: [
                    joiner.observation(say.theJoiner, command: "readlink /proc/self/ns/pid /proc/self/ns/pid_for_children",
                                       output: [.verbatim(after.link(.pid)), say.forChildren(after.pidForChildren.map(String.init) ?? "?"),
                                                say.itsChild(child.link(.pid), child.pid)]),
                ],
                checks: [
                    .equal(say.itsOwnPIDNamespace, expected: before.inode(.pid), actual: after.inode(.pid)),
                    .equal(say.pidForChildrenAfter, expected: target.inode(.pid), actual: after.pidForChildren),
                    .equal(say.itsChildsPIDNamespace, expected: target.inode(.pid), actual: child.inode(.pid)),
                    // pid 1 is the holder: the child is the namespace's second process or later.
                    Check(say.itsChildsPid, expected: say.notOne, actual: .verbatim("\(child.pid)"), passed: child.pid > 1),
                ])
        },

        Step("user-first", say.userFirst,
             shell: "setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user --map-root-user --uts sleep 9 & sleep 1; setpriv --reuid=65534 --regid=65534 --clear-groups nsenter --target $! --preserve-credentials --user --uts hostname; kill $!",
             syscalls: ["setns(uts)", "setns(user)", "setns(uts)"]) { lab in
            // Nobody makes a user namespace (it owns it) and a UTS namespace in it; then
            // nobody, outside, joins: the UTS namespace first, then the user one, then again.
            let asNobody = ProcessSpec.oldSide.with(operations: [.clearGroups, .setresgid(nobody), .setresuid(nobody)])
            let (holder, joiner) = try lab.probe(asNobody, [.unshare([.user, .uts]), .mapRoot, .report([.ns]), .hold()]) { held in
                try lab.probe(asNobody, [.setns(path: "/proc/\(held.pid)/ns/uts", kind: .uts), .setns(path: "/proc/\(held.pid)/ns/user", kind: .user),
                                         .setns(path: "/proc/\(held.pid)/ns/uts", kind: .uts), .report([.ns])])
            }
            let target = try holder.report, after = try joiner.report
            let joins = try joiner.probe.results(SetnsResult.self)
            let join = { (index: Int) in joins.indices.contains(index) ? joins[index] : nil }
            let outcome = { (index: Int) in join(index)?.outcome ?? words.nothing }
            return StepOutcome(
                observations: [
                    joiner.observation(say.nobodyJoining, command: "nsenter --uts; nsenter --user; nsenter --uts",
                                       output: [say.utsFirst(outcome(0)), say.thenUser(outcome(1)), say.thenUTS(outcome(2))]),
                ],
                checks: [
                    .fails(say.utsBeforeTheUserNamespace, with: "EPERM", join(0)),
                    .succeeds(say.theUserNamespace, join(1)),
                    .succeeds(say.theUTSNamespaceThen, join(2)),
                    .equal(say.itsUTSNamespaceAfter, expected: target.inode(.uts), actual: after.inode(.uts)),
                    .equal(say.itsUserNamespaceAfter, expected: target.inode(.user), actual: after.inode(.user)),
                ])
        },
    ])

/// The hostname of each step's holder.
private let heldName = "held"
private let holding = ProcessSpec.new([.uts], [.sethostname(heldName)])
private let nobody: UInt32 = 65534

// MARK: - Graded exercise

/// The process whose namespaces the student's program must join: the sandbox's init forks it
/// first, so in the sandbox's PID namespace, where the program runs, it is pid 2.
struct SetnsExerciseValues: ExerciseValues {
    var placeholders: [(name: String, value: String)] { [("pid", "\(holderPid)")] }
}

private let holderPid = 2

let setnsExercise = Exercise(
    id: "setns", task: say.task,
    choose: { _ in SetnsExerciseValues() },
    sandboxSetup: { _ in [.holder([.uts, .ipc])] }
) { paused, _ in
    let holder = try paused.sandbox.setupResult(HolderResult.self)
    // Not where the placeholder said: the grader, not the student, would be wrong.
    guard holder.child == holderPid else { throw LabError(say.holderElsewhere(holder.child, holderPid)) }
    // Said in words, never by inode: the same seed gives the same report.
    return [Namespace.uts, .ipc].map { kind in
        let seen = paused.probe.inode(kind)
        let which = seen == nil ? words.nothing : seen == holder.ns[kind.rawValue] ? say.process2s
            : seen == paused.sandbox.inode(kind) ? say.theSandboxs : say.anotherOne
        return .equal(say.theHoldersNamespace(kind.rawValue), expected: say.process2s, actual: which)
    }
}

// MARK: - What the chapter says

final class SetnsText: MessageTable {
    let title = Message("setns: joining the namespaces of a running process", zh: "setns：加入一个正在运行的进程的命名空间")
    let needsRealRoot = Message("a step runs as nobody (uid 65534), an id other than your own", zh: "有一步要以 nobody（uid 65534）身份运行，这不是你自己的 id")

    let joinByPath = Message("Joining through /proc/PID/ns", zh: "通过 /proc/PID/ns 加入")
    let theHolder = Message("the process that holds them", zh: "持有命名空间的进程")
    let theJoiner = Message("the process that joins", zh: "加入的进程")
    let beforeAfter = Template("hostname before: {0}; setns: {1}; after: {2}", zh: "之前的主机名：{0}；setns：{1}；之后：{2}")
    let setnsThroughTheFile = Message("setns through /proc/PID/ns/uts", zh: "通过 /proc/PID/ns/uts 调用 setns")
    let itsUTSNamespaceAfter = Message("its UTS namespace afterwards, the holder's", zh: "之后它的 UTS 命名空间，即持有者的")
    let theHostnameItSees = Message("the hostname it sees", zh: "它看到的主机名")
    let itsOtherNamespaces = Message("its IPC namespace, not joined, unchanged", zh: "它的 IPC 命名空间没有加入，没有变化")

    let joinByPidfd = Message("Joining several at once through a pidfd", zh: "通过 pidfd 一次加入多个")
    let gave = Template("setns: {0}", zh: "setns：{0}")
    let setnsThroughAPidfd = Message("setns(pidfd, CLONE_NEWUTS|CLONE_NEWIPC)", zh: "通过 pidfd 调用 setns(CLONE_NEWUTS|CLONE_NEWIPC)")
    let itsIPCNamespaceAfter = Message("its IPC namespace afterwards, the holder's", zh: "之后它的 IPC 命名空间，即持有者的")

    let wrongType = Message("A file of another kind: EINVAL", zh: "另一种类型的文件：EINVAL")
    let aUTSFileAsIPC = Message("a UTS namespace file joined as CLONE_NEWIPC", zh: "把 UTS 命名空间文件当作 CLONE_NEWIPC 加入")

    let pidChildrenOnly = Message("A PID join moves only the children", zh: "加入 PID 命名空间只移动子进程")
    let forChildren = Template("pid_for_children: pid:[{0}]", zh: "pid_for_children：pid:[{0}]")
    let itsChild = Template("its child: {0}, pid {1} in it", zh: "它的子进程：{0}，在其中的 pid 为 {1}")
    let itsOwnPIDNamespace = Message("the joiner's own PID namespace, unchanged", zh: "加入者自己的 PID 命名空间没有变化")
    let pidForChildrenAfter = Message("its pid_for_children afterwards, the holder's", zh: "之后它的 pid_for_children，即持有者的")
    let itsChildsPIDNamespace = Message("the PID namespace of a child it forks then", zh: "它随后 fork 的子进程的 PID 命名空间")
    let itsChildsPid = Message("the child's pid in it", zh: "子进程在其中的 pid")
    let notOne = Message("above 1 (pid 1 is the holder)", zh: "大于 1（1 号进程是持有者）")

    let userFirst = Message("Join the user namespace first", zh: "先加入用户命名空间")
    let nobodyJoining = Message("nobody, joining nobody's namespaces", zh: "nobody 加入 nobody 的命名空间")
    let utsFirst = Template("the UTS namespace first: {0}", zh: "先加入 UTS 命名空间：{0}")
    let thenUser = Template("then the user namespace: {0}", zh: "再加入用户命名空间：{0}")
    let thenUTS = Template("then the UTS namespace: {0}", zh: "然后加入 UTS 命名空间：{0}")
    let utsBeforeTheUserNamespace = Message("the UTS namespace, before the user namespace that owns it", zh: "在拥有它的用户命名空间之前加入 UTS 命名空间")
    let theUserNamespace = Message("the user namespace, whose owner nobody is", zh: "用户命名空间，其所有者是 nobody")
    let theUTSNamespaceThen = Message("the UTS namespace, from inside it", zh: "在用户命名空间里再加入 UTS 命名空间")
    let itsUserNamespaceAfter = Message("its user namespace afterwards, the holder's", zh: "之后它的用户命名空间，即持有者的")

    let task = Message("run the command in the UTS and IPC namespaces of process {pid}, which the grader started in the sandbox", zh: "在进程 {pid} 的 UTS 和 IPC 命名空间里运行命令，该进程是评分器在沙箱里启动的")
    let theHoldersNamespace = Template("{0} namespace of the command", zh: "命令所在的 {0} 命名空间")
    let process2s = Message("process 2's", zh: "2 号进程的")
    let theSandboxs = Message("the sandbox's", zh: "沙箱的")
    let anotherOne = Message("another one", zh: "另一个")
    let holderElsewhere = Template("the process to join is pid {0} in the sandbox, not {1}", zh: "要加入的进程在沙箱里是 pid {0}，而不是 {1}")
}
