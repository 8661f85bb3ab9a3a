import Experiments

/// A checkout's grade on the terminal, in the student's language. What a student's program
/// printed reaches it as data: control characters made visible, never acted on.
struct GradeRenderer {
    let style: Style
    let language: Language

    /// A message in the student's language, safe on a terminal.
    private func text(_ message: Message) -> String { visible(message.text(language)) }

    func student(_ result: StudentResult) -> String {
        let say = runnerText
        var lines = [style.bold(visible(result.checkout)) + style.dim(say.seed(result.seed).text(language))]
        // Each line wraps under what follows its mark, so that it fits the terminal.
        let under = String(repeating: " ", count: 12)
        if let problem = result.problem {
            lines += text(problem).wrapped(width: style.width, prefix: "  " + style.fail("CHECKOUT") + "  ", hangingIndent: under)
        }
        if let build = result.build, !build.passed {
            lines += text(say.buildLine(build.command, build.ended))
                .wrapped(width: style.width, prefix: "  " + style.fail("BUILD ") + "  ", hangingIndent: under)
            // The compiler's first error lines as it printed them, one under the other: a
            // message wraps; a source or caret line (gcc's and clang's `  32 |` margin) is cut,
            // so that the caret stays under what it points at.
            for line in build.firstErrors where !line.allSatisfy(\.isWhitespace) {
                let shown = text(.verbatim(line.map { $0 == "\t" ? "    " : String($0) }.joined()))
                lines += isSourceLine(line) ? [under + shown.cut(to: style.width - under.count)]
                    : shown.wrapped(width: style.width, prefix: under, hangingIndent: under + "  ")
            }
        }
        // "  FAIL   uts-namespace    0/10", the points padded to the widest: the diagnoses then
        // start in one column, and wrap under it where that leaves room.
        let points = result.exercises.map { "\($0.points)/\($0.maxPoints)" }
        let pointsWidth = points.map(\.count).max() ?? 0
        let leads = zip(result.exercises, points).map { exercise, points in
            "  " + (exercise.verdict == .pass ? style.pass : style.fail)(exercise.verdict.mark.padded(to: 6))
                + " " + exercise.id.padded(to: 16) + " " + points.padded(to: pointsWidth)
        }
        let column = (leads.map(\.columns).max() ?? 0) + 2
        let diagnosisColumn = style.width - column >= 40 ? String(repeating: " ", count: column) : under
        for (exercise, lead) in zip(result.exercises, leads) {
            let diagnosis = exercise.diagnosis ?? .verbatim("")
            let shown = exercise.verdict == .pass ? "" : result.failedAsSaidAbove(exercise) ? "  " + say.above.text(language)
                : "  " + text(exercise.alsoFailing.isEmpty ? diagnosis : say.alsoFailing(diagnosis, Message.list(exercise.alsoFailing)))
            lines += shown.wrapped(width: style.width, prefix: exercise.verdict == .pass ? lead.droppingTrailingSpaces : lead,
                                   hangingIndent: diagnosisColumn)
        }
        lines.append(say.score(result.score, result.maxScore).text(language))
        return lines.joined(separator: "\n")
    }
}

/// A line of source or carets under a compiler's message: gcc's and clang's margin, "   32 |"
/// or "      |".
private func isSourceLine(_ line: String) -> Bool {
    line.drop { $0 == " " }.drop(while: \.isNumber).drop { $0 == " " }.first == "|"
}

extension Verdict {
    /// The mark a line, a cell or a table shows: PASS, FAIL or BROKEN, in every language.
    var mark: String { rawValue.uppercased() }
}

extension GradeRenderer {
    /// A checkout graded again (`--watch`): each exercise whose verdict or points changed, or
    /// that nothing did; the first exercise still failing, with its diagnosis; the score.
    func changes(from previous: StudentResult, to current: StudentResult) -> String {
        func mark(_ exercise: ExerciseResult) -> String {
            "\(exercise.verdict.mark) \(exercise.points)/\(exercise.maxPoints)"
        }
        var lines = [style.bold(text(runnerText.gradedAgain))]
        let changed = current.exercises.compactMap { exercise -> String? in
            let before = previous.exercises.first { $0.id == exercise.id }
            guard before?.verdict != exercise.verdict || before?.points != exercise.points else { return nil }
            let now = exercise.verdict == .pass ? style.pass(mark(exercise)) : style.fail(mark(exercise))
            return "  \(exercise.id.padded(to: 16)) \(before.map(mark) ?? "–") → \(now)"
        }
        lines += changed.isEmpty ? ["  " + text(runnerText.nothingChanged)] : changed
        if let failing = current.exercises.first(where: { $0.verdict != .pass }) {
            lines += text(runnerText.firstToFix(failing.id, failing.diagnosis ?? .verbatim(""))).wrapped(width: style.width, prefix: "  ", hangingIndent: "    ")
        }
        lines.append(text(runnerText.score(current.score, current.maxScore)))
        return lines.joined(separator: "\n")
    }
}

/// `text` safe on a terminal: control characters (a program's escape sequences, carriage
/// returns, bells) shown as `\x1b`, `\r`, never acted on.
func visible(_ text: String) -> String {
    var shown = ""
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x0A: shown += "\\n"
        case 0x0D: shown += "\\r"
        case 0x09: shown += "\\t"
        case 0x00..<0x20, 0x7F, 0x80..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
            shown += scalar.value <= 0xFF ? "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2) : "\\u{\(String(scalar.value, radix: 16))}"
        default: shown.unicodeScalars.append(scalar)
        }
    }
    return shown
}

