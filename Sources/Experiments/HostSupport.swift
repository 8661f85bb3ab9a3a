import CShim
import Glibc

let supportText = SupportText()

/// What this host offers, read from the kernel: release, capabilities, namespace kinds and
/// their limits. `problems(for:)` turns an experiment's requirements into reasons it can't run.
public struct HostSupport: Sendable {
    public let kernel: KernelVersion
    public let kernelRelease: String
    public let hasSysAdmin: Bool
    public let isRoot: Bool
    /// The probe as a file (probeFile()), or nil for the one built into the runner.
    let probeOnDisk: String?
    /// The probe, as a program to exec. The one built into the runner is put in a memory file
    /// once per process, when first asked for, which a runner that only looks (`list`, the
    /// supervisor) never does: decoding and writing it takes a few milliseconds.
    public var probePath: String { probeOnDisk ?? embeddedProbePath }
    /// Whether every uid is mapped where the runner runs ("0 0 4294967295": the initial user
    /// namespace), so that an experiment may map ids other than the user's own.
    public let mapsEveryID: Bool

    /// /proc/sys/user/max_<kind>_namespaces of each kind, as this process's user namespace
    /// sets it (a kind whose file cannot be read is absent).
    public let limits: [Namespace: Int]
    /// The kinds whose /proc/self/ns/<kind> is missing: this kernel has none of them.
    public let missingKinds: Set<Namespace>

    /// What the runner itself needs: pidfd_open(2), which bounds every wait for a child.
    public static let runnerMinimumKernel: KernelVersion = "5.3"

    public static func current(probeFile: String? = probeFile()) -> HostSupport {
        let release = (readTextFile("/proc/sys/kernel/osrelease") ?? "0").split(separator: "\n").first
            .map(String.init) ?? "0"
        let capSysAdmin: Int32 = 21
        return HostSupport(kernel: KernelVersion(release), kernelRelease: release,
                           hasSysAdmin: nslab_has_effective_capability(capSysAdmin) == 1,
                           isRoot: geteuid() == 0, probeOnDisk: probeFile,
                           mapsEveryID: Self.mapsEveryID,
                           limits: Dictionary(uniqueKeysWithValues: Namespace.allCases.compactMap { kind in
                               readTextFile(kind.limitPath).flatMap { Int($0.split(separator: "\n").first ?? "") }.map { (kind, $0) }
                           }),
                           missingKinds: Set(Namespace.allCases).subtracting(
                               ((try? directoryEntries("/proc/self/ns")) ?? []).compactMap(Namespace.init(rawValue:))))
    }

    /// Whether every uid is mapped where this process runs, read now (the one question the
    /// steps ask of the host, without reading the rest).
    public static var mapsEveryID: Bool {
        readTextFile("/proc/self/uid_map").map { $0.split(whereSeparator: \.isWhitespace) == ["0", "0", "4294967295"] } ?? false
    }

    /// Why an unprivileged user cannot make a user namespace here, or nil: the distribution
    /// switches that forbid it, then the limit.
    public var userNamespaceProblem: Message? {
        if readTextFile("/proc/sys/kernel/unprivileged_userns_clone")?.hasPrefix("0") == true {
            return supportText.usernsCloneOff
        }
        if readTextFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")?.hasPrefix("1") == true {
            return supportText.appArmorRefuses
        }
        return problem(with: .user)
    }

    /// Why `experiment` cannot run here although the sandbox can be made: it needs real root
    /// and only some ids are mapped where the runner runs (a user namespace). Nil when it can.
    public func realRootProblem(for experiment: Experiment) -> Message? {
        realRootProblem(for: experiment, runCgroupProblem: RunCgroup.problem)
    }

    private func realRootProblem(for experiment: Experiment, runCgroupProblem: @autoclosure () -> Message?) -> Message? {
        // Without CAP_SYS_ADMIN the run goes to a user namespace of its own: not real root.
        guard !mapsEveryID || !hasSysAdmin else { return nil }
        // A cgroup of the user's own (systemd delegates one) will do, if writable.
        let reason = experiment.needsRealRoot ?? (experiment.usesCgroups ? runCgroupProblem() : nil)
        return reason.map { supportText.needsRealRoot($0) }
    }

    /// /proc/sys/user/max_<kind>_namespaces as this process's user namespace sets it.
    public func limit(of namespace: Namespace) -> Int? { limits[namespace] }

    /// Why `namespace` cannot be created here, or nil when it can.
    public func problem(with namespace: Namespace) -> Message? {
        if missingKinds.contains(namespace) {
            return supportText.noSuchNamespace(namespace.rawValue, "/proc/self/ns/\(namespace.rawValue)")
        }
        if limit(of: namespace) == 0 {
            return supportText.switchedOff(namespace.limitPath, namespace.rawValue)
        }
        return nil
    }

    /// Every reason `experiment` cannot run on this host now; empty when it can.
    public func problems(for experiment: Experiment) -> [Message] {
        problems(for: [experiment])[experiment.id] ?? []
    }

    /// Every reason each of `experiments` cannot run here now (empty when it can), by id. What
    /// they share (the run's cgroup, the probe, a command) is looked up once. The runner in its
    /// sandbox, which runs probes, proves it can: the probe built into the runner is then put
    /// in its memory file; one outside only looks (`list`, a supervisor) and takes it as there.
    public func problems(for experiments: [Experiment]) -> [String: [Message]] {
        let sandbox = Sandbox.problems(self)
        let missingCommands = Set(experiments.flatMap(\.needsCommands)).filter { !isInstalled($0) }
        lazy var runCgroupProblem = RunCgroup.problem
        lazy var busyboxMissing = Workbench.staticBusybox == nil
        let probeMissing = Sandbox.isInside || probeOnDisk != nil ? access(probePath, X_OK) != 0 : embeddedProbeBase64.isEmpty

        var found: [String: [Message]] = [:]
        for experiment in experiments {
            let rootProblem = realRootProblem(for: experiment, runCgroupProblem: runCgroupProblem)
            var problems = sandbox + (rootProblem.map { [$0] } ?? [])
            if kernel < HostSupport.runnerMinimumKernel {
                problems.append(supportText.runnerKernel(HostSupport.runnerMinimumKernel.description, kernelRelease))
            } else if kernel < experiment.minimumKernel {
                problems.append(supportText.kernel(experiment.minimumKernel.description, kernelRelease))
            }
            let namespaces = Set(experiment.namespaces).union(experiment.demoHostNamespaces)
            problems += namespaces.sorted().compactMap(problem(with:))
            for (namespace, needed) in experiment.namespacesNeeded.sorted(by: { $0.key < $1.key }) {
                if let limit = limit(of: namespace), limit > 0, limit < needed {
                    problems.append(supportText.limitTooLow(namespace.limitPath, limit, needed))
                }
            }
            if experiment.usesCgroups, rootProblem == nil, let problem = runCgroupProblem {
                problems.append(problem)
            }
            if probeMissing {
                problems.append(supportText.probeMissing(probePath))
            }
            if experiment.workbench.contains(where: { if case .busyboxRoot = $0 { true } else { false } }), busyboxMissing {
                problems.append(supportText.needsBusybox)
            }
            for command in experiment.needsCommands where missingCommands.contains(command) {
                problems.append(supportText.needsCommand(command))
            }
            found[experiment.id] = problems
        }
        return found
    }
}

/// Why a host cannot run something, in every language the runner speaks.
final class SupportText: MessageTable {
    let usernsCloneOff = Message("kernel.unprivileged_userns_clone is 0: unprivileged user namespaces are switched off", zh: "kernel.unprivileged_userns_clone 为 0：非特权用户命名空间已被关闭")
    let appArmorRefuses = Message("kernel.apparmor_restrict_unprivileged_userns is 1: AppArmor refuses unprivileged user namespaces", zh: "kernel.apparmor_restrict_unprivileged_userns 为 1：AppArmor 拒绝非特权用户命名空间")
    let needsRealRoot = Template("needs real root: {0}; run it with sudo", zh: "需要真正的 root：{0}；请用 sudo 运行")
    let noSuchNamespace = Template("the kernel has no {0} namespaces ({1} is missing)", zh: "内核没有 {0} 命名空间（{1} 不存在）")
    let switchedOff = Template("{0} is 0: creating {1} namespaces is switched off", zh: "{0} 为 0：创建 {1} 命名空间的功能已关闭")
    let runnerKernel = Template("the runner needs Linux {0} or later for pidfd_open(2); this is {1}", zh: "runner 需要 Linux {0} 或更高版本才能使用 pidfd_open(2)；这台是 {1}")
    let kernel = Template("needs Linux {0} or later; this is {1}", zh: "需要 Linux {0} 或更高版本；这台是 {1}")
    let limitTooLow = Template("{0} is {1}; this experiment needs {2}", zh: "{0} 为 {1}；本实验需要 {2}")
    let probeMissing = Template("the probe is missing at {0} (NSLAB_PROBE names it: unset it to use the one built in)", zh: "探针 {0} 不存在（由 NSLAB_PROBE 指定：取消设置它，即可使用内置的探针）")
    let needsBusybox = Message("needs a statically linked busybox for its root: apt-get install busybox-static", zh: "需要一个静态链接的 busybox 来搭建它的根文件系统：apt-get install busybox-static")
    let needsCommand = Template("needs the command `{0}`, which is not installed", zh: "需要命令 `{0}`，但它没有安装")
    // The runner's sandbox
    let rootWithoutSysAdmin = Template("root without CAP_SYS_ADMIN (a container's default), or a user namespace of its own, which this host refuses ({0}): run it as root (sudo), or allow unprivileged user namespaces (runner doctor says how)", zh: "是 root 但没有 CAP_SYS_ADMIN（容器的默认情况），而另一条路，即一个自己的用户命名空间，被这台宿主机拒绝了（{0}）：请以 root 身份（sudo）运行，或者允许非特权用户命名空间（runner doctor 会告诉你怎么做）")
    let needsSysAdmin = Template("needs CAP_SYS_ADMIN, or a user namespace of its own, which this host refuses ({0}): run it as root (sudo), or allow unprivileged user namespaces (runner doctor says how)", zh: "需要 CAP_SYS_ADMIN，或者一个自己的用户命名空间，而这台宿主机拒绝了后者（{0}）：请以 root 身份（sudo）运行，或者允许非特权用户命名空间（runner doctor 会告诉你怎么做）")
    let noCgroupHierarchy = Message("neither cgroup2 nor cgroup v1's pids hierarchy is mounted", zh: "既没有挂载 cgroup2，也没有挂载 cgroup v1 的 pids 层级")
    let cgroupNotWritable = Template("cannot make a cgroup in {0} (read-only, or not the runner's to write)", zh: "无法在 {0} 中创建 cgroup（只读，或者 runner 无权写入）")
    let sandboxNeedsOne = Template("the runner's sandbox needs one: {0}", zh: "runner 的沙箱需要一个：{0}")
}

