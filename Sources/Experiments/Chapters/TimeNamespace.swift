import Glibc

/// time-namespace (time_namespaces(7)). A new time namespace gives CLOCK_MONOTONIC and
/// CLOCK_BOOTTIME offsets of its own, set before anyone enters it; unshare(2) puts only the
/// caller's children in it (and, on current kernels, the caller at its next execve(2));
/// CLOCK_REALTIME has no offset.
let timeChapter = Chapter(timeNamespace, exercises: [timeExercise], messages: say)
private let say = TimeText()

public let timeNamespace = Experiment(
    id: "time-namespace",
    title: say.title,
    namespaces: [.time],
    minimumKernel: "5.6",  // CLONE_NEWTIME, /proc/PID/timens_offsets
    needsCommands: ["unshare", "cat", "readlink"],
    demoHostNamespaces: [],
    namespaceBudget: [.time: 4],  // children-only, offsets, realtime-refused, offsets-fixed
    shellTries: ["cat /proc/uptime", "cat /proc/self/timens_offsets", "readlink /proc/self/ns/time"],
    steps: [
        Step("children-only", say.childrenOnly,
             shell: "readlink /proc/self/ns/time; unshare --time readlink /proc/self/ns/time",
             syscalls: ["unshare(CLONE_NEWTIME)", "fork()"]) { lab in
            // The probe itself calls unshare (an exec after it would move it too: the kernel
            // switches time namespaces when a process gets a new address space, which is how
            // `unshare --time CMD` gets CMD in), then forks.
            let probe = try lab.probe(.oldSide, [.report([.ns]), .unshare([.time]), .report([.ns]), .fork(report: [.ns])])
            let before = try probe.probe.report(0), after = try probe.probe.report(1), child = try probe.probe.report(2)
            return StepOutcome(
                observations: [
                    probe.observation(say.beforeUnshare, command: "readlink /proc/self/ns/time /proc/self/ns/time_for_children",
                                      output: [.verbatim(before.link(.time)), say.forChildren(before.timeForChildren.map(String.init) ?? "?")]),
                    Observation(say.afterUnshare, command: "readlink /proc/self/ns/time /proc/self/ns/time_for_children",
                                output: [.verbatim(after.link(.time)), say.forChildren(after.timeForChildren.map(String.init) ?? "?"),
                                         say.itsChild(child.link(.time))]),
                ],
                checks: [
                    .equal(say.callerStays, expected: before.inode(.time), actual: after.inode(.time)),
                    .differ(say.childrenGetANewOne, old: before.timeForChildren, new: after.timeForChildren),
                    .equal(say.childIsInIt, expected: after.timeForChildren, actual: child.inode(.time)),
                ])
        },

        Step("offsets", say.offsets,
             shell: "cat /proc/uptime; unshare --time --monotonic \(offset) --boottime \(offset) cat /proc/uptime",
             syscalls: ["unshare(CLONE_NEWTIME)", "write(/proc/self/timens_offsets, \"monotonic \(offset) 0\\nboottime \(offset) 0\")",
                        "setns(/proc/self/ns/time_for_children, CLONE_NEWTIME)"]) { lab in
            let look: [ProbeAction] = [.report([.clocks, .ns]), .read(path: "/proc/uptime"), .read(path: offsetsFile)]
            // The new side's clocks are read between two readings of the old side's: one old
            // probe looks, holds while the new one looks, and looks again.
            let (old, new) = try lab.probe(.oldSide, look + [.hold()] + look, shown: "cat /proc/uptime") { _ in
                try lab.probe(.new([.time], [.write(offsetsText, to: offsetsFile), .enterTimeNamespace]), look)
            }
            let first = try old.probe.report(0), inside = try new.report, last = try old.probe.report(1)
            // /proc/uptime as each look of a process read it: "?" where it was not.
            let uptimeLines = { (process: FinishedProcess) in
                ((try? process.probe.results(ReadResult.self)) ?? []).filter { $0.path == "/proc/uptime" }
                    .map { $0.text?.trimmingNewline ?? "?" } + ["?", "?"]
            }
            let oldUptimes = uptimeLines(old), newUptime = uptimeLines(new)[0]
            let offsetsInside = (try? new.probe.result(ReadResult.self, 1))?.text.map(offsetsLine)
            return StepOutcome(
                observations: [
                    old.observation(words.oldNamespace, command: "cat /proc/uptime",
                                    output: [.verbatim(oldUptimes[1]), clocks(last)]),
                    new.observation(words.newNamespace, command: "cat /proc/uptime /proc/self/timens_offsets",
                                    output: [.verbatim(newUptime), clocks(inside), .verbatim(offsetsInside ?? "?")]),
                ],
                checks: [
                    .differ(say.aNewTimeNamespace, old: first.inode(.time), new: inside.inode(.time)),
                    between(say.monotonicInside, inside.monotonic, first.monotonic, last.monotonic, shiftedBy: Double(offset)),
                    between(say.boottimeInside, inside.boottime, first.boottime, last.boottime, shiftedBy: Double(offset)),
                    // /proc/uptime is read in hundredths: a hundredth either way.
                    between(say.uptimeInside, uptimeSeconds(newUptime), uptimeSeconds(oldUptimes[0]).map { $0 - 0.01 },
                            uptimeSeconds(oldUptimes[1]).map { $0 + 0.01 }, shiftedBy: Double(offset)),
                    between(say.realtimeInside, inside.realtime, first.realtime, last.realtime, shiftedBy: 0),
                    .equal(say.offsetsInside, expected: "monotonic \(offset) 0; boottime \(offset) 0", actual: offsetsInside),
                ])
        },

        Step("realtime-refused", say.realtimeRefused,
             shell: "unshare --time sh -c '/bin/echo realtime 3600 0 > /proc/self/timens_offsets || echo refused'",
             syscalls: ["unshare(CLONE_NEWTIME)", "write(/proc/self/timens_offsets, \"realtime 3600 0\")"]) { lab in
            let refused = try expectedRefusal {
                try lab.probe(.new([.time], [.write("realtime 3600 0", to: offsetsFile)]), [.report([.clocks])])
            }
            return StepOutcome(
                observations: [Observation(words.newNamespace, command: "echo realtime 3600 0 > /proc/self/timens_offsets",
                                           output: [refused.map(\.message) ?? words.success])],
                checks: [.fails(say.realtimeOffset, with: "EINVAL", refused)])
        },

        Step("offsets-fixed", say.offsetsFixed,
             shell: "unshare --time --monotonic 60 sh -c '/bin/echo monotonic 120 0 > /proc/self/timens_offsets || echo refused'",
             syscalls: ["unshare(CLONE_NEWTIME)", "write(/proc/self/timens_offsets, \"monotonic 60 0\")",
                        "setns(/proc/self/ns/time_for_children, CLONE_NEWTIME)", "write(/proc/self/timens_offsets, \"monotonic 120 0\")"]) { lab in
            let refused = try expectedRefusal {
                try lab.probe(.new([.time], [.write("monotonic 60 0", to: offsetsFile), .enterTimeNamespace,
                                             .write("monotonic 120 0", to: offsetsFile)]), [.report([.clocks])])
            }
            return StepOutcome(
                observations: [Observation(words.newNamespace, command: "echo monotonic 120 0 > /proc/self/timens_offsets",
                                           output: [refused.map(\.message) ?? words.success])],
                checks: [.fails(say.offsetsAfterEntering, with: "EACCES", refused)])
        },
    ])

/// One day, the offset the lesson's commands give both clocks.
private let offset = 86400
private let offsetsFile = "/proc/self/timens_offsets"
private let offsetsText = "monotonic \(offset) 0\nboottime \(offset) 0"

/// Passes when `value` minus `shift` lies between `low` and `high`, two readings of the old
/// side's clock taken before and after it: the new clock runs with the old, `shift` ahead.
private func between(_ name: Message, _ value: Double?, _ low: Double?, _ high: Double?, shiftedBy shift: Double) -> Check {
    let expected = low.flatMap { low in high.map { high in say.betweenPlus(clock(low), clock(high), clock(shift)) } } ?? words.nothing
    guard let value, let low, let high else { return Check(name, expected: expected, actual: value.map(clock) ?? words.nothing, passed: false) }
    return Check(name, expected: expected, actual: clock(value), passed: low + shift <= value && value <= high + shift)
}

/// The three clocks a report read.
private func clocks(_ report: ProbeReport) -> Message {
    let shown = { (seconds: Double?) in seconds.map(clock) ?? words.nothing }
    return say.clocks(shown(report.monotonic), shown(report.boottime), shown(report.realtime))
}

/// Seconds to the millisecond.
private func clock(_ seconds: Double) -> Message {
    guard seconds.isFinite, abs(seconds) < 1e15 else { return .verbatim("\(seconds)") }
    return .verbatim(secondsText(milliseconds: Int64((seconds * 1000).rounded())))
}

/// /proc/uptime's first field: seconds since boot, in this time namespace.
private func uptimeSeconds(_ text: String) -> Double? { text.split(separator: " ").first.flatMap { Double($0) } }

/// /proc/PID/timens_offsets on one line: "monotonic 86400 0; boottime 86400 0" (the kernel
/// pads its columns).
private func offsetsLine(_ text: String) -> String {
    text.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }.joined(separator: "; ")
}

extension ProbeReport {
    /// The inode of /proc/self/ns/time_for_children: the time namespace of the children to come.
    public var timeForChildren: UInt64? { ns?["time_for_children"] }
}

// MARK: - Graded exercise

/// The offset the student's program must give CLOCK_MONOTONIC and CLOCK_BOOTTIME, different in
/// every run.
struct TimeExerciseValues: ExerciseValues {
    let days: Int
    var seconds: Int { days * 86400 }
    var placeholders: [(name: String, value: String)] { [("offset", "\(seconds)")] }
}

let timeExercise = Exercise(
    id: "time-namespace", task: say.task, reportSections: [.clocks],
    choose: { random in TimeExerciseValues(days: random.number(1...365)) }
) { paused, values in
    let inside = try paused.look(joining: [.time], [.read(path: offsetsFile)]).result(ReadResult.self)
    return [
        paused.newNamespace(.time),
        .equal(say.offsetsTheCommandSees, expected: "monotonic \(values.seconds) 0; boottime \(values.seconds) 0",
               actual: inside.text.map(offsetsLine)),
    ]
}

// MARK: - What the chapter says

final class TimeText: MessageTable {
    let title = Message("Time namespace: clock offsets for CLOCK_MONOTONIC and CLOCK_BOOTTIME", zh: "时间命名空间：CLOCK_MONOTONIC 与 CLOCK_BOOTTIME 的时钟偏移")

    let childrenOnly = Message("unshare(CLONE_NEWTIME) moves only the children", zh: "unshare(CLONE_NEWTIME) 只移动子进程")
    let beforeUnshare = Message("before unshare(CLONE_NEWTIME)", zh: "unshare(CLONE_NEWTIME) 之前")
    let afterUnshare = Message("after unshare(CLONE_NEWTIME)", zh: "unshare(CLONE_NEWTIME) 之后")
    let forChildren = Template("time_for_children: time:[{0}]", zh: "time_for_children：time:[{0}]")
    let itsChild = Template("its child: {0}", zh: "它的子进程：{0}")
    let callerStays = Message("the caller's own time namespace, unchanged", zh: "调用者自己的时间命名空间没有变化")
    let childrenGetANewOne = Message("time_for_children, a new namespace", zh: "time_for_children 是一个新的命名空间")
    let childIsInIt = Message("the child's time namespace is time_for_children", zh: "子进程的时间命名空间就是 time_for_children")

    let offsets = Message("Offsets for CLOCK_MONOTONIC and CLOCK_BOOTTIME", zh: "CLOCK_MONOTONIC 与 CLOCK_BOOTTIME 的偏移")
    let clocks = Template("monotonic {0}, boottime {1}, realtime {2}", zh: "monotonic {0}，boottime {1}，realtime {2}")
    let aNewTimeNamespace = Message("time namespace inode of the new process", zh: "新进程的时间命名空间 inode 号")
    let betweenPlus = Template("between {0} and {1}, plus {2}", zh: "在 {0} 与 {1} 之间，再加 {2}")
    let monotonicInside = Message("CLOCK_MONOTONIC inside", zh: "新命名空间里的 CLOCK_MONOTONIC")
    let boottimeInside = Message("CLOCK_BOOTTIME inside", zh: "新命名空间里的 CLOCK_BOOTTIME")
    let uptimeInside = Message("/proc/uptime inside", zh: "新命名空间里的 /proc/uptime")
    let realtimeInside = Message("CLOCK_REALTIME inside, no offset", zh: "新命名空间里的 CLOCK_REALTIME，没有偏移")
    let offsetsInside = Message("/proc/self/timens_offsets inside", zh: "新命名空间里的 /proc/self/timens_offsets")

    let realtimeRefused = Message("CLOCK_REALTIME cannot be offset", zh: "CLOCK_REALTIME 不能设置偏移")
    let realtimeOffset = Message("an offset for realtime", zh: "给 realtime 设置偏移")

    let offsetsFixed = Message("Offsets are fixed once a process is in the namespace", zh: "一旦有进程进入命名空间，偏移就固定了")
    let offsetsAfterEntering = Message("writing the offsets after entering", zh: "进入之后再写偏移")

    let task = Message("run the command in a new time namespace whose CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets are {offset} seconds", zh: "在一个新的时间命名空间里运行命令，该命名空间的 CLOCK_MONOTONIC 与 CLOCK_BOOTTIME 偏移都是 {offset} 秒")
    let offsetsTheCommandSees = Message("timens_offsets the command sees", zh: "命令看到的 timens_offsets")
}
