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

    @Option(help: ArgumentHelp(
        "Also write the run as a Markdown page to hand out: each step's lesson text, commands, system calls, output, checks and map (GitHub Flavored Markdown).",
        discussion: "Written like --junit's file, and checked before any experiment runs.",
        valueName: "file"), completion: .file(extensions: ["md"]))
    var handout: String?

    @Option(help: ArgumentHelp("Also draw each step's map of who is where as an SVG picture into this folder (made if missing).",
                               valueName: "dir"), completion: .directory)
    var svg: String?

    @Option(help: ArgumentHelp("Experiments run at once, each in a sandbox of its own (default: the number of cores); their output comes in order.",
                               valueName: "n"))
    var jobs: Int?

    @OptionGroup var language: LanguageOption

    @OptionGroup var lessons: LessonsOption

    @OptionGroup var colour: ColourOption

    func validate() throws {
        let toStandardOutput = [json ? "--json" : nil, junit == "-" ? "--junit -" : nil, handout == "-" ? "--handout -" : nil].compactMap { $0 }
        if toStandardOutput.count > 1 {
            throw ValidationError("\(toStandardOutput.joined(separator: " and ")) all print to standard output: give all but one a file")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs \(jobs): give a number of experiments from 1 up") }
        if step && json { throw ValidationError("--step waits between steps shown as text; --json shows none") }
    }

    func run() throws {
        try RunRequest(ids: ids, explain: explain, map: map, step: step, only: only, json: json, junit: junit,
                       language: language.language, colour: colour.choice, jobs: jobs, handout: handout, svg: svg).perform()
    }
}

/// What `runner run` was asked, once parsed. The supervisor hands it to the runner inside its
/// sandbox in NSLAB_RUN_REQUEST, as JSON, beside the same command line: that runner starts
/// without parsing one again (the parser's reflection costs milliseconds per start), and `ps`
/// shows what the student typed. A plain `runner run ID...` goes as that command line alone,
/// which the runner inside reads by the same fast path (plainRunRequest).
struct RunRequest: Codable, Equatable {
    var ids: [String]
    var explain: Bool
    var map: Bool
    var step: Bool
    var only: String?
    var json: Bool
    var junit: String?
    var language: Language
    var colour: ColourChoice
    /// Experiments run at once (RunConcurrently); nil: the number of cores.
    var jobs: Int? = nil
    /// Where the run goes as a Markdown page (Handout), its maps as pictures beside it.
    var handout: String? = nil
    /// A folder for each step's map as an SVG picture (MapPictures).
    var svg: String? = nil
    /// The width of the terminal the text goes to, for a runner whose output goes through
    /// the runner that started it.
    var width: Int? = nil
    /// Set for the runner of one experiment of a concurrent run: it hands its result back
    /// on its last line (PartResult) and says nothing of the run as a whole.
    var reportsResult: Bool? = nil

    static let variable = "NSLAB_RUN_REQUEST"

    /// The request the supervisor gave this runner, when it is the runner inside its sandbox
    /// and was started with one.
    static func fromSupervisor() throws -> RunRequest? {
        guard environment(variable) != nil else { return nil }
        // The supervisor's word alone: never taken from a user's shell, nor handed on.
        defer { unsetenv(variable) }
        return Sandbox.isInside ? try environmentValue(variable, as: RunRequest.self) : nil
    }

    /// The request as the runner inside a sandbox gets it.
    var environmentEntry: String { Experiments.environmentEntry(RunRequest.variable, self) }

    func perform() throws {
        guard !ids.isEmpty else {
            printError(runnerText.nameExperiments(Message.list(Catalog.all.map(\.id)), language.listCommand), language)
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
            // A plain command line is the whole request: the runner inside reads it there as
            // quickly as from JSON, and without its encoding here.
            let plain = plainRunRequest(Array(CommandLine.arguments.dropFirst()), language) == self
            try rerunInSandbox(chosen, mode: mode, language, environment: plain ? [] : [environmentEntry],
                               makesCgroup: chosen.contains { $0.usesCgroups && problemsByID[$0.id]?.isEmpty == true })
        }
        // The text report goes to standard output, unless a document takes it (--junit -).
        let report = TextReport(toStandardError: junit == "-" || handout == "-")
        let style = Style.forStandardOutput(colour, width: width)
        var renderer = ResultRenderer(style: style, explain: explain, map: map, language: language)
        renderer.titles = step || only != nil
        var results: [ExperimentResult] = []
        var unrunnable: [(id: String, reasons: [Message])] = []
        let progressFile = Progress.file(progressEnvironment())
        let record = { (result: ExperimentResult) in
            if result.verdict == .pass && only == nil && reportsResult != true {
                Progress.record(passed: [result.id], in: progressFile)
            }
        }
        let cannotRun = { (experiment: Experiment, problems: [Message]) in
            unrunnable.append((experiment.id, problems))
            // A part hands the reasons back; the runner that started it says them.
            if reportsResult != true { printError(runnerText.cannotRunHere(experiment.id, Message.joined(problems)), language) }
        }

        /// One experiment, run by this runner, its text said as it goes.
        func runHere(_ experiment: Experiment) {
            let problems = problemsByID[experiment.id] ?? []
            guard problems.isEmpty else {
                cannotRun(experiment, problems)
                return
            }
            let lesson = explain ? try? Lesson.load(id: experiment.id, language: language.rawValue) : nil
            var hooks = RunHooks()
            var stepNumber = 0, stepsShown = 0
            // With --only, the steps before it set the stage: shown only when they did not pass.
            let shown = { (key: String) in only == nil || key == only || key == hostUnchangedKey }
            if !json {
                report.say(renderer.header(experiment, lesson: lesson))
                hooks.willRun = { step in
                    stepNumber += 1
                    guard shown(step.key) else { return }
                    // Enter between the steps shown: never before the first.
                    if self.step && stepsShown > 0 { waitForEnter(language) }
                    stepsShown += 1
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
                                         showsOutput: explain || map || json || junit != nil || handout != nil || svg != nil)
            results.append(result)
            record(result)
            if !json {
                if let closing = renderer.closing(lesson) { report.say(closing) }
                report.say(renderer.summary(result))
            }
        }
        // Several experiments on several cores run at once, each in a sandbox of its own,
        // unless the namespace limits leave no room for that, or a student steps through them.
        let jobs = min(jobs ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), chosen.count)
        let runnable = chosen.filter { problemsByID[$0.id]?.isEmpty ?? true }
        let concurrent = jobs > 1 && !step && reportsResult != true
            ? RunConcurrently(request: self, style: style, host: host, jobs: jobs) : nil
        if let concurrent, concurrent.fits(runnable) {
            try concurrent.run(chosen, problems: problemsByID) { experiment, outcome in
                switch outcome {
                case .result(let result):
                    results.append(result)
                    record(result)
                case .cannotRun(let problems):
                    cannotRun(experiment, problems)
                }
            }
        } else {
            for experiment in chosen { runHere(experiment) }
        }

        if reportsResult == true {
            // Whatever happened, the runner that started this one judges it from this line.
            // Every message whole: the runner that says it does so in the student's language.
            print(PartResult.marker + (try encodeWholeJSON(PartResult(result: results.first, reasons: unrunnable.first?.reasons))))
            return
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
        // Drawn once, for --svg and the handout's folder alike.
        let handoutPictures = handout.flatMap(Handout.picturesFolder)
        let pictures = svg != nil || handoutPictures != nil ? MapPictures(results, language: language) : nil
        if let svg { try pictures?.write(into: svg, option: "--svg") }
        if let handout {
            // The pictures go in a folder beside the page, which links them by its own name.
            var links: [String: String] = [:]
            if let folder = handoutPictures, let pictures {
                links = try pictures.write(into: folder, option: "--handout").mapValues { "\(baseName(folder))/\($0)" }
            }
            try ResultDestination(path: handout, option: "--handout").write(Handout(language: language).document(results, pictures: links))
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
