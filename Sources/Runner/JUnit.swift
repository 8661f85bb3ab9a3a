import Experiments

/// JUnit XML: a test suite per experiment, a test case per check, so CI shows each check.
enum JUnit {
    static func document(_ results: [ExperimentResult], unrunnable: [(String, [String])]) -> String {
        var xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<testsuites name=\"nslab\">"]
        for result in results {
            let broken = result.steps.filter { $0.broken != nil }
            xml.append("  <testsuite name=\(attribute(result.id)) tests=\"\(result.checkCount + broken.count)\" "
                       + "failures=\"\(result.failedCount)\" errors=\"\(broken.count)\" time=\"\(seconds(result.seconds))\">")
            for step in result.steps {
                // A step the runner could not carry out is an error, not a failure (LTP's TBROK).
                if let reason = step.broken {
                    xml.append("    <testcase classname=\(attribute(result.id)) name=\(attribute("\(step.key): the step was carried out"))>")
                    xml.append("      <error message=\(attribute(reason))/>")
                    xml.append("    </testcase>")
                }
                for check in step.checks {
                    let name = attribute("\(step.key): \(check.name)")
                    if check.passed {
                        xml.append("    <testcase classname=\(attribute(result.id)) name=\(name)/>")
                    } else {
                        xml.append("    <testcase classname=\(attribute(result.id)) name=\(name)>")
                        xml.append("      <failure message=\(attribute("expected \(check.expected), got \(check.actual)"))/>")
                        xml.append("    </testcase>")
                    }
                }
            }
            xml.append("  </testsuite>")
        }
        for (id, reasons) in unrunnable {
            xml.append("  <testsuite name=\(attribute(id)) tests=\"1\" skipped=\"1\">")
            xml.append("    <testcase classname=\(attribute(id)) name=\"runnable on this host\">")
            xml.append("      <skipped message=\(attribute(reasons.joined(separator: "; ")))/>")
            xml.append("    </testcase>")
            xml.append("  </testsuite>")
        }
        xml.append("</testsuites>")
        return xml.joined(separator: "\n") + "\n"
    }

    static func attribute(_ text: String) -> String {
        var escaped = "\""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "\n": escaped += "&#10;"
            case "\t": escaped += "&#9;"
            // XML 1.0 allows no other control character, not even as a reference.
            case _ where character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }:
                escaped += "\u{FFFD}"
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }

    static func seconds(_ value: Double) -> String {
        let milliseconds = Int((value * 1000).rounded())
        return "\(milliseconds / 1000).\(String(milliseconds % 1000).leftPadded(to: 3))"
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
