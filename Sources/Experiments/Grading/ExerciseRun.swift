import CShim
import FoundationEssentials
import Glibc

/// What an exercise's judge works with while the student's probe pauses: the probe's process
/// as the grader sees it from outside, the sandbox, the exercise's files, and looks into the
/// probe's namespaces by the grader's own probe.
final class PausedProbe {
    let probe: ProcessView
    let sandbox: GradingSandbox
    let workspace: GradingWorkspace
    /// The exercise's files, as the grader made them.
    let fixtures: ExerciseFiles
    /// The sandbox while the probe pauses, read once, when an exercise asks.
    private var duringSnapshot: SandboxSnapshot?
    /// The ids the sandbox maps besides root.
    let sandboxIDs: Set<UInt32>
    /// The hostname of the probe's UTS namespace, once a look has read it.
    private(set) var seenHostname: String?

    init(probe: ProcessView, sandbox: GradingSandbox, workspace: GradingWorkspace, fixtures: ExerciseFiles,
         sandboxIDs: Set<UInt32>) {
        self.probe = probe
        self.sandbox = sandbox
        self.workspace = workspace
        self.fixtures = fixtures
        self.sandboxIDs = sandboxIDs
    }

    /// The sandbox while the probe pauses.
    func during() throws -> SandboxSnapshot {
        if let duringSnapshot { return duringSnapshot }
        let snapshot = try sandbox.snapshot()
        duringSnapshot = snapshot
        return snapshot
    }

    /// Whether the probe's namespace of `kind` is not the sandbox's.
    func isNew(_ kind: Namespace) -> Bool {
        guard let mine = probe.inode(kind), let sandboxs = sandbox.inode(kind) else { return false }
        return mine != sandboxs
    }

    /// "<kind> namespace of the command, not the sandbox's": a new one.
    func newNamespace(_ kind: Namespace) -> Check {
        Check.differ(gradingText.newNamespace(kind.rawValue), old: sandbox.inode(kind), new: probe.inode(kind))
            .stable(gradingText.aNewOne)
    }

    /// Runs the grader's own probe with `actions` in the paused probe's namespaces of `kinds`
    /// (each proved by the inode the grader read in /proc), after `operations`, and returns
    /// what it printed: straight to the grader, never through the student's program. It stays
    /// the machine's root, outside the sandbox's user and PID namespaces unless it joins them.
    func look(joining kinds: Set<Namespace>, operations: [Operation] = [], _ actions: [ProbeAction]) throws -> ProbeOutput {
        var spec = ProcessSpec()
        spec.join = try kinds.sorted().map { kind in
            guard let file = probe.namespaceFile(kind) else { throw probeGone() }
            return file
        }
        spec.operations = operations
        let finished: FinishedProcess
        do {
            finished = try sandbox.lab.runAside(spec, [workspace.probePath] + actions.map(\.description))
        } catch {
            if !probe.isAlive { throw probeGone() }
            throw error
        }
        guard finished.termination == .exited(0) else {
            if !probe.isAlive { throw probeGone() }
            throw LabError(gradingText.lookEnded(actions.map(\.description).joined(separator: " "), finished.termination.message))
        }
        try finished.probe.requireNoRefusal()
        if kinds.contains(.uts), let hostname = try? finished.probe.report().hostname { seenHostname = hostname }
        return finished.probe
    }

    private func probeGone() -> StudentFailure {
        StudentFailure(check: Check(gradingText.probeStayed, expected: gradingText.paused, actual: gradingText.probeGone, passed: false))
    }

    /// The name (comm) of pid 1 of the probe's PID namespace.
    func initName() -> String? {
        guard let namespace = probe.inode(.pid) else { return nil }
        return NamespaceMembers.of(pidNamespace: namespace).lazy.compactMap(ProcessView.init(pid:))
            .first { $0.inode(.pid) == namespace && $0.nspid.last == 1 }?.text("comm")?.trimmingNewline
    }

    /// A uid_map or gid_map as the grader reads it (outside ids are the machine's) in the
    /// sandbox's terms, as the contract gives it: "1000 20000 1".
    func inSandboxTerms(_ map: String) -> String {
        map.split(separator: "\n").map { line in
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count == 3, let outside = UInt32(fields[1]) else { return line.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
            let sandboxID = outside >= workspace.idBase && sandboxIDs.contains(outside - workspace.idBase)
                ? String(outside - workspace.idBase) : "(unmapped)"
            return "\(fields[0]) \(sandboxID) \(fields[2])"
        }.joined(separator: "; ")
    }

    /// The id inside a user namespace of the machine's `id`, through the namespace's map as the
    /// grader reads it; nil when it is not mapped there.
    func inside(_ id: UInt32, map: String?) -> UInt32? {
        for line in (map ?? "").split(separator: "\n") {
            let fields = line.split(whereSeparator: \.isWhitespace).compactMap { UInt32($0) }
            guard fields.count == 3, id >= fields[1], id - fields[1] < fields[2] else { continue }
            return fields[0] + (id - fields[1])
        }
        return nil
    }
}

extension ProbeOutput {
    /// Throws when an action was refused by the probe's guard: the grader's own limit, never
    /// the student's errno. (An errno is the kernel's answer, which a check reads.)
    func requireNoRefusal() throws {
        struct Refusal: Decodable { let event: String; let refused: String? }
        for line in events {
            if let refusal = try? JSONDecoder().decode(Refusal.self, from: Data(line.json.utf8)), let why = refusal.refused {
                throw LabError(gradingText.lookRefused(refusal.event, why))
            }
        }
    }
}
