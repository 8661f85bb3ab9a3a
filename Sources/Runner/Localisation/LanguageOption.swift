import ArgumentParser
import Experiments
import Glibc

extension Language: ExpressibleByArgument {}

extension Language {
    /// The language of this process's locale (LC_ALL, LC_MESSAGES, LANG; see ofLocale). The
    /// processes the runner starts get LC_ALL=C; the runner inside its sandbox, this environment.
    static func ofThisProcess() -> Language {
        ofLocale(environment)
    }

    /// A runner command to suggest, said so that it answers in this language: with `--lang`
    /// when this is not the locale's, so that a student who chose `--lang zh` copies a command
    /// that keeps it.
    func suggesting(_ command: String) -> String {
        self == .ofThisProcess() ? command : "\(command) --lang \(rawValue)"
    }

    /// `runner list`, said so (suggesting): where a student who named no experiment, or an
    /// unknown one, finds them.
    var listCommand: String { suggesting("runner list") }
}

/// `--lang`: the language of what a command prints for a student (JSON and JUnit keep their
/// English names in every language, so that CI sees the same).
struct LanguageOption: ParsableArguments {
    @Option(name: .customLong("lang"),
            help: ArgumentHelp("Language of what is printed: en or zh (default: zh when LC_ALL, LC_MESSAGES or LANG starts with zh, else en).",
                               valueName: "lang"))
    var requested: Language?

    /// --lang, else the locale's.
    var language: Language { requested ?? .ofThisProcess() }
}

/// `--lessons`: a teacher's edited copy of the lessons, read instead of the ones built in.
struct LessonsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read the lessons from this folder (a teacher's edited copy) instead of the ones built in; every file is checked first (docs/lessons.md).",
                                            valueName: "dir"), completion: .directory)
    var lessons: String?

    /// A teacher's folder (--lessons, which validate() puts in NSLAB_LESSONS, or NSLAB_LESSONS)
    /// is checked whole before anything runs: every problem on a line of its own, "FILE:LINE:
    /// what", then exit 2. The runner inside its sandbox was started after this check.
    static func check(_ language: Language) throws {
        guard !Sandbox.isInside, let directory = environment("NSLAB_LESSONS") else { return }
        let problems = Lesson.problems(inDirectory: directory)
        guard !problems.isEmpty else { return }
        for problem in problems { printError(problem.located, language) }
        throw Exit.usage
    }

    func validate() throws {
        guard let lessons else { return }
        guard isFolder(lessons) else {
            throw ValidationError("--lessons \(lessons) is not a folder")
        }
        // Lesson.load reads it; the runner inside its sandbox inherits it.
        setenv("NSLAB_LESSONS", lessons, 1)
    }
}
