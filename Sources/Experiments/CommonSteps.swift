extension Step {
    /// The first step of a chapter: a process made with the namespace's flag has a different
    /// /proc/self/ns link from the old side's. Both sides read it with readlink(1); the check
    /// compares the inodes the probe saw.
    public static func newNamespace(_ namespace: Namespace, _ title: Message) -> Step {
        let link = "/proc/self/ns/\(namespace.rawValue)"
        let option = namespace == .mnt ? "--mount" : "--\(namespace.rawValue)"
        return Step("new-namespace", title, shell: "readlink \(link); unshare \(option) readlink \(link)",
                    syscalls: ["unshare(\(namespace.flagName))"]) { lab in
            let sides = try lab.probe([.oldSide, .new([namespace])], [.report([.ns])], then: ["readlink", link])
            let old = sides[0], new = sides[1]
            return StepOutcome(
                observations: [old.observation(words.oldNamespace), new.observation(words.newNamespace)],
                checks: [
                    .differ(words.newNamespaceInode(namespace.rawValue),
                            old: try old.report.inode(namespace), new: try new.report.inode(namespace)),
                ])
        }
    }
}

extension Step {
    /// The pitfall of a name set too late: the child starts first, holding, in a new UTS
    /// namespace; then the parent, still in the demo host, calls sethostname, as a Go program
    /// does that calls syscall.Sethostname after cmd.Start(). The demo host is renamed, never
    /// the real one (its name is in the experiment's footprint); the child keeps its copy.
    static func hostnameSetTooLate(_ key: String, _ title: Message, shell: Message) -> Step {
        Step(key, title, shell: shell,
             syscalls: [.verbatim("clone(CLONE_NEWUTS)"), words.inTheParent("sethostname(\"\(insideHostname)\")")]) { lab in
            let (childOutput, parent) = try lab.probe(.new([.uts]), [.hold(), .report([.hostname, .ns])]) { _ in
                try lab.probe(.oldSide, [.report([.hostname, .ns]), .sethostname(insideHostname), .report([.hostname])])
            }
            let before = try parent.probe.report(0), after = try parent.probe.report(1)
            let childReport = try childOutput.report
            return StepOutcome(
                observations: [
                    parent.observation(words.parentOld, command: "hostname \(insideHostname)",
                                       output: [words.hostnameBefore(before.hostname ?? ""), words.hostnameAfter(after.hostname ?? "")]),
                    childOutput.observation(words.childNew, command: "hostname", output: [.verbatim(childReport.hostname ?? "")]),
                ],
                checks: [
                    .equal(words.renamedByItsOwn, expected: insideHostname, actual: after.hostname),
                    .equal(words.keptCopiedName, expected: before.hostname, actual: childReport.hostname),
                ])
        }
    }
}

/// The error of a call a step expects the kernel to refuse (pivot_root before the bind
/// mount, a second map write), or nil when it succeeded; any other error goes on up.
func expectedRefusal(_ body: () throws -> Any) throws -> SystemCallError? {
    do {
        _ = try body()
        return nil
    } catch let error as SystemCallError {
        return error
    }
}

extension SystemCallError? {
    /// What came of a call `expectedRefusal` ran: its errno's name, or "success", as a
    /// probe's action says it.
    var outcome: Message { map { .verbatim($0.errnoName) } ?? words.success }
}

// MARK: - How a chapter tells what a probe saw

/// ls's output: the names, or "(empty)", or the error.
func listing(_ list: ListResult) -> [Message] {
    list.failed ? [words.lsFailed(list.path, list.error)]
        : list.entries.isEmpty ? [words.empty] : [.verbatim(list.entries.sorted().joined(separator: "  "))]
}

/// A mountinfo line as the lesson reads it: "/mnt/x  root=/  tmpfs lab  shared:12".
func describe(_ mount: ProbeReport.MountEntry) -> String {
    "\(mount.target)  root=\(mount.root)  \(mount.fstype) \(mount.source)  \(mount.propagation)"
}

/// The first `count` lines, and how many more there were.
func abbreviated(_ lines: [String], to count: Int) -> [Message] {
    lines.count <= count ? lines.map(Message.verbatim)
        : lines.prefix(count).map(Message.verbatim) + [words.moreLines(lines.count - count)]
}

extension ProbeReport {
    /// The topmost mount at `target` (the last line of mountinfo for it); nil when none is
    /// there, or when the report has no mounts: `mountLine` tells these apart.
    func mount(at target: String) -> MountEntry? { mounts?.topmost(at: target) }

    /// The mount at `target` described, "no mount", or nil when the report has no mounts (so
    /// that a check expecting "no mount" fails on a report without them).
    func mountLine(at target: String) -> Message? {
        guard mounts != nil else { return nil }
        return mount(at: target).map { .verbatim(describe($0)) } ?? words.noMount
    }
}

extension ProbeReport.MountEntry {
    /// "shared", "slave" or "private", from mountinfo's optional fields (shared:N, master:N).
    var propagationKind: Message {
        propagation.contains("shared") ? words.shared : propagation.contains("master") ? words.slave : words.private
    }
}
