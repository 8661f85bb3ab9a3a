import Glibc

/// net-namespace: seeds 001, 003 and 004. A new network namespace has its own devices,
/// addresses, ports, routes and firewall, and starts with nothing but a loopback device that
/// is down. A veth pair is a cable between two namespaces. Every device here is made in the
/// demo host's network namespace or a new one, both the runner's: no packet leaves them.
public let netNamespace = Experiment(
    id: "net-namespace",
    title: "Network namespace: loopback, veth pairs, ports and routes",
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
                         mountSources: ["nslab-run"]),
    // The demo host plays a machine whose loopback is up (as every machine's is).
    demoHostSetup: [.mount(source: "nslab-run", target: "/run", fstype: "tmpfs", flags: UInt(MS_NOSUID | MS_NODEV), data: "mode=0755"),
                    .setLinkUp("lo")],
    shellTries: ["ip address", "ip link set lo up; ip address", "ip route", "readlink /proc/self/ns/net"],
    steps: [
        Step("only-lo", "A new network namespace: only lo, and it is down",
             shell: "ip -brief link; unshare --net bash -c 'ip -brief address; ip route; echo > /dev/tcp/127.0.0.1/80' || true",
             syscalls: ["unshare(CLONE_NEWNET)", "connect(127.0.0.1:\(port))"]) { lab in
            let look: [ProbeAction] = [.report([.interfaces, .routes, .ns]), .connect(address: "127.0.0.1", port: port)]
            let sides = try lab.probe([.oldSide, .new([.net])], look, then: showAddresses)
            let old = sides[0], new = sides[1]
            let newReport = try new.report
            return StepOutcome(
                observations: [old.observation("old namespace"), new.observation("new namespace")],
                checks: [
                    .differ("net namespace inode of the new process", old: try old.report.inode(.net), new: newReport.inode(.net)),
                    .equal("devices in the new namespace", expected: ["lo DOWN"], actual: newReport.interfaces.map(deviceLines)),
                    .equal("its routes", expected: [], actual: newReport.routes),
                    .errno("connect(127.0.0.1:\(port)) there", expected: "ENETUNREACH",
                           actual: try? new.probe.result(ConnectResult.self)),
                    .errno("the same connect in the old namespace (lo up, nobody listening)", expected: "ECONNREFUSED",
                           actual: try? old.probe.result(ConnectResult.self)),
                ])
        },

        Step("loopback-up", "Bring lo up: loopback works inside",
             shell: "unshare --net sh -c 'ip link set lo up; ip -brief address; ip route show table local'",
             syscalls: ["ioctl(SIOCSIFFLAGS, \"lo\", IFF_UP)", "listen(127.0.0.1:\(port))", "connect(127.0.0.1:\(port))"]) { lab in
            let new = try lab.probe(.new([.net], [.setLinkUp("lo")]),
                                    [.report([.interfaces, .ns]), .listen(address: "127.0.0.1", port: port),
                                     .connect(address: "127.0.0.1", port: port)], then: showAddresses)
            return StepOutcome(
                observations: [new.observation("new namespace, after ip link set lo up")],
                checks: [
                    .equal("devices in the new namespace", expected: ["lo UP 127.0.0.1"], actual: try new.report.interfaces.map(deviceLines)),
                    .errno("listen(127.0.0.1:\(port))", expected: "success", actual: try? new.probe.result(ListenResult.self)),
                    .errno("connect(127.0.0.1:\(port)): a TCP handshake over lo", expected: "success",
                           actual: try? new.probe.result(ConnectResult.self)),
                ])
        },

        Step("same-port", "The same port, bound in two namespaces at once",
             shell: "unshare --net bash -c 'ip link set lo up; busybox nc -l -p 8080 & unshare --net bash -c \"ip link set lo up; busybox nc -l -p 8080 & sleep 1; ss -Hltn; kill \\$!\"; ss -Hltn; kill $!'",
             syscalls: ["bind(127.0.0.1:\(port)) in the old namespace", "bind(127.0.0.1:\(port)) in the new one"]) { lab in
            let listen = ProbeAction.listen(address: "127.0.0.1", port: port)
            // The old side keeps its port while the new side binds the same one, twice.
            let (old, new) = try lab.probe(.oldSide, [.report([.ns]), listen, .hold()]) { _ in
                try lab.probe(.new([.net], [.setLinkUp("lo")]), [.report([.ns]), listen, listen])
            }
            let newListens = try new.probe.results(ListenResult.self)
            guard newListens.count == 2 else { throw LabError("the probe reported \(newListens.count) of its 2 listens") }
            let oldListen = try old.probe.result(ListenResult.self)
            return StepOutcome(
                observations: [
                    old.observation("old namespace", command: "nsprobe listen=127.0.0.1:\(port) hold",
                                    output: ["listen: \(oldListen.outcome)"]),
                    new.observation("new namespace, meanwhile", command: "nsprobe listen=127.0.0.1:\(port) listen=127.0.0.1:\(port)",
                                    output: newListens.map { "listen: \($0.outcome)" }),
                ],
                checks: [
                    .errno("listen(127.0.0.1:\(port)) in the old namespace", expected: "success", actual: oldListen),
                    .errno("the same port in the new namespace, meanwhile", expected: "success", actual: newListens[0]),
                    .errno("a second listen on it in the new namespace: the port is taken there", expected: "EADDRINUSE",
                           actual: newListens[1]),
                ])
        },

        Step("veth", "A veth pair: a cable between two namespaces",
             shell: "unshare --net bash -c 'ip link set lo up; unshare --net sleep 9 & sleep 1; ip link add veth-host type veth peer name veth-ns netns $!; ip addr add 10.200.0.1/24 dev veth-host; ip link set veth-host up; nsenter --net --target $! bash -c \"ip addr add 10.200.0.2/24 dev veth-ns; ip link set veth-ns up; ip route; echo > /dev/tcp/10.200.0.1/22\"; kill $!'   # this bash plays the host",
             syscalls: ["ip link add veth-host type veth peer name veth-ns netns PID", "ip addr add", "ip link set … up",
                        "connect(\(hostAddress):\(port))"]) { lab in
            let holder = try lab.startProbe(.new([.net], [.setLinkUp("lo")]),
                                            [.report([.ns, .routes]), .hold(), .report([.interfaces, .routes]),
                                             .connect(address: hostAddress, port: port), .hold()])
            let commands = try cable(lab, to: holder)
            let listener = try lab.startProbe(.oldSide, [.listen(address: hostAddress, port: port), .report([.interfaces, .ns]), .hold()])
            holder.send()
            try holder.awaitHold(timeout: lab.timeout)  // it has connected
            // Deleting one end deletes the pair, at once (the next step makes its own); while
            // the new namespace lives, which would otherwise take it down a moment after it died.
            let cleanup = try ip(lab, .oldSide, "link delete \(hostEnd)")
            holder.send()
            let new = try lab.finish(holder)
            listener.send()
            let old = try lab.finish(listener, shown: "nsprobe listen=\(hostAddress):\(port)")
            let before = try new.probe.report(0), after = try new.probe.report(1)
            return StepOutcome(
                observations: [
                    old.observation("old namespace", command: commands.prefix(3).map(\.command).joined(separator: "; "),
                                    output: ["devices: " + (try old.report.interfaces.map(deviceLines) ?? []).joined(separator: ", "),
                                             "listen(\(hostAddress):\(port)): \((try? old.probe.result(ListenResult.self))?.outcome ?? "?")",
                                             "then: \(cleanup.command)"]),
                    new.observation("new namespace", command: commands.suffix(2).map(\.command).joined(separator: "; "),
                                    output: ["devices: " + (after.interfaces.map(deviceLines) ?? []).joined(separator: ", "),
                                             "routes: " + (after.routes ?? []).joined(separator: ", "),
                                             "connect(\(hostAddress):\(port)): \((try? new.probe.result(ConnectResult.self))?.outcome ?? "?")"]),
                ],
                checks: [
                    .equal("routes in the new namespace before the cable", expected: [], actual: before.routes),
                    .equal("devices in the new namespace after it", expected: ["lo UP 127.0.0.1", "\(namespaceEnd) UP \(namespaceAddress)"],
                           actual: after.interfaces.map(deviceLines)),
                    .equal("its routes: only the one the address brought", expected: ["10.200.0.0/24 dev \(namespaceEnd)"],
                           actual: after.routes),
                    .contains("devices in the old namespace", "\(hostEnd) UP \(hostAddress)", in: try old.report.interfaces.map(deviceLines)) { $0 },
                    .errno("listen(\(hostAddress):\(port)) in the old namespace", expected: "success",
                           actual: try? old.probe.result(ListenResult.self)),
                    .errno("connect(\(hostAddress):\(port)) from the new namespace, across the cable", expected: "success",
                           actual: try? new.probe.result(ConnectResult.self)),
                ])
        },

        Step("move", "Moving a device: by pid, by name, and when its namespace dies",
             shell: "unshare --net --mount bash -c 'mount -t tmpfs run /run; ip link add veth-host type veth peer name veth-ns; unshare --net sleep 9 & sleep 1; ip link set veth-ns netns $!; ip -brief link; nsenter --net --target $! ip link set veth-ns netns $$; ip netns attach lab $!; ip netns list; ip link set veth-ns netns lab; ip -brief link; ip netns delete lab; kill $!; wait; ip link delete veth-host 2>&1 || true'   # this bash plays the host",
             syscalls: ["ip link set veth-ns netns PID", "ip netns attach \(netnsName) PID", "ip link set veth-ns netns \(netnsName)",
                        "kill(holder)"]) { lab in
            let holder = try lab.startProbe(.new([.net], [.setLinkUp("lo")]), [.report([.ns]), .hold()])
            let inside = try lab.inside(holder, [.net])
            guard let demoHost = lab.oldSideHost?.pid else { throw LabError("the demo host is not running") }
            var steps: [(FinishedProcess, old: [String]?, new: [String]?)] = []
            func run(_ placement: ProcessSpec, _ words: String) throws {
                let command = try ip(lab, placement, words)
                let old = try lab.probe(.oldSide, [.report([.interfaces])]).report.interfaces.map(deviceLines)
                let new = try lab.probe(inside, [.report([.interfaces])]).report.interfaces.map(deviceLines)
                steps.append((command, old, new))
            }
            try run(.oldSide, "link add \(hostEnd) type veth peer name \(namespaceEnd)")
            try run(.oldSide, "link set \(namespaceEnd) netns \(holder.pid)")
            try run(inside, "link set \(namespaceEnd) netns \(demoHost)")
            try run(.oldSide, "netns attach \(netnsName) \(holder.pid)")
            let named = try lab.probe(.oldSide, [.report([.mounts])]).report.mountLine(at: "/run/netns/\(netnsName)")
            try run(.oldSide, "link set \(namespaceEnd) netns \(netnsName)")
            try run(.oldSide, "netns delete \(netnsName)")
            // The last process of the namespace goes; the kernel takes the pair down with it.
            holder.send()
            let ended = try lab.finish(holder)
            let gone = try lab.probe(.oldSide, [.awaitLinkGone(hostEnd), .report([.interfaces, .ns])])
            let final = try gone.report.interfaces.map(deviceLines)
            func at(_ index: Int) -> (old: [String]?, new: [String]?) { index < steps.count ? (steps[index].old, steps[index].new) : (nil, nil) }
            return StepOutcome(
                // Side by side: each command, then the devices each namespace shows.
                observations: [
                    gone.observation("old namespace", command: "ip … ; ip -brief link",
                                     output: steps.flatMap { ["$ \($0.0.command)", "  " + ($0.old ?? ["?"]).joined(separator: ", ")] }
                                        + ["(pid \(holder.pid), the new namespace's last process, exits)",
                                           "  " + (final ?? ["?"]).joined(separator: ", ")]),
                    ended.observation("new namespace", command: "ip -brief link",
                                      output: steps.flatMap { ["", "  " + ($0.new ?? ["?"]).joined(separator: ", ")] }
                                        + ["", "  (gone: \(ended.termination))"]),
                ],
                checks: [
                    .contains("by pid: \(namespaceEnd) is in the new namespace", "\(namespaceEnd) DOWN", in: at(1).new) { $0 },
                    .notContains("and gone from the old one", "\(namespaceEnd) DOWN", in: at(1).old) { $0 },
                    .contains("back by the demo host's pid, from inside", "\(namespaceEnd) DOWN", in: at(2).old) { $0 },
                    .equal("ip netns attach: a bind mount of the namespace under /run/netns", expected: "nsfs",
                           actual: named.map { $0.split(separator: " ").dropFirst(2).first.map(String.init) ?? $0 }),
                    .contains("by name: \(namespaceEnd) is in the new namespace again", "\(namespaceEnd) DOWN", in: at(4).new) { $0 },
                    .errno("when the new namespace died, its end of the pair went, and the other with it", expected: "success",
                           actual: try? gone.probe.result(LinkGoneResult.self)),
                    .equal("the old namespace's devices at the end", expected: ["lo UP 127.0.0.1"], actual: final),
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


/// Runs `ip WORDS` where `placement` says and requires it to succeed.
private func ip(_ lab: Lab, _ placement: ProcessSpec, _ words: String) throws -> FinishedProcess {
    let arguments = ["ip"] + words.split(separator: " ").map(String.init)
    let done = try lab.run(placement, arguments)
    guard done.termination == .exited(0) else {
        throw LabError("\(done.command): \(done.termination): \(done.output.joined(separator: " "))")
    }
    return done
}

/// The cable of seed 004: a veth pair made in the demo host with one end in `holder`'s new
/// namespace, each end with an address and up. Returns the commands, as they ran.
private func cable(_ lab: Lab, to holder: ChildProcess) throws -> [FinishedProcess] {
    let inside = try lab.inside(holder, [.net])
    return [
        try ip(lab, .oldSide, "link add \(hostEnd) type veth peer name \(namespaceEnd) netns \(holder.pid)"),
        try ip(lab, .oldSide, "addr add \(hostAddress)/24 dev \(hostEnd)"),
        try ip(lab, .oldSide, "link set \(hostEnd) up"),
        try ip(lab, inside, "addr add \(namespaceAddress)/24 dev \(namespaceEnd)"),
        try ip(lab, inside, "link set \(namespaceEnd) up"),
    ]
}
