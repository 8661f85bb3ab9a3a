import Glibc

/// pid-namespace (pid_namespaces(7)). A new PID namespace numbers its processes from 1; its
/// pid 1 adopts orphans, shrugs off signals it has no handler for, and takes the whole
/// namespace with it when it dies. The old side runs in the runner's own PID namespace.
let pidChapter = Chapter(pidNamespace, exercises: [pidExercise], messages: say)
private let say = PIDText()

public let pidNamespace = Experiment(
    id: "pid-namespace",
    title: say.title,
    namespaces: [.pid, .mnt],
    minimumKernel: "4.12",  // /proc/PID/ns/pid_for_children
    needsCommands: ["sh", "grep", "ps", "nsenter"],
    demoHostNamespaces: [],
    // Two mount namespaces at once: the sandbox's and a fresh /proc's. PID: every one the run
    // makes (the sandbox's and nine), since the kernel gives a dead PID namespace's count back
    // only after an RCU grace period (delayed_free_pidns), so any of them may still count.
    namespaceBudget: [.mnt: 2, .pid: 42],  // pid-one nests up to 32 more, one inside the other
    shellTries: ["echo $$", "ps -e -o pid,ppid,cmd", "readlink /proc/self/ns/pid"],
    steps: [
        Step("pid-one", say.pidOne,
             shell: "unshare --pid --fork sh -c 'echo $$; exec grep NSpid /proc/self/status'",
             syscalls: ["clone(CLONE_NEWPID)", "write(/proc/sys/kernel/ns_last_pid, \"\(lastPidSet)\")",
                        "unshare(CLONE_NEWPID) + fork() ×32"]) { lab in
            let show = ["sh", "-c", "echo \"\\$\\$ = $$\"; exec grep NSpid /proc/self/status"]
            let sides = try lab.probe([.oldSide, .new([.pid])], [.report([.process, .ns])], then: show)
            let old = sides[0], new = sides[1]
            let oldReport = try old.report, newReport = try new.report
            // Its pid 1 sets the namespace's last pid: the next fork gets the one after it.
            let lastPid = try lab.probe(.new([.pid], [.write("\(lastPidSet)", to: "/proc/sys/kernel/ns_last_pid")]),
                                        [.fork(report: [])])
            let forked = try? lastPid.probe.result(ForkResult.self)
            // As deep as the kernel lets PID namespaces nest, from here.
            let nesting = try lab.probe(.oldSide, [.report([.process]), .nestPID])
            let nested = try? nesting.probe.result(NestResult.self)
            return StepOutcome(
                observations: [old.observation(words.oldNamespace), new.observation(words.newNamespace),
                               Observation(say.lastPidLabel, command: "echo \(lastPidSet) > /proc/sys/kernel/ns_last_pid; sh -c 'echo $$'",
                                           output: [say.forkedAs(forked.map { "\($0.child)" } ?? "?")]),
                               Observation(say.nestingLabel, command: "unshare --pid --fork … (again and again)",
                                           output: [say.nestedLevels(nested.map { "\($0.made)" } ?? "?", nested?.outcome ?? words.nothing)])],
                checks: [
                    .differ(words.newNamespaceInode("pid"), old: oldReport.inode(.pid), new: newReport.inode(.pid)),
                    .equal(say.getpidInside, expected: 1, actual: newReport.pid),
                    .equal(say.nspidOutsideThenInside, expected: "\(new.pid) 1",
                           actual: newReport.nspid?.map(String.init).joined(separator: " ")),
                    .equal(say.getpidOfTheOldProcess, expected: Int(old.pid), actual: oldReport.pid),
                    .equal(say.nextForkAfterLastPid, expected: lastPidSet + 1, actual: forked?.child),
                    // The levels above this one (the runner's sandbox, any around it) are out
                    // of sight from here: what is left of the 32 is at most 32, at least 1.
                    Check(say.levelsMade, expected: say.upTo(maximumNesting), actual: nested.map { .verbatim("\($0.made)") } ?? words.nothing,
                          passed: nested.map { (1...maximumNesting).contains($0.made) } ?? false),
                    .fails(say.oneLevelDeeper, with: "ENOSPC", nested),
                ])
        },

        Step("proc-remount", say.procRemount,
             shell: "unshare --pid --fork ps -e; unshare --pid --fork --mount-proc ps -e -o pid,ppid,cmd",
             syscalls: ["clone(CLONE_NEWPID)", "unshare(CLONE_NEWNS)", "mount(NULL, /, NULL, MS_REC|MS_PRIVATE)",
                        "mount(proc, /proc, proc, MS_NOSUID|MS_NODEV|MS_NOEXEC)"]) { lab in
            let hostMounts = HostState.read(.mounts).mounts
            let ps = ["ps", "-e", "-o", "pid,ppid,cmd"]
            // One after the other: run together, each ps would list the other, half-started.
            let hostProc = try lab.probe([.new([.pid])], [.report([.pids, .ns])], then: ps)[0]
            let freshProc = try lab.probe([freshPIDNamespace], [.report([.pids, .ns])], then: ps)[0]
            let hostView = try hostProc.report, freshView = try freshProc.report
            return StepOutcome(
                observations: [
                    hostProc.observation(say.hostsProcLabel, command: hostProc.command,
                                         output: abbreviated(hostProc.output, to: 6)),
                    freshProc.observation(say.freshProcLabel),
                ],
                checks: [
                    .contains(say.runnersProcessesStillShow, Int(getpid()),
                              in: hostView.pids, describe: { "pid \($0)" }),
                    .equal(say.pidsWithFreshProc, expected: [1], actual: freshView.pids),
                    .unchanged(say.hostsMounts, before: hostMounts, after: HostState.read(.mounts).mounts),
                ])
        },

        Step("orphans", say.orphans,
             shell: "unshare --pid --fork --mount-proc sh -c '(sleep 3 &); sleep 1; ps -o pid,ppid,cmd'",
             syscalls: ["fork()", "exit()", "prctl(PR_SET_PDEATHSIG)", "getppid()"]) { lab in
            let sides = try lab.probe([.oldSide, .new([.pid])], [.report([.ns]), .orphan])
            let old = try sides[0].probe.result(OrphanResult.self), new = try sides[1].probe.result(OrphanResult.self)
            // The old side's orphan was adopted by the runner, a child subreaper: reap it.
            if old.parentAfter == Int(getpid()) {
                try reap(pid_t(old.orphan), timeout: lab.timeout, command: "orphan \(old.orphan)")
            }
            return StepOutcome(
                observations: [
                    sides[0].observation(words.oldNamespace, command: "nsprobe orphan", output: describeOrphan(old)),
                    sides[1].observation(words.newNamespace, command: "nsprobe orphan", output: describeOrphan(new)),
                ],
                checks: [
                    .equal(say.newParentInside, expected: 1, actual: new.parentAfter),
                    .equal(say.pid1ReapedIt, expected: true, actual: new.reapedByMe),
                    .equal(say.newParentOutside, expected: Int(getpid()), actual: old.parentAfter),
                ])
        },

        Step("kill-from-inside", say.killFromInside,
             shell: "unshare --pid --fork --mount-proc sh -c 'sh -c \"kill -9 1; kill -TERM 1\"; echo alive'",
             syscalls: ["kill(1, SIGTERM)", "kill(1, SIGKILL)"]) { lab in
            // The report says pid 1 was still there to print it; what it shows is not read.
            let new = try lab.probe(freshPIDNamespace, [.killInit(signal: SIGTERM), .killInit(signal: SIGKILL),
                                                        .report([.process, .ns])])
            let kills = try new.probe.results(KillInitResult.self)
            let lines = kills.map { kill in
                say.childOfPid1Killed(signalName(kill.signal), kill.failed ? kill.error : "0",
                                      kill.initAliveAfter == true ? say.stillAlive : words.gone)
            }
            return StepOutcome(
                observations: [new.observation(words.newNamespace, command: new.command,
                                               output: lines + [say.pid1ThenExited(new.termination.message)])],
                checks: [
                    .equal(say.signalsSentToPid1, expected: "SIGTERM SIGKILL",
                           actual: kills.map { signalName($0.signal) }.joined(separator: " ")),
                ] + kills.map { kill in
                    .equal(say.killSucceeded(signalName(kill.signal)), expected: say.sentInit(say.sent, words.alive),
                           actual: say.sentInit(kill.sent ? say.sent : kill.failed ? Message.verbatim(kill.error) : say.notSent,
                                                kill.initAliveAfter.map { $0 ? words.alive : words.dead } ?? say.notLookedAt))
                } + [
                    .equal(say.initEndedOnItsOwn, expected: Termination.exited(0).message, actual: new.termination.message),
                    .equal(say.initReportedAfterBoth, expected: "kill-init, kill-init, report",
                           actual: new.probe.events.map(\.event).joined(separator: ", ")),
                ])
        },

        Step("kill-from-parent", say.killFromParent,
             shell: "unshare --pid --fork sh -c 'sleep 60 & sleep 60 & exec sleep 60' & sleep 1; kill -9 $(pgrep -P $!); wait; ps -o pid,ppid,cmd",
             syscalls: ["kill(init, SIGKILL)", "waitpid(init)"]) { lab in
            let initProcess = try lab.startProbe(freshPIDNamespace, [.spawn(count: 3), .report([.ns, .pids]), .hold()])
            let inside = ProbeOutput(lines: initProcess.lines)
            let namespace = try inside.report().inode(.pid) ?? 0
            let before = try ProcessTable.members(of: .pid, inode: namespace)
            kill(initProcess.pid, SIGKILL)
            let ended = try initProcess.wait(timeout: lab.timeout)
            let after = try ProcessTable.members(of: .pid, inode: namespace)
            return StepOutcome(
                observations: [
                    Observation(say.insideBefore, command: "nsprobe spawn=3 report",
                                output: [say.pids(Check.listing(try inside.report().pids, { $0 }))],
                                namespaces: inside.ownReport?.ns.map { ProcessNamespaces(pid: Int(initProcess.pid), report: $0) }),
                    Observation(say.runnersView, command: "kill -9 \(initProcess.pid)",
                                output: [say.before(before.map(String.init).joined(separator: " ")),
                                         say.initLine(ended.message),
                                         say.after(after.isEmpty ? say.noProcessLeft
                                                   : Message.verbatim(after.map(String.init).joined(separator: " ")))]),
                ],
                checks: [
                    .equal(say.processesBefore, expected: 4, actual: before.count),
                    .equal(say.initEnded, expected: Termination.signaled(SIGKILL).message, actual: ended.message),
                    .equal(say.processesAfterInitDied, expected: 0, actual: after.count),
                ])
        },

        Step("setns", say.joining,
             shell: "unshare --pid --fork sleep 2 & sleep 1; nsenter --pid --target $(pgrep -P $!) sh -c 'echo $$ $PPID'",
             syscalls: ["setns(fd, CLONE_NEWPID)", "fork()", "getppid()"]) { lab in
            let (target, (joiner, nsenter)) = try lab.probe(freshPIDNamespace, [.report([.ns]), .hold()]) { target in
                (try lab.probe(.oldSide, [.report([.ns]), .setns(path: "/proc/\(target.pid)/ns/pid"), .report([.ns]),
                                          .fork(report: [.process, .ns])]),
                 try lab.run(.oldSide, ["nsenter", "--pid", "--target", "\(target.pid)",
                                         "sh", "-c", "echo \"\\$\\$ = $$, \\$PPID = $PPID\""]))
            }
            let targetNamespace = try target.report.inode(.pid)
            let nsFile = "/proc/\(target.pid)/ns/pid"
            let before = try joiner.probe.report(0), after = try joiner.probe.report(1), child = try joiner.probe.report(2)
            // "$$ = 3, $PPID = 0" → (3, 0)
            let numbers = (nsenter.output.first ?? "").split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            let nsenterShell = (pid: numbers.first, ppid: numbers.dropFirst().first)
            return StepOutcome(
                observations: [
                    joiner.observation(say.callerOfSetns, command: "nsprobe setns=\(nsFile) fork", output: [
                        say.pidNamespaceBefore(before.link(.pid), orUnknown(before.pidForChildren)),
                        say.pidNamespaceAfter(after.link(.pid), orUnknown(after.pidForChildren)),
                        say.itsChild(child.pid, orUnknown(child.ppid), child.link(.pid)),
                    ]),
                    nsenter.observation(say.nsenterLabel),
                ],
                checks: [
                    .equal(say.callersOwnNamespace, expected: before.inode(.pid), actual: after.inode(.pid)),
                    .equal(say.callersPidForChildren, expected: targetNamespace, actual: after.pidForChildren),
                    .equal(say.namespaceOfItsChild, expected: targetNamespace, actual: child.inode(.pid)),
                    .equal(say.getppidInThatChild, expected: 0, actual: child.ppid),
                    .that(say.nsentersShell, nsenterShell.pid != 1 && nsenterShell.ppid == 0,
                          expected: .verbatim("$$ ≠ 1, $PPID = 0"), actual: nsenter.output.first.map(Message.verbatim) ?? words.nothing),
                ])
        },

        Step("dead-namespace", say.deadNamespace,
             shell: "unshare --pid --fork sleep 60 & sleep 1; i=$(pgrep -P $!); exec 3</proc/$i/ns/pid; kill -9 $i; wait; nsenter --pid=/proc/self/fd/3 true; exec 3<&-",
             syscalls: ["setns(fd, CLONE_NEWPID)", "kill(init, SIGKILL)", "fork() = ENOMEM"]) { lab in
            let initProcess = try lab.startProbe(.new([.pid]), [.report([.ns]), .hold()])
            let target = try ProbeOutput(lines: initProcess.lines).report().inode(.pid)
            let (joined, ended) = try lab.probe(.oldSide, [.fork(report: [.ns]), .setns(path: "/proc/\(initProcess.pid)/ns/pid"),
                                                           .report([.ns]), .hold(), .fork(report: [.ns])]) { _ in
                kill(initProcess.pid, SIGKILL)
                return try initProcess.wait(timeout: lab.timeout)
            }
            let setns = try joined.probe.result(SetnsResult.self)
            // What the kernel shows the caller after the call, not what the call returned (the
            // first fork's child reports too).
            let forChildren = try joined.probe.reports.first { $0.pid == setns.pid }?.pidForChildren
            let forks = try joined.probe.results(ForkResult.self)
            let forkBefore = forks.first, fork = forks.count > 1 ? forks[1] : nil
            return StepOutcome(
                observations: [joined.observation(say.callerOfSetns, command: joined.command, output: [
                    say.forkInOwnNamespaceLine(describeFork(forkBefore)),
                    say.setnsLine("/proc/\(initProcess.pid)/ns/pid", setns.failed ? setns.error : "0", orUnknown(forChildren)),
                    say.initPidLine(Int(initProcess.pid), ended.message),
                    say.forkIntoDeadNamespaceLine(describeFork(fork)),
                ])],
                checks: [
                    .succeeds(say.forkInOwnNamespace, forkBefore),
                    .equal(say.pidForChildrenAfterSetns, expected: target, actual: forChildren),
                    .equal(say.initEnded, expected: Termination.signaled(SIGKILL).message, actual: ended.message),
                    .fails(say.forkAfterInitDied, with: "ENOMEM", fork),
                ])
        },

        Step("zombies", say.zombies,
             shell: "unshare --pid --fork --mount-proc sh -c 'sh -c \"/bin/true & exec sleep 2\" & sleep 1; ps -o pid,ppid,stat,cmd'",
             syscalls: ["fork()", "waitid(WEXITED|WNOWAIT)", "waitpid()"]) { lab in
            let new = try lab.probe(freshPIDNamespace, [.report([.ns]), .zombie])
            let zombie = try new.probe.result(ZombieResult.self)
            let left = lab.unreaped
            let gone = zombie.stateAfterReaping == "-"
            return StepOutcome(
                observations: [new.observation(words.newNamespace, command: new.command, output: [
                    say.childExited(zombie.child, zombie.stateBeforeReaping),
                    gone ? say.goneFromProc : say.stateAfterWaitpid(zombie.stateAfterReaping),
                ])],
                checks: [
                    .equal(say.stateOfUnreapedChild, expected: "Z", actual: zombie.stateBeforeReaping),
                    .equal(say.afterWaitpid, expected: words.gone, actual: gone ? words.gone : Message.verbatim(zombie.stateAfterReaping)),
                    .isEmpty(say.everyProcessReaped, left) {
                        "\($0.pid) \(ProcessTable.state($0.pid).map(String.init) ?? "?")"
                    },
                ])
        },
    ])

/// New PID and mount namespaces, the mounts made private, then a /proc of the new namespace.
private let freshPIDNamespace = ProcessSpec.new([.pid, .mnt], [.makeRootPrivate, .mountFreshProc])

/// What pid-one writes to its namespace's ns_last_pid: its next child is 100.
private let lastPidSet = 99
/// How deep PID namespaces nest, the initial one being level 0 (pid_namespaces(7)).
private let maximumNesting = 32

/// "orphan 4: its parent 3 exited", "new parent: 1, which reaped it".
private func describeOrphan(_ result: OrphanResult) -> [Message] {
    guard !result.failed else { return [say.orphanFailed(result.error)] }
    return [say.orphan(result.orphan, result.parentBefore),
            result.reapedByMe ? say.newParentWhichReaped(result.parentAfter) : say.newParent(result.parentAfter)]
}

/// "pid 7", the errno's name when fork failed, or "?" when there was no fork.
private func describeFork(_ result: ForkResult?) -> String {
    guard let result else { return "?" }
    return result.failed ? result.error : "pid \(result.child)"
}

/// A number the probe reported, or "?" when it reported none.
private func orUnknown<Number: BinaryInteger>(_ value: Number?) -> String { value.map { String($0) } ?? "?" }

// MARK: - Graded exercise

/// The PID exercise chooses nothing: its run line has only the probe.
struct PIDExerciseValues: ExerciseValues {}

let pidExercise = Exercise(
    id: "pid-namespace", task: say.task,
    choose: { _ in PIDExerciseValues() }
) { paused, _ in
    let probe = paused.probe
    let ownPid = probe.nspid.last
    let procMount = probe.mounts?.topmost(at: "/proc")
    let listed = procMount?.fstype == "proc" ? probe.list("/proc")?.compactMap { Int($0) }.sorted() : nil
    var checks: [Check] = [
        paused.newNamespace(.pid),
        .equal(say.commandsPid, expected: 1, actual: ownPid)
            .diagnosed(ownPid == 1 ? nil : say.pid1IsNotTheCommand(paused.initName() ?? "?")),
        .equal(say.pidsItsProcLists, expected: [1], actual: listed)
            .diagnosed(procMount?.fstype != "proc" ? say.noProcOnProc
                       // /proc is the sandbox's when it lists the probe by its pid one namespace up.
                       : (listed ?? []).contains(probe.nspid.dropLast().last ?? -1) ? say.procShowsTheSandbox : nil),
    ]
    if paused.isNew(.pid) {
        // From inside the command's PID namespace, as `nsenter --pid` would: an orphan, and kill -9 1.
        let seen = try paused.look(joining: [.pid], [.orphan, .killInit(signal: SIGKILL)])
        let orphan = try seen.result(OrphanResult.self), kill = try seen.result(KillInitResult.self)
        checks += [
            .equal(say.orphansNewParent, expected: 1, actual: orphan.parentAfter),
            .equal(say.initAfterKill, expected: words.alive,
                   actual: kill.initAliveAfter == true && probe.isAlive ? words.alive : words.dead),
        ]
    } else {
        checks += [Check(say.orphansNewParent, expected: .verbatim("1"), actual: notTried(.pid), passed: false),
                   Check(say.initAfterKill, expected: words.alive, actual: notTried(.pid), passed: false)]
    }
    return checks
}

// MARK: - What the chapter says

final class PIDText: MessageTable {
    let title = Message("PID namespace: pid 1, /proc, orphans, kill -9 and joining", zh: "PID 命名空间：1 号进程、/proc、孤儿进程、kill -9 与加入")

    let pidOne = Message("You are pid 1", zh: "你是 1 号进程")
    let getpidInside = Message("getpid() inside", zh: "新命名空间里的 getpid()")
    let nspidOutsideThenInside = Message("NSpid: its pid outside, then inside", zh: "NSpid 字段，先是它在外面的 pid，再是里面的")
    let getpidOfTheOldProcess = Message("getpid() of the old process is its pid in the runner's namespace", zh: "旧进程的 getpid()，即它在 runner 所在命名空间里的 pid")
    let lastPidLabel = Message("new namespace, its last pid set to 99", zh: "新命名空间，它的 last pid 设为 99")
    let forkedAs = Template("the next fork: pid {0}", zh: "下一次 fork：pid {0}")
    let nestingLabel = Message("PID namespaces, one inside the other", zh: "一个套一个的 PID 命名空间")
    let nestedLevels = Template("{0} levels below this one; the next: {1}", zh: "在这一层之下嵌套了 {0} 层；再下一层：{1}")
    let nextForkAfterLastPid = Message("the pid of the next fork after writing 99 to ns_last_pid", zh: "把 99 写入 ns_last_pid 后，下一次 fork 的 pid")
    let levelsMade = Message("PID namespaces nested below this one", zh: "在这一层之下嵌套的 PID 命名空间")
    let upTo = Template("1 to {0}: 32 levels below the initial namespace, minus this one's own depth", zh: "1 到 {0}：初始命名空间之下共 32 层，减去这一层自身的深度")
    let oneLevelDeeper = Message("one level deeper", zh: "再深一层")

    let procRemount = Message("/proc must be mounted again", zh: "/proc 必须重新挂载")
    let hostsProcLabel = Message("new PID namespace, host's /proc", zh: "新 PID 命名空间，宿主机的 /proc")
    let freshProcLabel = Message("new PID and mount namespaces, fresh /proc", zh: "新 PID 与挂载命名空间，新挂载的 /proc")
    let runnersProcessesStillShow = Message("with the host's /proc, the runner's processes still show", zh: "用宿主机的 /proc，仍能看到 runner 的进程")
    let pidsWithFreshProc = Message("with a fresh /proc, the pids listed", zh: "用新挂载的 /proc，列出的 pid")
    let hostsMounts = Message("the host's mounts did not change", zh: "宿主机的挂载")

    let orphans = Message("Orphans are adopted by the namespace's init", zh: "孤儿进程由命名空间的 init 收养")
    let orphan = Template("orphan {0}: its parent {1} exited", zh: "孤儿进程 {0}：它的父进程 {1} 已退出")
    let newParent = Template("new parent: {0}", zh: "新父进程：{0}")
    let newParentWhichReaped = Template("new parent: {0}, which reaped it", zh: "新父进程：{0}，孤儿进程由它回收")
    let orphanFailed = Template("orphan: {0}", zh: "孤儿进程：{0}")
    let newParentInside = Message("new parent of the orphan inside", zh: "新命名空间里孤儿进程的新父进程")
    let pid1ReapedIt = Message("pid 1 reaped it", zh: "1 号进程回收了它")
    let newParentOutside = Message("new parent of the orphan outside: the runner", zh: "旧命名空间里孤儿进程的新父进程（runner）")

    let killFromInside = Message("`kill -9 1` from inside does nothing", zh: "在里面执行 `kill -9 1` 毫无作用")
    let childOfPid1Killed = Template("a child of pid 1: kill(1, {0}) = {1}; pid 1 {2}", zh: "1 号进程的一个子进程：kill(1, {0}) = {1}；1 号进程{2}")
    let stillAlive = Message("still alive", zh: "依然存活")
    let pid1ThenExited = Template("pid 1 then reported and exited: {0}", zh: "1 号进程随后报告并退出：{0}")
    let signalsSentToPid1 = Message("signals sent to pid 1 from inside", zh: "从里面发给 1 号进程的信号")
    let killSucceeded = Template("kill(1, {0}) succeeded and init lived on", zh: "kill(1, {0}) 成功，init 依然存活")
    let sentInit = Template("{0}, init {1}", zh: "{0}，init {1}")
    let sent = Message("sent", zh: "已发送")
    let notSent = Message("not sent", zh: "未发送")
    let notLookedAt = Message("not looked at", zh: "未查看")
    let initEndedOnItsOwn = Message("init ended on its own", zh: "init 自行结束")
    let initReportedAfterBoth = Message("init reported after both signals", zh: "init 在两个信号之后仍然报告")

    let killFromParent = Message("SIGKILL from the parent namespace ends the whole namespace", zh: "从父命名空间发出的 SIGKILL 会结束整个命名空间")
    let insideBefore = Message("inside, before", zh: "里面，之前")
    let runnersView = Message("the runner's view", zh: "runner 看到的")
    let pids = Template("pids: {0}", zh: "pid：{0}")
    let before = Template("before: {0}", zh: "之前：{0}")
    let initLine = Template("init: {0}", zh: "init：{0}")
    let after = Template("after: {0}", zh: "之后：{0}")
    let noProcessLeft = Message("no process left", zh: "没有剩下任何进程")
    let processesBefore = Message("processes in the namespace before", zh: "杀死 init 之前，命名空间里的进程数")
    let initEnded = Message("init", zh: "init 如何结束")
    let processesAfterInitDied = Message("processes in the namespace after init died", zh: "init 死后命名空间里的进程数")

    let joining = Message("Joining with setns(2): only your children move", zh: "用 setns(2) 加入：只有你的子进程会移动")
    let callerOfSetns = Message("the caller of setns", zh: "setns 的调用者")
    let nsenterLabel = Message("nsenter", zh: "nsenter 进入后")
    let pidNamespaceBefore = Template("pid ns before: {0}, pid_for_children: pid:[{1}]", zh: "之前的 pid 命名空间：{0}，pid_for_children：pid:[{1}]")
    let pidNamespaceAfter = Template("pid ns after:  {0}, pid_for_children: pid:[{1}]", zh: "之后的 pid 命名空间：{0}，pid_for_children：pid:[{1}]")
    let itsChild = Template("its child: pid {0}, ppid {1}, {2}", zh: "它的子进程：pid {0}，ppid {1}，{2}")
    let callersOwnNamespace = Message("the caller's own pid namespace after setns", zh: "setns 之后调用者自己的 PID 命名空间")
    let callersPidForChildren = Message("the caller's pid_for_children after setns", zh: "setns 之后调用者的 pid_for_children")
    let namespaceOfItsChild = Message("the pid namespace of the child it forked", zh: "它用 fork() 创建的子进程的 PID 命名空间")
    let getppidInThatChild = Message("getppid() in that child (its parent is outside)", zh: "该子进程里的 getppid()（它的父进程在外面）")
    let nsentersShell = Message("nsenter's shell: not pid 1, and its parent is outside", zh: "nsenter 启动的 shell 不是 1 号进程，父进程在外面")

    let deadNamespace = Message("No forking into a dead namespace", zh: "不能再 fork 进已经死亡的命名空间")
    let forkInOwnNamespaceLine = Template("fork() in its own namespace: {0}", zh: "在自己的命名空间里 fork()：{0}")
    let setnsLine = Template("setns({0}): {1}, pid_for_children: pid:[{2}]", zh: "setns({0})：{1}，pid_for_children：pid:[{2}]")
    let initPidLine = Template("init {0}: {1}", zh: "init {0}：{1}")
    let forkIntoDeadNamespaceLine = Template("fork() into the dead namespace: {0}", zh: "fork() 进入已死亡的命名空间：{0}")
    let forkInOwnNamespace = Message("fork() in its own namespace", zh: "在自己的命名空间里 fork()")
    let pidForChildrenAfterSetns = Message("pid_for_children after setns into the live namespace", zh: "setns 进入存活的命名空间之后的 pid_for_children")
    let forkAfterInitDied = Message("fork() after init died", zh: "init 死后 fork()")

    let zombies = Message("Zombies: someone must call wait(2)", zh: "僵尸进程：总得有人调用 wait(2)")
    let childExited = Template("child {0} exited; before waitpid: state {1}", zh: "子进程 {0} 已退出；waitpid 之前：状态 {1}")
    let goneFromProc = Message("after waitpid: gone from /proc", zh: "waitpid 之后：已从 /proc 消失")
    let stateAfterWaitpid = Template("after waitpid: state {0}", zh: "waitpid 之后：状态 {0}")
    let stateOfUnreapedChild = Message("state of the exited, unreaped child", zh: "已退出、未被回收的子进程的状态")
    let afterWaitpid = Message("after waitpid", zh: "waitpid 之后")
    let everyProcessReaped = Message("every process the experiment started has been reaped", zh: "实验启动而尚未回收的进程")

    let task = Message("run the command as PID 1 of a new PID namespace, in a new mount namespace with a fresh /proc mounted", zh: "把命令作为一个新 PID 命名空间的 1 号进程运行，并让它处在一个挂载了新 /proc 的新挂载命名空间里")
    let commandsPid = Message("the command's pid", zh: "命令的 pid")
    let pid1IsNotTheCommand = Template("pid 1 in the namespace is `{0}`, not the command: exec it", zh: "命名空间里的 1 号进程是 `{0}`，而不是命令本身：请 exec 这条命令")
    let pidsItsProcLists = Message("the pids its /proc lists", zh: "它的 /proc 列出的 pid")
    let noProcOnProc = Message("no proc is mounted on /proc: mount a fresh one in the new mount namespace", zh: "/proc 上没有挂载 proc：请在新的挂载命名空间里挂载一个新的 proc")
    let procShowsTheSandbox = Message("/proc shows the sandbox's processes: mount a fresh proc in a new mount namespace", zh: "/proc 显示的是沙箱的进程：请在一个新的挂载命名空间里挂载新的 proc")
    let orphansNewParent = Message("new parent of an orphan made in its PID namespace", zh: "在它的 PID 命名空间里制造的孤儿进程的新父进程")
    let initAfterKill = Message("after kill -9 1 from inside, init", zh: "从里面执行 kill -9 1 之后的 init")
}
