import Glibc

/// net-namespace (network_namespaces(7)). A new network namespace has its own devices,
/// addresses, ports, routes and firewall, and starts with nothing but a loopback device that
/// is down. A veth pair is a cable between two namespaces. Every device here is made in the
/// demo host's network namespace or a new one, both the runner's: no packet leaves them.
let netChapter = Chapter(netNamespace, exercises: [netExercise, vethExercise], messages: say)
private let say = NetText()

public let netNamespace = Experiment(
    id: "net-namespace",
    title: say.title,
    namespaces: [.net],
    minimumKernel: "3.8",  // /proc/PID/ns/net, veth moves by pid
    needsCommands: ["ip"],
    // Its own /run, where `ip netns` keeps its names, so that no name is left on the machine.
    demoHostNamespaces: [.net, .mnt],
    // Mount: the sandbox's, the demo host's, one new at a time. Network: every one the run
    // makes (sandbox, demo host, five new), since the kernel frees a dead network namespace,
    // and gives its count back, later, from a work queue (cleanup_net).
    namespaceBudget: [.net: 7, .mnt: 3],
    footprint: Footprint(links: [hostEnd, namespaceEnd], mountPoints: ["/run/netns", "/run/netns/\(netnsName)"],
                         mountSources: ["nslab-run"], netnsNames: [netnsName]),
    // The demo host plays a machine whose loopback is up (as every machine's is).
    demoHostSetup: [.mount(source: "nslab-run", target: "/run", fstype: "tmpfs", flags: UInt(MS_NOSUID | MS_NODEV), data: "mode=0755"),
                    .setLinkUp("lo")],
    shellTries: ["ip address", "ip link set lo up; ip address", "ip route", "readlink /proc/self/ns/net"],
    steps: [
        Step("only-lo", say.onlyLo,
             shell: "ip -brief link; unshare --net bash -c 'ip -brief address; ip route; echo > /dev/tcp/127.0.0.1/80' || true",
             syscalls: ["unshare(CLONE_NEWNET)", "connect(127.0.0.1:\(port))"]) { lab in
            let look: [ProbeAction] = [.report([.interfaces, .routes, .ns]), .connect(address: "127.0.0.1", port: port)]
            let sides = try lab.probe([.oldSide, .new([.net])], look, then: showAddresses)
            let old = sides[0], new = sides[1]
            let newReport = try new.report
            return StepOutcome(
                observations: [old.observation(words.oldNamespace), new.observation(words.newNamespace)],
                checks: [
                    .differ(words.newNamespaceInode("net"), old: try old.report.inode(.net), new: newReport.inode(.net)),
                    .equal(say.devicesInNew, expected: ["lo DOWN"], actual: newReport.interfaces.map(deviceLines)),
                    .equal(say.itsRoutes, expected: [], actual: newReport.routes),
                    .fails(say.connectThere("127.0.0.1:\(port)"), with: "ENETUNREACH", try? new.probe.result(ConnectResult.self)),
                    .fails(say.sameConnectInOld, with: "ECONNREFUSED", try? old.probe.result(ConnectResult.self)),
                ])
        },

        Step("loopback-up", say.loopbackUp,
             shell: "unshare --net sh -c 'ip link set lo up; ip -brief address; ip route show table local'",
             syscalls: ["ioctl(SIOCSIFFLAGS, \"lo\", IFF_UP)", "listen(127.0.0.1:\(port))", "connect(127.0.0.1:\(port))"]) { lab in
            let new = try lab.probe(.new([.net], [.setLinkUp("lo")]),
                                    [.report([.interfaces, .ns]), .listen(address: "127.0.0.1", port: port),
                                     .connect(address: "127.0.0.1", port: port)], then: showAddresses)
            return StepOutcome(
                observations: [new.observation(say.newAfterLoUp)],
                checks: [
                    .equal(say.devicesInNew, expected: ["lo UP 127.0.0.1"], actual: try new.report.interfaces.map(deviceLines)),
                    .succeeds(say.listenThere("127.0.0.1:\(port)"), try? new.probe.result(ListenResult.self)),
                    .succeeds(say.handshakeOverLo("127.0.0.1:\(port)"), try? new.probe.result(ConnectResult.self)),
                ])
        },

        Step("same-port", say.samePort,
             shell: .verbatim("""
                 unshare --net bash -c 'ip link set lo up; busybox nc -l -p 8080 &
                   unshare --net bash -c \"ip link set lo up; busybox nc -l -p 8080 & sleep 1; ss -Hltn; kill \\$!\"
                   ss -Hltn; kill $!'
                 """),
             syscalls: [say.bindInOld("127.0.0.1:\(port)"), say.bindInNew("127.0.0.1:\(port)")]) { lab in
            let listen = ProbeAction.listen(address: "127.0.0.1", port: port)
            // The old side keeps its port while the new side binds the same one, twice.
            let (old, new) = try lab.probe(.oldSide, [.report([.ns]), listen, .hold()]) { _ in
                try lab.probe(.new([.net], [.setLinkUp("lo")]), [.report([.ns]), listen, listen])
            }
            let newListens = try new.probe.results(ListenResult.self)
            guard newListens.count == 2 else { throw LabError(say.listensReported(newListens.count)) }
            let oldListen = try old.probe.result(ListenResult.self)
            return StepOutcome(
                observations: [
                    old.observation(words.oldNamespace, command: "nsprobe listen=127.0.0.1:\(port) hold",
                                    output: [say.listenOutcome(oldListen.outcome)]),
                    new.observation(say.newMeanwhile, command: "nsprobe listen=127.0.0.1:\(port) listen=127.0.0.1:\(port)",
                                    output: newListens.map { say.listenOutcome($0.outcome) }),
                ],
                checks: [
                    .succeeds(say.listenInOld("127.0.0.1:\(port)"), oldListen),
                    .succeeds(say.samePortInNew, newListens[0]),
                    .fails(say.secondListen, with: "EADDRINUSE", newListens[1]),
                ])
        },

        Step("veth", say.veth,
             shell: say.hostShell("""
                 unshare --net bash -c 'ip link set lo up; unshare --net sleep 9 & sleep 1
                   ip link add veth-host type veth peer name veth-ns netns $!
                   ip addr add 10.200.0.1/24 dev veth-host; ip link set veth-host up
                   nsenter --net --target $! bash -c \"ip addr add 10.200.0.2/24 dev veth-ns
                     ip link set veth-ns up; ip route; echo > /dev/tcp/10.200.0.1/22\"
                   kill $!'
                 """),
             syscalls: [.verbatim("RTM_NEWLINK(veth, peer netns PID)"), .verbatim("RTM_NEWADDR"),
                        .verbatim("RTM_NEWLINK(IFF_UP)"), .verbatim("connect(\(hostAddress):\(port))")]) { lab in
            let holder = try lab.startProbe(.new([.net], [.setLinkUp("lo")]),
                                            [.report([.ns, .routes]), .hold(), .report([.interfaces, .routes]),
                                             .connect(address: hostAddress, port: port), .hold()])
            let commands = try cable(lab, to: holder)
            let listener = try lab.startProbe(.oldSide, [.listen(address: hostAddress, port: port), .report([.interfaces, .ns]), .hold()])
            holder.send()
            try holder.awaitHold(timeout: lab.timeout)  // it has connected
            // Deleting one end deletes the pair, at once (the next step makes its own); while
            // the new namespace lives, which would otherwise take it down a moment after it died.
            let cleanup = try lab.change(.oldSide, [.deleteLink(hostEnd)]).commands[0]
            holder.send()
            let new = try lab.finish(holder)
            listener.send()
            let old = try lab.finish(listener, shown: "nsprobe listen=\(hostAddress):\(port)")
            let before = try new.probe.report(0), after = try new.probe.report(1)
            return StepOutcome(
                observations: [
                    old.observation(words.oldNamespace, command: commands.prefix(3).joined(separator: "; "),
                                    output: [say.devices(Message.list(try old.report.interfaces.map(deviceLines) ?? [])),
                                             say.listenAt("\(hostAddress):\(port)",
                                                          (try? old.probe.result(ListenResult.self))?.outcome ?? Message.verbatim("?")),
                                             say.then(cleanup)]),
                    new.observation(words.newNamespace, command: commands.suffix(2).joined(separator: "; "),
                                    output: [say.devices(Message.list(after.interfaces.map(deviceLines) ?? [])),
                                             say.routes(Message.list(after.routes ?? [])),
                                             say.connectAt("\(hostAddress):\(port)",
                                                           (try? new.probe.result(ConnectResult.self))?.outcome ?? Message.verbatim("?"))]),
                ],
                checks: [
                    .equal(say.routesBeforeCable, expected: [], actual: before.routes),
                    .equal(say.devicesAfterCable, expected: ["lo UP 127.0.0.1", "\(namespaceEnd) UP \(namespaceAddress)"],
                           actual: after.interfaces.map(deviceLines)),
                    .equal(say.routesFromAddress, expected: ["10.200.0.0/24 dev \(namespaceEnd)"],
                           actual: after.routes),
                    .contains(say.devicesInOld, "\(hostEnd) UP \(hostAddress)", in: try old.report.interfaces.map(deviceLines)) { $0 },
                    .succeeds(say.listenInOld("\(hostAddress):\(port)"), try? old.probe.result(ListenResult.self)),
                    .succeeds(say.connectAcrossCable("\(hostAddress):\(port)"), try? new.probe.result(ConnectResult.self)),
                ])
        },

        Step("move", say.move,
             shell: say.hostShell("""
                 unshare --net --mount bash -c 'mount -t tmpfs run /run
                   ip link add veth-host type veth peer name veth-ns
                   unshare --net sleep 9 & sleep 1
                   ip link set veth-ns netns $!; ip -brief link
                   nsenter --net --target $! ip link set veth-ns netns $$
                   ip netns attach lab $!; ip netns list
                   ip link set veth-ns netns lab; ip -brief link
                   ip netns delete lab; kill $!; wait
                   ip link delete veth-host 2>&1 || true'
                 """),
             syscalls: [.verbatim("RTM_NEWLINK(IFLA_NET_NS_PID)"), .verbatim("ip netns attach \(netnsName) PID"),
                        .verbatim("RTM_NEWLINK(IFLA_NET_NS_FD)"), say.killHolder]) { lab in
            // The holder keeps the new namespace and shows its devices when asked; a probe in
            // the demo host does the same for the old side (serve: a look is a line on a pipe),
            // and at the end waits there for the pair to go.
            let holder = try lab.startProbe(.new([.net], [.setLinkUp("lo")]), [.report([.ns]), .serve([.interfaces])])
            let inside = try lab.inside(holder, [.net])
            guard let demoHost = lab.oldSideHost?.pid, let demoHostNet = lab.demoHostFile(.net) else {
                throw LabError(say.noDemoHost)
            }
            let observer = try lab.startProbe(.oldSide, [.report([.ns]), .serve([.interfaces, .mounts]),
                                                         .awaitLinkGone(hostEnd, seconds: Int(lab.timeout)), .report([.interfaces])])
            var steps: [(command: String, old: [String]?, new: [String]?)] = []
            // After each command, the devices a probe shows: those the checks read always, the
            // others only where the run shows them.
            func devices(_ probe: ChildProcess, _ checked: Bool) throws -> [String]? {
                guard checked || lab.runsShownCommands else { return nil }
                return try lab.look(probe).interfaces.map(deviceLines)
            }
            // A change made from one side, into the other side's namespace only; the probe
            // that makes it then reads its own side's devices.
            func run(_ change: ProbeAction, fromNew: Bool = false, checked: (old: Bool, new: Bool) = (false, false)) throws {
                let readsOwn = (fromNew ? checked.new : checked.old) || lab.runsShownCommands
                let (commands, done) = try lab.change(fromNew ? inside : .oldSide, [change],
                                                      into: fromNew ? [demoHostNet] : inside.join,
                                                      then: readsOwn ? [.report([.interfaces])] : [])
                let own = readsOwn ? try done.report.interfaces.map(deviceLines) : nil
                steps.append(fromNew ? (commands[0], try devices(observer, checked.old), own)
                                     : (commands[0], own, try devices(holder, checked.new)))
            }
            func runIP(_ arguments: String) throws {
                steps.append((try ip(lab, .oldSide, arguments), try devices(observer, false), try devices(holder, false)))
            }
            try run(.addVeth(hostEnd, peer: namespaceEnd))
            try run(.moveLink(namespaceEnd, into: .process(holder.pid)), checked: (true, true))
            try run(.moveLink(namespaceEnd, into: .process(pid_t(demoHost))), fromNew: true, checked: (true, false))
            try runIP("netns attach \(netnsName) \(holder.pid)")
            // The file system of the mount at the name: "no mount" when there is none, nothing
            // when the report has no mounts.
            let seen = try lab.look(observer)
            let named: Message? = seen.mounts == nil ? nil
                : seen.mount(at: "/run/netns/\(netnsName)").map { Message.verbatim($0.fstype) } ?? words.noMount
            try run(.moveLink(namespaceEnd, into: .attached(netnsName)), checked: (false, true))
            try runIP("netns delete \(netnsName)")
            // The last process of the namespace goes; the kernel takes the pair down with it.
            let ended = try lab.finish(holder)
            let gone = try lab.finish(observer)
            let final = try gone.probe.lastReport().interfaces.map(deviceLines)
            func at(_ index: Int) -> (old: [String]?, new: [String]?) { index < steps.count ? (steps[index].old, steps[index].new) : (nil, nil) }
            return StepOutcome(
                // Side by side: each command, then the devices each namespace shows.
                observations: [
                    gone.observation(words.oldNamespace, command: "ip … ; ip -brief link",
                                     output: steps.flatMap { [Message.verbatim("$ \($0.command)"), indented($0.old)] }
                                        + [say.lastProcessExits(holder.pid), indented(final)]),
                    ended.observation(words.newNamespace, command: "ip -brief link",
                                      output: steps.flatMap { [Message.verbatim(""), indented($0.new)] }
                                        + [Message.verbatim(""), say.indented(say.goneWith(ended.termination.message))]),
                ],
                checks: [
                    .contains(say.byPid(namespaceEnd), "\(namespaceEnd) DOWN", in: at(1).new) { $0 },
                    .notContains(say.goneFromOld, "\(namespaceEnd) DOWN", in: at(1).old) { $0 },
                    .contains(say.backByPid, "\(namespaceEnd) DOWN", in: at(2).old) { $0 },
                    .equal(say.attachMount, expected: Message.verbatim("nsfs"), actual: named),
                    .contains(say.byName(namespaceEnd), "\(namespaceEnd) DOWN", in: at(4).new) { $0 },
                    .succeeds(say.pairGone, try? gone.probe.result(LinkGoneResult.self)),
                    .equal(say.oldDevicesAtEnd, expected: ["lo UP 127.0.0.1"], actual: final),
                ])
        },
    ])

private let port = 8080
private let hostEnd = "veth-host"
private let namespaceEnd = "veth-ns"
private let hostAddress = "10.200.0.1"
private let namespaceAddress = "10.200.0.2"
private let netnsName = "nslab-lab"
/// What the new side shows after the probe: `ip -brief address`.
private let showAddresses = ["ip", "-brief", "address"]

/// Devices as the move step lists them under a command: "  lo UP 127.0.0.1, veth-ns DOWN",
/// or "  ?" when they were not read.
private func indented(_ devices: [String]?) -> Message {
    say.indented(Message.list(devices ?? ["?"]))
}

/// Runs the `ip` command `arguments` where `placement` says (`ip netns`, which names a
/// namespace with a mount). Returns it as a student types it.
private func ip(_ lab: Lab, _ placement: ProcessSpec, _ arguments: String) throws -> String {
    let done = try lab.run(placement, ["ip"] + arguments.split(separator: " ").map(String.init))
    guard done.termination == .exited(0) else {
        throw LabError(say.ipFailed(done.command, done.termination.message, done.output.joined(separator: " ")))
    }
    return done.command
}

/// The cable of step veth: a veth pair made in the demo host with one end in `holder`'s new
/// namespace, each end with an address and up. Returns the commands, as a student types them.
private func cable(_ lab: Lab, to holder: ChildProcess) throws -> [String] {
    let inside = try lab.inside(holder, [.net])
    return try lab.change(.oldSide, [.addVeth(hostEnd, peer: namespaceEnd, peerInto: .process(holder.pid)),
                                     .addAddress(hostEnd, address: "\(hostAddress)/24"), .bringUp(hostEnd)],
                          into: inside.join).commands
        + lab.change(inside, [.addAddress(namespaceEnd, address: "\(namespaceAddress)/24"), .bringUp(namespaceEnd)]).commands
}

// MARK: - Graded exercise

/// The ports of net-namespace, different in every run; neither is a placeholder.
struct NetExerciseValues: ExerciseValues {
    /// Where the grader listens and connects in the command's namespace.
    let port: Int
    /// Where the grader listens on the sandbox's loopback: the command must not reach it.
    let sandboxPort: Int
}

let netExercise = Exercise(
    id: "net-namespace", task: say.netTask,
    choose: { random in NetExerciseValues(port: random.number(20000...29999), sandboxPort: random.number(30000...39999)) },
    // The grader listens on the sandbox's loopback: the command must not reach it.
    sandboxSetup: { values in [.listen(address: "127.0.0.1", port: values.sandboxPort)] }
) { paused, values in
    let isNew = paused.isNew(.net)
    let seen = try paused.look(joining: [.net], [.report([.interfaces])] + (isNew ? [
        .listen(address: "127.0.0.1", port: values.port), .connect(address: "127.0.0.1", port: values.port),
        .connect(address: "127.0.0.1", port: values.sandboxPort),
    ] : []))
    let interfaces = try seen.report().interfaces
    let connects = try seen.results(ConnectResult.self)
    return [
        paused.newNamespace(.net),
        .equal(say.devicesItSees, expected: ["lo UP 127.0.0.1"], actual: interfaces.map(deviceLines))
            .diagnosed(interfaces?.first { $0.name == "lo" }?.up == false ? say.loIsDown : nil),
        .equal(say.listenInside, expected: words.success,
               actual: isNew ? try seen.result(ListenResult.self).outcome : notTried(.net)),
        .equal(say.connectToIt, expected: words.success, actual: connects.first?.outcome ?? notTried(.net)),
        .equal(say.connectToSandbox, expected: say.refused,
               actual: connects.dropFirst().first.map { $0.failed ? say.refused : say.reached } ?? notTried(.net)),
    ]
}

/// The veth pair of net-veth, different in every run, and the port of the grader's listener.
struct VethExerciseValues: ExerciseValues {
    /// {host_if}, the end left in the sandbox, and {ns_if}, the end in the new namespace.
    let hostInterface: String, namespaceInterface: String
    /// {host_addr} and {ns_addr}, in one /{prefix} network.
    let hostAddress: String, namespaceAddress: String
    let prefix: Int
    /// Where the grader listens in the sandbox, on every address; not a placeholder.
    let port: Int
    var placeholders: [(name: String, value: String)] {
        [("host_if", hostInterface), ("ns_if", namespaceInterface), ("host_addr", hostAddress),
         ("ns_addr", namespaceAddress), ("prefix", String(prefix))]
    }
}

let vethExercise = Exercise(
    id: "net-veth", task: say.vethTask,
    choose: { random -> VethExerciseValues in
        let net = "10.\(random.number(1...250)).\(random.number(1...250))"
        return VethExerciseValues(hostInterface: "h-\(random.word(5))", namespaceInterface: "n-\(random.word(5))",
                                  hostAddress: "\(net).1", namespaceAddress: "\(net).2", prefix: 24,
                                  port: random.number(20000...29999))
    },
    sandboxSetup: { values in [.listen(address: "0.0.0.0", port: values.port)] },
    leavesDevices: { values in [values.hostInterface] }
) { paused, values in
    let isNew = paused.isNew(.net)
    let seen = try paused.look(joining: [.net], [.report([.interfaces])]
                                   + (isNew ? [.connect(address: values.hostAddress, port: values.port)] : []))
    let devices = try seen.report().interfaces.map(deviceLines)
    return [
        paused.newNamespace(.net),
        .contains(say.devicesItSees, "lo UP 127.0.0.1", in: devices) { $0 },
        .contains(say.andItsEnd, "\(values.namespaceInterface) UP \(values.namespaceAddress)", in: devices) { $0 },
        .contains(say.hostEndInSandbox, "\(values.hostInterface) UP \(values.hostAddress)",
                  in: try paused.during().devices.map(deviceLines)) { $0 },
        .equal(say.connectToHostAddress, expected: words.success,
               actual: isNew ? try seen.result(ConnectResult.self).outcome : notTried(.net)),
    ]
}

// MARK: - What the chapter says

final class NetText: MessageTable {
    let title = Message("Network namespace: loopback, veth pairs, ports and routes", zh: "网络命名空间：回环接口、veth 设备对、端口与路由")

    let onlyLo = Message("A new network namespace: only lo, and it is down", zh: "新的网络命名空间：只有 lo，而且它没有启用")
    let devicesInNew = Message("devices in the new namespace", zh: "新命名空间里的设备")
    let itsRoutes = Message("its routes", zh: "新命名空间里的路由")
    let connectThere = Template("connect({0}) there", zh: "在新命名空间里 connect({0})")
    let sameConnectInOld = Message("the same connect in the old namespace (lo up, nobody listening)", zh: "在旧命名空间里做同样的 connect（lo 已启用，没有进程在监听）")

    let loopbackUp = Message("Bring lo up: loopback works inside", zh: "启用 lo：回环接口在里面能用了")
    let newAfterLoUp = Message("new namespace, after ip link set lo up", zh: "新命名空间，执行 ip link set lo up 之后")
    let listenThere = Template("listen({0})", zh: "在新命名空间里 listen({0})")
    let handshakeOverLo = Template("connect({0}): a TCP handshake over lo", zh: "connect({0})，经由 lo 的一次 TCP 握手")

    let samePort = Message("The same port, bound in two namespaces at once", zh: "同一个端口，同时绑定在两个命名空间里")
    let bindInOld = Template("bind({0}) in the old namespace", zh: "旧命名空间里的 bind({0})")
    let bindInNew = Template("bind({0}) in the new one", zh: "新命名空间里的 bind({0})")
    let listensReported = Template("the probe reported {0} of its 2 listens", zh: "探针报告了 {0} 次 listen，而不是它的 2 次")
    let newMeanwhile = Message("new namespace, meanwhile", zh: "新命名空间，与此同时")
    let listenOutcome = Template("listen: {0}", zh: "listen：{0}")
    let listenInOld = Template("listen({0}) in the old namespace", zh: "在旧命名空间里 listen({0})")
    let samePortInNew = Message("the same port in the new namespace, meanwhile", zh: "与此同时，在新命名空间里监听同一个端口")
    let secondListen = Message("a second listen on it in the new namespace: the port is taken there", zh: "在新命名空间里第二次监听它，端口在那里已被占用")

    let veth = Message("A veth pair: a cable between two namespaces", zh: "veth 设备对：连接两个命名空间的一根网线")
    let hostShell = Template("{0}   # this bash plays the host", zh: "{0}   # 这个 bash 扮演宿主机")
    let devices = Template("devices: {0}", zh: "设备：{0}")
    let routes = Template("routes: {0}", zh: "路由：{0}")
    let listenAt = Template("listen({0}): {1}", zh: "listen({0})：{1}")
    let connectAt = Template("connect({0}): {1}", zh: "connect({0})：{1}")
    let then = Template("then: {0}", zh: "然后：{0}")
    let routesBeforeCable = Message("routes in the new namespace before the cable", zh: "接上网线之前，新命名空间里的路由")
    let devicesAfterCable = Message("devices in the new namespace after it", zh: "接上网线之后，新命名空间里的设备")
    let routesFromAddress = Message("its routes: only the one the address brought", zh: "它的路由，只有添加地址时带来的那一条")
    let devicesInOld = Message("devices in the old namespace", zh: "旧命名空间里的设备")
    let connectAcrossCable = Template("connect({0}) from the new namespace, across the cable", zh: "从新命名空间经网线 connect({0})")

    let move = Message("Moving a device: by pid, by name, and when its namespace dies", zh: "移动设备：按 pid、按名字，以及它的命名空间消亡时")
    let killHolder = Message("kill(holder)", zh: "kill(holder)，holder 为新命名空间的最后一个进程")
    let noDemoHost = Message("the demo host is not running", zh: "演示宿主机没有在运行")
    /// A line of the move's observations, under the command it follows.
    let indented = Template("  {0}", zh: "  {0}")
    let lastProcessExits = Template("(pid {0}, the new namespace's last process, exits)", zh: "（新命名空间的最后一个进程 pid {0} 退出）")
    let goneWith = Template("(gone: {0})", zh: "（已消失：{0}）")
    let byPid = Template("by pid: {0} is in the new namespace", zh: "按 pid 移动后，{0} 在新命名空间里")
    let goneFromOld = Message("and gone from the old one", zh: "并且已从旧命名空间里消失")
    let backByPid = Message("back by the demo host's pid, from inside", zh: "从里面按演示宿主机的 pid 移回")
    let attachMount = Message("ip netns attach: a bind mount of the namespace under /run/netns", zh: "ip netns attach 在 /run/netns 下为命名空间做的绑定挂载")
    let byName = Template("by name: {0} is in the new namespace again", zh: "按名字移动后，{0} 又回到新命名空间里")
    let pairGone = Message("when the new namespace died, its end of the pair went, and the other with it", zh: "新命名空间消亡时，设备对在里面的一端随之消失，另一端也一起消失")
    let oldDevicesAtEnd = Message("the old namespace's devices at the end", zh: "最后旧命名空间里的设备")
    /// An `ip` command that failed: the command, how it ended, what it printed.
    let ipFailed = Template("{0}: {1}: {2}", zh: "{0}：{1}：{2}")

    // The exercises
    let netTask = Message("run the command in a new network namespace with lo up", zh: "在一个启用了 lo 的新网络命名空间里运行命令")
    let devicesItSees = Message("devices it sees", zh: "命令看到的设备")
    let loIsDown = Message("lo is down: bring it up (ip link set lo up)", zh: "lo 没有启用：启用它（ip link set lo up）")
    let listenInside = Message("listen on 127.0.0.1 inside", zh: "在命令的网络命名空间里监听 127.0.0.1")
    let connectToIt = Message("connect to it", zh: "连接这个监听者")
    let connectToSandbox = Message("connect to the grader's listener on the sandbox's 127.0.0.1", zh: "连接评分器在沙箱的 127.0.0.1 上的监听者")
    let refused = Message("refused", zh: "被拒绝")
    let reached = Message("reached", zh: "连上了")

    let vethTask = Message("as net-namespace, plus a veth pair {host_if}/{ns_if}: {ns_if} moved into the new namespace with {ns_addr}/{prefix}, {host_if} left in the sandbox with {host_addr}/{prefix}, both up", zh: "同 net-namespace，再加一个 veth 设备对 {host_if}/{ns_if}：{ns_if} 移进新命名空间并配上 {ns_addr}/{prefix}，{host_if} 留在沙箱里并配上 {host_addr}/{prefix}，两端都启用")
    let andItsEnd = Message("and", zh: "以及")
    let hostEndInSandbox = Message("{host_if} in the sandbox", zh: "沙箱里的 {host_if}")
    let connectToHostAddress = Message("connect to the grader's listener on {host_addr}", zh: "连接评分器在 {host_addr} 上的监听者")
}
