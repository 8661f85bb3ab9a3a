import Experiments

/// Markdown lessons for the terminal: headings bold, code blocks indented, keys hidden.
struct LessonRenderer {
    let style: Style

    func render(_ lesson: Lesson) -> String {
        var parts = [style.bold(body(lesson.title)), "", body(lesson.intro)]
        for section in lesson.sections {
            parts += ["", render(section)]
        }
        return parts.joined(separator: "\n")
    }

    func render(_ section: Lesson.Section) -> String {
        [style.bold(style.accent(body(section.title))), body(section.body)].joined(separator: "\n")
    }

    /// Markdown body text for the terminal: prose reflowed to its width (the lessons are
    /// hard-wrapped for editors), list items with a hanging indent; code blocks indented and
    /// dimmed. Code is never cut, since a student copies it: a console block's commands wrap
    /// with a `\` continuation where the shell allows it, other code is printed whole; only
    /// what a command printed is cut with "…" where too wide.
    func body(_ text: String) -> String {
        var fence: Substring?  // the open code block's info string ("console", "c", "")
        var lines: [String] = []
        var paragraph: [Substring] = [], indent = ""
        var command: [String] = []  // a console command's lines: "$ " and its "> " lines
        func flush() {
            if !paragraph.isEmpty { lines += wrap(paragraph, hangingIndent: indent) }
            paragraph = []
            if !command.isEmpty {
                lines += wrapCommand(command, width: style.width, firstPrefix: "    $ ", indent: "    > ", continuation: "    > ")
                    .map(style.dim)
            }
            command = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                flush()
                fence = fence == nil ? line.dropFirst(3) : nil
                continue
            }
            if let fence {
                if fence == "console" && line.hasPrefix("$ ") {
                    flush()
                    command = [String(line.dropFirst(2))]
                } else if fence == "console" && !command.isEmpty && line.hasPrefix("> ") {
                    command.append(String(line.dropFirst(2)))
                } else {
                    flush()
                    let shown = fence == "console" ? String(line).cut(to: style.width - 4) : String(line)
                    lines.append("    " + style.dim(shown))
                }
            } else if line.hasPrefix("### ") {
                flush()
                lines.append(style.bold(String(line.dropFirst(4))))
            } else if line.allSatisfy(\.isWhitespace) || line.hasPrefix("|") {
                flush()
                lines.append(String(line).cut(to: style.width))
            } else if let marker = listMarker(line) {
                flush()
                paragraph = [line]
                indent = String(repeating: " ", count: marker.count)
            } else {
                if paragraph.isEmpty { indent = "" }
                paragraph.append(line.drop { $0 == " " })
            }
        }
        flush()
        return lines.joined(separator: "\n")
    }

    /// "- ", "* " or "12. " at the start of a list item.
    private func listMarker(_ line: Substring) -> Substring? {
        if line.hasPrefix("- ") || line.hasPrefix("* ") { return line.prefix(2) }
        let digits = line.prefix { $0.isNumber }
        return !digits.isEmpty && line.dropFirst(digits.count).hasPrefix(". ") ? line.prefix(digits.count + 2) : nil
    }

    /// The lines of one paragraph joined and wrapped at the terminal's width: at spaces, and
    /// between two wide (CJK) characters, which need no space; nor does full-width punctuation
    /// ("SIGKILL。init", not "SIGKILL。 init").
    private func wrap(_ paragraph: [Substring], hangingIndent: String) -> [String] {
        var text = ""
        for line in paragraph {
            if let last = text.last, let first = line.first, !(last.isWide && first.isWide),
               !last.isFullWidthPunctuation, !first.isFullWidthPunctuation {
                text += " "
            }
            text += line
        }
        return text.wrapped(width: max(20, style.width), hangingIndent: hangingIndent)
    }
}

extension Character {
    /// Takes two terminal columns (CJK and fullwidth forms).
    var isWide: Bool { unicodeScalars.first?.isWide ?? false }
}

private let closingPunctuation = Set("。，、；：？！）」』》”’…")
private let openingPunctuation = Set("（「『《“‘")
private let openingScalars = Set(openingPunctuation.flatMap(\.unicodeScalars))

extension String {
    /// Pieces that may start a new line: a space with the word after it, or a wide character;
    /// but never closing punctuation, which stays with what it closes, nor what follows an
    /// opening bracket or quote, which stays with what it opens, nor a `code span` (a command
    /// a student copies), which stays whole.
    func wrapUnits() -> [String] {
        cutsAtSpacesOnly ? spaceWrapUnits() : characterWrapUnits()
    }

    /// Whether every scalar is one that joins no other into a character (only CR LF joins, as
    /// in ASCII), is not wide as the runner counts columns (isWide), and is no opening
    /// punctuation, so that pieces start only at spaces: ASCII and Latin letters (below U+0300,
    /// where combining marks start), general punctuation (U+2010–U+205E: "—", "…", "’"),
    /// arrows, mathematical and technical symbols (U+2190–U+23FF: "≥"), box drawing and shapes
    /// (U+2500–U+27BF). Most of what the runner prints in English, "·" included.
    var cutsAtSpacesOnly: Bool {
        unicodeScalars.allSatisfy { scalar in
            let value = scalar.value
            return value < 0x300 || ((0x2010...0x205E).contains(value) || (0x2190...0x23FF).contains(value)
                                     || (0x2500...0x27BF).contains(value)) && !scalar.isWide && !openingScalars.contains(scalar)
        }
    }

    /// The pieces, character by character.
    func characterWrapUnits() -> [String] {
        var units: [String] = [], current = "", inCode = false
        for character in self {
            let closes = closingPunctuation.contains(character)
            let opened = current.last.map(openingPunctuation.contains) ?? false
            defer { if character == "`" { inCode.toggle() } }
            if !inCode && !closes && !opened && (character == " " || character.isWide || (current.last?.isWide ?? false)) {
                if !current.isEmpty && !(character == " " && current.allSatisfy { $0 == " " }) {
                    units.append(current)
                    current = ""
                }
            }
            current.append(character)
        }
        if !current.isEmpty { units.append(current) }
        return units
    }

    /// The same pieces of text that cuts at spaces only (cutsAtSpacesOnly), byte by byte: a
    /// piece starts at each space outside code, a run of spaces kept together. A space byte is
    /// never part of another character's UTF-8.
    func spaceWrapUnits() -> [String] {
        var units: [String] = [], start = utf8.startIndex, onlySpaces = true, inCode = false
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: " ") && !inCode && index != start && !onlySpaces {
                units.append(String(self[start..<index]))
                start = index
                onlySpaces = true
            }
            if byte != UInt8(ascii: " ") { onlySpaces = false }
            if byte == UInt8(ascii: "`") { inCode.toggle() }
            index = utf8.index(after: index)
        }
        if start != utf8.endIndex { units.append(String(self[start...])) }
        return units
    }

    /// Cut to at most `width` columns, "…" marking the cut.
    func cut(to width: Int) -> String {
        guard columns > width else { return self }
        var result = "", used = 0
        for character in self {
            let w = String(character).columns
            if used + w > width - 1 { break }
            result.append(character)
            used += w
        }
        return result + "…"
    }
}
