import ArgumentParser
import Experiments
import FoundationEssentials
import Glibc

struct RunCommand: ParsableCommand, SpeaksLanguage {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run experiments: old and new namespace side by side, then the checks.")

    @Argument(help: "Experiment ids, or `all`.")
    var ids: [String]

    @Flag(help: "Print each step's lesson section, commands and output before its checks.")
    var explain = false

    @Flag(help: "Draw, after each step's checks, which namespace (by inode) each of its processes was in; --explain always draws it.")
    var map = false

    @Flag(help: "Wait for Enter between steps.")
    var step = false

    @Flag(help: "Print the results as JSON instead of text.")
    var json = false

    @Option(help: ArgumentHelp(
        "Also write the results as JUnit XML to this file (`-` for standard output).",
        discussion: "A regular file (or a symlink's target) is replaced atomically; a device or FIFO is written in place. Checked before any experiment runs.",
        valueName: "file"))
    var junit: String?

    @OptionGroup var language: LanguageOption

    @OptionGroup var lessons: LessonsOption

    @OptionGroup var colour: ColourOption

    func run() throws {
        let language = language.language
        let chosen = try experiments(named: ids, language)
        let host = HostSupport.current()
        // Outside its sandbox the runner only makes one and runs this same command in it.
        if !Sandbox.isInside, let mode = Sandbox.mode(host) { try rerunInSandbox(chosen, mode: mode, language) }
        let style = Style.forStandardOutput(colour.choice)
        let renderer = ResultRenderer(style: style, explain: explain, map: map, language: language)
        var results: [ExperimentResult] = []
        var unrunnable: [(id: String, reasons: [Message])] = []

        for experiment in chosen {
            let problems = host.problems(for: experiment)
            guard problems.isEmpty else {
                unrunnable.append((experiment.id, problems))
                printError(runnerText.cannotRunHere(experiment.id, Message.joined(problems)), language)
                continue
            }
            let lesson = explain ? try? Lesson.load(id: experiment.id, language: language.rawValue) : nil
            var hooks = RunHooks()
            var stepNumber = 0
            if !json {
                print(renderer.header(experiment, lesson: lesson))
                hooks.willRun = { step in
                    stepNumber += 1
                    if self.step && stepNumber > 1 { waitForEnter(language) }
                    print(renderer.stepHeader(step, number: stepNumber, of: experiment.steps.count + 1, lesson: lesson),
                          terminator: "")
                    fflush(nil)
                }
                hooks.didRun = { print(renderer.stepBody($0, namespaces: experiment.namespaces), terminator: "") }
            }
            let result = Experiments.run(experiment, probePath: host.probePath, hooks: hooks)
            results.append(result)
            if !json {
                if let closing = renderer.closing(lesson) { print(closing) }
                print(renderer.summary(result))
            }
        }
        if !json && results.count + unrunnable.count > 1 {
            print(renderer.runSummary(results, unrunnable: unrunnable.count))
        }

        if json {
            print(try encodeJSON(RunReport(experiments: results, unrunnable: unrunnable.map { .init(id: $0.id, reasons: $0.reasons) })))
        }
        if let junit {
            try ResultDestination(path: junit, option: "--junit").write(JUnit.document(results, unrunnable: unrunnable))
        }
        // Without real root, what needs it is skipped, and the run is judged on the rest: a
        // user who asked for everything got all that can run without sudo.
        let onlyRootSkipped = unrunnable.allSatisfy { id, _ in
            Catalog.experiment(id).map { host.realRootProblem(for: $0) != nil } ?? false
        }
        switch results.map(\.verdict).max() ?? .pass {
        case .broken: throw Exit.broken
        case .fail: throw Exit.failed
        case .pass: if !unrunnable.isEmpty && (results.isEmpty || !onlyRootSkipped) { throw Exit.hostCannot }
        }
    }
}

struct RunReport: Encodable {
    struct Unrunnable: Codable {
        let id: String
        let reasons: [Message]
    }
    let experiments: [ExperimentResult]
    let unrunnable: [Unrunnable]
    var passed: Bool { unrunnable.isEmpty && experiments.allSatisfy(\.passed) }

    enum CodingKeys: CodingKey { case experiments, unrunnable, passed }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(experiments, forKey: .experiments)
        try container.encode(unrunnable, forKey: .unrunnable)
        try container.encode(passed, forKey: .passed)
    }
}

/// Waits for a line on stdin; goes on at end of input.
func waitForEnter(_ language: Language) {
    print(runnerText.pressEnter.text(language))
    fflush(nil)
    _ = readLine()
}
