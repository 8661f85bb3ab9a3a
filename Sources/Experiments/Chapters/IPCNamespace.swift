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
    steps: [
        .newNamespace(.ipc, "A new IPC namespace"),

        Step("queue-from-outside", "A queue made outside is not visible inside",
             shell: "ipcmk -Q; ipcs -q; unshare --ipc ipcs -q",
             syscalls: ["msgget(random key, IPC_CREAT)", "unshare(CLONE_NEWIPC)"]) { lab in
            let made = try lab.run(.oldSide, ["ipcmk", "-Q"])
            let queue = createdID(in: made.output)
            let sides = try lab.probe([.oldSide, .new([.ipc])], then: ["ipcs", "-q"])
            let old = sides[0], new = sides[1]
            let oldReport = try old.report
            return StepOutcome(
                observations: [
                    Observation("old namespace", command: "ipcmk -Q; ipcs -q", output: made.output + old.output),
                    new.observation("new namespace"),
                ],
                checks: [
                    .that("the old namespace sees the queue it made", queue.map { oldReport.has(.msg, id: $0) } ?? false,
                          expected: "msqid \(queue.map(String.init) ?? "?") listed", actual: oldReport.listing(.msg)),
                    .equal("message queues the new namespace sees", expected: "none", actual: try new.report.listing(.msg)),
                ])
        },

        Step("queue-from-inside", "A queue made inside is not visible outside",
             shell: "unshare --ipc sh -c 'ipcmk -Q; ipcs -q' & ipcs -q",
             syscalls: ["unshare(CLONE_NEWIPC)", "msgget(key, IPC_CREAT)"]) { lab in
            let (new, outside) = try lab.probe(.new([.ipc]), ["mkqueue=\(hex(insideKey))", "report", "hold"],
                                               then: ["ipcs", "-q"], shown: "nsprobe mkqueue=\(hex(insideKey)); ipcs -q") { _ in
                try lab.probe(.oldSide, then: ["ipcs", "-q"])  // while the queue exists
            }
            let afterwards = try lab.probe(.oldSide)
            return StepOutcome(
                observations: [outside.observation("old namespace"), new.observation("new namespace")],
                checks: [
                    .that("the new namespace sees its queue", try new.report.has(.msg, key: insideKey),
                          expected: "key \(hex(insideKey)) listed", actual: try new.report.listing(.msg)),
                    .that("the old namespace does not see it", try !outside.report.has(.msg, key: insideKey),
                          expected: "key \(hex(insideKey)) not listed", actual: try outside.report.listing(.msg)),
                    .that("nor after the new namespace is gone", try !afterwards.report.has(.msg, key: insideKey),
                          expected: "key \(hex(insideKey)) not listed", actual: try afterwards.report.listing(.msg)),
                ])
        },

        Step("shm-and-sem", "Shared memory and semaphores are per namespace too",
             shell: "ipcmk -M 4096; ipcmk -S 1; unshare --ipc ipcs -m -s",
             syscalls: ["shmget(random key, 4096, IPC_CREAT)", "semget(random key, 1, IPC_CREAT)",
                        "unshare(CLONE_NEWIPC)", "shmget(key, 4096, IPC_CREAT)", "semget(key, 1, IPC_CREAT)"]) { lab in
            let made = try lab.run(.oldSide, ["sh", "-c", "ipcmk -M 4096 && ipcmk -S 1"])
            let (new, outside) = try lab.probe(.new([.ipc]), ["mkshm=\(hex(insideKey))", "mksem=\(hex(insideKey))", "report", "hold"],
                                               then: ["ipcs", "-m", "-s"],
                                               shown: "nsprobe mkshm=\(hex(insideKey)) mksem=\(hex(insideKey)); ipcs -m -s") { _ in
                try lab.probe(.oldSide, then: ["ipcs", "-m", "-s"])
            }
            let oldReport = try outside.report, newReport = try new.report
            let onlyOwn = "key \(hex(insideKey)) only"
            return StepOutcome(
                observations: [
                    Observation("old namespace", command: "ipcmk -M 4096; ipcmk -S 1; ipcs -m -s",
                                output: made.output + outside.output),
                    new.observation("new namespace"),
                ],
                checks: [
                    .that("the old namespace sees its segment and semaphore set",
                          oldReport.sysvipc.shm.count == 1 && oldReport.sysvipc.sem.count == 1,
                          expected: "1 segment, 1 set", actual: "\(oldReport.listing(.shm)); \(oldReport.listing(.sem))"),
                    .equal("segments the new namespace sees", expected: onlyOwn, actual: newReport.onlyKey(.shm, insideKey)),
                    .equal("semaphore sets the new namespace sees", expected: onlyOwn, actual: newReport.onlyKey(.sem, insideKey)),
                    .that("the old namespace sees none of the new one's", !oldReport.has(.shm, key: insideKey) &&
                            !oldReport.has(.sem, key: insideKey),
                          expected: "key \(hex(insideKey)) not listed",
                          actual: "\(oldReport.listing(.shm)); \(oldReport.listing(.sem))"),
                ])
        },

        Step("cleanup", "Remove what the old namespace made",
             shell: "ipcrm -q MSQID -m SHMID -s SEMID; ipcs",
             syscalls: ["msgctl(IPC_RMID)", "shmctl(IPC_RMID)", "semctl(IPC_RMID)"]) { lab in
            // What the old side made in the steps before: a queue, a segment, a semaphore set.
            let made = try lab.probe(.oldSide).report
            let removeByID = SysVKind.allCases.flatMap { kind in made.objects(kind).flatMap { [kind.ipcrmOption, "\($0.id)"] } }
            let removed = try lab.run(.oldSide, ["ipcrm"] + removeByID)
            let after = try lab.probe(.oldSide, then: ["ipcs"])
            let report = try after.report
            return StepOutcome(
                observations: [Observation("old namespace", command: "\(removed.command); ipcs",
                                           output: removed.output + after.output)],
                checks: [
                    .equal("objects the old namespace had made", expected: "1 queue, 1 segment, 1 set",
                           actual: "\(made.sysvipc.msg.count) queue, \(made.sysvipc.shm.count) segment, \(made.sysvipc.sem.count) set"),
                    .equal("ipcrm", expected: Termination.exited(0), actual: removed.termination),
                ] + SysVKind.allCases.map {
                    .equal("\($0.title) left in the old namespace", expected: "none", actual: report.listing($0))
                })
        },
    ])

/// The key the new namespace's objects get: "NSLB" in ASCII.
private let insideKey = 0x4e53_4c42

private func hex(_ key: Int) -> String { "0x" + String(key, radix: 16) }

/// The id in ipcmk(1)'s "Message queue id: 3" (or "Shared memory id: 3").
private func createdID(in output: [String]) -> Int? {
    output.lazy.compactMap { line in line.split(separator: ":").last.flatMap { Int($0.trimmingWhitespace) } }.first
}

enum SysVKind: CaseIterable {
    case msg, shm, sem

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
}

extension ProbeReport {
    func objects(_ kind: SysVKind) -> [IPCObject] {
        switch kind {
        case .msg: sysvipc.msg
        case .shm: sysvipc.shm
        case .sem: sysvipc.sem
        }
    }

    func has(_ kind: SysVKind, key: Int) -> Bool { objects(kind).contains { $0.key == key } }
    func has(_ kind: SysVKind, id: Int) -> Bool { objects(kind).contains { $0.id == id } }

    /// "none", or "key 0x4e534c42 id 0, ..." as the probe saw them.
    func listing(_ kind: SysVKind) -> String {
        let objects = objects(kind)
        return objects.isEmpty ? "none"
            : objects.map { "key 0x\(String(UInt32(truncatingIfNeeded: $0.key), radix: 16)) id \($0.id)" }
                .joined(separator: ", ")
    }

    /// "key 0x… only" when the one object seen has `key`; else the listing.
    func onlyKey(_ kind: SysVKind, _ key: Int) -> String {
        let objects = objects(kind)
        return objects.count == 1 && objects[0].key == key ? "key \(hex(key)) only" : listing(kind)
    }
}
