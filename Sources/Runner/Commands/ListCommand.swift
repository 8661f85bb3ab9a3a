import ArgumentParser
import Experiments
import FoundationEssentials

struct ListCommand: ParsableCommand, SpeaksLanguage {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the experiments, and whether this host can run each now.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Entry: Codable {
        let id: String
        let title: Message
        let namespaces: [String]
        let minimumKernel: String
        let runnable: Bool
        let reasons: [Message]
    }

    @OptionGroup var colour: ColourOption

    @OptionGroup var language: LanguageOption

    func run() throws {
        let host = HostSupport.current()
        let entries = Catalog.all.map { experiment in
            let problems = host.problems(for: experiment)
            return Entry(id: experiment.id, title: experiment.title, namespaces: experiment.namespaces.map(\.rawValue),
                         minimumKernel: experiment.minimumKernel.description, runnable: problems.isEmpty,
                         reasons: problems)
        }
        if json {
            print(try encodeJSON(entries))
            return
        }
        let style = Style.forStandardOutput(colour.choice)
        let idWidth = entries.map(\.id.count).max() ?? 0
        // The JSON above keeps the English; the table is in the student's language.
        let language = language.language
        for entry in entries {
            let status = entry.runnable ? style.pass(runnerText.ready.text(language))
                : style.fail(runnerText.cannotRun(Message.joined(entry.reasons)).text(language))
            print("\(entry.id.padded(to: idWidth))  \(entry.title.text(language))")
            print("\("".padded(to: idWidth))  "
                  + runnerText.listDetails(Message.list(entry.namespaces), entry.minimumKernel, status).text(language))
        }
    }
}
