import Glibc
import Testing

@testable import Experiments

/// A ```console block of a lesson: commands after `$ ` (continued on `> ` lines), each
/// followed by the output it must print. Students paste these, so each runs as shown.
struct ConsoleBlock: Sendable, CustomStringConvertible {
    struct Command: Sendable {
        var text: String
        var expected: [String] = []
    }

    let file: String
    let line: Int
    var commands: [Command] = []

    var description: String { "\(file):\(line)" }

    /// Every ```console block of `markdown`, and the lines of any ```sh block (not allowed:
    /// a shell command a student sees must be run by this test).
    static func parse(_ markdown: String, file: String) -> (blocks: [ConsoleBlock], shellFences: [Int]) {
        var blocks: [ConsoleBlock] = [], shellFences: [Int] = []
        var current: ConsoleBlock?
        var inOtherFence = false
        for (index, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = String(line)
            if current != nil {
                if text.hasPrefix("```") {
                    blocks.append(current!)
                    current = nil
                } else if text.hasPrefix("$ ") {
                    current!.commands.append(Command(text: String(text.dropFirst(2))))
                } else if text.hasPrefix("> "), !current!.commands.isEmpty {
                    current!.commands[current!.commands.count - 1].text += "\n" + text.dropFirst(2)
                } else if !current!.commands.isEmpty {
                    current!.commands[current!.commands.count - 1].expected.append(text)
                }
            } else if text.hasPrefix("```") {
                if inOtherFence {
                    inOtherFence = false
                } else if text == "```console" {
                    current = ConsoleBlock(file: file, line: index + 1)
                } else {
                    if ["```sh", "```bash", "```shell"].contains(text) { shellFences.append(index + 1) }
                    inOtherFence = true
                }
            }
        }
        return (blocks, shellFences)
    }
}

/// Without the blank lines at the end, which a markdown block cannot show reliably.
func trimmingTrailingBlankLines(_ lines: [String]) -> [String] {
    Array(lines.reversed().drop { $0.allSatisfy(\.isWhitespace) }.reversed())
}

/// Whether `actual` is `expected`, where `…` in a line matches any text and a line that is
/// only `…` matches any number of lines.
func outputMatches(_ actual: [String], _ expected: [String]) -> Bool {
    guard let pattern = expected.first else { return actual.isEmpty }
    if pattern == "…" {
        return (0...actual.count).contains { outputMatches(Array(actual.dropFirst($0)), Array(expected.dropFirst())) }
    }
    guard let line = actual.first, lineMatches(line, pattern) else { return false }
    return outputMatches(Array(actual.dropFirst()), Array(expected.dropFirst()))
}

func lineMatches(_ line: String, _ pattern: String) -> Bool {
    let parts = pattern.components(separatedBy: "…")
    guard parts.count > 1 else { return line == pattern }
    guard line.hasPrefix(parts[0]), line.dropFirst(parts[0].count).hasSuffix(parts[parts.count - 1]) else { return false }
    var rest = Substring(line.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count))
    for part in parts.dropFirst().dropLast() where !part.isEmpty {
        guard let range = rest.range(of: part) else { return false }
        rest = rest[range.upperBound...]
    }
    return true
}

/// The shell of the test sandbox every lesson command runs in, as a student's would. The
/// lessons are written for a cgroup v2 host, /sys/fs/cgroup the unified hierarchy: on a hybrid
/// host (v1 beside it), the unified one is bound there, in the sandbox's private mounts only.
let lessonShell = testSandbox + ["sh", "-c", """
    if [ ! -e /sys/fs/cgroup/cgroup.procs ] && [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then
        mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup || exit 99
    fi
    exec bash --norc --noprofile "$@"
    """, "sh"]

let lessonFiles: [String] = Catalog.all.flatMap { ["\($0.id).md", "\($0.id).zh.md"] }

@Suite("lessons: every command shown is run and shows what the lesson says", .serialized)
struct LessonCommandTests {
    static let blocks: [ConsoleBlock] = lessonFiles.flatMap { file in
        ConsoleBlock.parse(readTextFile(sourceRoot() + "/lessons/" + file) ?? "", file: file).blocks
    }

    @Test("no shell command outside a console block", arguments: lessonFiles)
    func noUntestedShellBlocks(file: String) throws {
        let text = try #require(readTextFile(sourceRoot() + "/lessons/" + file))
        let parsed = ConsoleBlock.parse(text, file: file)
        #expect(parsed.shellFences.isEmpty, "\(file): ```sh blocks at lines \(parsed.shellFences): make them ```console with their output")
    }

    @Test("each console block prints what the lesson shows", arguments: blocks)
    func consoleBlock(block: ConsoleBlock) throws {
        try requireRoot()
        // One bash session per block; a marker line before each command splits the output.
        let marker = "@@NSLAB-LESSON-COMMAND@@"
        // A marker after the last command too: every command then ends where the next marker
        // starts, and bash never execs the last command in place of itself (so $$ stays the
        // shell's, as at a prompt).
        // Printed in two halves: the script's own text (which `ps` shows) never holds it whole.
        let mark = "printf '%s%s\\n' '\(marker.prefix(10))' '\(marker.dropFirst(10))'"
        let script = block.commands.map { "\(mark)\n\($0.text)" }.joined(separator: "\n") + "\n" + mark
        let result = try runCommand(lessonShell + ["-c", "exec 2>&1\n" + script], timeout: 60)
        let outputs = result.output.components(separatedBy: marker).dropFirst().dropLast().map { text in
            // Between "MARKER\n" and "\nMARKER": the command's lines.
            trimmingTrailingBlankLines(Array(text.split(separator: "\n", omittingEmptySubsequences: false)
                .map(String.init).dropFirst()))
        }
        #expect(outputs.count == block.commands.count, "\(block): \(result.output)")
        for (command, output) in zip(block.commands, outputs) {
            #expect(outputMatches(output, trimmingTrailingBlankLines(command.expected)),
                    "\(block): $ \(command.text)\nexpected:\n\(command.expected.joined(separator: "\n"))\ngot:\n\(output.joined(separator: "\n"))")
        }
    }

    @Test("each step's shell line runs as shown", arguments: Catalog.all.flatMap { e in e.steps.map { "\(e.id)/\($0.key)" } })
    func shellLine(step: String) throws {
        try requireRoot()
        let parts = step.split(separator: "/")
        let experiment = try #require(Catalog.experiment(String(parts[0])))
        let shell = try #require(experiment.steps.first { $0.key == parts[1] }).shell.english
        let result = try runCommand(lessonShell + ["-c", shell], timeout: 60)
        #expect(result.exitCode == 0, "\(step): $ \(shell)\n\(result.output)\(result.errors)")
    }

    @Test func theMatcherReadsEllipsesAsTheLessonsMeanThem() {
        #expect(lineMatches("uts:[4026531838]", "uts:[…]"))
        #expect(!lineMatches("ipc:[4026531838]", "uts:[…]"))
        #expect(lineMatches("a b c", "a…c") && lineMatches("ac", "a…c") && !lineMatches("a b", "a…c"))
        #expect(outputMatches(["x", "y", "z"], ["x", "…"]) && outputMatches(["x"], ["x", "…"]))
        #expect(!outputMatches(["x", "y"], ["x"]) && !outputMatches([], ["x"]))
        let parsed = ConsoleBlock.parse("```console\n$ echo a \\\n> b\na b\n$ true\n```\n```sh\nls\n```\n", file: "t.md")
        #expect(parsed.blocks.count == 1 && parsed.blocks[0].commands.map(\.text) == ["echo a \\\nb", "true"])
        #expect(parsed.blocks[0].commands[0].expected == ["a b"] && parsed.shellFences == [7])
    }
}
