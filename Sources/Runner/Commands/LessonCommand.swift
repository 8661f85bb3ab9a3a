import ArgumentParser
import Experiments
import Glibc

struct LessonCommand: ParsableCommand, SpeaksLanguage {
    static let configuration = CommandConfiguration(
        commandName: "lesson", abstract: "Show an experiment's lesson, rendered for the terminal; it ends with its graded exercise.")

    @Argument(help: "The experiment id (see `runner list`), or a graded exercise's (net-veth is in net-namespace's lesson).")
    var id: String

    @OptionGroup var language: LanguageOption

    @OptionGroup var lessons: LessonsOption

    @OptionGroup var colour: ColourOption

    func run() throws {
        let language = language.language
        // An exercise is documented in its chapter's lesson.
        let chapter = Catalog.chapter(of: id)?.experiment.id ?? id
        guard let experiment = try experiments(named: [chapter], language).first else { throw Exit.usage }
        let lesson: Lesson
        do {
            lesson = try Lesson.load(id: experiment.id, language: language.rawValue)
        } catch {
            printError(Message.of(error), language)
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
