import Experiments
import FoundationEssentials

/// A run as a Markdown page a teacher can hand out or put on a course site (`runner run …
/// --handout FILE.md`), in GitHub Flavored Markdown: for each experiment its lesson's title and
/// introduction, then for each step its lesson text, the shell equivalent, the system calls,
/// what the old and the new processes printed, the checks with PASS or FAIL, and the map of
/// who is where; last, the lesson's closing sections and the summary. Lessons' own Markdown
/// goes in as it is, without their `{#key}` attributes, which GitHub would print; every value
/// the kernel or a program gave goes in a code block or escaped.
struct Handout {
    let language: Language

    /// The page; `pictures` links each step's map picture ("experiment/step" → a relative path).
    func document(_ results: [ExperimentResult], pictures: [String: String] = [:]) -> String {
        results.map { experiment($0, pictures: pictures) }.joined(separator: "\n---\n\n")
    }

    /// The folder beside a page for its pictures: "notes/uts.md" → "notes/uts-maps"; none for a
    /// page on standard output (-).
    static func picturesFolder(of page: String) -> String? {
        page == "-" ? nil : (page.hasSuffix(".md") ? String(page.dropLast(3)) : page) + "-maps"
    }

    private func text(_ message: Message) -> String { message.text(language) }

    private func experiment(_ result: ExperimentResult, pictures: [String: String]) -> String {
        let lesson = try? Lesson.load(id: result.id, language: language.rawValue)
        let namespaces = Catalog.experiment(result.id)?.namespaces ?? []
        var page = ["# \(markdownEscaped(lesson?.title ?? text(result.title))) (`\(result.id)`)", ""]
        if let lesson {
            page += [lesson.intro, ""]
            page += lesson.sections(for: Lesson.introKey).flatMap { ["## \(markdownEscaped($0.title))", "", $0.body, ""] }
        }
        for (index, step) in result.steps.enumerated() {
            page += self.step(step, number: index + 1, of: result.steps.count, lesson: lesson, namespaces: namespaces,
                              picture: pictures["\(result.id)/\(step.key)"])
        }
        if let lesson {
            page += lesson.sections(for: Lesson.closingKey).flatMap { ["## \(markdownEscaped($0.title))", "", $0.body, ""] }
        }
        let summary = ResultRenderer(style: Style(colour: false, width: Int.max), explain: false, language: language).summary(result)
        page += ["**\(markdownEscaped(summary.droppingTrailingSpaces.split(separator: "\n").joined(separator: " ")))**", ""]
        return page.joined(separator: "\n")
    }

    private func step(_ step: StepResult, number: Int, of count: Int, lesson: Lesson?, namespaces: [Namespace],
                      picture: String?) -> [String] {
        let sections = lesson?.sections(for: step.key) ?? []
        let title = sections.first?.title ?? text(step.title)
        var lines = ["## \(markdownEscaped(text(runnerText.stepOf(number, count)))) · \(markdownEscaped(title)) `[\(step.key)]`", ""]
        for (index, section) in sections.enumerated() {
            lines += (index == 0 ? [] : ["### \(markdownEscaped(section.title))", ""]) + [section.body, ""]
        }
        let shell = text(step.shell)
        if !shell.isEmpty { lines += ["**\(markdownEscaped(text(runnerText.shellLabel).droppingTrailingSpaces))**", ""] + fenced(shell, "sh") + [""] }
        if !step.syscalls.isEmpty {
            lines += ["**\(markdownEscaped(text(runnerText.syscallLabel).droppingTrailingSpaces))** "
                      + step.syscalls.map { "`\(text($0).replacing("`", with: "'"))`" }.joined(separator: ", "), ""]
        }
        for observation in step.observations {
            lines += ["**\(markdownEscaped(text(observation.label)))**", ""]
                + fenced((["$ " + observation.command] + observation.output.map(text)).joined(separator: "\n"), "console") + [""]
        }
        let map = MapRenderer(style: Style(colour: false, width: 100), language: language).lines(step.observations, kinds: namespaces)
        if let picture { lines += ["![\(markdownEscaped(text(runnerText.whoIsWhere)))](\(picture.addingSpacesEscaped))", ""] }
        if !map.isEmpty { lines += fenced(map.map { String($0.dropFirst(2)) }.joined(separator: "\n"), "text") + [""] }
        if !step.checks.isEmpty {
            lines += ["| | \(markdownEscaped(text(runnerText.handoutCheck))) | \(markdownEscaped(text(runnerText.handoutSeen))) "
                      + "| \(markdownEscaped(text(runnerText.handoutExpected))) |", "| --- | --- | --- | --- |"]
            lines += step.checks.map { check in
                "| \(check.passed ? "PASS" : "**FAIL**") | \(cell(text(check.name))) | \(cell(text(check.actual))) | \(cell(text(check.expected))) |"
            }
            lines.append("")
        }
        if let broken = step.broken { lines += ["**BROKEN**: \(markdownEscaped(text(runnerText.notCarriedOut(broken))))", ""] }
        return lines
    }

    /// `body` in a fenced code block whose fence no backtick run inside can close.
    private func fenced(_ body: String, _ info: String) -> [String] {
        var longest = 0, run = 0
        for character in body {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return [fence + info, body, fence]
    }

    /// Text in a table cell: its lines joined by line breaks, each escaped.
    private func cell(_ value: String) -> String {
        value.split(separator: "\n", omittingEmptySubsequences: false).map { markdownEscaped(String($0)) }.joined(separator: "<br>")
    }
}

extension String {
    /// A link target with its spaces and parentheses escaped, as CommonMark reads one.
    fileprivate var addingSpacesEscaped: String {
        replacing(" ", with: "%20").replacing("(", with: "%28").replacing(")", with: "%29")
    }
}
