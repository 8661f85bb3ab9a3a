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
        for entry in entries {
            let status = entry.runnable ? style.pass("ready") : style.fail("cannot run: " + entry.reasons.joined(separator: "; "))
            print("\(entry.id.padded(to: idWidth))  \(entry.title)")
            print("\("".padded(to: idWidth))  namespaces: \(entry.namespaces.joined(separator: ", ")) · Linux ≥ \(entry.minimumKernel) · \(status)")
        }
    }
}

func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
