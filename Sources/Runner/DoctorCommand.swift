import ArgumentParser
import Experiments
import Glibc

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Say what this host supports, and what to change to run every experiment.")

    @OptionGroup var colour: ColourOption

    @OptionGroup var language: TextLanguageOption

    func run() throws {
        let host = HostSupport.current()
        let style = Style.forStandardOutput(colour.choice)
        let language = language.language
        var blocking = false
        func line(_ ok: Bool, _ what: String, _ advice: String = "", blocks: Bool = true) {
            // The marks stay " ok ", FAIL and note in every language, like run's PASS and FAIL.
            let mark = ok ? style.pass(" ok ") : (blocks ? style.fail("FAIL") : style.dim("note"))
            print("\(mark) \(what)\(ok || advice.isEmpty ? "" : " — " + advice)")
            if !ok && blocks { blocking = true }
        }

        line(true, language.text("kernel %", host.kernelRelease))
        let rootless = Sandbox.mode(host) == .rootless
        line(host.hasSysAdmin, language.text("CAP_SYS_ADMIN in the effective set (root)"),
             rootless ? language.message("runs in a user namespace of its own; user-namespace needs sudo")
                      : language.message(Sandbox.problems(host).first { $0.contains("CAP_SYS_ADMIN") } ?? ""),
             blocks: !rootless)
        // Without root, the runner needs a user namespace of its own (and so do the rootless lessons).
        let userNamespaceAdvice: String? = host.userNamespaceProblem.map { problem in
            problem.contains("unprivileged_userns_clone") ? "sysctl -w kernel.unprivileged_userns_clone=1"
                : problem.contains("apparmor") ? "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile that allows userns for runner"
                : "sysctl -w user.max_user_namespaces=10000"
        }
        line(userNamespaceAdvice == nil, language.text("unprivileged user namespaces (to run without sudo)"),
             userNamespaceAdvice.map { language.text("%; as root: %", language.message(host.userNamespaceProblem ?? ""), $0) } ?? "",
             blocks: !host.hasSysAdmin)
        for namespace in Namespace.allCases {
            let problem = host.problem(with: namespace).map(language.message)
            let limit = readTextFile(namespace.limitPath)?.split(separator: "\n").first.map(String.init) ?? "?"
            line(problem == nil, language.text("% namespaces (% = %)", namespace.rawValue, namespace.limitPath, limit),
                 problem.map { language.text("%; as root: sysctl -w %", $0,
                                             "user.max_\(namespace == .mnt ? "mnt" : namespace.rawValue)_namespaces=10000") } ?? "",
                 blocks: Catalog.all.contains { $0.namespacesNeeded[namespace] != nil })
        }
        for experiment in Catalog.all {
            let needed = experiment.namespacesNeeded.sorted { $0.key < $1.key }
            let short = needed.filter { need in host.limit(of: need.key).map { $0 < need.value } ?? false }
            line(short.isEmpty, language.text("% needs max_*_namespaces of at least %", experiment.id,
                                              needed.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")),
                 short.map { "sysctl -w user.max_\($0.key.rawValue)_namespaces=\($0.value)" }.joined(separator: "; "))
        }
        line(access(host.probePath, X_OK) == 0, language.text("probe at %", host.probePath),
             language.text("NSLAB_PROBE names a missing file: unset it to use the probe built into the runner"))
        // A static one: the root pivot-root builds on its workbench has no libraries.
        line(Workbench.staticBusybox != nil, language.text("busybox for the pivot_root rootfs"), "apt-get install busybox-static",
             blocks: Catalog.all.contains { $0.workbench.contains(.busyboxRoot("rootfs")) })
        line(access("/usr/include/sys/capability.h", F_OK) == 0, language.text("libcap headers (libcap-dev), needed to build"),
             "apt-get install libcap-dev", blocks: false)
        for experiment in Catalog.all {
            for command in experiment.needsCommands where resolveExecutable(command) == nil {
                line(false, language.text("command `%` for %", command, experiment.id),
                     language.text("install the package that provides it"))
            }
        }
        if blocking { throw Exit.hostCannot }
    }
}
