extension Step {
    /// The first step of a chapter: a process made with the namespace's flag has a different
    /// /proc/self/ns link from the old side's. Both sides read it with readlink(1); the check
    /// compares the inodes the probe saw.
    public static func newNamespace(_ namespace: Namespace, _ title: String) -> Step {
        let link = "/proc/self/ns/\(namespace.rawValue)"
        let option = namespace == .mnt ? "--mount" : "--\(namespace.rawValue)"
        return Step("new-namespace", title, shell: "readlink \(link); unshare \(option) readlink \(link)",
                    syscalls: ["unshare(\(namespace.flagName))"]) { lab in
            let sides = try lab.probe([.oldSide, .new([namespace])], [.report([.ns])], then: ["readlink", link])
            let old = sides[0], new = sides[1]
            return StepOutcome(
                observations: [old.observation("old namespace"), new.observation("new namespace")],
                checks: [
                    .differ("\(namespace.rawValue) namespace inode of the new process",
                            old: try old.report.inode(namespace), new: try new.report.inode(namespace)),
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
