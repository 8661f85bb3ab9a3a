import Experiments

/// Text for a run: concise by default (one line per check); with --explain, the lesson
/// section, the shell equivalent, the syscalls and the old/new output side by side.
struct ResultRenderer {
    let style: Style
    let explain: Bool

    func header(_ experiment: Experiment, lesson: Lesson?) -> String {
        // With a lesson, titles come from it, in the lesson's language.
        var lines = [style.bold("\(experiment.id) — \(lesson?.title ?? experiment.title)")]
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
        let title = lesson?.section(for: step.key)?.title ?? step.title
        var lines = ["", style.bold(style.accent("── Step \(number)/\(count) · \(title) ".padded(to: min(style.width, 80))
            .replacingSpaces(after: "\(title) "))), ""]
        if let lesson {
            // The step's own section under its heading; any more of the step's, with their titles.
            let renderer = LessonRenderer(style: style)
            for (index, section) in lesson.sections(for: step.key).enumerated() {
                lines += [index == 0 ? renderer.body(section.body) : renderer.render(section), ""]
            }
        }
        // Commands are never wrapped (a student copies them): cut to the width, marked with "…".
        let room = style.width - 11
        if !step.shell.isEmpty { lines.append("  " + style.dim("shell:   ") + ("$ " + step.shell).cut(to: room)) }
        if !step.syscalls.isEmpty {
            lines.append("  " + style.dim("syscall: ") + step.syscalls.joined(separator: ", ").cut(to: room))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func stepBody(_ result: StepResult) -> String {
        var lines: [String] = []
        if explain && !result.observations.isEmpty {
            lines += [""] + observations(result.observations) + [""]
        }
        for check in result.checks {
            lines.append(checkLine(check, key: result.key))
        }
        if let broken = result.broken {
            lines.append("  \(style.fail("BROKEN"))  \(explain ? "" : style.dim("[\(result.key)]") + " ")"
                + "the runner could not carry out this step, so nothing was judged: \(broken)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func checkLine(_ check: Check, key: String) -> String {
        let mark = check.passed ? style.pass("PASS") : style.fail("FAIL")
        let detail = check.passed ? check.actual : "expected \(check.expected), got \(check.actual)"
        return "  \(mark)  \(explain ? "" : style.dim("[\(key)]") + " ")\(check.name): \(detail)"
    }

    /// Two observations side by side when both fit; otherwise one under the other.
    func observations(_ observations: [Observation]) -> [String] {
        let blocks = observations.map { o in
            [style.bold(o.label), style.dim("$ " + o.command)] + (o.output.isEmpty ? [style.dim("(no output)")] : o.output)
        }
        let plain = observations.map { o in [o.label, "$ " + o.command] + (o.output.isEmpty ? ["(no output)"] : o.output) }
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
        let cut = observations.map { o in
            [style.bold(o.label.cut(to: style.width - 2)), style.dim(("$ " + o.command).cut(to: style.width - 2))]
                + (o.output.isEmpty ? [style.dim("(no output)")] : o.output.map { $0.cut(to: style.width - 2) })
        }
        return Array(cut.flatMap { block in block.map { "  " + $0 } + [""] }.dropLast())
    }

    func summary(_ result: ExperimentResult) -> String {
        let verdict = switch result.verdict {
        case .pass: style.pass("passed")
        case .fail: style.fail("FAILED")
        case .broken: style.fail("BROKEN")
        }
        let failed = result.failedCount
        let broken = result.steps.filter { $0.verdict == .broken }.count
        return "\(explain ? "\n" : "")\(result.id): \(verdict) — \(result.checkCount - failed)/\(result.checkCount) checks"
            + (broken > 0 ? ", \(broken) step\(broken == 1 ? "" : "s") not carried out" : "")
            + " in \(Int((result.seconds * 1000).rounded())) ms\n"
    }

    /// One line after several experiments: how many ended how, all checks, all time.
    func runSummary(_ results: [ExperimentResult], unrunnable: Int) -> String {
        let count = { (verdict: Verdict) in results.filter { $0.verdict == verdict }.count }
        let checks = results.reduce(0) { $0 + $1.checkCount }, failed = results.reduce(0) { $0 + $1.failedCount }
        let milliseconds = Int((results.reduce(0) { $0 + $1.seconds } * 1000).rounded())
        var parts = ["\(count(.pass)) passed"]
        if count(.fail) > 0 { parts.append(style.fail("\(count(.fail)) failed")) }
        if count(.broken) > 0 { parts.append(style.fail("\(count(.broken)) broken")) }
        if unrunnable > 0 { parts.append("\(unrunnable) could not run here") }
        return style.bold("\(results.count + unrunnable) experiments: ") + parts.joined(separator: ", ")
            + " — \(checks - failed)/\(checks) checks in \(milliseconds) ms"
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
