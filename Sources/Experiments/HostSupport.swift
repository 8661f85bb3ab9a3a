import CShim
import Glibc

/// What this host offers, read from the kernel: release, capabilities, namespace kinds and
/// their limits. `problems(for:)` turns an experiment's requirements into reasons it can't run.
public struct HostSupport: Sendable {
    public let kernel: KernelVersion
    public let kernelRelease: String
    public let hasSysAdmin: Bool
    public let isRoot: Bool
    public let probePath: String

    /// What the runner itself needs: pidfd_open(2), which bounds every wait for a child.
    public static let runnerMinimumKernel: KernelVersion = "5.3"

    public static func current(probePath: String = locateProbe()) -> HostSupport {
        let release = (readTextFile("/proc/sys/kernel/osrelease") ?? "0").split(separator: "\n").first
            .map(String.init) ?? "0"
        let capSysAdmin: Int32 = 21
        return HostSupport(kernel: KernelVersion(release), kernelRelease: release,
                           hasSysAdmin: nslab_has_effective_capability(capSysAdmin) == 1,
                           isRoot: geteuid() == 0, probePath: probePath)
    }

    /// Whether every uid is mapped where the runner runs ("0 0 4294967295": the initial user
    /// namespace), so that an experiment may map ids other than the user's own.
    public var mapsEveryID: Bool {
        readTextFile("/proc/self/uid_map").map { $0.split(whereSeparator: \.isWhitespace) == ["0", "0", "4294967295"] } ?? false
    }

    /// Why an unprivileged user cannot make a user namespace here, or nil: the distribution
    /// switches that forbid it, then the limit.
    public var userNamespaceProblem: String? {
        if readTextFile("/proc/sys/kernel/unprivileged_userns_clone")?.hasPrefix("0") == true {
            return "kernel.unprivileged_userns_clone is 0: unprivileged user namespaces are switched off"
        }
        if readTextFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")?.hasPrefix("1") == true {
            return "kernel.apparmor_restrict_unprivileged_userns is 1: AppArmor refuses unprivileged user namespaces"
        }
        return problem(with: .user)
    }

    /// Why `experiment` cannot run here although the sandbox can be made: it needs real root
    /// and only some ids are mapped where the runner runs (a user namespace). Nil when it can.
    public func realRootProblem(for experiment: Experiment) -> String? {
        // Without CAP_SYS_ADMIN the run goes to a user namespace of its own: not real root.
        guard let reason = experiment.needsRealRoot, !mapsEveryID || !hasSysAdmin else { return nil }
        return "needs real root: \(reason); run it with sudo"
    }

    /// /proc/sys/user/max_<kind>_namespaces as this process's user namespace sets it.
    public func limit(of namespace: Namespace) -> Int? {
        readTextFile(namespace.limitPath).flatMap { Int($0.split(separator: "\n").first ?? "") }
    }

    /// Why `namespace` cannot be created here, or nil when it can.
    public func problem(with namespace: Namespace) -> String? {
        if access("/proc/self/ns/\(namespace.rawValue)", F_OK) != 0 {
            return "the kernel has no \(namespace.rawValue) namespaces (/proc/self/ns/\(namespace.rawValue) is missing)"
        }
        if limit(of: namespace) == 0 {
            return "\(namespace.limitPath) is 0: creating \(namespace.rawValue) namespaces is switched off"
        }
        return nil
    }

    /// Every reason `experiment` cannot run on this host now; empty when it can.
    public func problems(for experiment: Experiment) -> [String] {
        var problems = Sandbox.problems(self) + (realRootProblem(for: experiment).map { [$0] } ?? [])
        if kernel < HostSupport.runnerMinimumKernel {
            problems.append("the runner needs Linux \(HostSupport.runnerMinimumKernel) or later for pidfd_open(2); this is \(kernelRelease)")
        } else if kernel < experiment.minimumKernel {
            problems.append("needs Linux \(experiment.minimumKernel) or later; this is \(kernelRelease)")
        }
        let namespaces = Set(experiment.namespaces).union(experiment.demoHostNamespaces)
        problems += namespaces.sorted().compactMap { problem(with: $0) }
        for (namespace, needed) in experiment.namespacesNeeded.sorted(by: { $0.key < $1.key }) {
            if let limit = limit(of: namespace), limit > 0, limit < needed {
                problems.append("\(namespace.limitPath) is \(limit); this experiment needs \(needed)")
            }
        }
        if access(probePath, X_OK) != 0 {
            problems.append("the probe is missing at \(probePath) (NSLAB_PROBE names it: unset it to use the one built in)")
        }
        if experiment.workbench.contains(where: { if case .busyboxRoot = $0 { true } else { false } }),
           Workbench.staticBusybox == nil {
            problems.append("needs a statically linked busybox for its root: apt-get install busybox-static")
        }
        for command in experiment.needsCommands where resolveExecutable(command) == nil {
            problems.append("needs the command `\(command)`, which is not installed")
        }
        return problems
    }
}
