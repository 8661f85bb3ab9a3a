import CShim
import FoundationEssentials
import Glibc

/// The runner's sandbox: new UTS, IPC, mount, network and PID namespaces with a /proc of
/// their own, in which the runner runs again, as pid 1, for the whole of `runner run`. Every
/// demo host and new namespace of a run is made in there, so
/// - /proc/PID is always the runner's own (a runner started in a PID namespace whose /proc
///   belongs to the parent one would otherwise open another process's namespaces);
/// - the host check compares namespaces that no other process uses: what others do on the
///   machine never fails a run, and anything the run changes outside its experiments shows;
/// - an interrupted or killed run takes every process with it: killing pid 1 kills its PID
///   namespace, and the other namespaces go with their last process.
/// The supervising runner outside keeps only the real host's state to compare, for what the
/// run could have left there (its Footprint), and the signals that end the run.
public enum Sandbox {
    public static let namespaces: Set<Namespace> = [.ipc, .mnt, .net, .pid, .uts]
    /// What making the sandbox itself changes, were its mount namespace not new: the
    /// propagation of / and a /proc mounted over the host's. The real host is checked for it.
    public static let footprint = Footprint(mountPoints: ["/", "/proc"])
    /// Set for the runner inside: the outer runner's namespaces, "uts:4026531838,ipc:…".
    static let markerVariable = "NSLAB_SANDBOX"

    /// Whether this process is the runner inside a sandbox its supervisor made: pid 1, and in
    /// none of the namespaces the supervisor was in. Read once: a runner never leaves them.
    public static let isInside: Bool = {
        guard getpid() == 1, let marker = getenv(markerVariable).map({ String(cString: $0) }) else { return false }
        let outer = parseInodes(marker)
        return namespaces.allSatisfy { namespace in
            guard let theirs = outer[namespace], let mine = ownInode(namespace) else { return false }
            return theirs != mine
        }
    }()

    /// How the runner makes its sandbox: as root, or, without CAP_SYS_ADMIN, inside a new
    /// user namespace where it is root and only the user's own ids are mapped (as
    /// `unshare --map-root-user` does), when this host lets unprivileged users make one.
    public enum Mode: Sendable, Equatable {
        case root, rootless
        /// Without root, in a user namespace where the user's own ids are 0 and its
        /// subordinate ids 1 and up (a grade's ids, as rootless Podman maps them).
        case subordinate(SubordinateIDs)
    }

    /// The way the sandbox can be made here, or nil when it cannot (`problems` says why).
    public static func mode(_ host: HostSupport) -> Mode? {
        guard problems(host).isEmpty else { return nil }
        return host.hasSysAdmin ? .root : .rootless
    }

    /// Why the runner cannot make its sandbox here; empty when it can (as root, or in a user
    /// namespace of its own).
    public static func problems(_ host: HostSupport) -> [Message] {
        var problems: [Message] = []
        if !host.hasSysAdmin, let refusal = host.userNamespaceProblem {
            problems.append(host.isRoot ? supportText.rootWithoutSysAdmin(refusal) : supportText.needsSysAdmin(refusal))
        }
        problems += namespaces.sorted().compactMap { namespace in
            host.problem(with: namespace).map { supportText.sandboxNeedsOne($0) }
        }
        return problems
    }

    /// How a supervised run ended.
    public struct Outcome: Sendable {
        /// How the runner inside ended; nil when it could not be started.
        public let termination: Termination?
        /// The signal that interrupted the run (the sandbox was then killed whole).
        public let interruption: Int32?
        /// What changed on the real host that the run could have made.
        public let realHostChanges: [Message]
    }

    /// Runs this executable again with its own command line and `environment` added inside a
    /// new sandbox, its stdio the same as ours, and waits for it.
    /// SIGINT, SIGTERM and SIGHUP kill the sandbox at once. The real host is compared before
    /// and after, on `footprint`. With `makesCgroup`, the run gets a cgroup of its own
    /// (RunCgroup), removed when it ends.
    public static func supervise(environment: [String] = [], footprint: Footprint,
                                 mode: Mode = .root, makesCgroup: Bool = false) throws -> Outcome {
        // Only what the run could leave on the real host is compared, so only that is read.
        var parts = footprint.parts
        if makesCgroup { parts.insert(.cgroups) }
        let before = HostState.read(parts)
        let interrupts = try check("signalfd(SIGINT|SIGTERM|SIGHUP)") { nslab_interrupts_signalfd() }
        defer { close(interrupts) }
        let runCgroup = makesCgroup ? try RunCgroup.make() : nil
        var footprint = footprint
        if let runCgroup { footprint.cgroupNames.insert(runCgroup.cgroup.name) }
        var spec = try runnerSpec(runCgroup: runCgroup?.cgroup, adding: environment)
        if mode == .rootless {
            // The user's own uid and gid become 0 in there; the parent writes the maps.
            spec.create.insert(.user)
            spec.idMaps = IDMaps(setgroups: "deny", uidMap: "0 \(geteuid()) 1", gidMap: "0 \(getegid()) 1")
        }
        if case .subordinate = mode { spec.create.insert(.user) }
        spec.inheritsStandardIO = true
        let inside = try spawn(spec, command: "runner in its sandbox") { pid in
            if case .subordinate(let ids) = mode { try ids.write(pid: pid) }
        }

        var interruption: Int32?
        var pollers = [pollfd(fd: interrupts, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: inside.exitNotice, events: Int16(POLLIN), revents: 0)]
        while interruption == nil && pollers[1].revents == 0 {
            if poll(&pollers, 2, -1) < 0 && errno != EINTR { throw SystemCallError("poll", errno: errno) }
            if pollers[0].revents != 0 { interruption = nslab_read_signal(interrupts) }
        }
        if interruption != nil { kill(inside.pid, SIGKILL) }
        let termination = try inside.wait(timeout: 10)
        runCgroup?.finish()  // every process of the run has ended with the sandbox's pid 1
        let changes = before.differences(to: HostState.read(parts), within: footprint)
        return Outcome(termination: termination, interruption: interruption, realHostChanges: changes)
    }

    /// Starts this executable with its own command line in a sandbox of its own inside this
    /// one, its output on pipes: one experiment of a run that runs several at once, apart from
    /// the others. `runCgroup` is its part of the run's cgroup.
    public static func startNested(runCgroup: RunCgroup?, environment: [String]) throws -> ChildProcess {
        var spec = try runnerSpec(runCgroup: runCgroup, adding: environment)
        spec.separatesStandardError = true
        spec.outputLimit = 1 << 26  // a whole chapter's --explain, and far more
        return try spawn(spec, command: "runner in a sandbox of its own")
    }

    /// This executable with its own command line (what the student typed, which `ps` shows),
    /// as the runner in a new sandbox: told the namespaces it leaves (the marker), its run's
    /// cgroup and `environment`, never what its parent was told of these.
    static func runnerSpec(runCgroup: RunCgroup?, adding environment: [String]) throws -> ProcessSpec {
        let marker = namespaces.sorted().compactMap { n in ownInode(n).map { "\(n.rawValue):\($0)" } }.joined(separator: ",")
        let added = ["\(markerVariable)=\(marker)"] + (runCgroup.map { [$0.environmentEntry] } ?? []) + environment
        let replaced = ([markerVariable, RunCgroup.variable] + environment.map { String($0.prefix { $0 != "=" }) }).map { $0 + "=" }
        var spec = ProcessSpec([try executablePath()] + CommandLine.arguments.dropFirst(),
                               environment: currentEnvironment().filter { entry in !replaced.contains { entry.hasPrefix($0) } } + added)
        spec.create = namespaces
        spec.operations = [.makeRootPrivate, .mountFreshProc]
        return spec
    }

    static func ownInode(_ namespace: Namespace) -> UInt64? {
        var info = stat()
        return stat("/proc/self/ns/\(namespace.rawValue)", &info) == 0 ? UInt64(info.st_ino) : nil
    }

    /// "uts:1,ipc:2" → [.uts: 1, .ipc: 2]; what does not parse is left out.
    static func parseInodes(_ text: String) -> [Namespace: UInt64] {
        var inodes: [Namespace: UInt64] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: ":")
            if parts.count == 2, let namespace = Namespace(rawValue: String(parts[0])), let inode = UInt64(parts[1]) {
                inodes[namespace] = inode
            }
        }
        return inodes
    }
}

/// `value` as JSON in `variable`: how a runner hands a value to a runner it starts.
public func environmentEntry<Value: Encodable>(_ variable: String, _ value: Value) -> String {
    "\(variable)=" + String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
}

/// The value a runner was handed in `variable` (environmentEntry); nil when it is not set.
public func environmentValue<Value: Decodable>(_ variable: String, as type: Value.Type) throws -> Value? {
    guard let text = getenv(variable).map({ String(cString: $0) }) else { return nil }
    return try JSONDecoder().decode(type, from: Data(text.utf8))
}

/// The runner's own environment, passed on to the runner inside its sandbox.
func currentEnvironment() -> [String] {
    var entries: [String] = []
    var entry = environ
    while let pointer = entry.pointee {
        entries.append(String(cString: pointer))
        entry += 1
    }
    return entries
}

/// The absolute path of this executable, from /proc/self/exe (right in any /proc).
public func executablePath() throws(SystemCallError) -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { throw SystemCallError("readlink(/proc/self/exe)", errno: errno) }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
