import ArgumentParser
import Experiments
import FoundationEssentials

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the experiments, and whether this host can run each now.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Entry: Codable {
        let id: String
        let title: String
        let namespaces: [String]
        let minimumKernel: String
        let runnable: Bool
        let reasons: [String]
    }

    @OptionGroup var colour: ColourOption

    @OptionGroup var language: TextLanguageOption

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
            let status = entry.runnable ? style.pass(language.text("ready"))
                : style.fail(language.text("cannot run: %", entry.reasons.map(language.message).joined(separator: language.text("; "))))
            print("\(entry.id.padded(to: idWidth))  \(language.name(entry.title))")
            print("\("".padded(to: idWidth))  " + language.text("namespaces: % · Linux ≥ % · %", entry.namespaces.joined(separator: ", "),
                                                                 entry.minimumKernel, status))
        }
    }
}

func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
