import Glibc

/// An exercise of `runner grade`: what the student's program receives, what it must do, and
/// the checks that judge it (DESIGN.md, "Exercises"). Every check reads the kernel from
/// outside the student's reach, while the program's probe pauses: the probe's process in the
/// grader's own /proc, and the grader's own probe in the namespaces the program made.
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
    /// The files the exercise hands the program under /exercise, from its values.
    let fixtures: @Sendable ([String: String]) -> [Fixture]
    /// What the grader sets up in the sandbox before the program starts: objects the program
    /// must not see, a listener it must reach or not.
    let sandboxSetup: @Sendable ([String: String]) -> [ProbeAction]
    /// The sections the program's probe reports, besides its namespaces and pid.
    let reportSections: Set<ReportSection>
    /// Devices the program is asked to leave in the sandbox.
    let leavesDevices: @Sendable ([String: String]) -> Set<String>
    /// Judges what the program achieved, while its probe pauses.
    let judge: @Sendable (PausedProbe) throws -> [Check]

    /// A file or directory under /exercise (a sandbox path), the sandbox's root's unless an
    /// owner is given (an id as the sandbox counts them); or the busybox root.
    enum Fixture: Sendable {
        case file(String, text: String, owner: UInt32 = 0, mode: UInt32 = 0o644)
        case directory(String)
        case busyboxRoot(String)
    }

    init(id: ID, placeholders: [String], task: String, choose: @escaping @Sendable (inout SeededGenerator) -> [String: String],
         fixtures: @escaping @Sendable ([String: String]) -> [Fixture] = { _ in [] },
         sandboxSetup: @escaping @Sendable ([String: String]) -> [ProbeAction] = { _ in [] },
         reportSections: Set<ReportSection> = [], leavesDevices: @escaping @Sendable ([String: String]) -> Set<String> = { _ in [] },
         judge: @escaping @Sendable (PausedProbe) throws -> [Check]) {
        self.id = id
        self.placeholders = placeholders
        self.task = task
        self.choose = choose
        self.fixtures = fixtures
        self.sandboxSetup = sandboxSetup
        self.reportSections = reportSections
        self.leavesDevices = leavesDevices
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

/// What a check says when the grader did not try something: the program's namespace is the
/// sandbox's, so acting there would change the sandbox instead.
private func notTried(_ kind: Namespace) -> String { "(not tried: the command is in the sandbox's \(kind.rawValue) namespace)" }

private let uts = Exercise(
    id: .utsNamespace, placeholders: ["hostname", "probe"],
    task: "run the command in a new UTS namespace whose hostname is {hostname}",
    choose: { random in ["hostname": "host-" + random.word(6)] }, reportSections: [.hostname]
) { paused in
    let seen = try paused.look(joining: [.uts], [.report([.hostname])]).report()
    return [
        paused.newNamespace(.uts),
        .equal("hostname the command sees", expected: paused.values["hostname"], actual: seen.hostname),
    ]
}

private let ipc = Exercise(
    id: .ipcNamespace, placeholders: ["probe"],
    task: "run the command in a new IPC namespace",
    choose: { random in ["sandbox_key": String(random.number(0x10000...0x7fff_ffff)), "probe_key": String(random.number(0x10000...0x7fff_ffff))] },
    // A queue, a segment and a semaphore set of the sandbox's, which the command must not see.
    sandboxSetup: { values in
        let key = Int(values["sandbox_key"]!)!
        return [.makeQueue(key: key), .makeSharedMemory(key: key), .makeSemaphores(key: key)]
    }
) { paused in
    let sandboxKey = Int(paused.values["sandbox_key"]!)!, probeKey = Int(paused.values["probe_key"]!)!
    let isNew = paused.isNew(.ipc)
    let seen = try paused.look(joining: [.ipc], [.report([.sysvipc])] + (isNew ? [.makeQueue(key: probeKey)] : []))
    let sandbox = isNew ? try paused.sandbox.snapshot() : nil
    return [
        paused.newNamespace(.ipc),
        .equal("the sandbox's queue, segment and semaphore set, as the command sees them", expected: "none",
               actual: try seen.report().sysvipc.map { ipc in SysVKind.allCases.contains { ipc.objects($0).contains { $0.key == sandboxKey } } ? "seen" : "none" }),
        .equal("a queue made in the command's IPC namespace, seen from the sandbox", expected: "none",
               actual: sandbox.map { $0.sysvipc.map { $0.msg.contains { $0.key == probeKey } ? "seen" : "none" } ?? "(not read)" } ?? notTried(.ipc)),
    ]
}

private let pid = Exercise(
    id: .pidNamespace, placeholders: ["probe"],
    task: "run the command as PID 1 of a new PID namespace, in a new mount namespace with a fresh /proc mounted",
    choose: { _ in [:] }
) { paused in
    let probe = paused.probe
    let ownPid = probe.nspid.last
    let procMount = probe.mounts?.last { $0.target == "/proc" }
    let listed = procMount?.fstype == "proc" ? probe.list("/proc")?.compactMap { Int($0) }.sorted() : nil
    var checks: [Check] = [
        paused.newNamespace(.pid),
        .equal("the command's pid", expected: 1, actual: ownPid)
            .diagnosed(ownPid == 1 ? nil : "pid 1 in the namespace is `\(paused.initName() ?? "?")`, not the command: exec it"),
        .equal("the pids its /proc lists", expected: [1], actual: listed)
            .diagnosed(procMount?.fstype != "proc" ? "no proc is mounted on /proc: mount a fresh one in the new mount namespace"
                       // /proc is the sandbox's when it lists the probe by its pid one namespace up.
                       : (listed ?? []).contains(probe.nspid.dropLast().last ?? -1)
                       ? "/proc shows the sandbox's processes: mount a fresh proc in a new mount namespace" : nil),
    ]
    if paused.isNew(.pid) {
        // From inside the command's PID namespace, as `nsenter --pid` would: an orphan, and kill -9 1.
        let seen = try paused.look(joining: [.pid], [.orphan, .killInit(signal: SIGKILL)])
        let orphan = try seen.result(OrphanResult.self), kill = try seen.result(KillInitResult.self)
        checks += [
            .equal("new parent of an orphan made in its PID namespace", expected: 1, actual: orphan.parentAfter),
            .equal("after kill -9 1 from inside, init", expected: "alive",
                   actual: kill.initAliveAfter == true && probe.isAlive ? "alive" : "dead"),
        ]
    } else {
        checks += [Check("new parent of an orphan made in its PID namespace", expected: "1", actual: notTried(.pid), passed: false),
                   Check("after kill -9 1 from inside, init", expected: "alive", actual: notTried(.pid), passed: false)]
    }
    return checks
}

private let mount = Exercise(
    id: .mountNamespace, placeholders: ["source", "target", "probe"],
    task: "in a new mount namespace whose mounts do not propagate back, bind-mount {source} onto {target}, then run the command",
    choose: { random in
        let directory = "\(GradingWorkspace.exerciseInSandbox)/mount-\(random.word(4))"
        return ["source": "\(directory)/source", "target": "\(directory)/target", "marker": "marker-\(random.word(6))"]
    },
    fixtures: { values in
        [.file("\(values["source"]!)/\(values["marker"]!)", text: "the source's marker\n"), .directory(values["target"]!)]
    }
) { paused in
    let source = paused.values["source"]!, target = paused.values["target"]!
    let found = paused.probe.identity(of: target)
    let seen: String = switch found {
    case nil: "nothing: it cannot find \(target)"
    case paused.fixtures[source]: "\(source)"
    case paused.fixtures[target]: "\(target) itself: nothing is mounted there"
    default: (paused.probe.list(target) ?? []).contains(paused.values["marker"]!) ? "a copy of \(source)'s files, not \(source) itself"
                                                                               : "another directory"
    }
    let during = try paused.during().mount(at: target).map { "a \($0.fstype) mount" } ?? "no mount"
    return [
        paused.newNamespace(.mnt),
        .equal("at {target} the command finds", expected: source, actual: seen),
        .equal("mounts at {target} in the sandbox while the command runs", expected: "no mount", actual: during)
            .diagnosed(during == "no mount" ? nil : "your mount showed up in the sandbox: make mounts private first (mount --make-rprivate /)"),
    ]
}

private let pivot = Exercise(
    id: .pivotRoot, placeholders: ["rootfs", "probe_in_rootfs"],
    task: "in a new mount namespace, make {rootfs} the root with pivot_root(2), mount proc on /proc while the old root is still there, detach the old root, run the command",
    choose: { random in ["rootfs": "\(GradingWorkspace.exerciseInSandbox)/rootfs-\(random.word(4))"] },
    fixtures: { values in [.busyboxRoot(values["rootfs"]!)] }
) { paused in
    let probe = paused.probe
    let entries = paused.values["rootfs_entries"]!.split(separator: "\n").map(String.init)
    let mounts = probe.mounts
    let proc = mounts?.last { $0.target == "/proc" }
    let oldRoot = try paused.during().mount(at: "/")
    let root = probe.root
    return [
        // First: without /proc, what follows reads wrong to the student.
        .equal("/proc", expected: "proc", actual: mounts.map { _ in proc?.fstype ?? "not mounted" })
            .diagnosed(proc == nil ? "mount proc on /proc before you detach the old root: in a user namespace the kernel "
                                     + "refuses a new proc once no full proc is visible (mount_namespaces(7))" : nil),
        .equal("the command's root", expected: paused.values["rootfs"]!,
               actual: root == paused.fixtures[paused.values["rootfs"]!] ? paused.values["rootfs"]! : root == nil ? nil : "another directory"),
        .equal("/ as the command sees it", expected: entries, actual: probe.list("/")),
        .equal("mounts of the old root it can see", expected: "none",
               actual: mounts.map { mounts in
                   mounts.contains { $0.source == oldRoot?.source && $0.fstype == oldRoot?.fstype && $0.root == oldRoot?.root }
                       ? "the old root: detach it (umount2(put_old, MNT_DETACH))" : "none"
               }),
    ]
}

private let user = Exercise(
    id: .userNamespace, placeholders: ["uid_inside", "uid_outside", "gid_inside", "gid_outside", "probe"],
    task: "run the command in a new user namespace with uid_map `{uid_inside} {uid_outside} 1`, gid_map `{gid_inside} {gid_outside} 1`, setgroups denied, as uid {uid_inside} and gid {gid_inside}",
    choose: { random in
        ["uid_inside": String(random.number(1000...9999)), "uid_outside": String(random.number(10000...60000)),
         "gid_inside": String(random.number(1000...9999)), "gid_outside": String(random.number(10000...60000)),
         "files": "\(GradingWorkspace.exerciseInSandbox)/files-\(random.word(4))"]
    },
    fixtures: { values in
        [.file("\(values["files"]!)/theirs", text: "yours to write\n", owner: UInt32(values["uid_outside"]!)!, mode: 0o644),
         .file("\(values["files"]!)/roots", text: "not yours\n", owner: 0, mode: 0o600)]
    }
) { paused in
    let values = paused.values, probe = paused.probe
    let uidMap = probe.text("uid_map").map(paused.inSandboxTerms), gidMap = probe.text("gid_map").map(paused.inSandboxTerms)
    let inside = probe.ids.flatMap { ids in
        (paused.inside(ids.uid, map: probe.text("uid_map")), paused.inside(ids.gid, map: probe.text("gid_map")))
    }
    var checks: [Check] = [
        paused.newNamespace(.user),
        .equal("uid and gid of the command", expected: "\(values["uid_inside"]!) \(values["gid_inside"]!)",
               actual: inside.map { "\($0.0.map(String.init) ?? "unmapped") \($0.1.map(String.init) ?? "unmapped")" }),
        .equal("its uid_map", expected: "\(values["uid_inside"]!) \(values["uid_outside"]!) 1", actual: uidMap),
        .equal("its gid_map", expected: "\(values["gid_inside"]!) \(values["gid_outside"]!) 1", actual: gidMap),
        .equal("its setgroups", expected: "deny", actual: probe.text("setgroups").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }),
    ]
    let writes = ["it writes a file of {uid_outside}'s": ("theirs", "success"), "it cannot write root's 0600 file": ("roots", "EACCES")]
    let ordered = ["it writes a file of {uid_outside}'s", "it cannot write root's 0600 file"]
    var outcomes: [String: String] = [:]
    if paused.isNew(.user) {
        // With the command's own ids, in its own user namespace: what the kernel lets it do.
        do {
            let seen = try paused.look(joining: [.user], operations: [.setresgid(UInt32(values["gid_inside"]!)!), .setresuid(UInt32(values["uid_inside"]!)!)],
                                       ordered.map { .write(path: paused.workspace.local("\(values["files"]!)/\(writes[$0]!.0)")) })
            let results = try seen.results(WriteResult.self)
            for (name, result) in zip(ordered, results) { outcomes[name] = result.outcome }
        } catch let refused as SystemCallError where refused.call.hasPrefix("setres") {
            for name in ordered { outcomes[name] = "(not tried: its ids are not mapped in its user namespace: \(refused.errnoName))" }
        }
    }
    for name in ordered {
        checks.append(.equal(name, expected: writes[name]!.1, actual: outcomes[name] ?? notTried(.user)))
    }
    return checks
}

private let net = Exercise(
    id: .netNamespace, placeholders: ["probe"],
    task: "run the command in a new network namespace with lo up",
    choose: { random in ["port": String(random.number(20000...29999)), "sandbox_port": String(random.number(30000...39999))] },
    // The grader listens on the sandbox's loopback: the command must not reach it.
    sandboxSetup: { values in [.listen(address: "127.0.0.1", port: Int(values["sandbox_port"]!)!)] }
) { paused in
    let port = Int(paused.values["port"]!)!, sandboxPort = Int(paused.values["sandbox_port"]!)!
    let isNew = paused.isNew(.net)
    let seen = try paused.look(joining: [.net], [.report([.interfaces])] + (isNew ? [
        .listen(address: "127.0.0.1", port: port), .connect(address: "127.0.0.1", port: port),
        .connect(address: "127.0.0.1", port: sandboxPort),
    ] : []))
    let interfaces = try seen.report().interfaces
    let connects = try seen.results(ConnectResult.self)
    return [
        paused.newNamespace(.net),
        .equal("devices it sees", expected: ["lo UP 127.0.0.1"], actual: interfaces.map(deviceLines))
            .diagnosed(interfaces?.first { $0.name == "lo" }?.up == false ? "lo is down: bring it up (ip link set lo up)" : nil),
        .equal("listen on 127.0.0.1 inside", expected: "success", actual: isNew ? try seen.result(ListenResult.self).outcome : notTried(.net)),
        .equal("connect to it", expected: "success", actual: connects.first?.outcome ?? notTried(.net)),
        .equal("connect to the grader's listener on the sandbox's 127.0.0.1", expected: "refused",
               actual: connects.dropFirst().first.map { $0.failed ? "refused" : "reached" } ?? notTried(.net)),
    ]
}

private let veth = Exercise(
    id: .netVeth, placeholders: ["host_if", "ns_if", "host_addr", "ns_addr", "prefix", "probe"],
    task: "as net-namespace, plus a veth pair {host_if}/{ns_if}: {ns_if} moved into the new namespace with {ns_addr}/{prefix}, {host_if} left in the sandbox with {host_addr}/{prefix}, both up",
    choose: { random in
        let net = "10.\(random.number(1...250)).\(random.number(1...250))"
        return ["host_if": "h-\(random.word(5))", "ns_if": "n-\(random.word(5))", "host_addr": "\(net).1", "ns_addr": "\(net).2",
                "prefix": "24", "port": String(random.number(20000...29999))]
    },
    sandboxSetup: { values in [.listen(address: "0.0.0.0", port: Int(values["port"]!)!)] },
    leavesDevices: { values in [values["host_if"]!] }
) { paused in
    let values = paused.values, port = Int(values["port"]!)!
    let isNew = paused.isNew(.net)
    let seen = try paused.look(joining: [.net], [.report([.interfaces])] + (isNew ? [.connect(address: values["host_addr"]!, port: port)] : []))
    let devices = try seen.report().interfaces.map(deviceLines)
    return [
        paused.newNamespace(.net),
        .contains("devices it sees", "lo UP 127.0.0.1", in: devices) { $0 },
        .contains("and", "\(values["ns_if"]!) UP \(values["ns_addr"]!)", in: devices) { $0 },
        .contains("{host_if} in the sandbox", "\(values["host_if"]!) UP \(values["host_addr"]!)",
                  in: try paused.during().devices.map(deviceLines)) { $0 },
        .equal("connect to the grader's listener on {host_addr}", expected: "success",
               actual: isNew ? try seen.result(ConnectResult.self).outcome : notTried(.net)),
    ]
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
