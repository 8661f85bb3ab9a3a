import Experiments

/// Text for a run: concise by default (one line per check); with --explain, the lesson
/// section, the shell equivalent, the syscalls and the old/new output side by side.
struct ResultRenderer {
    let style: Style
    let explain: Bool
    /// Draw each step's map of processes and namespaces after its checks (--map); with
    /// --explain it is always drawn, after the side-by-side output.
    var map = false
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
        var lines = [style.bold("\(experiment.id) — \(lesson?.title ?? text(experiment.title))")]
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
        guard explain else { return "" }
        let title = lesson?.section(for: step.key)?.title ?? text(step.title)
        let stepOf = text(runnerText.stepOf(number, count))
        var lines = ["", style.bold(style.accent("── \(stepOf) · \(title) ".padded(to: min(style.width, 80))
            .replacingSpaces(after: "\(title) "))), ""]
        if let lesson {
            // The step's own section under its heading; any more of the step's, with their titles.
            let renderer = LessonRenderer(style: style)
            for (index, section) in lesson.sections(for: step.key).enumerated() {
                lines += [index == 0 ? renderer.body(section.body) : renderer.render(section), ""]
            }
        }
        // Commands are never wrapped (a student copies them): cut to the width, marked with "…".
        let shellLabel = text(runnerText.shellLabel), syscallLabel = text(runnerText.syscallLabel)  // of one width
        let room = style.width - 2 - shellLabel.columns
        let shell = text(step.shell)
        if !shell.isEmpty { lines.append("  " + style.dim(shellLabel) + ("$ " + shell).cut(to: room)) }
        if !step.syscalls.isEmpty {
            lines.append("  " + style.dim(syscallLabel) + text(Message.list(step.syscalls)).cut(to: room))
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
            lines.append("  \(style.fail("BROKEN"))  \(explain ? "" : style.dim("[\(result.key)]") + " ")"
                + text(runnerText.notCarriedOut(broken)))
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
        return "  \(mark)  \(explain ? "" : style.dim("[\(key)]") + " ")" + text(runnerText.nameAndValue(check.name, detail))
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
        // One under the other; a line wider than the terminal is cut, never wrapped.
        let cut = zip(observations, plain).map { o, lines in
            [style.bold(lines[0].cut(to: style.width - 2)), style.dim(lines[1].cut(to: style.width - 2))]
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
