import ArgumentParser
import Experiments

struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson", abstract: "Show an experiment's lesson, rendered for the terminal.")

    @Argument(help: "The experiment id (see `runner list`).")
    var id: String

    @OptionGroup var language: LanguageOption

    @OptionGroup var colour: ColourOption

    func run() throws {
        let experiment = try experiments(named: [id])[0]
        let lesson: Lesson
        do {
            lesson = try Lesson.load(id: experiment.id, language: language.lang)
        } catch {
            printError("\(error)")
            throw Exit.hostCannot
        }
        let renderer = LessonRenderer(style: Style.forStandardOutput(colour.choice))
        print(renderer.render(lesson))
    }
}
