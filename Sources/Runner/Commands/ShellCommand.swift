import ArgumentParser
import Experiments
import Glibc

struct ShellCommand: ParsableCommand, SpeaksLanguage {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "Open a shell in an experiment's new namespaces, inside the runner's sandbox; nothing is left behind on exit.")

    @Argument(help: "The experiment id (see `runner list`).", completion: .list(Catalog.all.map(\.id)))
    var id: String?

    @OptionGroup var colour: ColourOption

    @OptionGroup var language: LanguageOption

    func run() throws {
        let language = language.language
        guard let id, id != "all" else {
            let ids = Message.list(Catalog.all.map(\.id))
            printError(id == nil ? runnerText.nameOneExperiment(ids, language.listCommand) : runnerText.allIsNotOne("runner shell", ids), language)
            throw Exit.usage
        }
        guard let experiment = try experiments(named: [id], language).first else { throw Exit.usage }
        let host = HostSupport.current()
        // Like `run`: the shell lives in the runner's sandbox, made and supervised from outside.
        let problems = host.problems(for: experiment)
        if !Sandbox.isInside, let mode = Sandbox.mode(host) {
            try rerunInSandbox([experiment], mode: mode, language, makesCgroup: experiment.usesCgroups && problems.isEmpty)
        }
        guard problems.isEmpty else {
            printError(runnerText.cannotOpenShell(experiment.id, Message.joined(problems)), language)
            throw Exit.hostCannot
        }
        let style = Style.forStandardOutput(colour.choice)
        try Workbench.prepare(experiment.workbench)
        let lab = Lab(probePath: host.probePath, demoHostNamespaces: experiment.demoHostNamespaces,
                      demoHostSetup: experiment.demoHostSetup)
        defer { lab.close() }
        let hostBefore = HostState.read()

        // What the shell's namespaces are new against: the old side's, read by a probe there.
        // The shell's own the student reads in the shell: a probe made beforehand with the same
        // placement would be in other new namespaces (whose numbers the kernel may even reuse).
        let kinds = experiment.shellPlacement.create.sorted()
        let old = try lab.probe(.oldSide, [.report([.ns])]).report
        let say = runnerText
        print(say.shellIn(experiment.id, Message.list(kinds.map(\.rawValue))).text(language)
            .wrapped(width: style.width, hangingIndent: "  ").map(style.bold).joined(separator: "\n"))
        print(say.oldSideAndYours(Message.list(kinds.map { old.link($0) })).text(language)
            .wrapped(width: style.width, prefix: "  ", hangingIndent: "    ").joined(separator: "\n"))
        if !experiment.shellTries.isEmpty {
            print(say.tryThese(Message.list(experiment.shellTries.map { "`\($0)`" })).text(language)
                .wrapped(width: style.width, hangingIndent: "  ").joined(separator: "\n"))
        }
        fflush(nil)

        // Interactive on a terminal; commands from stdin otherwise (a script, a test).
        let interactive = isatty(STDIN_FILENO) == 1
        let program = interactive ? (resolveExecutable("bash") != nil ? ["bash", "--norc", "-i"] : ["sh", "-i"]) : ["sh"]
        var placement = experiment.shellPlacement
        placement.inheritsStandardIO = true
        // The prompt says where the student is; the terminal type keeps line editing right.
        placement.environment += ["PS1=[\(experiment.id)] \\w \\$ "]
            + (getenv("TERM").map { ["TERM=" + String(cString: $0)] } ?? [])
        let shell = try lab.start(placement, program)
        let ended = try shell.wait(timeout: .infinity)  // as long as the student likes

        lab.close()
        let differences = hostBefore.differences(to: HostState.read())
        let outside = differences.isEmpty ? say.nothingOutsideChanged : say.changed(Message.joined(differences))
        print(say.shellEnded(ended.message, outside).text(language).wrapped(width: style.width, hangingIndent: "  ")
            .map(style.dim).joined(separator: "\n"))
        if !differences.isEmpty { throw Exit.failed }
    }
}
