/// Text that fits the terminal. Prose and check lines wrap at word boundaries (and between
/// two wide characters, which need no space) with a hanging indent; a word wider than a line
/// is broken where it must be. Shell commands wrap only where a `\` continuation keeps them
/// the same command, so that what a student copies runs as is; where no such place exists,
/// the command is printed whole.
extension String {
    /// `self` after `prefix` on the first line, then under `hangingIndent`, each line at most
    /// `width` columns (the prefix's colour codes take none). `self` has no newline.
    func wrapped(width: Int, prefix: String = "", hangingIndent: String) -> [String] {
        let prefixWidth = prefix.columns, indentWidth = hangingIndent.columns
        var lines: [String] = [], current = prefix, used = prefixWidth
        func newLine() {
            lines.append(current.droppingTrailingSpaces)
            current = hangingIndent
            used = indentWidth
        }
        for unit in wrapUnits() {
            var piece = used == indentWidth && !lines.isEmpty ? String(unit.drop { $0 == " " }) : unit
            var pieceWidth = piece.columns
            if used + pieceWidth > width && used > (lines.isEmpty ? prefixWidth : indentWidth) {
                newLine()
                piece = String(piece.drop { $0 == " " })
                pieceWidth = piece.columns
            }
            // A word wider than a whole line: as much as fits, then the rest on the next.
            while used + pieceWidth > width, let cut = piece.prefix(columns: width - used), !cut.isEmpty {
                current += cut
                newLine()
                piece = String(piece.dropFirst(cut.count))
                pieceWidth = piece.columns
            }
            current += piece
            used += pieceWidth
        }
        if lines.isEmpty || used > indentWidth { lines.append(current) }
        return lines
    }

    /// Without the spaces at its end.
    var droppingTrailingSpaces: String {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return String(self[..<end])
    }

    /// The longest start of `self` at most `columns` wide; nil when not even one character fits.
    func prefix(columns: Int) -> String? {
        var result = "", used = 0
        for character in self {
            let width = String(character).columns
            if used + width > columns { break }
            result.append(character)
            used += width
        }
        return result.isEmpty ? nil : result
    }
}

/// A shell command (one or more source lines: a quote may span several) for the terminal.
/// Each source line is cut at spaces outside quotes and comments into lines of at most
/// `width` columns ending in " \", continued after `continuation` (a console's "> "); the
/// source's own next lines follow `indent`. A line with no such space is printed whole.
/// Joining each " \" with the next line's text gives the source.
func wrapCommand(_ source: [String], width: Int, firstPrefix: String, indent: String, continuation: String) -> [String] {
    var state = ShellQuoting()
    var lines: [String] = []
    for (number, line) in source.enumerated() {
        let lead = number == 0 ? firstPrefix : indent
        var line = line
        // A comment aligned with spaces (`cmd      # why`) first gives up its alignment.
        var lookahead = state
        if lead.columns + line.columns > width, let comment = lookahead.scan(line).comment {
            let code = line.prefix(comment).reversed().drop { $0 == " " }.reversed()
            line = String(code) + " " + line.dropFirst(comment)
        }
        let breaks = state.scan(line).breaks
        var rest = Substring(line), offset = 0, first = true
        while true {
            let prefix = first ? lead : continuation
            let room = width - prefix.columns - 2  // " \" ends a broken line
            let fitting = breaks.filter { $0 > offset && String(line.dropFirst(offset).prefix($0 - offset)).columns <= room }
            // Between two commands (after `;`, `&&`, `||`, `|`) reads best, if it fills a third of the line.
            let betweenCommands = fitting.last { cut in
                let before = line.prefix(cut)
                return [";", "&&", "||", "|"].contains { before.hasSuffix($0) } && cut - offset >= room / 3
            }
            guard prefix.columns + String(rest).columns > width,
                  let cut = betweenCommands ?? fitting.last ?? breaks.first(where: { $0 > offset })
            else { break }
            lines.append(prefix + line.dropFirst(offset).prefix(cut - offset) + " \\")
            offset = cut + 1
            rest = line.dropFirst(offset)
            first = false
        }
        lines.append((first ? lead : continuation) + rest)
    }
    return lines
}

/// Where a shell line may be broken with a `\` continuation: spaces outside single and double
/// quotes and before any comment, with a word on either side. Carried across lines, since a
/// quote may span several.
struct ShellQuoting {
    private enum Quote { case none, single, double }
    private var quote = Quote.none

    /// The character offsets of the spaces in `line` where a `\` and a newline keep the
    /// command, and where a comment starts.
    mutating func scan(_ line: String) -> (breaks: [Int], comment: Int?) {
        var breaks: [Int] = [], escaped = false, previous: Character = " "
        let characters = Array(line)
        for (index, character) in characters.enumerated() {
            defer { previous = character }
            if escaped { escaped = false; continue }
            switch (quote, character) {
            case (.single, "'"): quote = .none
            case (.single, _): break
            case (.double, "\""): quote = .none
            case (.double, "\\"): escaped = true
            case (.double, _): break
            case (.none, "\\"): escaped = true
            case (.none, "'"): quote = .single
            case (.none, "\""): quote = .double
            case (.none, "#") where previous == " ":
                return (breaks, index)  // a comment: a `\` in it would not continue the line
            case (.none, " "):
                if previous != " " && index + 1 < characters.count && characters[index + 1] != " " && index > 0 {
                    breaks.append(index)
                }
            default: break
            }
        }
        return (breaks, nil)
    }
}
