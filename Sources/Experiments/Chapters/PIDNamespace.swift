import Glibc

/// pid-namespace: seeds 000, 001, 002 and 004. A new PID namespace numbers its processes from
/// 1; its pid 1 adopts orphans, shrugs off signals it has no handler for, and takes the whole
/// namespace with it when it dies. The old side runs in the runner's own PID namespace.
public let pidNamespace = Experiment(
    id: "pid-namespace",
    title: "PID namespace: pid 1, /proc, orphans, kill -9 and joining",
    namespaces: [.pid, .mnt],
    minimumKernel: "4.12",  // /proc/PID/ns/pid_for_children
    needsCommands: ["sh", "grep", "ps", "nsenter"],
    demoHostNamespaces: [],
    // Two mount namespaces at once: the sandbox's and a fresh /proc's. PID: every one the run
    // makes (the sandbox's and nine), since the kernel gives a dead PID namespace's count back
    // only after an RCU grace period (delayed_free_pidns), so any of them may still count.
    namespaceBudget: [.mnt: 2, .pid: 10],
    shellTries: ["echo $$", "ps -e -o pid,ppid,cmd", "readlink /proc/self/ns/pid"],
    steps: [
        Step("pid-one", "You are pid 1",
             shell: "unshare --pid --fork sh -c 'echo $$; exec grep NSpid /proc/self/status'",
             syscalls: ["clone(CLONE_NEWPID)"]) { lab in
            let show = ["sh", "-c", "echo \"\\$\\$ = $$\"; exec grep NSpid /proc/self/status"]
            let sides = try lab.probe([.oldSide, .new([.pid])], [.report([.process, .ns])], then: show)
            let old = sides[0], new = sides[1]
            let oldReport = try old.report, newReport = try new.report
            return StepOutcome(
                observations: [old.observation("old namespace"), new.observation("new namespace")],
                checks: [
                    .differ("pid namespace inode of the new process", old: oldReport.inode(.pid), new: newReport.inode(.pid)),
                    .equal("getpid() inside", expected: 1, actual: newReport.pid),
                    .equal("NSpid: its pid outside, then inside", expected: "\(new.pid) 1",
                           actual: newReport.nspid?.map(String.init).joined(separator: " ")),
                    .equal("getpid() of the old process is its pid in the runner's namespace",
                           expected: Int(old.pid), actual: oldReport.pid),
                ])
        },

        Step("proc-remount", "/proc must be mounted again",
             shell: "unshare --pid --fork ps -e; unshare --pid --fork --mount-proc ps -e -o pid,ppid,cmd",
             syscalls: ["clone(CLONE_NEWPID)", "unshare(CLONE_NEWNS)", "mount(NULL, /, NULL, MS_REC|MS_PRIVATE)",
                        "mount(proc, /proc, proc, MS_NOSUID|MS_NODEV|MS_NOEXEC)"]) { lab in
            let hostMounts = HostState.read().mounts
            let ps = ["ps", "-e", "-o", "pid,ppid,cmd"]
            let sides = try lab.probe([.new([.pid]), freshPIDNamespace], [.report([.pids, .ns])], then: ps)
            let hostProc = sides[0], freshProc = sides[1]
            let hostView = try hostProc.report, freshView = try freshProc.report
            return StepOutcome(
                observations: [
                    hostProc.observation("new PID namespace, host's /proc", command: hostProc.command,
                                         output: abbreviated(hostProc.output, to: 6)),
                    freshProc.observation("new PID and mount namespaces, fresh /proc"),
                ],
                checks: [
                    .contains("with the host's /proc, the runner's processes still show", Int(getpid()),
                              in: hostView.pids, describe: { "pid \($0)" }),
                    .equal("with a fresh /proc, the pids listed", expected: [1], actual: freshView.pids),
                    .unchanged("the host's mounts did not change", before: hostMounts, after: HostState.read().mounts),
                ])
        },

        Step("orphans", "Orphans are adopted by the namespace's init",
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
                    sides[0].observation("old namespace", command: "nsprobe orphan", output: describeOrphan(old)),
                    sides[1].observation("new namespace", command: "nsprobe orphan", output: describeOrphan(new)),
                ],
                checks: [
                    .equal("new parent of the orphan inside", expected: 1, actual: new.parentAfter),
                    .equal("pid 1 reaped it", expected: true, actual: new.reapedByMe),
                    .equal("new parent of the orphan outside: the runner",
                           expected: Int(getpid()), actual: old.parentAfter),
                ])
        },

        Step("kill-from-inside", "`kill -9 1` from inside does nothing",
             shell: "unshare --pid --fork --mount-proc sh -c 'sh -c \"kill -9 1; kill -TERM 1\"; echo alive'",
             syscalls: ["kill(1, SIGTERM)", "kill(1, SIGKILL)"]) { lab in
            // The report says pid 1 was still there to print it; what it shows is not read.
            let new = try lab.probe(freshPIDNamespace, [.killInit(signal: SIGTERM), .killInit(signal: SIGKILL),
                                                        .report([.process, .ns])])
            let kills = try new.probe.results(KillInitResult.self)
            let lines = kills.map { "a child of pid 1: kill(1, \(signalName($0.signal))) = "
                + "\($0.failed ? $0.error : "0"); pid 1 \($0.initAliveAfter == true ? "still alive" : "gone")" }
            return StepOutcome(
                observations: [new.observation("new namespace", command: new.command,
                                               output: lines + ["pid 1 then reported and exited: \(new.termination)"])],
                checks: [
                    .equal("signals sent to pid 1 from inside", expected: "SIGTERM SIGKILL",
                           actual: kills.map { signalName($0.signal) }.joined(separator: " ")),
                ] + kills.map { kill in
                    .equal("kill(1, \(signalName(kill.signal))) succeeded and init lived on", expected: "sent, init alive",
                           actual: "\(kill.sent ? "sent" : kill.failed ? kill.error : "not sent"), "
                            + "init \(kill.initAliveAfter.map { $0 ? "alive" : "dead" } ?? "not looked at")")
                } + [
                    .equal("init ended on its own", expected: Termination.exited(0), actual: new.termination),
                    .equal("init reported after both signals", expected: "kill-init, kill-init, report",
                           actual: new.probe.events.map(\.event).joined(separator: ", ")),
                ])
        },

        Step("kill-from-parent", "SIGKILL from the parent namespace ends the whole namespace",
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
                    Observation("inside, before", command: "nsprobe spawn=3 report",
                                output: ["pids: " + Check.listing(try inside.report().pids, String.init)],
                                namespaces: inside.ownReport?.ns.map { ProcessNamespaces(pid: Int(initProcess.pid), report: $0) }),
                    Observation("the runner's view", command: "kill -9 \(initProcess.pid)",
                                output: ["before: \(before.map(String.init).joined(separator: " "))",
                                         "init: \(ended)",
                                         "after: \(after.isEmpty ? "no process left" : after.map(String.init).joined(separator: " "))"]),
                ],
                checks: [
                    .equal("processes in the namespace before", expected: 4, actual: before.count),
                    .equal("init", expected: Termination.signaled(SIGKILL), actual: ended),
                    .equal("processes in the namespace after init died", expected: 0, actual: after.count),
                ])
        },

        Step("setns", "Joining with setns(2): only your children move",
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
                    joiner.observation("the caller of setns", command: "nsprobe setns=\(nsFile) fork", output: [
                        "pid ns before: \(before.link(.pid)), pid_for_children: pid:[\(before.pidForChildren.map(String.init) ?? "?")]",
                        "pid ns after:  \(after.link(.pid)), pid_for_children: pid:[\(after.pidForChildren.map(String.init) ?? "?")]",
                        "its child: pid \(child.pid), ppid \(child.ppid.map(String.init) ?? "?"), \(child.link(.pid))",
                    ]),
                    nsenter.observation("nsenter"),
                ],
                checks: [
                    .equal("the caller's own pid namespace after setns", expected: before.inode(.pid), actual: after.inode(.pid)),
                    .equal("the caller's pid_for_children after setns", expected: targetNamespace, actual: after.pidForChildren),
                    .equal("the pid namespace of the child it forked", expected: targetNamespace, actual: child.inode(.pid)),
                    .equal("getppid() in that child (its parent is outside)", expected: 0, actual: child.ppid),
                    .that("nsenter's shell: not pid 1, and its parent is outside", nsenterShell.pid != 1 && nsenterShell.ppid == 0,
                          expected: "$$ ≠ 1, $PPID = 0", actual: nsenter.output.first ?? "(nothing)"),
                ])
        },

        Step("dead-namespace", "No forking into a dead namespace",
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
                observations: [joined.observation("the caller of setns", command: joined.command, output: [
                    "fork() in its own namespace: \(forkBefore.map(describeFork) ?? "?")",
                    "setns(/proc/\(initProcess.pid)/ns/pid): \(setns.failed ? setns.error : "0"), "
                        + "pid_for_children: pid:[\(forChildren.map(String.init) ?? "?")]",
                    "init \(initProcess.pid): \(ended)",
                    "fork() into the dead namespace: \(fork.map(describeFork) ?? "?")",
                ])],
                checks: [
                    .errno("fork() in its own namespace", expected: "success", actual: forkBefore),
                    .equal("pid_for_children after setns into the live namespace", expected: target, actual: forChildren),
                    .equal("init", expected: Termination.signaled(SIGKILL), actual: ended),
                    .errno("fork() after init died", expected: "ENOMEM", actual: fork),
                ])
        },

        Step("zombies", "Zombies: someone must call wait(2)",
             shell: "unshare --pid --fork --mount-proc sh -c 'sh -c \"/bin/true & exec sleep 2\" & sleep 1; ps -o pid,ppid,stat,cmd'",
             syscalls: ["fork()", "waitid(WEXITED|WNOWAIT)", "waitpid()"]) { lab in
            let new = try lab.probe(freshPIDNamespace, [.report([.ns]), .zombie])
            let zombie = try new.probe.result(ZombieResult.self)
            let left = lab.unreaped
            return StepOutcome(
                observations: [new.observation("new namespace", command: new.command, output: [
                    "child \(zombie.child) exited; before waitpid: state \(zombie.stateBeforeReaping)",
                    "after waitpid: \(zombie.stateAfterReaping == "-" ? "gone from /proc" : "state \(zombie.stateAfterReaping)")",
                ])],
                checks: [
                    .equal("state of the exited, unreaped child", expected: "Z", actual: zombie.stateBeforeReaping),
                    .equal("after waitpid", expected: "gone", actual: zombie.stateAfterReaping == "-" ? "gone" : zombie.stateAfterReaping),
                    .isEmpty("every process the experiment started has been reaped", left) {
                        "\($0.pid) \(ProcessTable.state($0.pid).map(String.init) ?? "?")"
                    },
                ])
        },
    ])

/// New PID and mount namespaces, the mounts made private, then a /proc of the new namespace.
private let freshPIDNamespace = ProcessSpec.new([.pid, .mnt], [.makeRootPrivate, .mountFreshProc])

/// "orphan 4: parent 3 exited; new parent 1 (reaped it)".
private func describeOrphan(_ result: OrphanResult) -> [String] {
    guard !result.failed else { return ["orphan: \(result.error)"] }
    return ["orphan \(result.orphan): its parent \(result.parentBefore) exited",
            "new parent: \(result.parentAfter)\(result.reapedByMe ? ", which reaped it" : "")"]
}

/// "pid 7", or the errno's name when fork failed.
private func describeFork(_ result: ForkResult) -> String { result.failed ? result.error : "pid \(result.child)" }

/// The first `count` lines, and how many more there were.
func abbreviated(_ lines: [String], to count: Int) -> [String] {
    lines.count <= count ? lines : Array(lines.prefix(count)) + ["… \(lines.count - count) more lines"]
}
