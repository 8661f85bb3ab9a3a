/// A lesson made runnable: requirements as data, then ordered steps that each run an "old
/// namespace" and a "new namespace" process and check what the kernel shows.
public struct Experiment: Sendable {
    public let id: String
    public let title: Message
    /// The namespaces the lesson is about.
    public let namespaces: [Namespace]
    public let minimumKernel: KernelVersion
    /// Programs the steps run besides the probe (like LTP's needs_cmds).
    public let needsCommands: [String]
    /// The namespaces of the demo host: made by the runner before the first step, it plays the
    /// host for the old side, so that nothing the steps do touches the real one.
    public let demoHostNamespaces: Set<Namespace>
    /// The smallest /proc/sys/user/max_<kind>_namespaces under which the whole run passes,
    /// for each kind it makes more than the sandbox's one of: the sandbox's, the demo host's
    /// and the most alive at once.
    public let namespaceBudget: [Namespace: Int]

    /// Where `runner shell` puts its shell: new namespaces of the kinds the lesson is about,
    /// made from the demo host's (from the runner's own with a new user and PID namespace,
    /// which are made before any join: see Lab.start); a new PID namespace gets a mount
    /// namespace and a fresh /proc.
    /// In a new user namespace the shell is root, as `unshare --map-root-user` makes it:
    /// unmapped, it would be nobody, and what the lesson has it try (nsenter, a limit, unshare)
    /// would fail for that alone. Unless the shell is to start unmapped (shellStartsUnmapped).
    public var shellPlacement: ProcessSpec {
        let kinds = Set(namespaces).union(namespaces.contains(.pid) ? [.mnt] : [])
        let mapsRoot = kinds.contains(.user) && !shellStartsUnmapped
        return .new(kinds, kinds.contains(.pid) ? [.makeRootPrivate, .mountFreshProc] : [],
                    idMaps: mapsRoot ? .rootToRoot : nil)
    }

    /// The budget of every kind, the sandbox's one included.
    /// The experiment cut after step `key` (the steps before it set up what it needs); the
    /// engine still ends it with the host check. Nil when it has no such step.
    public func through(step key: String) -> Experiment? {
        guard let index = steps.firstIndex(where: { $0.key == key }) else { return nil }
        var cut = self
        cut.steps = Array(steps[...index])
        return cut
    }

    public var namespacesNeeded: [Namespace: Int] {
        var needed = Dictionary(uniqueKeysWithValues: Sandbox.namespaces.map { ($0, 1) })
        for namespace in demoHostNamespaces { needed[namespace] = max(needed[namespace] ?? 0, 2) }
        return needed.merging(namespaceBudget) { max($0, $1) }
    }
    /// What the steps could leave on a host, were a guard to fail: the real host is checked
    /// for exactly these after the run.
    public let footprint: Footprint
    /// What the demo host does in its namespaces before it holds, after making its mounts
    /// private: a shared mount, say, to show propagation with.
    public let demoHostSetup: [Operation]
    /// The directories and files the steps use, made on the run's workbench (a tmpfs on /mnt
    /// in the runner's sandbox) before the first step.
    public let workbench: [Workbench.Entry]
    /// Whether its steps put processes in cgroups of their own, below the run's cgroup
    /// (RunCgroup), which the supervising runner then makes.
    public let usesCgroups: Bool
    /// Why the experiment needs real root, when it does: run without it, in a user namespace
    /// of the runner's own (where the runner is root but only the user's own id is mapped),
    /// it is skipped with this reason.
    public let needsRealRoot: Message?
    /// Commands to try in `runner shell <id>`, inside the experiment's new namespaces.
    public let shellTries: [String]
    /// Whether the shell's new user namespace has no maps, as `unshare --user` leaves it: the
    /// user-namespace lesson starts there.
    public let shellStartsUnmapped: Bool
    public private(set) var steps: [Step]

    public init(id: String, title: Message, namespaces: [Namespace], minimumKernel: KernelVersion,
                needsCommands: [String] = [], demoHostNamespaces: Set<Namespace>, namespaceBudget: [Namespace: Int],
                footprint: Footprint = Footprint(), demoHostSetup: [Operation] = [], workbench: [Workbench.Entry] = [],
                usesCgroups: Bool = false, needsRealRoot: Message? = nil, shellTries: [String] = [],
                shellStartsUnmapped: Bool = false, steps: [Step]) {
        self.id = id
        self.title = title
        self.namespaces = namespaces
        self.minimumKernel = minimumKernel
        self.needsCommands = needsCommands
        self.demoHostNamespaces = demoHostNamespaces
        self.namespaceBudget = namespaceBudget
        self.footprint = footprint
        self.demoHostSetup = demoHostSetup
        self.workbench = workbench
        self.usesCgroups = usesCgroups
        self.needsRealRoot = needsRealRoot
        self.shellTries = shellTries
        self.shellStartsUnmapped = shellStartsUnmapped
        self.steps = steps
    }
}

public struct Step: Sendable {
    /// Matches the lesson section whose heading ends with `{#key}`.
    public let key: String
    public let title: Message
    /// What a student would type for the same effect (a comment in it is translated).
    public let shell: Message
    /// The system calls the step makes, as a man page would name them.
    public let syscalls: [Message]
    public let action: @Sendable (Lab) throws -> StepOutcome

    public init(_ key: String, _ title: Message, shell: Message, syscalls: [Message],
                action: @escaping @Sendable (Lab) throws -> StepOutcome) {
        self.key = key
        self.title = title
        self.shell = shell
        self.syscalls = syscalls
        // Each observation with namespaces also gets where the old side ran, for the map.
        self.action = { lab in try action(lab).placing(lab.oldSideHost) }
    }

    /// A step whose shell line and system calls are as a student types them, in every language.
    public init(_ key: String, _ title: Message, shell: String, syscalls: [String],
                action: @escaping @Sendable (Lab) throws -> StepOutcome) {
        self.init(key, title, shell: .verbatim(shell), syscalls: syscalls.map(Message.verbatim), action: action)
    }
}

/// What one process of a step printed, shown next to the others, and the namespaces it was in.
public struct Observation: Codable, Sendable, Equatable {
    public let label: Message
    public let command: String
    /// Its lines: what the program printed, as it printed it, or the runner's sentences about
    /// what the probe saw.
    public let output: [Message]
    /// Which namespaces the process was in, from its probe's report; nil for an observation put
    /// together by hand (like "the runner's view") or a process without a report of them.
    public let namespaces: ProcessNamespaces?

    public init(_ label: Message, command: String, output: [Message], namespaces: ProcessNamespaces? = nil) {
        self.label = label
        self.command = command
        self.output = output
        self.namespaces = namespaces
    }

    /// An observation of what a program printed, each line as it is.
    public init(_ label: Message, command: String, printed: [String], namespaces: ProcessNamespaces? = nil) {
        self.init(label, command: command, output: printed.map(Message.verbatim), namespaces: namespaces)
    }

    /// The same, with `host` as the namespaces the old side ran in (when it has namespaces).
    func placing(_ host: HostNamespaces?) -> Observation {
        guard let namespaces, namespaces.oldSideHost == nil, let host else { return self }
        return Observation(label, command: command, output: output,
                           namespaces: ProcessNamespaces(pid: namespaces.pid, inodes: namespaces.inodes,
                                                         oldSideHost: host, ownPid: namespaces.ownPid))
    }
}

/// The namespaces one process was in: a row of `lsns -T` or `pstree -N`, for one process.
public struct ProcessNamespaces: Codable, Sendable, Equatable {
    /// Its pid as the runner sees it (in the runner's PID namespace).
    public let pid: Int
    /// Namespace kind as namespaces(7) names it ("uts") → the inode of /proc/PID/ns/<kind>;
    /// only the kinds its report had.
    public let inodes: [String: UInt64]
    /// Where the old side of the step ran, to compare with: the demo host, or, in an experiment
    /// without one, the runner itself. The lab adds it to each observation of a step.
    public let oldSideHost: HostNamespaces?
    /// Its pid as it sees itself, in its own PID namespace (the last of NSpid), when its probe
    /// reported it.
    public let ownPid: Int?

    public init(pid: Int, inodes: [String: UInt64], oldSideHost: HostNamespaces? = nil, ownPid: Int? = nil) {
        self.pid = pid
        self.inodes = inodes
        self.oldSideHost = oldSideHost
        self.ownPid = ownPid
    }

    /// Only the namespace kinds of a report's `ns` (not pid_for_children and the like).
    public init(pid: Int, report: [String: UInt64], ownPid: Int? = nil) {
        self.init(pid: pid, inodes: report.filter { Namespace(rawValue: $0.key) != nil }, ownPid: ownPid)
    }

    public func inode(_ namespace: Namespace) -> UInt64? { inodes[namespace.rawValue] }
}

/// The namespaces the old side of a step runs in: the demo host's, or the runner's own.
public struct HostNamespaces: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable {
        /// The process the lab made to play the host (its namespaces are the old side's).
        case demoHost = "demo-host"
        /// The runner, in its sandbox: an experiment without a demo host runs its old side there.
        case runner
    }
    public let role: Role
    /// Its pid as the runner sees it.
    public let pid: Int
    public let inodes: [String: UInt64]

    public init(role: Role, pid: Int, inodes: [String: UInt64]) {
        self.role = role
        self.pid = pid
        self.inodes = inodes
    }

    public func inode(_ namespace: Namespace) -> UInt64? { inodes[namespace.rawValue] }
}

/// One assertion, with what was expected and what the kernel showed. Its name and values are
/// messages: a value the kernel or a program gave is shown as it is in every language.
public struct Check: Codable, Sendable, Equatable {
    public let name: Message
    public let expected: Message
    public let actual: Message
    public let passed: Bool

    public init(_ name: Message, expected: Message, actual: Message, passed: Bool) {
        self.name = name
        self.expected = expected
        self.actual = actual
        self.passed = passed
    }

    /// Passes when `actual` is `expected`. An expected value that is itself nil (a value read
    /// from the kernel that was not there) never passes: nothing was known to compare with.
    public static func equal<T: Equatable & CheckValue>(_ name: Message, expected: T, actual: T?) -> Check {
        Check(name, expected: expected.shown, actual: actual.shown, passed: actual == expected && !expected.isNothing)
    }

    /// Passes when both values were seen and differ, like two namespace inodes.
    public static func differ<T: Equatable & CheckValue>(_ name: Message, old: T?, new: T?) -> Check {
        Check(name, expected: words.differsFrom(old.shown), actual: new.shown,
              passed: old != nil && new != nil && old != new)
    }

    /// Passes when `collection` was read and holds `element`: "expected pid 7 listed, got pid
    /// 1, pid 7". `describe` writes one element as a student reads it.
    public static func contains<C: Collection>(_ name: Message, _ element: C.Element, in collection: C?,
                                               describe: (C.Element) -> any MessageArgument) -> Check
        where C.Element: Equatable
    {
        let found = collection?.contains(element) ?? false
        return Check(name, expected: words.listed(describe(element)),
                     actual: listing(collection, describe, found: found ? describe(element) : nil), passed: found)
    }

    /// Passes when `collection` was read and does not hold `element`.
    public static func notContains<C: Collection>(_ name: Message, _ element: C.Element, in collection: C?,
                                                  describe: (C.Element) -> any MessageArgument) -> Check
        where C.Element: Equatable
    {
        let found = collection?.contains(element) ?? false
        return Check(name, expected: words.notListed(describe(element)),
                     actual: listing(collection, describe, found: found ? describe(element) : nil),
                     passed: collection != nil && !found)
    }

    /// Passes when `collection` was read and is empty: "expected none, got key 0x1 id 0".
    public static func isEmpty<C: Collection>(_ name: Message, _ collection: C?,
                                              describe: (C.Element) -> any MessageArgument) -> Check {
        Check(name, expected: words.none, actual: listing(collection, describe), passed: collection?.isEmpty ?? false)
    }

    /// Passes when the probe's action succeeded, like LTP's TST_EXP_PASS. A missing result
    /// shows as "(nothing)".
    public static func succeeds<Result: ProbeActionResult>(_ name: Message, _ result: Result?) -> Check {
        .equal(name, expected: words.success, actual: result?.outcome)
    }

    /// Passes when the probe's action failed with `errno` (its name, "EPERM"), like LTP's
    /// TST_EXP_FAIL.
    public static func fails<Result: ProbeActionResult>(_ name: Message, with errno: String, _ result: Result?) -> Check {
        .equal(name, expected: .verbatim(errno), actual: result?.outcome)
    }

    /// Passes when a call the runner made (`expectedRefusal`) failed with `errno`; nil is its
    /// success.
    static func fails(_ name: Message, with errno: String, _ refusal: SystemCallError?) -> Check {
        .equal(name, expected: .verbatim(errno), actual: refusal.outcome)
    }

    /// Passes when a list read before and after is the same; else shows what came and went.
    public static func unchanged<T: Equatable>(_ name: Message, before: [T]?, after: [T]?,
                                               describe: (T) -> any MessageArgument = { "\($0)" }) -> Check
    {
        guard let before, let after else {
            return Check(name, expected: words.unchanged, actual: before == nil ? words.notReadBefore : words.notReadAfter,
                         passed: false)
        }
        let changes = after.filter { !before.contains($0) }.map { words.added(describe($0)) }
            + before.filter { !after.contains($0) }.map { words.removed(describe($0)) }
        return Check(name, expected: words.unchanged,
                     actual: before == after ? words.unchanged : changes.isEmpty ? words.reordered : .joined(changes),
                     passed: before == after)
    }

    /// "none", "a, b, c", or, past eight elements, the first eight and how many more, or the
    /// one `found` and how many more; "not reported" for a collection that was not read.
    public static func listing<C: Collection>(_ collection: C?, _ describe: (C.Element) -> any MessageArgument,
                                              found: (any MessageArgument)? = nil) -> Message
    {
        guard let collection else { return words.notReported }
        let limit = 8
        if collection.isEmpty { return words.none }
        if collection.count <= limit { return .list(collection.map(describe)) }
        if let found { return words.listedAndMore(found, collection.count - 1) }
        return words.firstAndMore(Message.list(collection.prefix(limit).map(describe)), collection.count - limit)
    }

    /// Passes when `changes` is empty: "as it was", else what changed, one after another.
    public static func noChanges(_ name: Message, _ changes: [Message], steady: Message = words.unchanged) -> Check {
        Check(name, expected: steady, actual: changes.isEmpty ? steady : .joined(changes), passed: changes.isEmpty)
    }

    public static func that(_ name: Message, _ condition: Bool, expected: Message, actual: Message) -> Check {
        Check(name, expected: expected, actual: actual, passed: condition)
    }
}

public struct StepOutcome: Sendable {
    public let observations: [Observation]
    public let checks: [Check]

    public init(observations: [Observation], checks: [Check]) {
        self.observations = observations
        self.checks = checks
    }

    /// The same, each observation with namespaces knowing where the old side ran.
    func placing(_ host: HostNamespaces?) -> StepOutcome {
        StepOutcome(observations: observations.map { $0.placing(host) }, checks: checks)
    }
}

/// A kernel release, compared numerically: "5.6" < "5.10".
public struct KernelVersion: Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let parts: [Int]

    public init(_ text: String) {
        parts = text.split(whereSeparator: { !$0.isNumber }).prefix(3).compactMap { Int($0) }
    }

    public init(stringLiteral value: String) { self.init(value) }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        for i in 0..<max(a.parts.count, b.parts.count) {
            let x = i < a.parts.count ? a.parts[i] : 0, y = i < b.parts.count ? b.parts[i] : 0
            if x != y { return x < y }
        }
        return false
    }

    public var description: String { parts.map(String.init).joined(separator: ".") }
}

/// A value a check compares, as a student reads it: a message as it says, optionals
/// unwrapped, nil as "(nothing)", a truth value as "true" or "false", a list as the language
/// separates one ("none" when empty), anything else as it prints.
public protocol CheckValue {
    var shown: Message { get }
    /// Whether it is nil, through any optionals around it: a value that was not read.
    var isNothing: Bool { get }
}

extension CheckValue {
    public var isNothing: Bool { false }
}

extension CheckValue where Self: CustomStringConvertible {
    public var shown: Message { .verbatim(description) }
}

extension Message: CheckValue {
    public var shown: Message { self }
}

extension Bool: CheckValue {
    public var shown: Message { self ? words.isTrue : words.isFalse }
}

extension String: CheckValue {
    /// "its uid_map: (empty)", not "its uid_map: ".
    public var shown: Message { isEmpty ? words.empty : .verbatim(self) }
}

extension Int: CheckValue {}
extension Int32: CheckValue {}
extension UInt32: CheckValue {}
extension UInt64: CheckValue {}
extension Double: CheckValue {}

extension Optional: CheckValue where Wrapped: CheckValue {
    public var shown: Message { map(\.shown) ?? words.nothing }
    public var isNothing: Bool { map(\.isNothing) ?? true }
}

extension Array: CheckValue where Element: CheckValue {
    public var shown: Message { isEmpty ? words.none : .list(map(\.shown)) }
}
