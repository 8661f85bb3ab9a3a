import Experiments

/// JUnit XML in the common format CI systems read — Ant's XMLJUnitResultFormatter, as Jenkins'
/// junit-10.xsd writes it down (fixtures/junit/junit.xsd): a `<testsuite>` per experiment.
///
/// A CI keeps a history per test case name, so the names stay the same from run to run,
/// whatever happened. The experiments do not declare their checks before they run, so:
/// - Every step is a case named by its key ("set-names"), in every run. It passes when the
///   step was carried out up to its checks, whether or not they passed. It is a
///   `<failure type="refused">` when the kernel refused the namespaces the step needs, and an
///   `<error type="broken">` when the runner could not carry the step out. Its `time` is the
///   step's time, and its `<system-out>` is what the step's processes printed.
/// - Every check that ran is a case "<step key>: <check name>", with a `<failure type="check">`
///   when it failed. Its `time` is 0: the step's time is on the step's case only, so a CI that
///   adds up case times counts it once.
/// A step that was refused or broken has no check cases in that run, because its checks did
/// not run. Those cases are then missing from that run, but never renamed. Each failure is
/// counted once: a failed check fails its own case, and not its step's case as well.
enum JUnit {
    /// Why a case did not pass: the element, its `type` and one-line `message`, and its text.
    struct Problem {
        let element: String
        let type: String?
        let message: String
        let body: String
    }

    struct Case {
        let name: String
        let milliseconds: Int
        var problem: Problem?
        var output: [String] = []
    }

    struct Suite {
        let name: String
        let milliseconds: Int
        let cases: [Case]

        func count(_ element: String) -> Int { cases.filter { $0.problem?.element == element }.count }
    }

    static func document(_ results: [ExperimentResult], unrunnable: [(id: String, reasons: [Message])]) -> String {
        let suites = results.map(suite) + unrunnable.map { id, reasons in
            // An experiment this host cannot run: one skipped case, the same in every such run.
            let reasons = reasons.map(\.english)
            return Suite(name: id, milliseconds: 0, cases: [
                Case(name: "runnable on this host", milliseconds: 0,
                     problem: Problem(element: "skipped", type: nil, message: oneLine(reasons.joined(separator: "; ")),
                                      body: reasons.joined(separator: "\n"))),
            ])
        }
        return render(suites, name: "nslab")
    }

    /// The XML of `suites` under one `<testsuites>` named `name`.
    static func render(_ suites: [Suite], name: String) -> String {
        // The totals are the sums of the suites', and each suite's are counted from its cases,
        // so they add up. `<testsuites>` carries no `skipped`: junit-10.xsd, which Jenkins' xUnit
        // plugin checks every report against, does not allow it there (each `<testsuite>` has it).
        let total = suites.flatMap(\.cases)
        var xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<testsuites name=\(Markup.attribute(name)) tests=\"\(total.count)\" "
                   + "failures=\"\(total.filter { $0.problem?.element == "failure" }.count)\" "
                   + "errors=\"\(total.filter { $0.problem?.element == "error" }.count)\" "
                   + "time=\"\(seconds(milliseconds: suites.reduce(0) { $0 + $1.milliseconds }))\">"]
        for suite in suites {
            xml.append("  <testsuite name=\(Markup.attribute(suite.name)) tests=\"\(suite.cases.count)\" "
                       + "failures=\"\(suite.count("failure"))\" errors=\"\(suite.count("error"))\" "
                       + "skipped=\"\(suite.count("skipped"))\" time=\"\(seconds(milliseconds: suite.milliseconds))\">")
            for testCase in suite.cases {
                let start = "    <testcase classname=\(Markup.attribute(suite.name)) name=\(Markup.attribute(testCase.name)) "
                    + "time=\"\(seconds(milliseconds: testCase.milliseconds))\""
                if testCase.problem == nil && testCase.output.isEmpty {
                    xml.append(start + "/>")
                    continue
                }
                xml.append(start + ">")
                if let problem = testCase.problem {
                    let type = problem.type.map { " type=\(Markup.attribute($0))" } ?? ""
                    xml.append("      <\(problem.element)\(type) message=\(Markup.attribute(problem.message))>"
                               + "\(Markup.text(problem.body))</\(problem.element)>")
                }
                if !testCase.output.isEmpty {
                    xml.append("      <system-out>\(Markup.text(testCase.output.joined(separator: "\n")))</system-out>")
                }
                xml.append("    </testcase>")
            }
            xml.append("  </testsuite>")
        }
        xml.append("</testsuites>")
        return xml.joined(separator: "\n") + "\n"
    }

    /// The cases of one experiment: each step's own, then its checks'.
    static func suite(_ result: ExperimentResult) -> Suite {
        var cases: [Case] = []
        for step in result.steps {
            var stepCase = Case(name: step.key, milliseconds: milliseconds(step.seconds))
            var checks = step.checks
            if let reason = step.broken?.english {
                // A step the runner could not carry out is an error, not a failure (LTP's TBROK).
                stepCase.problem = Problem(element: "error", type: "broken", message: oneLine(reason), body: reason)
            } else if let refusal = checks.firstIndex(where: { $0.isRefusal && !$0.passed }) {
                stepCase.problem = failure("refused", checks.remove(at: refusal))
            }
            // What the step's processes printed, as the terminal shows it: who, what, then the lines.
            stepCase.output = step.observations.enumerated().flatMap { index, observation in
                (index == 0 ? [] : [""]) + [observation.label.english, "$ \(observation.command)"] + observation.output.map(\.english)
            }
            cases.append(stepCase)
            for check in checks {
                cases.append(Case(name: "\(step.key): \(check.name.english)", milliseconds: 0,
                                  problem: check.passed ? nil : failure("check", check)))
            }
        }
        return Suite(name: result.id, milliseconds: milliseconds(result.seconds), cases: cases)
    }

    static func failure(_ type: String, _ check: Check) -> Problem {
        Problem(element: "failure", type: type, message: oneLine("expected \(check.expected.english), got \(check.actual.english)"),
                body: "\(check.name.english)\nexpected: \(check.expected.english)\ngot:      \(check.actual.english)")
    }

    /// `text` on one line, for a `message`: every line break (LF, CRLF, CR, U+2028…) a space.
    static func oneLine(_ text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ")
    }

    static func milliseconds(_ seconds: Double) -> Int {
        // Never negative, and never past what an Int holds (a clock that jumped).
        seconds > 0 && seconds.isFinite ? Int((min(seconds, 1e9) * 1000).rounded()) : 0
    }

    static func seconds(_ value: Double) -> String { seconds(milliseconds: milliseconds(value)) }

    /// "0.016": seconds with three decimals, as Ant writes them.
    static func seconds(milliseconds: Int) -> String {
        secondsText(milliseconds: Int64(milliseconds))
    }
}
