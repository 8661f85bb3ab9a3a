/// Text in XML or HTML (JUnit, the SVG maps, the class page), whatever a program printed.
enum Markup {
    /// `text` as a quoted attribute value.
    static func attribute(_ text: String) -> String { "\"" + escaped(text, inAttribute: true) + "\"" }

    /// `text` as element content.
    static func text(_ text: String) -> String { escaped(text, inAttribute: false) }

    /// Valid XML whatever a program printed: markup characters escaped, and the characters XML
    /// 1.0 allows nowhere, not even as a reference, replaced by U+FFFD: the C0 controls but tab
    /// and line feed, and U+FFFE and U+FFFF (also carriage return, which a reader would turn into
    /// a line feed; and DEL, which XML allows but a terminal would act on).
    private static func escaped(_ text: String, inAttribute: Bool) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"" where inAttribute: escaped += "&quot;"
            // A reader turns a tab or line feed inside an attribute into a space: keep them as references.
            case "\n": escaped += inAttribute ? "&#10;" : "\n"
            case "\t": escaped += inAttribute ? "&#9;" : "\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                escaped += "\u{FFFD}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
