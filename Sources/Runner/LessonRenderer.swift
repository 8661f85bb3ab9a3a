import Experiments

/// Markdown lessons for the terminal: headings bold, code blocks indented, keys hidden.
struct LessonRenderer {
    let style: Style

    func render(_ lesson: Lesson) -> String {
        var parts = [style.bold(lesson.title), "", body(lesson.intro)]
        for section in lesson.sections {
            parts += ["", render(section)]
        }
        return parts.joined(separator: "\n")
    }

    func render(_ section: Lesson.Section) -> String {
        [style.bold(style.accent(section.title)), body(section.body)].joined(separator: "\n")
    }

    /// Markdown body text: fences dropped and their lines indented and dimmed; `code` spans
    /// and **bold** left as they are, which reads well in a terminal.
    func body(_ text: String) -> String {
        var inFence = false
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inFence.toggle()
                continue
            }
            if inFence {
                lines.append("    " + style.dim(String(line)))
            } else if line.hasPrefix("### ") {
                lines.append(style.bold(String(line.dropFirst(4))))
            } else {
                lines.append(String(line))
            }
        }
        return lines.joined(separator: "\n")
    }
}
