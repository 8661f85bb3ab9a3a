import ArgumentParser
import Glibc

/// Terminal styling: with --color=auto (the default) colour only on a terminal, never with
/// NO_COLOR set (no-color.org) or TERM=dumb; --color=always or never decides alone. The width
/// comes from the terminal, else $COLUMNS, else 80.
struct Style {
    let colour: Bool
    let width: Int

    /// The style for standard output; `width` when given (the terminal of the runner this one
    /// prints through).
    static func forStandardOutput(_ choice: ColourChoice = .auto, width given: Int? = nil) -> Style {
        let terminal = isatty(STDOUT_FILENO) == 1
        let noColour = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
        let dumb = getenv("TERM").map { String(cString: $0) == "dumb" } ?? false
        var size = winsize()
        var width = 80  // what a terminal of unknown size most likely has
        if let given {
            width = given
        } else if terminal && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 {
            width = Int(size.ws_col)
        } else if let columns = getenv("COLUMNS").flatMap({ Int(String(cString: $0)) }), columns > 20 {
            width = columns
        }
        let colour = switch choice {
        case .auto: terminal && !noColour && !dumb
        case .always: true
        case .never: false
        }
        return Style(colour: colour, width: width)
    }

    private func paint(_ code: String, _ text: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String { paint("1", text) }
    func dim(_ text: String) -> String { paint("2", text) }
    func pass(_ text: String) -> String { paint("32", text) }
    func fail(_ text: String) -> String { paint("31", text) }
    func accent(_ text: String) -> String { paint("36", text) }
}

extension String {
    /// Pads with spaces to `width` terminal columns (CJK characters take two).
    func padded(to width: Int) -> String {
        let missing = width - columns
        return missing > 0 ? self + String(repeating: " ", count: missing) : self
    }

    /// Spaces before, up to `width` columns.
    func rightAligned(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - columns)) + self
    }

    /// Terminal columns: two for East Asian wide characters, one otherwise, none for the
    /// colour codes Style adds.
    var columns: Int {
        var inEscape = false
        return unicodeScalars.reduce(0) { total, scalar in
            if scalar == "\u{1B}" { inEscape = true }
            if inEscape {
                if scalar == "m" { inEscape = false }
                return total
            }
            return total + (scalar.isWide ? 2 : 1)
        }
    }
}

extension Unicode.Scalar {
    /// Takes two terminal columns: East Asian wide characters and fullwidth forms.
    var isWide: Bool {
        let v = value
        return (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v)
    }
}

enum ColourChoice: String, ExpressibleByArgument, CaseIterable, Codable {
    case auto, always, never
}

struct ColourOption: ParsableArguments {
    @Option(name: .customLong("color"), help: "Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")
    var choice: ColourChoice = .auto
}
