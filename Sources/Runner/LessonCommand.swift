import ArgumentParser
import Experiments
import Glibc

struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson", abstract: "Show an experiment's lesson, rendered for the terminal; it ends with its graded exercise.")

    @Argument(help: "The experiment id (see `runner list`), or a graded exercise's (net-veth is in net-namespace's lesson).")
    var id: String

    @OptionGroup var language: LanguageOption

    @OptionGroup var colour: ColourOption

    func run() throws {
        // An exercise without a chapter of its own is documented in the chapter it extends.
        let experiment = try experiments(named: [id == Exercise.ID.netVeth.rawValue ? netNamespace.id : id])[0]
        let lesson: Lesson
        do {
            lesson = try Lesson.load(id: experiment.id, language: language.lang)
        } catch {
            printError("\(error)")
            throw Exit.hostCannot
        }
        let renderer = LessonRenderer(style: Style.forStandardOutput(colour.choice))
        page(renderer.render(lesson))
    }

    /// On a terminal, through $PAGER (default `less -R`, which keeps the colours); an empty
    /// PAGER, or output that is not a terminal, prints directly.
    private func page(_ text: String) {
        let pager = getenv("PAGER").map { String(cString: $0) } ?? "less -R"
        guard isatty(STDOUT_FILENO) == 1, !pager.isEmpty, let pipe = popen(pager, "w") else {
            print(text)
            return
        }
        fputs(text + "\n", pipe)
        pclose(pipe)
    }
}
