import ArgumentParser
import Experiments
import Glibc

struct DoctorCommand: ParsableCommand, SpeaksLanguage {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Say what this host supports, and what to change to run every experiment.")

    @OptionGroup var colour: ColourOption

    @OptionGroup var language: LanguageOption

    func run() throws {
        let host = HostSupport.current()
        let style = Style.forStandardOutput(colour.choice)
        let language = language.language
        let say = runnerText
        var blocking = false
        func line(_ ok: Bool, _ what: Message, _ advice: Message? = nil, blocks: Bool = true) {
            // The marks stay " ok ", FAIL and note in every language, like run's PASS and FAIL.
            let mark = ok ? style.pass(" ok ") : (blocks ? style.fail("FAIL") : style.dim("note"))
            let said = what.text(language) + (ok ? "" : advice.map { " — " + $0.text(language) } ?? "")
            for line in said.wrapped(width: style.width, prefix: mark + " ", hangingIndent: "     ") { print(line) }
            if !ok && blocks { blocking = true }
        }

        line(true, say.kernel(host.kernelRelease))
        let rootless = Sandbox.mode(host) == .rootless
        // The sandbox's first problem is the one about CAP_SYS_ADMIN, when it has one.
        let sysAdminProblem = host.hasSysAdmin || host.userNamespaceProblem == nil ? nil : Sandbox.problems(host).first
        line(host.hasSysAdmin, say.capSysAdmin, rootless ? say.rootlessNote : sysAdminProblem, blocks: !rootless)
        // Without root, the runner needs a user namespace of its own (and so do the rootless lessons).
        let userNamespaceAdvice: String? = host.userNamespaceProblem.map { _ in
            readTextFile("/proc/sys/kernel/unprivileged_userns_clone")?.hasPrefix("0") == true
                ? "sysctl -w kernel.unprivileged_userns_clone=1"
                : readTextFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")?.hasPrefix("1") == true
                ? "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile that allows userns for runner"
                : "sysctl -w user.max_user_namespaces=10000"
        }
        line(userNamespaceAdvice == nil, say.unprivilegedUserns,
             host.userNamespaceProblem.flatMap { problem in userNamespaceAdvice.map { say.asRoot(problem, $0) } },
             blocks: !host.hasSysAdmin)
        for namespace in Namespace.allCases {
            let limit = readTextFile(namespace.limitPath)?.split(separator: "\n").first.map(String.init) ?? "?"
            line(host.problem(with: namespace) == nil, say.namespaceLimit(namespace.rawValue, namespace.limitPath, limit),
                 host.problem(with: namespace).map {
                     say.asRoot($0, "sysctl -w user.max_\(namespace == .mnt ? "mnt" : namespace.rawValue)_namespaces=10000")
                 },
                 blocks: Catalog.all.contains { $0.namespacesNeeded[namespace] != nil })
        }
        for experiment in Catalog.all {
            let needed = experiment.namespacesNeeded.sorted { $0.key < $1.key }
            let short = needed.filter { need in host.limit(of: need.key).map { $0 < need.value } ?? false }
            let limits = say.needsLimits(experiment.id, Message.list(needed.map { "\($0.key.rawValue) \($0.value)" }))
            // Without real root, what needs it is a note: skipped, not broken.
            if rootless, let problem = host.realRootProblem(for: experiment) {
                line(false, limits, problem, blocks: false)
                continue
            }
            line(short.isEmpty, limits,
                 .verbatim(short.map { "sysctl -w user.max_\($0.key.rawValue)_namespaces=\($0.value)" }.joined(separator: "; ")))
        }
        line(access(host.probePath, X_OK) == 0, say.probeAt(host.probePath), say.probeMissing)
        // A static one: the root pivot-root builds on its workbench has no libraries.
        line(Workbench.staticBusybox != nil, say.busybox, .verbatim("apt-get install busybox-static"),
             blocks: Catalog.all.contains { $0.workbench.contains(.busyboxRoot("rootfs")) })
        line(access("/usr/include/sys/capability.h", F_OK) == 0, say.libcap, .verbatim("apt-get install libcap-dev"), blocks: false)
        line(access("/usr/include/yaml.h", F_OK) == 0, say.libyaml, .verbatim("apt-get install libyaml-dev"), blocks: false)
        for experiment in Catalog.all {
            for command in experiment.needsCommands where !isInstalled(command) {
                line(false, say.commandFor(command, experiment.id), say.installPackage)
            }
        }
        // What to do next: mend what blocks, or begin.
        let next = blocking ? say.fixFirst(language.suggesting("runner doctor")) : say.doctorNext(language.listCommand, language.suggesting("runner run \(Catalog.all.first?.id ?? "") --explain"))
        print("\n" + next.text(language).wrapped(width: style.width, hangingIndent: "  ").joined(separator: "\n"))
        if blocking { throw Exit.hostCannot }
    }
}
