/// ipc-namespace: seeds 001, 002 and 004. System V message queues, shared memory segments
/// and semaphore sets belong to an IPC namespace; none crosses into another.
public let ipcNamespace = Experiment(
    id: "ipc-namespace",
    title: "IPC namespace: System V message queues, shared memory and semaphores",
    namespaces: [.ipc],
    minimumKernel: "3.0",  // setns(2) and /proc/PID/ns links
    needsCommands: ["sh", "ipcmk", "ipcs", "ipcrm"],
    demoHostNamespaces: [.ipc],
    namespaceBudget: [.ipc: 3],  // the sandbox's, the demo host's, the new one
    footprint: Footprint(ipcKeys: [insideKey]),
    shellTries: ["ipcs", "ipcmk -Q; ipcs -q", "readlink /proc/self/ns/ipc"],
    steps: [
        .newNamespace(.ipc, "A new IPC namespace"),

        Step("queue-from-outside", "A queue made outside",
             shell: "ipcmk -Q; ipcs -q; unshare --ipc ipcs -q",
             syscalls: ["msgget(random key, IPC_CREAT)", "unshare(CLONE_NEWIPC)"]) { lab in
            let made = try lab.run(.oldSide, ["ipcmk", "-Q"])
            let sides = try lab.probe([.oldSide, .new([.ipc])], [.report([.sysvipc, .ns])], then: ["ipcs", "-q"])
            let old = sides[0], new = sides[1]
            let madeQueue = "the old namespace sees the queue it made", oldIDs = try old.report.ids(.msg)
            return StepOutcome(
                observations: [
                    old.observation("old namespace", command: "ipcmk -Q; ipcs -q", output: made.output + old.output),
                    new.observation("new namespace"),
                ],
                checks: [
                    // ipcmk prints the queue's id, unless it could not make one: then nothing to look for.
                    createdID(in: made.output).map { .contains(madeQueue, $0, in: oldIDs, describe: msqid) }
                        ?? Check(madeQueue, expected: "msqid listed", actual: "ipcmk -Q printed no id (\(made.termination))",
                                 passed: false),
                    .isEmpty("message queues the new namespace sees", try new.report.objects(.msg), describe: describeObject),
                ])
        },

        Step("queue-from-inside", "A queue made inside",
             shell: "unshare --ipc sh -c \"ipcmk -Q; ipcs -q; nsenter --ipc=/proc/$$/ns/ipc ipcs -q\"; ipcs -q",
             syscalls: ["unshare(CLONE_NEWIPC)", "msgget(key, IPC_CREAT)"]) { lab in
            let (new, outside) = try lab.probe(.new([.ipc]), [.makeQueue(key: insideKey), .report([.sysvipc, .ns]), .hold()],
                                               then: ["ipcs", "-q"], shown: "nsprobe \(ProbeAction.makeQueue(key: insideKey)); ipcs -q") { _ in
                try lab.probe(.oldSide, [.report([.sysvipc, .ns])], then: ["ipcs", "-q"])  // while the queue exists
            }
            let afterwards = try lab.probe(.oldSide, [.report([.sysvipc])])
            return StepOutcome(
                observations: [outside.observation("old namespace"), new.observation("new namespace")],
                checks: [
                    .contains("the new namespace sees its queue", insideKey, in: try new.report.keys(.msg), describe: key),
                    .notContains("the old namespace does not see it", insideKey, in: try outside.report.keys(.msg),
                                 describe: key),
                    .notContains("nor after the new namespace is gone", insideKey, in: try afterwards.report.keys(.msg),
                                 describe: key),
                ])
        },

        Step("shm-and-sem", "Shared memory and semaphores",
             shell: "ipcmk -M 4096; ipcmk -S 1; unshare --ipc sh -c 'ipcmk -M 4096; ipcmk -S 1; ipcs -m -s'",
             syscalls: ["shmget(random key, 4096, IPC_CREAT)", "semget(random key, 1, IPC_CREAT)",
                        "unshare(CLONE_NEWIPC)", "shmget(key, 4096, IPC_CREAT)", "semget(key, 1, IPC_CREAT)"]) { lab in
            let made = try lab.run(.oldSide, ["sh", "-c", "ipcmk -M 4096 && ipcmk -S 1"])
            let make: [ProbeAction] = [.makeSharedMemory(key: insideKey), .makeSemaphores(key: insideKey)]
            let (new, outside) = try lab.probe(.new([.ipc]), make + [.report([.sysvipc, .ns]), .hold()],
                                               then: ["ipcs", "-m", "-s"],
                                               shown: "nsprobe \(make.map(\.description).joined(separator: " ")); ipcs -m -s") { _ in
                try lab.probe(.oldSide, [.report([.sysvipc, .ns])], then: ["ipcs", "-m", "-s"])
            }
            let oldReport = try outside.report, newReport = try new.report
            let onlyOwn = "\(key(insideKey)) only"
            return StepOutcome(
                observations: [
                    outside.observation("old namespace", command: "ipcmk -M 4096; ipcmk -S 1; ipcs -m -s",
                                        output: made.output + outside.output),
                    new.observation("new namespace"),
                ],
                checks: [
                    .equal("the old namespace sees its segment and semaphore set", expected: "1 segment, 1 set",
                           actual: oldReport.counts([.shm, .sem])),
                    .equal("segments the new namespace sees", expected: onlyOwn, actual: newReport.onlyKey(.shm, insideKey)),
                    .equal("semaphore sets the new namespace sees", expected: onlyOwn, actual: newReport.onlyKey(.sem, insideKey)),
                    .notContains("the old namespace sees none of the new one's", insideKey,
                                 in: oldReport.keys(.shm, .sem),
                                 describe: key),
                ])
        },

        Step("cleanup", "Cleaning up with ipcrm",
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
                observations: [after.observation("old namespace", command: "\(removed.command); ipcs",
                                                 output: removed.output + after.output)],
                checks: [
                    .equal("objects the old namespace had made", expected: "1 queue, 1 segment, 1 set",
                           actual: made.counts(SysVKind.allCases)),
                    .equal("ipcrm", expected: Termination.exited(0), actual: removed.termination),
                ] + SysVKind.allCases.map {
                    .isEmpty("\($0.title) left in the old namespace", report.objects($0), describe: describeObject)
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

    var title: String {
        switch self {
        case .msg: "message queues"
        case .shm: "shared memory segments"
        case .sem: "semaphore sets"
        }
    }

    /// One object, as the lesson counts them: "1 queue".
    var unit: String {
        switch self {
        case .msg: "queue"
        case .shm: "segment"
        case .sem: "set"
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
    func counts(_ kinds: [SysVKind]) -> String {
        guard let sysvipc else { return "not reported" }
        return kinds.map { "\(sysvipc.objects($0).count) \($0.unit)" }.joined(separator: ", ")
    }

    /// "key 0x… only" when the one object seen has `key`; else every object seen.
    func onlyKey(_ kind: SysVKind, _ key: Int) -> String {
        guard let objects = objects(kind) else { return "not reported" }
        return objects.map(\.key) == [key] ? "\(Experiments.key(key)) only"
            : Check.listing(objects, describeObject)
    }
}
