import ArgumentParser
import Experiments
import Glibc

/// Exit codes, as the README documents them: 0 all checks passed, 1 a check failed, 2 bad usage, 3 the host
/// cannot run what was asked, 4 broken: a step could not be carried out or the results could
/// not be delivered.
enum Exit {
    static let failed = ExitCode(1)
    static let usage = ExitCode(2)
    static let hostCannot = ExitCode(3)
    static let broken = ExitCode(4)
    /// 128 + the signal, as a shell reports it: 130 SIGINT, 143 SIGTERM, 129 SIGHUP.
    static func interrupted(by signal: Int32) -> ExitCode { ExitCode(128 + signal) }
}

@main
struct RunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Learn Linux namespaces by experiment: each lesson runs, shows and checks.",
        discussion: "Start here: `runner list` shows the chapters in course order; `runner run uts-namespace --explain` runs the first with its lesson.\n\nExit status: 0 all checks passed, 1 a check failed, 2 bad usage, 3 this host cannot run it, 4 broken: a step could not be carried out or the results could not be written, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.",
        version: nslabVersion,
        subcommands: [ListCommand.self, RunCommand.self, LessonCommand.self, ShellCommand.self, DoctorCommand.self,
                      GradeCommand.self])

    /// Parses and runs; every error ends in one line on stderr and the documented exit code.
    /// Results must arrive: with stdout closed the runner does not start (exit 2), and output
    /// lost on the way (a full disk, a closed pipe) is exit 4, never success.
    static func main() {
        // Until a command is parsed, the locale's language; then the command's (its --lang).
        let language = Language.ofThisProcess()
        StandardOutput.requireOpen(language)  // first: nothing opened later may become fd 1
        signal(SIGPIPE, SIG_IGN)  // a closed pipe is EPIPE, reported below, not a silent death
        var status: Int32
        if CommandLine.arguments.count == 1 {  // nothing asked: say what can be, as bad usage
            printError(runnerText.noCommand(helpMessage()), language)
            Glibc.exit(StandardOutput.finish(exitCode: Exit.usage.rawValue, language))
        }
        var commandLanguage = language
        do {
            // The runner inside its sandbox was given `runner run`'s request, parsed outside.
            if let request = try RunRequest.fromSupervisor() {
                commandLanguage = request.language
                try request.perform()
                Glibc.exit(StandardOutput.finish(exitCode: 0, commandLanguage))
            }
            if let plain = plainCommand(Array(CommandLine.arguments.dropFirst()), language) {
                try plain()
                Glibc.exit(StandardOutput.finish(exitCode: 0, commandLanguage))
            }
            var command: any ParsableCommand
            do {
                command = try parseAsRoot()
            } catch where exitCode(for: error) != .success {
                printUsageError(error, language)
                Glibc.exit(StandardOutput.finish(exitCode: Exit.usage.rawValue, language))
            }
            commandLanguage = (command as? SpeaksLanguage)?.language.language ?? language
            do {
                // Before any experiment: a results file that cannot be written is bad usage.
                for destination in (command as? WritesResults)?.resultDestinations ?? [] { try destination.validate() }
            } catch {
                printError(error.message, commandLanguage)
                Glibc.exit(StandardOutput.finish(exitCode: error.exitCode, commandLanguage))
            }
            try command.run()
            status = 0
        } catch let code as ExitCode {
            status = code.rawValue
        } catch let error as ResultOutputError {
            printError(error.message, commandLanguage)
            status = Exit.broken.rawValue  // after the run: the results were not delivered
        } catch where exitCode(for: error) == .success {
            print(fullMessage(for: error))  // --help, --version, or a command named without one to run
            status = 0
        } catch {
            // A step the command could not carry out (a system call refused, a probe that did
            // not answer): said as it is, and broken. The command line was parsed above.
            printError(Message.of(error), commandLanguage)
            status = Exit.broken.rawValue
        }
        Glibc.exit(StandardOutput.finish(exitCode: status, commandLanguage))
    }

    /// A command line the parser refused, in one line: ArgumentParser's own words, in English
    /// (they name its options), framed in the language --lang asked for, with the help of the
    /// command that was given.
    private static func printUsageError(_ error: any Error, _ language: Language) {
        let said = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        let arguments = Array(CommandLine.arguments.dropFirst())
        let help = helpCommand(arguments)
        printError(subcommandSuggestion(arguments).map { runnerText.usageDidYouMean(said, $0, help) } ?? runnerText.usage(said, help),
                   askedLanguage(arguments) ?? language)
    }
}

/// The two commands students type most, when typed without an option: `runner list` and
/// `runner run ID...` with known ids (or `all`). The parser reads them the same, only slower:
/// its reflection over every option costs about 3 ms per start. Anything else goes to it.
private func plainCommand(_ arguments: [String], _ language: Language) -> (() throws -> Void)? {
    if arguments == ["list"] {
        return { try ListCommand.list(json: false, colour: .auto, language: language) }
    }
    return plainRunRequest(arguments, language).map { request in { try request.perform() } }
}

/// `runner run ID...` with known ids (or `all`) and no option, as the parser reads it.
func plainRunRequest(_ arguments: [String], _ language: Language) -> RunRequest? {
    let ids = arguments.dropFirst()
    guard arguments.first == "run", !ids.isEmpty, ids.allSatisfy({ $0 == "all" || Catalog.experiment($0) != nil }) else {
        return nil
    }
    return RunRequest(ids: Array(ids), explain: false, map: false, step: false, only: nil, json: false, junit: nil,
                      language: language, colour: .auto)
}

/// A command with `--lang`: main() reports its errors in that language.
protocol SpeaksLanguage {
    var language: LanguageOption { get }
}

/// The runner's version, as `runner --version` prints it.
let nslabVersion = "0.4.0"

/// The runner's subcommands, by name.
private let subcommandNames = RunnerCommand.configuration.subcommands.compactMap { $0.configuration.commandName }

/// The help to point a command line that could not be parsed to: its subcommand's, if it
/// names one.
private func helpCommand(_ arguments: [String]) -> String {
    guard let given = arguments.first, subcommandNames.contains(given) else { return "runner --help" }
    return "runner \(given) --help"
}

/// The language `--lang L` or `--lang=L` asks for in a command line that could not be parsed.
private func askedLanguage(_ arguments: [String]) -> Language? {
    for (index, argument) in arguments.enumerated() {
        if argument == "--lang", index + 1 < arguments.count { return Language(rawValue: arguments[index + 1]) }
        if argument.hasPrefix("--lang=") { return Language(rawValue: String(argument.dropFirst("--lang=".count))) }
    }
    return nil
}

/// "run" when the first argument looks like a misspelt subcommand.
private func subcommandSuggestion(_ arguments: [String]) -> Message? {
    guard let given = arguments.first, !given.hasPrefix("-"), !subcommandNames.contains(given) else { return nil }
    // `runner explain pid-namespace`: a flag of run's, typed as a command.
    if runFlagsTypedAsCommands.contains(given) {
        let rest = arguments.dropFirst()
        return .verbatim("`runner run \(rest.isEmpty ? "ID" : rest.joined(separator: " ")) --\(given)`")
    }
    return alternatives(closest(to: given, among: subcommandNames))
}

/// The flags of `runner run` that read like commands of their own.
private let runFlagsTypedAsCommands: Set = ["explain", "map", "step"]


/// A variable of the environment, when set and not empty.
func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
}

/// One line on stderr: "runner: message", in `language`.
func printError(_ message: Message, _ language: Language) {
    writeStandardError("runner: \(message.text(language))\n")
}

/// `text` on stderr as it is, after whatever stdout already has (kept in order).
func writeStandardError(_ text: String) {
    fflush(nil)
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// Resolves the ids given on the command line ("all" for every experiment), or fails with
/// exit 2 and a suggestion.
func experiments(named ids: [String], _ language: Language) throws -> [Experiment] {
    // `all` stands for every experiment in its place; each runs once, in the order first named.
    let expanded = ids.flatMap { $0 == "all" ? Catalog.all.map(\.id) : [$0] }
    let unique = expanded.enumerated().filter { expanded.firstIndex(of: $0.element) == $0.offset }.map(\.element)
    return try unique.map { id in
        if let experiment = Catalog.experiment(id) { return experiment }
        let hint = alternatives(Catalog.suggestions(for: id)).map { runnerText.didYouMean($0) } ?? runnerText.seeList(language.listCommand)
        printError(runnerText.unknownExperiment(id, hint), language)
        throw Exit.usage
    }
}
