import Glibc

/// An exercise of `runner grade`: what the student's program receives, what it must do, and
/// the checks that judge it (DESIGN.md, "Exercises"). Every check reads the kernel from
/// outside the student's reach, while the program's probe pauses: the probe's process in the
/// grader's own /proc, and the grader's own probe in the namespaces the program made. A
/// chapter declares its exercises with values of their own type (ExerciseValues).
public struct Exercise: Sendable {
    public let id: String
    /// What the program must do, as the lesson says it, with its placeholders.
    public let task: Message
    /// The placeholders its `run` line may use, in the order the lesson gives them, the
    /// probe's last (the names of any run's values: those of seed 0).
    public var placeholders: [String] {
        var any = SeededGenerator(seed: 0)
        return choose(&any).values.map(\.name) + [probePlaceholder]
    }
    /// The placeholder that stands for the probe and its words.
    let probePlaceholder: String
    /// The sections the program's probe reports, besides its namespaces and pid.
    let reportSections: Set<ReportSection>
    /// Chooses the values the student's program must apply, at random from the run's seed.
    let choose: @Sendable (inout SeededGenerator) -> ChosenExercise

    /// A file or directory under /exercise (a sandbox path), the sandbox's root's unless an
    /// owner is given (an id as the sandbox counts them); or the busybox root.
    enum Fixture: Sendable {
        case file(String, text: String, owner: UInt32 = 0, mode: UInt32 = 0o644)
        case directory(String)
        case busyboxRoot(String)
    }

    /// - Parameters:
    ///   - choose: the values, at random from the run's seed.
    ///   - fixtures: the files the exercise hands the program under /exercise.
    ///   - sandboxSetup: what the grader sets up in the sandbox before the program starts:
    ///     objects the program must not see, a listener it must reach or not.
    ///   - leavesDevices: devices the program is asked to leave in the sandbox.
    ///   - judge: judges what the program achieved, while its probe pauses.
    init<Values: ExerciseValues>(
        id: String, task: Message, probePlaceholder: String = "probe", reportSections: Set<ReportSection> = [],
        choose: @escaping @Sendable (inout SeededGenerator) -> Values,
        fixtures: @escaping @Sendable (Values) -> [Fixture] = { _ in [] },
        sandboxSetup: @escaping @Sendable (Values) -> [ProbeAction] = { _ in [] },
        leavesDevices: @escaping @Sendable (Values) -> Set<String> = { _ in [] },
        judge: @escaping @Sendable (PausedProbe, Values) throws -> [Check]
    ) {
        self.id = id
        self.task = task
        self.probePlaceholder = probePlaceholder
        self.reportSections = reportSections
        self.choose = { random in
            let values = choose(&random)
            return ChosenExercise(values: values.placeholders, fixtures: fixtures(values), sandboxSetup: sandboxSetup(values),
                                  leavesDevices: leavesDevices(values), sandboxIDs: values.sandboxIDs) { paused in
                try judge(paused, values)
            }
        }
    }
}

/// The values of one exercise, chosen for one checkout: a chapter's own type, whose fields
/// its judge reads.
protocol ExerciseValues: Sendable {
    /// Each placeholder of the `run` line but the probe's, with its value, in the order the
    /// lesson gives them.
    var placeholders: [(name: String, value: String)] { get }
    /// The ids the sandbox maps besides its root: those the exercise names.
    var sandboxIDs: [UInt32] { get }
}

extension ExerciseValues {
    /// None: the program is given nothing but the command to run.
    var placeholders: [(name: String, value: String)] { [] }
    var sandboxIDs: [UInt32] { [] }
}

/// An exercise as one checkout gets it: its values chosen.
struct ChosenExercise: Sendable {
    let values: [(name: String, value: String)]
    let fixtures: [Exercise.Fixture]
    let sandboxSetup: [ProbeAction]
    let leavesDevices: Set<String>
    let sandboxIDs: [UInt32]
    let judge: @Sendable (PausedProbe) throws -> [Check]

    func value(of placeholder: String) -> String? { values.first { $0.name == placeholder }?.value }
}

/// The name inside a `run` word that is a placeholder whole ("{hostname}" → "hostname"), or nil.
func placeholderName(_ word: String) -> String? {
    word.hasPrefix("{") && word.hasSuffix("}") ? String(word.dropFirst().dropLast()) : nil
}

/// "lo UP 127.0.0.1", one per device.
func deviceLines(_ interfaces: [ProbeReport.Interface]) -> [String] {
    interfaces.map { ([$0.name, $0.up ? "UP" : "DOWN"] + $0.addresses).joined(separator: " ") }
}

extension Check {
    /// The same check with a value that is the same in every run in place of an inode: a
    /// report graded twice with one seed must read the same.
    func stable(_ passedText: Message) -> Check {
        Check(name, expected: passedText, actual: passed ? passedText : (actual == words.nothing ? actual : gradingText.theSandboxs),
              passed: passed)
    }

    /// The check of something the grader could not make (its sandbox, its workspace): failed,
    /// with the error.
    static func notMade(_ what: Message, _ error: any Error) -> Check {
        Check(what, expected: gradingText.made, actual: Message.of(error), passed: false)
    }

    /// The same check, failing with `diagnosis` as its actual value's explanation.
    func diagnosed(_ diagnosis: Message?) -> Check {
        guard let diagnosis, !passed else { return self }
        return Check(name, expected: expected, actual: gradingText.diagnosed(actual, diagnosis), passed: false)
    }
}

/// What a check says when the grader did not try something: the program's namespace is the
/// sandbox's, so acting there would change the sandbox instead.
func notTried(_ kind: Namespace) -> Message { gradingText.notTried(kind.rawValue) }

/// SplitMix64: the same values for the same seed, on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func number(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// `count` lowercase letters and digits.
    mutating func word(_ count: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in letters[Int.random(in: 0..<letters.count, using: &self)] })
    }
}
