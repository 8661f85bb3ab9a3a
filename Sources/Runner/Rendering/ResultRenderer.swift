import Experiments

/// Text for a run: concise by default (one line per check); with --explain, the lesson
/// section, the shell equivalent, the syscalls and the old/new output side by side.
struct ResultRenderer {
    let style: Style
    let explain: Bool
    /// Draw each step's map of processes and namespaces after its checks (--map); with
    /// --explain it is always drawn, after the side-by-side output.
    var map = false
    /// Each step under its title also without --explain (--step, --only).
    var titles = false
    /// What the student reads is in this language (the runner's words, check names, labels,
    /// the chapters' sentences); the ids, keys, commands and what programs printed stay.
    let language: Language

    init(style: Style, explain: Bool, map: Bool = false, language: Language) {
        self.style = style
        self.explain = explain
        self.map = map
        self.language = language
    }

    private func text(_ message: Message) -> String { message.text(language) }

    func header(_ experiment: Experiment, lesson: Lesson?) -> String {
        // With a lesson, titles come from it, in the lesson's language.
        var lines = "\(experiment.id) — \(lesson?.title ?? text(experiment.title))"
            .wrapped(width: style.width, hangingIndent: "    ").map(style.bold)
        if explain, let lesson {
            let renderer = LessonRenderer(style: style)
            lines += ["", renderer.body(lesson.intro)]
            for section in lesson.sections(for: Lesson.introKey) { lines += ["", renderer.render(section)] }
        }
        return lines.joined(separator: "\n")
    }

    /// The lesson's closing sections (try it yourself, further reading), after the last step.
    func closing(_ lesson: Lesson?) -> String? {
        guard explain, let lesson, !lesson.sections(for: Lesson.closingKey).isEmpty else { return nil }
        let renderer = LessonRenderer(style: style)
        return lesson.sections(for: Lesson.closingKey).map { "\n" + renderer.render($0) }.joined(separator: "\n")
    }

    func stepHeader(_ step: Step, number: Int, of count: Int, lesson: Lesson?) -> String {
        guard explain || titles else { return "" }
        let title = lesson?.section(for: step.key)?.title ?? text(step.title)
        let stepOf = text(runnerText.stepOf(number, count))
        let heading = "── \(stepOf) · \(title) ".wrapped(width: style.width, hangingIndent: "   ")
        var lines = [""] + heading.dropLast().map { style.bold(style.accent($0)) }
            + [style.bold(style.accent((heading.last ?? "").padded(to: min(style.width, 80)).replacingSpaces(after: heading.last ?? "")))]
        guard explain else { return lines.joined(separator: "\n") + "\n" }
        lines.append("")
        if let lesson {
            // The step's own section under its heading; any more of the step's, with their titles.
            let renderer = LessonRenderer(style: style)
            for (index, section) in lesson.sections(for: step.key).enumerated() {
                lines += [index == 0 ? renderer.body(section.body) : renderer.render(section), ""]
            }
        }
        // Commands are never cut (a student copies them): they wrap with a `\` continuation.
        let shellLabel = text(runnerText.shellLabel), syscallLabel = text(runnerText.syscallLabel)  // of one width
        let under = String(repeating: " ", count: 2 + shellLabel.columns)
        let shell = text(step.shell)
        if !shell.isEmpty {
            lines += wrapCommand(shell.split(separator: "\n").map(String.init), width: style.width,
                                 firstPrefix: "  " + style.dim(shellLabel) + "$ ", indent: under + "> ", continuation: under + "> ")
        }
        if !step.syscalls.isEmpty {
            lines += text(Message.list(step.syscalls)).wrapped(width: style.width, prefix: "  " + style.dim(syscallLabel),
                                                               hangingIndent: under)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func stepBody(_ result: StepResult, namespaces: [Namespace] = []) -> String {
        var lines: [String] = []
        if explain && !result.observations.isEmpty {
            lines += [""] + observations(result.observations) + [""]
            let drawn = map(result, namespaces: namespaces)
            if !drawn.isEmpty { lines += drawn + [""] }
        }
        for check in result.checks {
            lines.append(checkLine(check, key: result.key))
        }
        if let broken = result.broken {
            lines += text(runnerText.notCarriedOut(broken))
                .wrapped(width: style.width, prefix: "  \(style.fail("BROKEN"))  \(explain ? "" : style.dim("[\(result.key)]") + " ")",
                         hangingIndent: String(repeating: " ", count: 10))
        }
        if map && !explain { lines += map(result, namespaces: namespaces) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One check. The marks PASS, FAIL and BROKEN stay as they are in every language, like the
    /// step keys: a fixed-width column that a student or a script greps for; everything after
    /// them is in the student's language.
    func checkLine(_ check: Check, key: String) -> String {
        let mark = check.passed ? style.pass("PASS") : style.fail("FAIL")
        // A pass shows what was seen; and what was expected, when that is not the same, so
        // that "sees none of the new one's: key 0xf39c332b" cannot read as its opposite.
        let detail = !check.passed ? runnerText.expectedGot(check.expected, check.actual)
            : check.expected == check.actual ? check.actual : runnerText.seenExpected(check.actual, check.expected)
        let lines = text(runnerText.nameAndValue(check.name, detail))
            .wrapped(width: style.width, prefix: "  \(mark)  \(explain ? "" : style.dim("[\(key)]") + " ")",
                     hangingIndent: String(repeating: " ", count: 8))
        return summarised(lines).joined(separator: "\n")
    }

    /// A value of many lines (a mount table, a whole listing) summarised to its first lines;
    /// JSON and JUnit keep it whole.
    private func summarised(_ lines: [String], keeping count: Int = 4) -> [String] {
        guard lines.count > count else { return lines }
        let last = lines[count - 1]
        return lines.prefix(count - 1) + [last.columns < style.width ? last + "…" : last.cut(to: style.width)]
    }

    /// Two observations side by side when both fit; otherwise one under the other.
    func observations(_ observations: [Observation]) -> [String] {
        let noOutput = text(words.noOutput)
        let plain = observations.map { o in [text(o.label), "$ " + o.command] + (o.output.isEmpty ? [noOutput] : o.output.map(text)) }
        let blocks = zip(observations, plain).map { o, lines in
            [style.bold(lines[0]), style.dim(lines[1])] + (o.output.isEmpty ? [style.dim(noOutput)] : Array(lines.dropFirst(2)))
        }
        let column = (style.width - 5) / 2
        if blocks.count == 2, plain.allSatisfy({ $0.allSatisfy { $0.columns <= column } }) {
            let rows = max(blocks[0].count, blocks[1].count)
            return (0..<rows).map { i in
                let left = i < blocks[0].count ? blocks[0][i] : "", right = i < blocks[1].count ? blocks[1][i] : ""
                let leftWidth = i < plain[0].count ? plain[0][i].columns : 0
                return "  " + left + String(repeating: " ", count: max(0, column - leftWidth)) + " │ " + right
            }
        }
        // One under the other: the command wraps (a student copies it); a line of output wider
        // than the terminal is cut.
        let cut = zip(observations, plain).map { o, lines in
            [style.bold(lines[0].cut(to: style.width - 2))]
                + wrapCommand(o.command.split(separator: "\n").map(String.init), width: style.width - 2, firstPrefix: "$ ",
                              indent: "> ", continuation: "> ").map(style.dim)
                + (o.output.isEmpty ? [style.dim(noOutput)] : lines.dropFirst(2).map { $0.cut(to: style.width - 2) })
        }
        return Array(cut.flatMap { block in block.map { "  " + $0 } + [""] }.dropLast())
    }

    func summary(_ result: ExperimentResult) -> String {
        let verdict = switch result.verdict {
        case .pass: style.pass(text(runnerText.passed))
        case .fail: style.fail(text(runnerText.failed))
        case .broken: style.fail(text(runnerText.broken))
        }
        let failed = result.failedCount
        let broken = result.steps.filter { $0.verdict == .broken }.count
        let notCarriedOut = broken == 0 ? "" : text(broken == 1 ? runnerText.stepNotCarriedOut(broken) : runnerText.stepsNotCarriedOut(broken))
        return (explain ? "\n" : "")
            + text(runnerText.experimentSummary(result.id, verdict, result.checkCount - failed, result.checkCount))
            + notCarriedOut + text(runnerText.inMilliseconds(Int((result.seconds * 1000).rounded()))) + "\n"
    }

    /// After a run that passed: the next chapter the student has not passed, in course
    /// order after `last`, and the command that runs it; or, with every chapter passed, where
    /// the graded exercises are.
    func next(after last: String?, passed: Set<String>) -> String {
        let all = Catalog.all
        let start = all.firstIndex { $0.id == last }.map { $0 + 1 } ?? 0
        let next = (all[start...] + all[..<start]).first { !passed.contains($0.id) }
        let said = next.map { runnerText.nextChapter(language.suggesting("runner run \($0.id) --explain"), $0.title) }
            ?? runnerText.everyChapterPassed(language.suggesting("runner lesson \(all.first?.id ?? "")"))
        return text(said).wrapped(width: style.width, hangingIndent: "  ").map(style.bold).joined(separator: "\n")
    }

    /// One line after several experiments: how many ended how, all checks, all time.
    func runSummary(_ results: [ExperimentResult], unrunnable: Int) -> String {
        let count = { (verdict: Verdict) in results.filter { $0.verdict == verdict }.count }
        let checks = results.reduce(0) { $0 + $1.checkCount }, failed = results.reduce(0) { $0 + $1.failedCount }
        let milliseconds = Int((results.reduce(0) { $0 + $1.seconds } * 1000).rounded())
        var parts = [text(runnerText.countPassed(count(.pass)))]
        if count(.fail) > 0 { parts.append(style.fail(text(runnerText.countFailed(count(.fail))))) }
        if count(.broken) > 0 { parts.append(style.fail(text(runnerText.countBroken(count(.broken))))) }
        if unrunnable > 0 { parts.append(text(runnerText.countCannotRun(unrunnable))) }
        return style.bold(text(runnerText.experimentsCount(results.count + unrunnable)))
            + parts.joined(separator: text(runnerText.partsSeparator))
            + text(runnerText.checksInMilliseconds(checks - failed, checks, milliseconds))
    }
}

private extension String {
    /// "── Step 1 · Title ─────": fills the padding after `prefix` with rules.
    func replacingSpaces(after prefix: String) -> String {
        guard let range = ranges(of: prefix).first else { return self }
        let tail = self[range.upperBound...]
        return String(self[..<range.upperBound]) + String(repeating: "─", count: tail.count)
    }
}
