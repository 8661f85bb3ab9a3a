/// ipc-namespace (ipc_namespaces(7), sysvipc(7)). System V message queues, shared memory
/// segments and semaphore sets belong to an IPC namespace; none crosses into another.
let ipcChapter = Chapter(ipcNamespace, exercises: [ipcExercise], messages: say)
private let say = IPCText()

public let ipcNamespace = Experiment(
    id: "ipc-namespace",
    title: say.title,
    namespaces: [.ipc],
    minimumKernel: "3.0",  // setns(2) and /proc/PID/ns links
    needsCommands: ["sh", "ipcmk", "ipcs", "ipcrm"],
    demoHostNamespaces: [.ipc],
    namespaceBudget: [.ipc: 3],  // the sandbox's, the demo host's, the new one
    footprint: Footprint(ipcKeys: [insideKey]),
    shellTries: ["ipcs", "ipcmk -Q; ipcs -q", "readlink /proc/self/ns/ipc"],
    steps: [
        .newNamespace(.ipc, words.aNewNamespace("IPC")),

        Step("queue-from-outside", say.queueFromOutside,
             shell: .verbatim("ipcmk -Q; ipcs -q; unshare --ipc ipcs -q"),
             syscalls: [say.withRandomKey("msgget", "IPC_CREAT"), .verbatim("unshare(CLONE_NEWIPC)")]) { lab in
            let made = try lab.run(.oldSide, ["ipcmk", "-Q"])
            let sides = try lab.probe([.oldSide, .new([.ipc])], [.report([.sysvipc, .ns])], then: ["ipcs", "-q"])
            let old = sides[0], new = sides[1]
            let madeQueue = say.oldSeesItsQueue, oldIDs = try old.report.ids(.msg)
            return StepOutcome(
                observations: [
                    old.observation(words.oldNamespace, command: "ipcmk -Q; ipcs -q",
                                    output: (made.output + old.output).map(Message.verbatim)),
                    new.observation(words.newNamespace),
                ],
                checks: [
                    // ipcmk prints the queue's id, unless it could not make one: then nothing to look for.
                    createdID(in: made.output).map { .contains(madeQueue, $0, in: oldIDs, describe: msqid) }
                        ?? Check(madeQueue, expected: words.listed("msqid"), actual: say.printedNoID(made.termination.message),
                                 passed: false),
                    .isEmpty(say.queuesNewSees, try new.report.objects(.msg), describe: describeObject),
                ])
        },

        Step("queue-from-inside", say.queueFromInside,
             shell: "unshare --ipc sh -c \"ipcmk -Q; ipcs -q; nsenter --ipc=/proc/$$/ns/ipc ipcs -q\"; ipcs -q",
             syscalls: ["unshare(CLONE_NEWIPC)", "msgget(key, IPC_CREAT)"]) { lab in
            let (new, outside) = try lab.probe(.new([.ipc]), [.makeQueue(key: insideKey), .report([.sysvipc, .ns]), .hold()],
                                               then: ["ipcs", "-q"], shown: "nsprobe \(ProbeAction.makeQueue(key: insideKey)); ipcs -q") { _ in
                try lab.probe(.oldSide, [.report([.sysvipc, .ns])], then: ["ipcs", "-q"])  // while the queue exists
            }
            let afterwards = try lab.probe(.oldSide, [.report([.sysvipc])])
            return StepOutcome(
                observations: [outside.observation(words.oldNamespace), new.observation(words.newNamespace)],
                checks: [
                    .contains(say.newSeesItsQueue, insideKey, in: try new.report.keys(.msg), describe: key),
                    .notContains(say.oldDoesNotSeeIt, insideKey, in: try outside.report.keys(.msg),
                                 describe: key),
                    .notContains(say.norAfterItIsGone, insideKey, in: try afterwards.report.keys(.msg),
                                 describe: key),
                ])
        },

        Step("shm-and-sem", say.shmAndSem,
             shell: .verbatim("ipcmk -M 4096; ipcmk -S 1; unshare --ipc sh -c 'ipcmk -M 4096; ipcmk -S 1; ipcs -m -s'"),
             syscalls: [say.withRandomKey("shmget", "4096, IPC_CREAT"), say.withRandomKey("semget", "1, IPC_CREAT"),
                        .verbatim("unshare(CLONE_NEWIPC)"), .verbatim("shmget(key, 4096, IPC_CREAT)"),
                        .verbatim("semget(key, 1, IPC_CREAT)")]) { lab in
            let made = try lab.run(.oldSide, ["sh", "-c", "ipcmk -M 4096 && ipcmk -S 1"])
            let make: [ProbeAction] = [.makeSharedMemory(key: insideKey), .makeSemaphores(key: insideKey)]
            let (new, outside) = try lab.probe(.new([.ipc]), make + [.report([.sysvipc, .ns]), .hold()],
                                               then: ["ipcs", "-m", "-s"],
                                               shown: "nsprobe \(make.map(\.description).joined(separator: " ")); ipcs -m -s") { _ in
                try lab.probe(.oldSide, [.report([.sysvipc, .ns])], then: ["ipcs", "-m", "-s"])
            }
            let oldReport = try outside.report, newReport = try new.report
            let onlyOwn = say.only(key(insideKey))
            return StepOutcome(
                observations: [
                    outside.observation(words.oldNamespace, command: "ipcmk -M 4096; ipcmk -S 1; ipcs -m -s",
                                        output: (made.output + outside.output).map(Message.verbatim)),
                    new.observation(words.newNamespace),
                ],
                checks: [
                    .equal(say.oldSeesItsSegmentAndSet, expected: Message.list([SysVKind.shm.count(1), SysVKind.sem.count(1)]),
                           actual: oldReport.counts([.shm, .sem])),
                    .equal(say.segmentsNewSees, expected: onlyOwn, actual: newReport.onlyKey(.shm, insideKey)),
                    .equal(say.setsNewSees, expected: onlyOwn, actual: newReport.onlyKey(.sem, insideKey)),
                    .notContains(say.oldSeesNoneOfTheNewOnes, insideKey,
                                 in: oldReport.keys(.shm, .sem),
                                 describe: key),
                ])
        },

        Step("cleanup", say.cleanup,
             shell: "q=$(ipcmk -Q | awk '{print $NF}'); m=$(ipcmk -M 4096 | awk '{print $NF}'); s=$(ipcmk -S 1 | awk '{print $NF}'); ipcrm -q \"$q\" -m \"$m\" -s \"$s\"; ipcs",
             syscalls: ["msgctl(IPC_RMID)", "shmctl(IPC_RMID)", "semctl(IPC_RMID)"]) { lab in
            // What the old side made in the steps before: a queue, a segment, a semaphore set.
            let made = try lab.probe(.oldSide, [.report([.sysvipc])]).report
            let removeByID = SysVKind.allCases.flatMap { kind in
                (made.objects(kind) ?? []).flatMap { [kind.ipcrmOption, "\($0.id)"] }
            }
            let removed = try lab.run(.oldSide, ["ipcrm"] + removeByID)
            let after = try lab.probe(.oldSide, [.report([.sysvipc, .ns])], then: ["ipcs"])
            let report = try after.report
            return StepOutcome(
                observations: [after.observation(words.oldNamespace, command: "\(removed.command); ipcs",
                                                 output: (removed.output + after.output).map(Message.verbatim))],
                checks: [
                    .equal(say.objectsOldHadMade, expected: Message.list(SysVKind.allCases.map { $0.count(1) }),
                           actual: made.counts(SysVKind.allCases)),
                    .equal(say.ipcrm, expected: Termination.exited(0).message, actual: removed.termination.message),
                ] + SysVKind.allCases.map {
                    .isEmpty(say.leftInOld($0.title), report.objects($0), describe: describeObject)
                })
        },
    ])

/// The key the new namespace's objects get: "NSLB" in ASCII.
private let insideKey = 0x4e53_4c42

/// "key 0x4e534c42", as ipcs(1) shows a key.
private func key(_ key: Int) -> String { "key \(ipcKeyText(key))" }

/// "msqid 3", as ipcs(1) heads the id of a queue.
private func msqid(_ id: Int) -> String { "msqid \(id)" }

/// "key 0x4e534c42 id 0".
private func describeObject(_ object: ProbeReport.IPCObject) -> String { "\(key(object.key)) id \(object.id)" }

/// The id in ipcmk(1)'s "Message queue id: 3" (or "Shared memory id: 3").
private func createdID(in output: [String]) -> Int? {
    output.lazy.compactMap { line in line.split(separator: ":").last.flatMap { Int($0.trimmingWhitespace) } }.first
}

extension SysVKind {
    /// ipcrm(1)'s option that removes an object of this kind by id.
    var ipcrmOption: String {
        switch self {
        case .msg: "-q"
        case .shm: "-m"
        case .sem: "-s"
        }
    }

    /// "message queues", "shared memory segments", "semaphore sets".
    var title: Message {
        switch self {
        case .msg: say.messageQueues
        case .shm: say.sharedMemorySegments
        case .sem: say.semaphoreSets
        }
    }

    /// `number` objects of this kind, as the lesson counts them: "1 queue".
    func count(_ number: Int) -> Message {
        switch self {
        case .msg: say.queues(number)
        case .shm: say.segments(number)
        case .sem: say.sets(number)
        }
    }
}

/// What the sysvipc section shows; nil (a failing check) when the report left it out.
extension ProbeReport {
    func objects(_ kind: SysVKind) -> [IPCObject]? { sysvipc?.objects(kind) }
    /// The keys of every object of `kinds`.
    func keys(_ kinds: SysVKind...) -> [Int]? { sysvipc.map { ipc in kinds.flatMap { ipc.objects($0).map(\.key) } } }
    func ids(_ kind: SysVKind) -> [Int]? { objects(kind)?.map(\.id) }

    /// "1 queue, 1 segment" for `kinds`, or "not reported".
    func counts(_ kinds: [SysVKind]) -> Message {
        guard let sysvipc else { return words.notReported }
        return .list(kinds.map { $0.count(sysvipc.objects($0).count) })
    }

    /// "key 0x… only" when the one object seen has `key`; else every object seen.
    func onlyKey(_ kind: SysVKind, _ key: Int) -> Message {
        guard let objects = objects(kind) else { return words.notReported }
        return objects.map(\.key) == [key] ? say.only(Experiments.key(key))
            : Check.listing(objects, describeObject)
    }
}

// MARK: - Graded exercise

/// The keys of one run: the sandbox's objects, which the command must not see, and the
/// queue the grader makes in the command's IPC namespace, which the sandbox must not see.
/// Neither is a placeholder: the program is told nothing but to run the command.
struct IPCExerciseValues: ExerciseValues {
    let sandboxKey: Int
    let probeKey: Int
}

let ipcExercise = Exercise(
    id: "ipc-namespace", task: say.task,
    choose: { random in
        IPCExerciseValues(sandboxKey: random.number(0x10000...0x7fff_ffff), probeKey: random.number(0x10000...0x7fff_ffff))
    },
    // A queue, a segment and a semaphore set of the sandbox's, which the command must not see.
    sandboxSetup: { values in
        [.makeQueue(key: values.sandboxKey), .makeSharedMemory(key: values.sandboxKey), .makeSemaphores(key: values.sandboxKey)]
    }
) { paused, values in
    let isNew = paused.isNew(.ipc)
    let seen = try paused.look(joining: [.ipc], [.report([.sysvipc])] + (isNew ? [.makeQueue(key: values.probeKey)] : []))
    let sandbox = isNew ? try paused.sandbox.snapshot() : nil
    return [
        paused.newNamespace(.ipc),
        .equal(say.sandboxObjectsTheCommandSees, expected: words.none,
               actual: try seen.report().sysvipc.map { ipc in
                   SysVKind.allCases.contains { ipc.objects($0).contains { $0.key == values.sandboxKey } } ? say.seen : words.none
               }),
        .equal(say.commandsQueueSeenFromTheSandbox, expected: words.none,
               actual: sandbox.map { $0.sysvipc.map { $0.msg.contains { $0.key == values.probeKey } ? say.seen : words.none } ?? say.notRead }
                   ?? notTried(.ipc)),
    ]
}

// MARK: - What the chapter says

final class IPCText: MessageTable {
    let title = Message("IPC namespace: System V message queues, shared memory and semaphores", zh: "IPC 命名空间：System V 消息队列、共享内存与信号量")
    /// A system call on a key ipcmk(1) chose: "msgget(random key, IPC_CREAT)".
    let withRandomKey = Template("{0}(random key, {1})", zh: "{0}(key, {1})，key 为随机值")

    let queueFromOutside = Message("A queue made outside", zh: "在外面创建的队列")
    let oldSeesItsQueue = Message("the old namespace sees the queue it made", zh: "旧命名空间看得到它创建的队列")
    let printedNoID = Template("ipcmk -Q printed no id ({0})", zh: "ipcmk -Q 没有输出 id（{0}）")
    let queuesNewSees = Message("message queues the new namespace sees", zh: "新命名空间看到的消息队列")

    let queueFromInside = Message("A queue made inside", zh: "在里面创建的队列")
    let newSeesItsQueue = Message("the new namespace sees its queue", zh: "新命名空间看得到它的队列")
    let oldDoesNotSeeIt = Message("the old namespace does not see it", zh: "旧命名空间看不到它")
    let norAfterItIsGone = Message("nor after the new namespace is gone", zh: "新命名空间消失之后也看不到")

    let shmAndSem = Message("Shared memory and semaphores", zh: "共享内存与信号量")
    let oldSeesItsSegmentAndSet = Message("the old namespace sees its segment and semaphore set", zh: "旧命名空间看得到它的共享内存段和信号量集")
    let segmentsNewSees = Message("segments the new namespace sees", zh: "新命名空间看到的共享内存段")
    let setsNewSees = Message("semaphore sets the new namespace sees", zh: "新命名空间看到的信号量集")
    let oldSeesNoneOfTheNewOnes = Message("the old namespace sees none of the new one's", zh: "旧命名空间看不到新命名空间的任何对象")
    /// "key 0x4e534c42 only": the one object seen has the key.
    let only = Template("{0} only", zh: "只有 {0}")

    let cleanup = Message("Cleaning up with ipcrm", zh: "用 ipcrm 清理")
    let objectsOldHadMade = Message("objects the old namespace had made", zh: "旧命名空间创建过的对象")
    let ipcrm = Message("ipcrm", zh: "ipcrm 的结果")
    let leftInOld = Template("{0} left in the old namespace", zh: "旧命名空间里剩下的{0}")

    // The kinds of object, and how many of one there are
    let messageQueues = Message("message queues", zh: "消息队列")
    let sharedMemorySegments = Message("shared memory segments", zh: "共享内存段")
    let semaphoreSets = Message("semaphore sets", zh: "信号量集")
    let queues = Template("{0} queue", zh: "{0} 个消息队列")
    let segments = Template("{0} segment", zh: "{0} 个共享内存段")
    let sets = Template("{0} set", zh: "{0} 个信号量集")

    let task = Message("run the command in a new IPC namespace", zh: "在一个新的 IPC 命名空间里运行命令")
    let sandboxObjectsTheCommandSees = Message("the sandbox's queue, segment and semaphore set, as the command sees them", zh: "命令看到的沙箱的队列、共享内存段和信号量集")
    let commandsQueueSeenFromTheSandbox = Message("a queue made in the command's IPC namespace, seen from the sandbox", zh: "从沙箱看到的、在命令的 IPC 命名空间里创建的队列")
    let seen = Message("seen", zh: "看到了")
    let notRead = Message("(not read)", zh: "（未能读取）")
}
