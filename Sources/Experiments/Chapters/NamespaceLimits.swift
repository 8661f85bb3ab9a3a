import Glibc

/// namespace-limits (namespaces(7) "/proc/sys/user", user_namespaces(7)). Each user namespace
/// has its own max_*_namespaces, which bound the namespaces made in it and below it; past
/// a limit, clone(2) and unshare(2) fail with ENOSPC; user namespaces nest only so deep. All
/// of it inside user namespaces the runner made: the machine's limits are never touched.
let limitsChapter = Chapter(namespaceLimits, exercises: [limitsExercise], messages: say)
private let say = LimitsText()

public let namespaceLimits = Experiment(
    id: "namespace-limits",
    title: say.title,
    namespaces: [.user],
    minimumKernel: "4.9",  // /proc/sys/user/max_*_namespaces
    needsCommands: ["unshare", "cat"],
    demoHostNamespaces: [],
    // user: one per step, and 33 nested at once; uts: the two limit-reached makes.
    namespaceBudget: [.user: 36, .uts: 2],
    shellTries: ["cat /proc/sys/user/max_uts_namespaces", "echo 0 > /proc/sys/user/max_uts_namespaces; unshare --uts true"],
    steps: [
        Step("per-user-namespace", say.perUserNamespace,
             shell: "cat \(utsLimit); unshare --user --map-root-user cat \(utsLimit)",
             syscalls: ["unshare(CLONE_NEWUSER)", "read(\(utsLimit))"]) { lab in
            let outside = try lab.probe(.oldSide, [.read(path: utsLimit)])
            let inside = try lab.probe(.new([.user], idMaps: .rootToRoot), [.report([.ns]), .read(path: utsLimit)])
            let outsideValue = (try? outside.probe.result(ReadResult.self))?.text?.trimmingNewline
            let insideValue = (try? inside.probe.result(ReadResult.self))?.text?.trimmingNewline
            return StepOutcome(
                observations: [
                    Observation(words.oldNamespace, command: "cat \(utsLimit)", printed: [outsideValue ?? "?"]),
                    inside.observation(say.aNewUserNamespace, command: "cat \(utsLimit)", output: [.verbatim(insideValue ?? "?")]),
                ],
                checks: [
                    .equal(say.aNewOnesOwnLimit, expected: "\(Int32.max)", actual: insideValue),
                    .equal(say.theLimitWhereTheRunnerRuns, expected: outsideValue, actual: readTextFile(utsLimit)?.trimmingNewline),
                ])
        },

        Step("limit-reached", say.limitReached,
             shell: "unshare --user --map-root-user sh -c 'echo 1 > \(utsLimit); unshare --uts unshare --uts true || echo refused'",
             syscalls: ["write(\(utsLimit), \"1\")", "unshare(CLONE_NEWUTS) ×2"]) { lab in
            let outside = try lab.probe(.oldSide, [.report([.ns])]).report
            let probe = try lab.probe(.new([.user], [.write("1", to: utsLimit)], idMaps: .rootToRoot),
                                      [.read(path: utsLimit), .unshare([.uts]), .unshare([.uts]), .report([.ns, .process])])
            let calls = try probe.probe.results(UnshareResult.self)
            let limit = (try? probe.probe.result(ReadResult.self))?.text?.trimmingNewline
            return StepOutcome(
                observations: [probe.observation(say.aNewUserNamespace, command: "echo 1 > \(utsLimit); unshare --uts; unshare --uts",
                                                 output: [say.limitIs(limit ?? "?")] + calls.map { say.unshareGave($0.outcome) }),
                               Observation(say.whatItMade, command: "lsns --type user --type uts",
                                           printed: lsns(try? probe.report, outside: outside))],
                checks: [
                    .equal(say.theLimitInside, expected: "1", actual: limit),
                    .succeeds(say.aFirstUTSNamespace, calls.first),
                    .fails(say.aSecondOne, with: "ENOSPC", calls.dropFirst().first),
                ])
        },

        Step("zero-forbids", say.zeroForbids,
             shell: """
                 unshare --user --map-root-user sh -c 'echo 0 > \(utsLimit)
                   unshare --uts true || echo refused
                   echo -1 > \(utsLimit) || echo refused'
                 """,
             syscalls: ["write(\(utsLimit), \"0\")", "unshare(CLONE_NEWUTS)", "write(\(utsLimit), \"-1\")"]) { lab in
            let probe = try lab.probe(.new([.user], [.write("0", to: utsLimit)], idMaps: .rootToRoot), [.unshare([.uts])])
            let zero = try? probe.probe.result(UnshareResult.self)
            // -1 is no "unlimited": the file takes 0 to 2147483647.
            let minusOne = try expectedRefusal {
                try lab.run(.new([.user], [.write("-1", to: utsLimit)], idMaps: .rootToRoot), ["true"])
            }
            return StepOutcome(
                observations: [
                    probe.observation(say.limitZero, command: "unshare --uts true", output: [say.unshareGave(zero?.outcome ?? words.nothing)]),
                    Observation(say.aNewUserNamespace, command: "echo -1 > \(utsLimit)", output: [minusOne.map(\.message) ?? words.success]),
                ],
                checks: [
                    .fails(say.aUTSNamespaceUnderZero, with: "ENOSPC", zero),
                    .fails(say.minusOneAsALimit, with: "EINVAL", minusOne),
                ])
        },

        Step("nesting", say.nesting,
             shell: "export nest='unshare --user --map-root-user sh -c \"$nest\" sh $(($1 + 1)) || echo \"made $1\"'; sh -c \"$nest\" sh 0",
             syscalls: ["unshare(CLONE_NEWUSER)", "write(/proc/self/uid_map, \"0 0 1\")", "… until refused"]) { lab in
            let probe = try lab.probe(.oldSide, [.nestUser])
            let nested = try? probe.probe.result(NestResult.self)
            // From the initial user namespace (real root) the whole depth shows; from a user
            // namespace of the runner's own (no sudo), the levels above it are out of sight.
            let fromTheInitial = HostSupport.mapsEveryID
            let made = nested.map { Message.verbatim("\($0.made)") } ?? words.nothing
            return StepOutcome(
                observations: [probe.observation(say.nestedUserNamespaces, command: "unshare --user --map-root-user … ×\(nested?.made ?? 0)",
                                                 output: [say.madeThenGave(made, nested?.outcome ?? words.nothing)])],
                checks: [
                    fromTheInitial
                        ? .equal(say.userNamespacesNested, expected: maximumUserNesting, actual: nested?.made)
                        : Check(say.userNamespacesNested, expected: say.upTo(maximumUserNesting), actual: made,
                                passed: nested.map { (1...maximumUserNesting).contains($0.made) } ?? false),
                    .fails(say.oneLevelDeeper, with: "ENOSPC", nested),
                ])
        },
    ])

private let utsLimit = "/proc/sys/user/max_uts_namespaces"

/// What a probe made, as lsns(8) lists namespaces: those of its kinds (user, uts) whose inode
/// differs from the old side's, with the one process in each.
private func lsns(_ report: ProbeReport?, outside: ProbeReport) -> [String] {
    guard let report else { return [] }
    let made = [Namespace.user, .uts].filter { report.inode($0) != nil && report.inode($0) != outside.inode($0) }
    return ["        NS TYPE  NPROCS   PID USER COMMAND"] + made.map { kind in
        let inode = report.inode(kind).map(String.init) ?? "?"
        return inode.rightAligned(to: 10) + " " + kind.rawValue.padded(to: 5)
            + "      1 " + String(report.pid).rightAligned(to: 5) + " root nsprobe"
    }
}

/// How many user namespaces nest below the initial one: the kernel refuses a new one whose
/// parent is at level 33 (user_namespaces(7) says 32; the kernel counts the initial as 0).
private let maximumUserNesting = 33

// MARK: - Graded exercise

/// The limit the student's program must set, different in every run.
struct LimitsExerciseValues: ExerciseValues {
    let limit: Int
    var placeholders: [(name: String, value: String)] { [("limit", "\(limit)")] }
}

let limitsExercise = Exercise(
    id: "namespace-limits", task: say.task,
    choose: { random in LimitsExerciseValues(limit: random.number(2...99)) }
) { paused, values in
    // The grader's own probe, in the command's user namespace, reads the limit there.
    let inside = try paused.look(joining: [.user], [.read(path: utsLimit)]).result(ReadResult.self)
    return [
        paused.newNamespace(.user),
        .equal(say.theLimitTheCommandSees, expected: "\(values.limit)", actual: inside.text?.trimmingNewline),
    ]
}

// MARK: - What the chapter says

final class LimitsText: MessageTable {
    let title = Message("Namespace limits: max_*_namespaces, ENOSPC and nesting", zh: "命名空间数量上限：max_*_namespaces、ENOSPC 与嵌套")

    let perUserNamespace = Message("Limits belong to a user namespace", zh: "上限属于用户命名空间")
    let aNewUserNamespace = Message("a new user namespace", zh: "一个新的用户命名空间")
    let aNewOnesOwnLimit = Message("max_uts_namespaces of a new user namespace", zh: "新用户命名空间的 max_uts_namespaces")
    let theLimitWhereTheRunnerRuns = Message("the limit where the runner runs, unchanged", zh: "runner 运行之处的上限没有变化")

    let limitReached = Message("Past the limit: ENOSPC", zh: "超过上限：ENOSPC")
    let limitIs = Template("max_uts_namespaces: {0}", zh: "max_uts_namespaces：{0}")
    let unshareGave = Template("unshare(CLONE_NEWUTS): {0}", zh: "unshare(CLONE_NEWUTS)：{0}")
    let theLimitInside = Message("the limit inside", zh: "新命名空间里的上限")
    let whatItMade = Message("the namespaces it made, as lsns lists them", zh: "它创建的命名空间，按 lsns 的格式列出")
    let aFirstUTSNamespace = Message("a first UTS namespace", zh: "第一个 UTS 命名空间")
    let aSecondOne = Message("a second one, past the limit of 1", zh: "第二个，超过了上限 1")

    let zeroForbids = Message("0 forbids; -1 is not \"no limit\"", zh: "0 表示禁止；-1 并不表示“没有上限”")
    let limitZero = Message("a new user namespace, max_uts_namespaces 0", zh: "一个新的用户命名空间，max_uts_namespaces 为 0")
    let aUTSNamespaceUnderZero = Message("a UTS namespace under a limit of 0", zh: "上限为 0 时创建 UTS 命名空间")
    let minusOneAsALimit = Message("-1 written as a limit", zh: "把 -1 写作上限")

    let nesting = Message("User namespaces nest only so deep", zh: "用户命名空间的嵌套深度有限")
    let nestedUserNamespaces = Message("user namespaces, one inside the other", zh: "一个套一个的用户命名空间")
    let madeThenGave = Template("{0} made; the next: {1}", zh: "创建了 {0} 个；再下一个：{1}")
    let userNamespacesNested = Message("user namespaces nested below where the runner runs", zh: "在 runner 所在之处之下嵌套的用户命名空间")
    let upTo = Template("1 to {0}: {0} below the initial user namespace, minus the depth where the runner runs", zh: "1 到 {0}：初始用户命名空间之下共 {0} 层，减去 runner 所在之处的深度")
    let oneLevelDeeper = Message("one level deeper", zh: "再深一层")

    let task = Message("run the command in a new user namespace, root in it mapped to the sandbox's root (0 0 1), whose max_uts_namespaces is {limit}", zh: "在一个新的用户命名空间里运行命令，其中的 root 映射为沙箱的 root（0 0 1），该命名空间的 max_uts_namespaces 为 {limit}")
    let theLimitTheCommandSees = Message("max_uts_namespaces in the command's user namespace", zh: "命令所在用户命名空间里的 max_uts_namespaces")
}
