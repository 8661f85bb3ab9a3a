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

enum ColourChoice: String, ExpressibleByArgument, CaseIterable, Codable {
    case auto, always, never
}

struct ColourOption: ParsableArguments {
    @Option(name: .customLong("color"), help: "Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")
    var choice: ColourChoice = .auto
}
