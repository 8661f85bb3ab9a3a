import ArgumentParser
import Experiments
import Glibc

struct LessonCommand: ParsableCommand, SpeaksLanguage {
    static let configuration = CommandConfiguration(
        commandName: "lesson", abstract: "Show an experiment's lesson, rendered for the terminal; it ends with its graded exercise.")

    @Argument(help: "The experiment id (see `runner list`), a graded exercise's (net-veth is in net-namespace's lesson), or `all` for every lesson in course order.",
              completion: .list(Catalog.all.map(\.id) + Catalog.exercises.map(\.id) + ["all"]))
    var id: String?

    @OptionGroup var language: LanguageOption

    @OptionGroup var lessons: LessonsOption

    @OptionGroup var colour: ColourOption

    func run() throws {
        let language = language.language
        guard let id else {
            printError(runnerText.nameOneExperiment(Message.list(Catalog.all.map(\.id) + ["all"]), language.listCommand), language)
            throw Exit.usage
        }
        try LessonsOption.check(language)
        // An exercise is documented in its chapter's lesson.
        let chapters = try experiments(named: [Catalog.chapter(of: id)?.experiment.id ?? id], language)
        var pages: [Lesson] = []
        for experiment in chapters {
            do {
                pages.append(try Lesson.load(id: experiment.id, language: language.rawValue))
            } catch {
                printError(Message.of(error), language)
                throw Exit.hostCannot
            }
        }
        let renderer = LessonRenderer(style: Style.forStandardOutput(colour.choice))
        page(pages.map(renderer.render).joined(separator: "\n\n"))
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
