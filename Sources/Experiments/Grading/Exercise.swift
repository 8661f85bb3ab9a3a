import Glibc

/// An exercise of `runner grade`: what the student's program receives, what it must do, and
/// the checks that judge it, read from the same probe as the experiments, with the student's
/// program in place of the runner's own spawning (DESIGN.md, "Exercises").
public struct Exercise: Sendable {
    public enum ID: String, CaseIterable, Sendable, Codable {
        case utsNamespace = "uts-namespace", ipcNamespace = "ipc-namespace", pidNamespace = "pid-namespace"
        case mountNamespace = "mount-namespace", pivotRoot = "pivot-root", userNamespace = "user-namespace"
        case netNamespace = "net-namespace", netVeth = "net-veth"
    }

    public let id: ID
    /// The placeholders its `run` line may use, in the order the table gives them.
    public let placeholders: [String]
    /// What the program must do, as the lesson says it.
    public let task: String
    /// Picks the values the student's program must apply, at random from the run's seed.
    let choose: @Sendable (inout SeededGenerator) -> [String: String]
    /// The files the exercise needs in /work, from its values: made before any code of the
    /// student's runs (the build included), so that the grader never follows a link of theirs.
    let fixtures: @Sendable ([String: String]) -> [Fixture]
    /// Sets up, runs the student's program once, and judges what the probe saw.
    let judge: @Sendable (GradingBench) throws -> [Check]

    /// A file or directory in /work (a sandbox path), owned by an id as the sandbox counts
    /// them; or the busybox root.
    enum Fixture: Sendable {
        case file(String, text: String, owner: UInt32 = 0, mode: UInt32 = 0o644)
        case directory(String)
        case busyboxRoot(String)
    }

    init(id: ID, placeholders: [String], task: String, choose: @escaping @Sendable (inout SeededGenerator) -> [String: String],
         fixtures: @escaping @Sendable ([String: String]) -> [Fixture] = { _ in [] },
         judge: @escaping @Sendable (GradingBench) throws -> [Check]) {
        self.id = id
        self.placeholders = placeholders
        self.task = task
        self.choose = choose
        self.fixtures = fixtures
        self.judge = judge
    }

    public static func contract(_ id: ID) -> Exercise {
        switch id {
        case .utsNamespace: uts
        case .ipcNamespace: ipc
        case .pidNamespace: pid
        case .mountNamespace: mount
        case .pivotRoot: pivot
        case .userNamespace: user
        case .netNamespace: net
        case .netVeth: veth
        }
    }
}

private let uts = Exercise(
    id: .utsNamespace, placeholders: ["hostname", "probe"],
    task: "run the command in a new UTS namespace whose hostname is {hostname}",
    choose: { random in ["hostname": "host-" + random.word(6)] }
) { bench in
    let run = try bench.runStudent([.report([.ns, .hostname])])
    let report = try run.report
    return [
        .differ("uts namespace of the command, not the sandbox's", old: bench.sandboxInode(.uts), new: report.inode(.uts))
            .stable("a new one"),
        .equal("hostname the command sees", expected: bench.values["hostname"], actual: report.hostname),
    ]
}

private let ipc = Exercise(
    id: .ipcNamespace, placeholders: ["probe"],
    task: "run the command in a new IPC namespace",
    choose: { random in ["sandbox_key": String(random.number(0x10000...0x7fff_ffff)), "probe_key": String(random.number(0x10000...0x7fff_ffff))] }
) { bench in
    let sandboxKey = Int(bench.values["sandbox_key"]!)!, probeKey = Int(bench.values["probe_key"]!)!
    // A queue, a segment and a semaphore set of the sandbox's, which the command must not see.
    _ = try bench.sandbox([.makeQueue(key: sandboxKey), .makeSharedMemory(key: sandboxKey), .makeSemaphores(key: sandboxKey)])
    let run = try bench.runStudent([.report([.ns, .sysvipc]), .makeQueue(key: probeKey)])
    let report = try run.report
    let after = try bench.sandbox([.report([.sysvipc])]).report
    let made = try? run.probe.result(MadeIPCObject.self)
    return [
        .differ("ipc namespace of the command, not the sandbox's", old: bench.sandboxInode(.ipc), new: report.inode(.ipc)).stable("a new one"),
        .equal("the sandbox's queue, segment and semaphore set, as the command sees them", expected: "none",
               actual: report.sysvipc.map { ipc in SysVKind.allCases.contains { ipc.objects($0).contains { $0.key == sandboxKey } } ? "seen" : "none" }),
        .errno("msgget(IPC_CREAT) by the probe", expected: "success", actual: made),
        .equal("its queue, seen from the sandbox afterwards", expected: "none",
               actual: after.sysvipc.map { $0.msg.contains { $0.key == probeKey } ? "seen" : "none" }),
    ]
}

private let pid = Exercise(
    id: .pidNamespace, placeholders: ["probe"],
    task: "run the command as PID 1 of a new PID namespace, in a new mount namespace with a fresh /proc mounted",
    choose: { _ in [:] }
) { bench in
    let run = try bench.runStudent([.report([.ns, .process, .pids]), .read(path: "/proc/1/comm"), .orphan, .killInit(signal: SIGKILL),
                                    .report([.process])])
    let report = try run.report
    let initName = (try? run.probe.result(ReadResult.self))?.text?.trimmingNewline
    let orphan = try? run.probe.result(OrphanResult.self), kill = try? run.probe.result(KillInitResult.self)
    return [
        .differ("pid namespace of the command, not the sandbox's", old: bench.sandboxInode(.pid), new: report.inode(.pid)).stable("a new one"),
        .equal("the command's pid", expected: 1, actual: report.pid)
            .diagnosed(report.pid == 1 ? nil : "pid 1 in the namespace is `\(initName ?? "?")`, not the command: exec it"),
        .equal("the pids /proc lists", expected: [1], actual: report.pids)
            // /proc is the sandbox's when it lists the probe by its pid one namespace up (NSpid);
            // otherwise it is the namespace's own, and only the pid check above is wrong.
            .diagnosed(showsParentPids(report) ? "/proc shows the sandbox's processes: mount a fresh proc in a new mount namespace"
                                               : nil),
        .equal("new parent of an orphan the command made", expected: 1, actual: orphan?.parentAfter),
        .equal("after kill -9 1 from inside, init", expected: "alive",
               actual: kill.map { $0.initAliveAfter == true ? "alive" : $0.failed ? $0.error : "dead" }),
    ]
}

private let mount = Exercise(
    id: .mountNamespace, placeholders: ["source", "target", "probe"],
    task: "in a new mount namespace whose mounts do not propagate back, bind-mount {source} onto {target}, then run the command",
    choose: { random in
        let directory = "\(GradingBench.exerciseDirectory)/mount-\(random.word(4))"
        return ["source": "\(directory)/source", "target": "\(directory)/target", "marker": "marker-\(random.word(6))"]
    },
    fixtures: { values in
        [.file("\(values["source"]!)/\(values["marker"]!)", text: "the source's marker\n"), .directory(values["target"]!)]
    }
) { bench in
    let target = bench.values["target"]!, marker = bench.values["marker"]!
    // The sandbox is looked at while the probe holds, then afterwards.
    var during: String?
    let run = try bench.runStudent([.list(path: target), .report([.ns]), .hold()]) { _ in
        during = try bench.sandbox([.report([.mounts])]).report.mountLine(at: target)
    }
    let listed = try? run.probe.result(ListResult.self)
    let after = try bench.sandbox([.report([.mounts])]).report.mountLine(at: target)
    return [
        .differ("mount namespace of the command, not the sandbox's", old: bench.sandboxInode(.mnt), new: try run.report.inode(.mnt))
            .stable("a new one"),
        .contains("at {target} the command lists", marker, in: listed?.entries) { _ in "the source's marker file" },
        .equal("mounts at {target} in the sandbox while the command runs", expected: "no mount", actual: during)
            .diagnosed(during == "no mount" ? nil : "your mount showed up in the sandbox: make mounts private first (mount --make-rprivate /)"),
        .equal("and afterwards", expected: "no mount", actual: after),
    ]
}

private let pivot = Exercise(
    id: .pivotRoot, placeholders: ["rootfs", "probe_in_rootfs"],
    task: "in a new mount namespace, make {rootfs} the root with pivot_root(2), detach the old root, mount proc on /proc, run the command",
    choose: { random in ["rootfs": "\(GradingBench.exerciseDirectory)/rootfs-\(random.word(4))"] },
    fixtures: { values in [.busyboxRoot(values["rootfs"]!)] }
) { bench in
    let entries = bench.values["rootfs_entries"]!.split(separator: "\n").map(String.init)
    let rootBefore = try bench.sandbox([.report([.rootEntries, .mounts])]).report
    let run = try bench.runStudent([.report([.ns, .rootEntries, .mounts])])
    let report = try run.report
    let oldRoot = rootBefore.mount(at: "/")
    let rootAfter = try bench.sandbox([.report([.rootEntries])]).report
    return [
        .equal("/ as the command sees it", expected: entries, actual: report.rootEntries?.sorted()),
        .equal("mounts of the old root it can see", expected: "none",
               actual: report.mounts.map { mounts in
                   mounts.contains { $0.source == oldRoot?.source && $0.fstype == oldRoot?.fstype && $0.root == oldRoot?.root } ? "the old root" : "none"
               })
            .diagnosed(nil),
        .equal("/proc", expected: "proc", actual: report.mount(at: "/proc")?.fstype ?? (report.mounts == nil ? nil : "not mounted")),
        .equal("the sandbox's /", expected: rootBefore.rootEntries?.sorted(), actual: rootAfter.rootEntries?.sorted()),
    ]
}

private let user = Exercise(
    id: .userNamespace, placeholders: ["uid_inside", "uid_outside", "gid_inside", "gid_outside", "probe"],
    task: "run the command in a new user namespace with uid_map `{uid_inside} {uid_outside} 1`, gid_map `{gid_inside} {gid_outside} 1`, setgroups denied, as uid {uid_inside} and gid {gid_inside}",
    choose: { random in
        ["uid_inside": String(random.number(1000...9999)), "uid_outside": String(random.number(10000...60000)),
         "gid_inside": String(random.number(1000...9999)), "gid_outside": String(random.number(10000...60000)),
         "files": "\(GradingBench.exerciseDirectory)/files-\(random.word(4))"]
    },
    fixtures: { values in
        [.file("\(values["files"]!)/theirs", text: "yours to write\n", owner: UInt32(values["uid_outside"]!)!, mode: 0o644),
         .file("\(values["files"]!)/roots", text: "not yours\n", owner: 0, mode: 0o600)]
    }
) { bench in
    let values = bench.values
    let files = values["files"]!
    let run = try bench.runStudent([.report([.ns, .process, .idMaps]), .write(path: "\(files)/theirs"), .write(path: "\(files)/roots")])
    let report = try run.report
    let writes = (try? run.probe.results(WriteResult.self)) ?? []
    func line(_ text: String?) -> String? { text.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") } }
    return [
        .differ("user namespace of the command, not the sandbox's", old: bench.sandboxInode(.user), new: report.inode(.user)).stable("a new one"),
        .equal("uid and gid of the command", expected: "\(values["uid_inside"]!) \(values["gid_inside"]!)",
               actual: report.uid.flatMap { uid in report.gid.map { "\(uid) \($0)" } }),
        .equal("its uid_map", expected: "\(values["uid_inside"]!) \(values["uid_outside"]!) 1", actual: line(report.uidMap)),
        .equal("its gid_map", expected: "\(values["gid_inside"]!) \(values["gid_outside"]!) 1", actual: line(report.gidMap)),
        .equal("its setgroups", expected: "deny", actual: line(report.setgroups)),
        .errno("it writes a file of {uid_outside}'s", expected: "success", actual: writes.first),
        .errno("it cannot write root's 0600 file", expected: "EACCES", actual: writes.dropFirst().first),
    ]
}

private let net = Exercise(
    id: .netNamespace, placeholders: ["probe"],
    task: "run the command in a new network namespace with lo up",
    choose: { random in ["port": String(random.number(20000...29999)), "sandbox_port": String(random.number(30000...39999))] }
) { bench in
    let port = Int(bench.values["port"]!)!, sandboxPort = Int(bench.values["sandbox_port"]!)!
    // The grader listens on the sandbox's loopback: the command must not reach it.
    let listener = try bench.startSandbox([.listen(address: "127.0.0.1", port: sandboxPort), .hold()])
    defer { bench.stopSandbox(listener) }
    let run = try bench.runStudent([.report([.ns, .interfaces]), .listen(address: "127.0.0.1", port: port),
                                    .connect(address: "127.0.0.1", port: port), .connect(address: "127.0.0.1", port: sandboxPort)])
    let report = try run.report
    let connects = (try? run.probe.results(ConnectResult.self)) ?? []
    return [
        .differ("net namespace of the command, not the sandbox's", old: bench.sandboxInode(.net), new: report.inode(.net)).stable("a new one"),
        .equal("devices it sees", expected: ["lo UP 127.0.0.1"], actual: report.interfaces.map(deviceLines))
            .diagnosed(report.interfaces?.first { $0.name == "lo" }?.up == false ? "lo is down: bring it up (ip link set lo up)" : nil),
        .errno("listen on 127.0.0.1 inside", expected: "success", actual: try? run.probe.result(ListenResult.self)),
        .errno("connect to it", expected: "success", actual: connects.first),
        .equal("connect to the grader's listener on the sandbox's 127.0.0.1", expected: "refused",
               actual: connects.dropFirst().first.map { $0.failed ? "refused" : "reached" }),
    ]
}

private let veth = Exercise(
    id: .netVeth, placeholders: ["host_if", "ns_if", "host_addr", "ns_addr", "prefix", "probe"],
    task: "as net-namespace, plus a veth pair {host_if}/{ns_if}: {ns_if} moved into the new namespace with {ns_addr}/{prefix}, {host_if} left in the sandbox with {host_addr}/{prefix}, both up",
    choose: { random in
        let net = "10.\(random.number(1...250)).\(random.number(1...250))"
        return ["host_if": "h-\(random.word(5))", "ns_if": "n-\(random.word(5))", "host_addr": "\(net).1", "ns_addr": "\(net).2",
                "prefix": "24", "port": String(random.number(20000...29999))]
    }
) { bench in
    let values = bench.values, port = Int(values["port"]!)!
    let listener = try bench.startSandbox([.listen(address: "0.0.0.0", port: port), .hold()])
    defer { bench.stopSandbox(listener) }
    let run = try bench.runStudent([.report([.ns, .interfaces]), .connect(address: values["host_addr"]!, port: port)])
    let report = try run.report
    let devices = report.interfaces.map(deviceLines)
    return [
        .differ("net namespace of the command, not the sandbox's", old: bench.sandboxInode(.net), new: report.inode(.net)).stable("a new one"),
        .contains("devices it sees", "lo UP 127.0.0.1", in: devices) { $0 },
        .contains("and", "\(values["ns_if"]!) UP \(values["ns_addr"]!)", in: devices) { $0 },
        .errno("connect to the grader's listener on {host_addr}", expected: "success", actual: try? run.probe.result(ConnectResult.self)),
    ]
}

/// Whether the probe's /proc lists it by its pid in the parent PID namespace (the second
/// last of NSpid): a /proc of the namespace above.
private func showsParentPids(_ report: ProbeReport) -> Bool {
    guard let nspid = report.nspid, nspid.count >= 2, let pids = report.pids else { return false }
    return pids.contains(nspid[nspid.count - 2])
}

/// "lo UP 127.0.0.1", one per device.
func deviceLines(_ interfaces: [ProbeReport.Interface]) -> [String] {
    interfaces.map { ([$0.name, $0.up ? "UP" : "DOWN"] + $0.addresses).joined(separator: " ") }
}

extension Check {
    /// The same check with a value that is the same in every run in place of an inode: a
    /// report graded twice with one seed must read the same.
    func stable(_ passedText: String) -> Check {
        Check(name, expected: passedText, actual: passed ? passedText : (actual == "(nothing)" ? actual : "the sandbox's"),
              passed: passed)
    }

    /// The same check, failing with `diagnosis` as its actual value's explanation.
    func diagnosed(_ diagnosis: String?) -> Check {
        guard let diagnosis, !passed else { return self }
        return Check(name, expected: expected, actual: "\(actual) — \(diagnosis)", passed: false)
    }
}

/// SplitMix64: the same values for the same seed, on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func number(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// `count` lowercase letters and digits.
    mutating func word(_ count: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in letters[Int.random(in: 0..<letters.count, using: &self)] })
    }
}
