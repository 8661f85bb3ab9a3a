import Glibc

/// mount-namespace: seeds 001, 002 and 004. A new mount namespace starts with a copy of the
/// mounts; what it mounts afterwards stays inside, unless the mounts are shared with the
/// parent's, as a systemd host makes them. Every path is on the run's workbench (/mnt).
public let mountNamespace = Experiment(
    id: "mount-namespace",
    title: "Mount namespace: bind mounts, propagation and unmounting",
    namespaces: [.mnt],
    minimumKernel: "3.8",  // /proc/PID/ns/mnt
    needsCommands: ["sh", "grep"],
    demoHostNamespaces: [.mnt],
    // The sandbox's, the demo host's, and at most two new ones alive at once.
    namespaceBudget: [.mnt: 4],
    footprint: Footprint(mountPoints: [bindTarget, peer, unmountTarget, expiring], mountSources: [Workbench.source, "peer", "expiring"]),
    // A systemd host: the demo host's /mnt is a shared mount (`mount --make-shared /mnt`), so a
    // new namespace's copy of it is its peer, whatever the machine's own / is.
    demoHostSetup: [.mount(source: nil, target: Workbench.path, flags: UInt(MS_SHARED))],
    workbench: [.file("binding/source/a", text: "written before the bind mount\n"), .directory("binding/target"),
                .directory("propagation/peer"), .file("unmount/data/note", text: "a file on the busy mount\n"),
                .directory("unmount/target"), .directory("unmount/expiring")],
    shellTries: ["findmnt -o TARGET,PROPAGATION /mnt", "mount --bind /mnt/binding/source /mnt/binding/target; ls /mnt/binding/target",
                 "readlink /proc/self/ns/mnt"],
    steps: [
        .newNamespace(.mnt, "A new mount namespace"),

        Step("bind", "A bind mount shows only in its namespace",
             shell: "unshare --mount sh -c 'mount -t tmpfs lab /mnt && mkdir /mnt/source /mnt/target && touch /mnt/source/a && mount --bind /mnt/source /mnt/target && ls /mnt/target && grep /mnt/target /proc/self/mountinfo'",
             syscalls: ["unshare(CLONE_NEWNS)", "mount(NULL, \"/\", NULL, MS_REC|MS_SLAVE, NULL)",
                        "mount(\"\(bindSource)\", \"\(bindTarget)\", NULL, MS_BIND, NULL)"]) { lab in
            let look: [ProbeAction] = [.list(path: bindTarget), .report([.mounts, .ns])]
            // The old side looks while the bind mount exists, not after.
            let (new, old) = try lab.probe(.new([.mnt], [.makeRootSlave, .bind(bindSource, bindTarget)]), look + [.hold()]) { _ in
                try lab.probe(.oldSide, look)
            }
            let newList = try new.probe.result(ListResult.self), oldList = try old.probe.result(ListResult.self)
            let newMount = try new.report.mount(at: bindTarget), oldMount = try old.report.mount(at: bindTarget)
            return StepOutcome(
                observations: [
                    old.observation("old namespace", command: "ls \(bindTarget); grep \(bindTarget) mountinfo",
                                    output: listing(oldList) + [oldMount.map(describe) ?? "(no mount at \(bindTarget))"]),
                    new.observation("new namespace", command: "ls \(bindTarget); grep \(bindTarget) mountinfo",
                                    output: listing(newList) + [newMount.map(describe) ?? "(no mount at \(bindTarget))"]),
                ],
                checks: [
                    .equal("at \(bindTarget) the new namespace lists", expected: ["a"], actual: newList.entries),
                    .equal("its mount there shows the source's directory as its root", expected: "/binding/source",
                           actual: newMount?.root),
                    .isEmpty("at \(bindTarget) the old namespace lists", oldList.entries) { $0 },
                    .equal("the old namespace has no mount there", expected: "no mount",
                           actual: try old.report.mountLine(at: bindTarget)),
                ])
        },

        Step("propagation", "Shared mounts propagate back; slave and private ones do not",
             shell: "unshare --mount sh -c 'mount -t tmpfs lab /mnt && mount --make-shared /mnt && mkdir /mnt/peer && unshare --mount --propagation unchanged mount -t tmpfs peer /mnt/peer && grep -c /mnt/peer /proc/self/mountinfo && umount /mnt/peer && unshare --mount --propagation slave mount -t tmpfs peer /mnt/peer; grep -c /mnt/peer /proc/self/mountinfo || true'   # this sh plays the host",
             syscalls: ["mount(NULL, \"/mnt\", NULL, MS_SHARED, NULL) in the demo host", "unshare(CLONE_NEWNS)",
                        "mount(\"peer\", \"\(peer)\", \"tmpfs\", 0, NULL)",
                        "mount(NULL, \"/\", NULL, MS_REC|MS_SLAVE, NULL)", "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)"]) { lab in
            let mountPeer = Operation.mount(source: "peer", target: peer, fstype: "tmpfs")
            // Still shared: the mount outlives the new namespace in the old one, until unmounted there.
            let shared = try lab.probe(.new([.mnt], [mountPeer]), [.report([.mounts, .ns])])
            let sharedReport = try shared.report
            let seen = try lab.probe(.oldSide, [.report([.mounts, .ns]), .unmount(path: peer), .report([.mounts])])
            // Slave, then private: looked at from the old side while the new mount exists.
            let quiet = try [("slave", Operation.makeRootSlave), ("private", Operation.makeRootPrivate)].map { name, first in
                let (new, old) = try lab.probe(.new([.mnt], [first, mountPeer]), [.report([.mounts, .ns]), .hold()]) { _ in
                    try lab.probe(.oldSide, [.report([.mounts])])
                }
                return (name: name, new: new, newReport: try new.report, old: try old.report)
            }
            let seenBefore = try seen.probe.report(0), seenAfter = try seen.probe.report(1)
            let cleanup = try seen.probe.result(UnmountResult.self)
            func line(_ report: ProbeReport, _ target: String) -> String {
                report.mountLine(at: target).map { $0 == "no mount" ? "(no mount at \(target))" : $0 } ?? "(mounts not reported)"
            }
            return StepOutcome(
                observations: [
                    shared.observation("new namespace, / as it came (shared)", command: "mount -t tmpfs peer \(peer)",
                                       output: [line(sharedReport, Workbench.path), line(sharedReport, peer)]),
                    seen.observation("old namespace, after it", command: "grep \(peer) mountinfo; umount \(peer)",
                                     output: [line(seenBefore, peer), "umount \(peer): \(cleanup.outcome)"]),
                ] + quiet.flatMap { side -> [Observation] in [
                    side.new.observation("new namespace, after mount --make-r\(side.name) /",
                                         command: "mount -t tmpfs peer \(peer)",
                                         output: [line(side.newReport, Workbench.path), line(side.newReport, peer)]),
                    Observation("old namespace, meanwhile", command: "grep \(peer) mountinfo", output: [line(side.old, peer)],
                                namespaces: lab.oldSideHost.map { ProcessNamespaces(pid: $0.pid, inodes: $0.inodes) }),
                ] },
                checks: [
                    .equal("/mnt in the old namespace is shared (the demo host made it so)", expected: "shared",
                           actual: seenBefore.mount(at: Workbench.path)?.propagationKind),
                    .equal("a tmpfs mounted in the new namespace shows in the old one", expected: "tmpfs peer",
                           actual: seenBefore.mount(at: peer).map { "\($0.fstype) \($0.source)" } ?? "no mount"),
                    .errno("umount \(peer) in the old namespace (cleaning up)", expected: "success", actual: cleanup),
                    .equal("after it, no mount at \(peer) there", expected: "no mount",
                           actual: seenAfter.mountLine(at: peer)),
                ] + quiet.flatMap { side -> [Check] in [
                    .equal("after mount --make-r\(side.name) /, the new namespace's /mnt is", expected: side.name,
                           actual: side.newReport.mount(at: Workbench.path)?.propagationKind),
                    .equal("after mount --make-r\(side.name) /, the old namespace has no mount at \(peer)",
                           expected: "no mount", actual: side.old.mountLine(at: peer)),
                ] })
        },

        Step("unmount", "Unmounting: busy, lazy (MNT_DETACH) and expiring (MNT_EXPIRE)",
             shell: "unshare --mount sh -c 'mount -t tmpfs lab /mnt && cd /mnt && { umount /mnt || echo \"umount: exit $?\"; } && umount --lazy /mnt && echo still here > note && cat note && grep -c \" /mnt \" /proc/self/mountinfo || true'",
             syscalls: ["umount2(\"\(unmountTarget)\", 0)", "umount2(\"\(unmountTarget)\", MNT_DETACH)",
                        "umount2(\"\(expiring)\", MNT_EXPIRE)"]) { lab in
            // One new namespace, whose first process keeps its working directory on the mount.
            let setup: [Operation] = [.makeRootPrivate, .bind("\(Workbench.path)/unmount/data", unmountTarget),
                                      .mount(source: "expiring", target: expiring, fstype: "tmpfs"), .chdir(unmountTarget)]
            let (inside, unmounter) = try lab.probe(.new([.mnt], setup), [.report([.ns]), .hold(), .write(path: "note"),
                                                                          .list(path: ".")]) { holder in
                try lab.probe(try lab.inside(holder, [.mnt]), [
                    .unmount(path: unmountTarget), .unmount(path: unmountTarget, flags: .detach), .report([.mounts, .ns]),
                    .unmount(path: expiring, flags: .expire), .unmount(path: expiring, flags: .expire), .report([.mounts]),
                ])
            }
            let calls = try unmounter.probe.results(UnmountResult.self)
            guard calls.count == 4 else { throw LabError("the probe reported \(calls.count) of its 4 umount calls") }
            let afterDetach = try unmounter.probe.report(0), afterExpire = try unmounter.probe.report(1)
            let written = try inside.probe.result(WriteResult.self), listed = try inside.probe.result(ListResult.self)
            return StepOutcome(
                observations: [
                    unmounter.observation("new namespace, another process", command: "umount; umount --lazy; umount2(MNT_EXPIRE) ×2",
                                          output: calls.map { "umount2(\($0.path), \(flagName($0.flags))): \($0.outcome)" }
                                              + ["then at \(unmountTarget): \(afterDetach.mountLine(at: unmountTarget) ?? "mounts not reported")"]),
                    inside.observation("new namespace, the process in \(unmountTarget)", command: "echo >> note; ls",
                                       output: ["open(note, O_WRONLY): \(written.outcome)", "ls: " + listed.entries.joined(separator: " ")]),
                ],
                checks: [
                    .errno("umount2(\(unmountTarget), 0) while a process works there", expected: "EBUSY", actual: calls[0]),
                    .errno("umount2(\(unmountTarget), MNT_DETACH), as umount --lazy", expected: "success", actual: calls[1]),
                    .equal("then \(unmountTarget) is gone from mountinfo", expected: "no mount",
                           actual: afterDetach.mountLine(at: unmountTarget)),
                    .errno("the process there still opens its file for writing", expected: "success", actual: written),
                    .errno("umount2(\(expiring), MNT_EXPIRE) the first time marks it", expected: "EAGAIN", actual: calls[2]),
                    .errno("the second time, unused since, unmounts it", expected: "success", actual: calls[3]),
                    .equal("then \(expiring) is gone from mountinfo", expected: "no mount",
                           actual: afterExpire.mountLine(at: expiring)),
                ])
        },
    ])

private let bindSource = "\(Workbench.path)/binding/source"
private let bindTarget = "\(Workbench.path)/binding/target"
private let peer = "\(Workbench.path)/propagation/peer"
private let unmountTarget = "\(Workbench.path)/unmount/target"
private let expiring = "\(Workbench.path)/unmount/expiring"

private func flagName(_ flags: String) -> String {
    UnmountFlag(rawValue: flags)?.constantName ?? "0"
}

/// ls's output: the names, or "(empty)", or the error.
func listing(_ list: ListResult) -> [String] {
    list.failed ? ["ls \(list.path): \(list.error)"] : list.entries.isEmpty ? ["(empty)"] : [list.entries.sorted().joined(separator: "  ")]
}

/// A mountinfo line as the lesson reads it: "/mnt/x  root=/  tmpfs lab  shared:12".
func describe(_ mount: ProbeReport.MountEntry) -> String {
    "\(mount.target)  root=\(mount.root)  \(mount.fstype) \(mount.source)  \(mount.propagation)"
}

extension ProbeReport {
    /// The topmost mount at `target` (the last line of mountinfo for it); nil when none is
    /// there, or when the report has no mounts: `mountLine` tells these apart.
    func mount(at target: String) -> MountEntry? { mounts?.last { $0.target == target } }

    /// The mount at `target` described, "no mount", or nil when the report has no mounts (so
    /// that a check expecting "no mount" fails on a report without them).
    func mountLine(at target: String) -> String? {
        guard mounts != nil else { return nil }
        return mount(at: target).map(describe) ?? "no mount"
    }
}

extension ProbeReport.MountEntry {
    /// "shared", "slave" or "private", from mountinfo's optional fields (shared:N, master:N).
    var propagationKind: String {
        propagation.contains("shared") ? "shared" : propagation.contains("master") ? "slave" : "private"
    }
}
