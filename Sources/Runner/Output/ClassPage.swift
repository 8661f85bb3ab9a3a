import Experiments

/// The class page (`runner grade … --html FILE`): one self-contained HTML file for the teacher,
/// students by exercise, sorted by student. Each cell is pass or fail with its points; a failed
/// cell opens (details and summary: a key opens it as well as a click) on its diagnosis. Totals
/// per student and per exercise, the exercise the class found hardest, and the seed that gives
/// the same grade again. No script, style or font from elsewhere; every byte that came from a
/// checkout (its name, what its program made the diagnosis say) is escaped.
struct ClassPage {
    let language: Language

    private func text(_ message: Message) -> String { message.text(language) }

    func document(_ report: GradeReport) -> String {
        let students = report.students.sorted { $0.checkout < $1.checkout }
        var exercises: [String] = []
        for student in students {
            for exercise in student.exercises where !exercises.contains(exercise.id) { exercises.append(exercise.id) }
        }
        let passes = exercises.map { id in students.filter { $0.exercises.first { $0.id == id }?.verdict == .pass }.count }
        let title = text(runnerText.classPageTitle)
        var page = [
            "<!DOCTYPE html>",
            #"<html lang="\#(language == .zh ? "zh-CN" : "en")">"#,
            "<head>",
            #"<meta charset="utf-8">"#,
            #"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
            "<title>\(Markup.text(title))</title>",
            "<style>",
            "body { font-family: system-ui, sans-serif; margin: 2em; color: #1f2328; }",
            "table { border-collapse: collapse; }",
            "th, td { border: 1px solid #d1d9e0; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }",
            "thead th { background: #f6f8fa; white-space: nowrap; }",
            "td.pass { background: #dafbe1; }",
            "td.fail { background: #ffebe9; }",
            "td.broken { background: #fff8c5; }",
            "td.none { color: #59636e; }",
            "summary { cursor: pointer; }",
            "details p { max-width: 28em; margin: 0.4em 0 0; }",
            "tfoot th, tfoot td { font-weight: bold; }",
            ".problem { display: block; font-weight: normal; color: #cf222e; }",
            "</style>",
            "</head>",
            "<body>",
            "<h1>\(Markup.text(title))</h1>",
            "<p>\(Markup.text(text(runnerText.classPageSeed(report.seed, students.count, exercises.count))))</p>",
            "<table>",
            "<thead>",
            "<tr><th scope=\"col\">\(Markup.text(text(runnerText.classPageCheckout)))</th>"
                + exercises.map { "<th scope=\"col\">\(Markup.text($0))</th>" }.joined()
                + "<th scope=\"col\">\(Markup.text(text(runnerText.classPageTotal)))</th></tr>",
            "</thead>",
            "<tbody>",
        ]
        for student in students {
            let problem = student.problem.map { "<span class=\"problem\">\(Markup.text(text($0)))</span>" } ?? ""
            let cells = exercises.map { id in
                student.exercises.first { $0.id == id }.map(cell) ?? "<td class=\"none\">–</td>"
            }
            page.append("<tr><th scope=\"row\">\(Markup.text(student.checkout))\(problem)</th>" + cells.joined()
                        + "<td>\(student.score)/\(student.maxScore)</td></tr>")
        }
        page += [
            "</tbody>",
            "<tfoot>",
            "<tr><th scope=\"row\">\(Markup.text(text(runnerText.classPagePassed)))</th>"
                + passes.map { "<td>\($0)/\(students.count)</td>" }.joined()
                + "<td>\(students.reduce(0) { $0 + $1.score })/\(students.reduce(0) { $0 + $1.maxScore })</td></tr>",
            "</tfoot>",
            "</table>",
        ]
        // The hardest: the fewest passes, the first in the course's order among equals.
        if let fewest = passes.min(), let index = passes.firstIndex(of: fewest), fewest < students.count {
            page.append("<p>\(Markup.text(text(runnerText.classPageHardest(exercises[index], fewest, students.count))))</p>")
        }
        page += ["</body>", "</html>", ""]
        return page.joined(separator: "\n")
    }

    /// One exercise of one student: its points; failed or broken, its diagnosis under it.
    private func cell(_ exercise: ExerciseResult) -> String {
        let points = "\(exercise.points)/\(exercise.maxPoints)"
        guard exercise.verdict != .pass else { return "<td class=\"pass\">✔ PASS \(points)</td>" }
        let diagnosis = ([exercise.diagnosis].compactMap { $0 } + exercise.alsoFailing).map(text)
        return "<td class=\"\(exercise.verdict.rawValue)\"><details><summary>✘ \(exercise.verdict.mark) \(points)</summary>"
            + diagnosis.map { "<p>\(Markup.text($0))</p>" }.joined() + "</details></td>"
    }
}
