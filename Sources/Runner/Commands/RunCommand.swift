import ArgumentParser
import Experiments
import FoundationEssentials
import Glibc

struct RunCommand: ParsableCommand, SpeaksLanguage {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run experiments: old and new namespace side by side, then the checks.")

    @Argument(help: "Experiment ids, or `all` (see `runner list`).",
              completion: .list(Catalog.all.map(\.id) + ["all"]))
    var ids: [String] = []

    @Flag(help: "Print each step's lesson section, commands and output before its checks.")
    var explain = false

    @Flag(help: "Draw, after each step's checks, which namespace (by inode) each of its processes was in; --explain always draws it.")
    var map = false

    @Flag(help: "Wait for Enter between steps, each shown under its title.")
    var step = false

    @Option(help: ArgumentHelp("Run the steps up to and including this one, and show it alone (its key, as in `[key]`).",
                               valueName: "step"),
            completion: .custom { words, _, prefix in
                // The steps of the experiment named on the line.
                words.compactMap(Catalog.experiment).flatMap { $0.steps.map(\.key) }.filter { $0.hasPrefix(prefix) }
            })
    var only: String?

    @Flag(help: "Print the results as JSON instead of text.")
    var json = false

    @Option(help: ArgumentHelp(
        "Also write the results as JUnit XML to this file (`-` for standard output, where the text report then goes to standard error).",
        discussion: "A regular file (or a symlink's target) is replaced atomically; a device or FIFO is written in place. Checked before any experiment runs.",
        valueName: "file"), completion: .file(extensions: ["xml"]))
    var junit: String?

    @OptionGroup var language: LanguageOption

    @OptionGroup var lessons: LessonsOption

    @OptionGroup var colour: ColourOption

    func validate() throws {
        if json && junit == "-" { throw ValidationError("--json and --junit - both print to standard output: give --junit a file") }
    }

    func run() throws {
        try RunRequest(ids: ids, explain: explain, map: map, step: step, only: only, json: json, junit: junit,
                       language: language.language, colour: colour.choice).perform()
    }
}

/// What `runner run` was asked, once parsed. The supervisor hands it to the runner inside its
/// sandbox as one JSON argument after `argument`: that runner starts without parsing a
/// command line again (the parser's reflection costs milliseconds per start).
struct RunRequest: Codable {
    var ids: [String]
    var explain: Bool
    var map: Bool
    var step: Bool
    var only: String?
    var json: Bool
    var junit: String?
    var language: Language
    var colour: ColourChoice

    /// The first argument of the runner inside its sandbox, before the request.
    static let argument = "--run-request"

    /// The request the supervisor gave this runner, when it is the runner inside its sandbox
    /// and was started with one.
    static func fromSupervisor(_ arguments: [String] = CommandLine.arguments) throws -> RunRequest? {
        guard arguments.count == 3, arguments[1] == argument, Sandbox.isInside else { return nil }
        return try JSONDecoder().decode(RunRequest.self, from: Data(arguments[2].utf8))
    }

    func perform() throws {
        guard !ids.isEmpty else {
            printError(runnerText.nameExperiments(Message.list(Catalog.all.map(\.id))), language)
            throw Exit.usage
        }
        var chosen = try experiments(named: ids, language)
        if let only {
            guard chosen.count == 1, let cut = chosen[0].through(step: only) else {
                let steps = chosen.count == 1 ? Message.list(chosen[0].steps.map(\.key)) : nil
                printError(steps.map { runnerText.unknownStep(chosen[0].id, only, $0) } ?? runnerText.onlyOneExperiment, language)
                throw Exit.usage
            }
            chosen = [cut]
        }
        try LessonsOption.check(language)
        let host = HostSupport.current()
        let problemsByID = host.problems(for: chosen)
        // Outside its sandbox the runner only makes one and runs this same request in it.
        if !Sandbox.isInside, let mode = Sandbox.mode(host) {
            let request = String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
            try rerunInSandbox(chosen, mode: mode, language, arguments: [RunRequest.argument, request],
                               makesCgroup: chosen.contains { $0.usesCgroups && problemsByID[$0.id]?.isEmpty == true })
        }
        // The text report goes to standard output, unless a document takes it (--junit -).
        let report = TextReport(toStandardError: junit == "-")
        let style = Style.forStandardOutput(colour)
        var renderer = ResultRenderer(style: style, explain: explain, map: map, language: language)
        renderer.titles = step || only != nil
        var results: [ExperimentResult] = []
        var unrunnable: [(id: String, reasons: [Message])] = []
        let progressFile = Progress.file(progressEnvironment())

        for experiment in chosen {
            let problems = problemsByID[experiment.id] ?? []
            guard problems.isEmpty else {
                unrunnable.append((experiment.id, problems))
                printError(runnerText.cannotRunHere(experiment.id, Message.joined(problems)), language)
                continue
            }
            let lesson = explain ? try? Lesson.load(id: experiment.id, language: language.rawValue) : nil
            var hooks = RunHooks()
            var stepNumber = 0
            // With --only, the steps before it set the stage: shown only when they did not pass.
            let shown = { (key: String) in only == nil || key == only || key == hostUnchangedKey }
            if !json {
                report.say(renderer.header(experiment, lesson: lesson))
                hooks.willRun = { step in
                    stepNumber += 1
                    guard shown(step.key) else { return }
                    if self.step && stepNumber > 1 { waitForEnter(language) }
                    report.say(renderer.stepHeader(step, number: stepNumber, of: experiment.steps.count + 1, lesson: lesson),
                               terminator: "")
                }
                hooks.didRun = { result in
                    guard shown(result.key) || result.verdict != .pass else { return }
                    report.say(renderer.stepBody(result, namespaces: experiment.namespaces), terminator: "")
                }
            }
            // Commands that run only to be shown run only where they are shown or kept.
            let result = Experiments.run(experiment, probePath: host.probePath, hooks: hooks,
                                         showsOutput: explain || map || json || junit != nil)
            results.append(result)
            if result.verdict == .pass && only == nil { Progress.record(passed: [experiment.id], in: progressFile) }
            if !json {
                if let closing = renderer.closing(lesson) { report.say(closing) }
                report.say(renderer.summary(result))
            }
        }
        if !json && results.count + unrunnable.count > 1 {
            report.say(renderer.runSummary(results, unrunnable: unrunnable.count))
        }
        // What is next, after a run that passed: the next chapter not yet passed.
        if !json, only == nil, !results.isEmpty, results.allSatisfy(\.passed) {
            let passed = Progress.passed(in: progressFile).union(results.map(\.id))
            report.say(renderer.next(after: results.last?.id, passed: passed))
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

/// Where the text report goes: standard output, or standard error when a document
/// (`--junit -`) has standard output to itself.
struct TextReport {
    let toStandardError: Bool

    func say(_ text: String, terminator: String = "\n") {
        if toStandardError {
            writeStandardError(text + terminator)
        } else {
            print(text, terminator: terminator)
            fflush(nil)  // in order with what goes to stderr
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
