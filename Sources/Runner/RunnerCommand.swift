import ArgumentParser
import Experiments
import Glibc

/// Exit codes of DESIGN.md: 0 all checks passed, 1 a check failed, 2 bad usage, 3 the host
/// cannot run what was asked.
enum Exit {
    static let failed = ExitCode(1)
    static let usage = ExitCode(2)
    static let hostCannot = ExitCode(3)
}

@main
struct RunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Learn Linux namespaces by experiment: each lesson runs, shows and checks.",
        discussion: "Exit status: 0 all checks passed, 1 a check failed, 2 bad usage, 3 this host cannot run it.",
        subcommands: [ListCommand.self, RunCommand.self, LessonCommand.self, DoctorCommand.self])

    /// Parses and runs; every error ends in one line on stderr and the documented exit code.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let message = RunnerCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            printError("\(message) (see `runner --help`)")
            Glibc.exit(Exit.usage.rawValue)
        }
    }
}

/// One line on stderr: "runner: message".
func printError(_ message: String) {
    fflush(nil)  // keep the order with what stdout already has
    let bytes = Array("runner: \(message)\n".utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// Resolves the ids given on the command line ("all" for every experiment), or fails with
/// exit 2 and a suggestion.
func experiments(named ids: [String]) throws -> [Experiment] {
    if ids == ["all"] { return Catalog.all }
    return try ids.map { id in
        if let experiment = Catalog.experiment(id) { return experiment }
        let suggestions = Catalog.suggestions(for: id)
        let hint = suggestions.isEmpty ? "run `runner list` to see them" : "did you mean \(suggestions.joined(separator: " or "))?"
        printError("unknown experiment '\(id)': \(hint)")
        throw Exit.usage
    }
}

struct LanguageOption: ParsableArguments {
    @Option(name: .long, help: "Lesson language: en or zh.")
    var lang: String = "en"

    func validate() throws {
        guard ["en", "zh"].contains(lang) else { throw ValidationError("--lang must be en or zh, not '\(lang)'") }
    }
}
