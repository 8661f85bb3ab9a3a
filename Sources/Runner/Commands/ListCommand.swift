import ArgumentParser
import Experiments
import FoundationEssentials

struct ListCommand: ParsableCommand, SpeaksLanguage {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the chapters in course order, with your progress and whether this host can run each now.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Entry: Codable {
        let id: String
        let title: Message
        let namespaces: [String]
        let minimumKernel: String
        let runnable: Bool
        let reasons: [Message]
        /// Passed in a run of this user's (kept under $XDG_STATE_HOME/nslab).
        let passed: Bool
    }

    @OptionGroup var colour: ColourOption

    @OptionGroup var language: LanguageOption

    func run() throws {
        try Self.list(json: json, colour: colour.choice, language: language.language)
    }

    static func list(json: Bool, colour: ColourChoice, language: Language) throws {
        let host = HostSupport.current()
        let passed = Progress.passed(in: Progress.file(progressEnvironment()))
        let problemsByID = host.problems(for: Catalog.all)
        let entries = Catalog.all.map { experiment in
            let problems = problemsByID[experiment.id] ?? []
            return Entry(id: experiment.id, title: experiment.title, namespaces: experiment.namespaces.map(\.rawValue),
                         minimumKernel: experiment.minimumKernel.description, runnable: problems.isEmpty,
                         reasons: problems, passed: passed.contains(experiment.id))
        }
        if json {
            print(try encodeJSON(entries))
            return
        }
        let style = Style.forStandardOutput(colour)
        // The JSON above keeps the English; the table is in the student's language.
        let numberWidth = "\(entries.count). ".count
        let idWidth = numberWidth + (entries.map(\.id.count).max() ?? 0) + 2
        let under = String(repeating: " ", count: numberWidth)
        for (index, entry) in entries.enumerated() {
            let status = !entry.runnable ? style.fail(runnerText.cannotRun(Message.joined(entry.reasons)).text(language))
                : entry.passed ? style.pass(runnerText.passed.text(language)) : runnerText.notYet.text(language)
            let number = "\(index + 1). ".rightAligned(to: numberWidth)
            // The title beside the id when there is room for it, else under it.
            let lead = number + style.bold(entry.id.padded(to: idWidth - numberWidth))
            let room = style.width - idWidth >= 30
            let title = entry.title.text(language)
            print((room ? title.wrapped(width: style.width, prefix: lead, hangingIndent: String(repeating: " ", count: idWidth))
                   : [number + style.bold(entry.id)] + title.wrapped(width: style.width, prefix: under, hangingIndent: under))
                .joined(separator: "\n"))
            let details = runnerText.listDetails(Message.list(entry.namespaces), entry.minimumKernel, status).text(language)
            print(details.wrapped(width: style.width, prefix: room ? String(repeating: " ", count: idWidth) : under,
                                  hangingIndent: (room ? String(repeating: " ", count: idWidth) : under) + "  ").joined(separator: "\n"))
        }
        // Where to go on: the first chapter not passed yet that this host can run.
        if let next = entries.first(where: { !$0.passed && $0.runnable }) {
            let said = passed.isEmpty ? runnerText.startHere(language.suggesting("runner run \(next.id)"))
                : runnerText.nextChapter(language.suggesting("runner run \(next.id) --explain"), next.title)
            print("\n" + said.text(language).wrapped(width: style.width, hangingIndent: "  ").joined(separator: "\n"))
        } else if entries.allSatisfy(\.passed) {
            print("\n" + runnerText.everyChapterPassed(language.suggesting("runner lesson \(entries.first?.id ?? "")")).text(language)
                .wrapped(width: style.width, hangingIndent: "").joined(separator: "\n"))
        }
    }
}

/// The variables that say where a user's state is kept (Progress).
func progressEnvironment() -> [String: String] {
    ["XDG_STATE_HOME": environment("XDG_STATE_HOME"), "HOME": environment("HOME")].compactMapValues { $0 }
}
