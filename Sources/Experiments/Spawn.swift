import CShim
import Glibc

/// A namespace to join: its file (/proc/PID/ns/uts), its kind, and the inode its owner
/// reported for it. The child joins it only if the file names exactly that namespace.
public struct NamespaceFile: Sendable, Equatable {
    public let path: String
    public let namespace: Namespace
    public let inode: UInt64

    /// Internal: only the lab, which read the inode from the demo host's own report, makes one.
    init(_ path: String, _ namespace: Namespace, inode: UInt64) {
        self.path = path
        self.namespace = namespace
        self.inode = inode
    }
}

/// Opens each namespace file for the shim, which proves it before it trusts it: its fd, its
/// type and the inode it must show. Appended one by one, so that the caller closes every fd
/// opened before a failure.
private func openProofs(of files: [NamespaceFile], into proofs: inout [nslab_namespace_proof]) throws {
    for file in files {
        let fd = try check("open(\(file.path))") { open(file.path, O_RDONLY | O_CLOEXEC) }
        proofs.append(nslab_namespace_proof(fd: fd, type: file.namespace.cloneFlag, inode: CUnsignedLongLong(file.inode)))
    }
}

/// What a child is to become: namespaces to join and to create, the maps its parent writes,
/// the operations it carries out, then a program. The same value says where a step's process
/// runs (`oldSide`, `new(...)`); the lab adds the demo host to join and the arguments.
public struct ProcessSpec: Sendable {
    public var arguments: [String]
    public var environment: [String]
    /// Namespaces to join with setns(2), before creating any but a PID namespace, which
    /// clone(2) makes first (with a new user namespace, if there is one: then nothing outside
    /// it can be joined). A joined PID namespace takes in the program: the shim forks once more.
    public var join: [NamespaceFile] = []
    public var create: Set<Namespace> = []
    /// Whether the shim makes a new user and PID namespace first, together (clone(2)): from
    /// inside them, no namespace outside can be joined.
    var makesUserAndPIDFirst: Bool { create.isSuperset(of: [.user, .pid]) }
    /// Namespaces of other processes of the run that the program may change too (a device
    /// the probe moves into one): told it in NSLAB_OWNED where each shows its inode.
    public var alsoOwned: [NamespaceFile] = []
    /// Written by the parent at the sync point, when `create` has a user namespace.
    public var idMaps: IDMaps?
    public var operations: [Operation] = []
    /// A file for stderr (created or truncated); nil sends stderr to the output pipe.
    public var standardErrorFile: String?
    /// The child gets the runner's own stdin, stdout and stderr instead of pipes.
    public var inheritsStandardIO = false
    /// Standard error gets a pipe of its own (`ChildProcess.errorLines`) instead of sharing
    /// the output's: what a program says went wrong, apart from what it prints.
    public var separatesStandardError = false
    /// cgroups the child is born in or moves itself into first, so that all it starts is
    /// counted and bounded there (the grader's limits).
    public var cgroups: [String] = []
    /// Bytes of its output kept; the rest is read and dropped.
    public var outputLimit = ChildProcess.outputLimit

    public init(_ arguments: [String] = [], environment: [String] = ProcessSpec.defaultEnvironment) {
        self.arguments = arguments
        self.environment = environment
    }

    /// Where a step's old side runs: the experiment's demo host (the lab joins it), or the
    /// runner's own namespaces in its sandbox when the experiment has none.
    public static let oldSide = ProcessSpec()

    /// New namespaces made from the old side's, then `operations` in the child.
    public static func new(_ namespaces: Set<Namespace>, _ operations: [Operation] = [], idMaps: IDMaps? = nil)
        -> ProcessSpec
    {
        var spec = ProcessSpec()
        spec.create = namespaces
        spec.operations = operations
        spec.idMaps = idMaps
        return spec
    }

    /// The same placement, the child born in `cgroup` (it moves itself there first, before
    /// any namespace is made: a new cgroup namespace then has that cgroup for its root).
    public func inCgroup(_ cgroup: LabCgroup) -> ProcessSpec {
        var spec = self
        spec.cgroups.append(cgroup.path)
        return spec
    }

    /// The same placement with `operations` done in the child before exec.
    func with(operations: [Operation]) -> ProcessSpec {
        var spec = self
        spec.operations += operations
        return spec
    }

    /// This spec running `arguments`.
    public func with(_ arguments: [String]) -> ProcessSpec {
        var spec = self
        spec.arguments = arguments
        return spec
    }

    public static let defaultEnvironment = [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
    ]
}

/// How a child ended.
public enum Termination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit \(code)"
        case .signaled(let signal): "killed by \(signalName(signal))"
        }
    }
}

public func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGKILL: "SIGKILL"
    case SIGTERM: "SIGTERM"
    case SIGINT: "SIGINT"
    case SIGHUP: "SIGHUP"
    case SIGUSR1: "SIGUSR1"
    case SIGPIPE: "SIGPIPE"
    case SIGALRM: "SIGALRM"
    default: "signal \(signal)"
    }
}

/// A running child: its pid, a pipe to its stdin and one from its stdout and stderr.
public final class ChildProcess {
    public let pid: pid_t
    public let command: String
    private var input: Int32
    private var output: Int32
    /// Standard error's own pipe, or -1 when it shares the output's.
    private var errors: Int32
    private var errorBytes: [UInt8] = []
    /// Readable once the child has exited: output then ends when the pipe is empty, even if
    /// a process the child left behind still holds the pipe open.
    private(set) var exitNotice: Int32
    private var buffer: [UInt8] = []
    private var bufferStart = 0  // lines before this index were handed out already
    private var outputEnded = false
    private var errorsEnded = true
    private var keptBytes = 0
    public private(set) var termination: Termination?
    /// Everything read so far, marker lines included, up to `outputLimit` bytes.
    public private(set) var lines: [String] = []
    /// Whether output past the limit was read and dropped.
    public private(set) var outputCut = false
    /// Whether the output ends once the child has exited and the pipes are empty (the
    /// default: a stray it left behind cannot hold a step open). When false it ends only when
    /// every writer is gone: a command the child left running still gets to print.
    public var outputEndsAtExit = true

    /// Whether the child has exited (it may not be reaped yet).
    public var hasExited: Bool {
        guard termination == nil else { return true }
        var poller = pollfd(fd: exitNotice, events: Int16(POLLIN), revents: 0)
        return exitNotice >= 0 && poll(&poller, 1, 0) > 0
    }

    /// The descriptors that wake a runner watching several children at once: the output
    /// pipes and the exit notice, those still open.
    public var watchedDescriptors: [Int32] {
        [outputEnded ? -1 : output, errorsEnded ? -1 : errors, termination == nil ? exitNotice : -1].filter { $0 >= 0 }
    }

    /// Reads what the pipes hold now, without waiting: a child watched beside others must
    /// never wait on a full pipe.
    public func readAvailable() { drainAvailable() }

    /// Takes what the pipes hold now into lines, kept within the output limit, without
    /// waiting; in a bounded number of reads, since the child, or a stray it left behind, may
    /// still be writing.
    private func drainAvailable() {
        for _ in 0..<64 where !outputEnded || !errorsEnded {
            if (try? fill(until: Deadline(seconds: 0))) == nil { break }
        }
        while case .some(.some) = try? readLine(timeout: 0) {}
    }

    /// Output kept per process by default: a program that prints without end cannot exhaust
    /// the runner.
    public static let outputLimit = 1 << 20
    /// Output kept of this process (the rest is read and dropped).
    public let outputLimit: Int

    init(pid: pid_t, command: String, input: Int32, output: Int32, errors: Int32 = -1, exitNotice: Int32, outputLimit: Int) {
        self.pid = pid
        self.outputLimit = outputLimit
        self.command = command
        self.input = input
        self.output = output
        self.errors = errors
        self.exitNotice = exitNotice
        outputEnded = output < 0
        errorsEnded = errors < 0
    }

    /// What the child wrote to its own standard error pipe (`separatesStandardError`), by
    /// line, within the same output limit: complete once the child was reaped.
    public var errorLines: [String] {
        guard !errorBytes.isEmpty else { return [] }
        var lines = errorBytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    deinit {
        if termination == nil {
            kill(pid, SIGKILL)
            _ = try? wait(timeout: 5)
        }
        releaseDescriptors()
    }

    /// Writes one line to the child's stdin (a probe's `hold` goes on). A child that has gone
    /// makes this a no-op: the write fails with EPIPE, since spawn ignores SIGPIPE.
    public func send(_ line: String = "") {
        guard input >= 0 else { return }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
    }

    public func closeInput() {
        if input >= 0 { close(input) }
        input = -1
    }

    /// The next line of output, or nil at end of output. Throws when `timeout` passes first.
    public func readLine(timeout: Double) throws -> String? {
        let deadline = Deadline(seconds: timeout)
        while true {
            if let newline = buffer[bufferStart...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[bufferStart..<newline], as: UTF8.self)
                bufferStart = newline + 1
                return keep(line)
            }
            if outputEnded {
                // Standard error's own pipe is read to its end too before output counts as over.
                guard bufferStart < buffer.count || errorsEnded else {
                    try fill(until: deadline)
                    continue
                }
                guard bufferStart < buffer.count else { return nil }
                let line = String(decoding: buffer[bufferStart...], as: UTF8.self)
                bufferStart = buffer.count
                return keep(line)
            }
            try fill(until: deadline)
        }
    }

    /// Reads lines until one satisfies `predicate`; throws on end of output or timeout.
    @discardableResult
    public func readLine(until predicate: (String) -> Bool, timeout: Double) throws -> String {
        let deadline = Deadline(seconds: timeout)
        while let line = try readLine(timeout: deadline.remaining) {
            if predicate(line) { return line }
        }
        throw LabError(labText.endedBeforeAwaited(command))
    }

    /// Reads all output up to end of file, then reaps the child.
    public func finish(timeout: Double) throws -> Termination {
        let deadline = Deadline(seconds: timeout)
        closeInput()
        do {
            while try readLine(timeout: deadline.remaining) != nil {}
        } catch let error as OutputTimedOut where termination == nil {
            // Still printing, or silent and alive, at the bound: the same as a wait that ran out.
            kill(pid, SIGKILL)
            throw WaitTimedOut(termination: try wait(timeout: 10), message: labText.killed(error.message))
        }
        return try wait(timeout: deadline.remaining)
    }

    /// Reaps the child, waiting at most `timeout` seconds; then kills it and throws.
    @discardableResult
    public func wait(timeout: Double) throws -> Termination {
        if let termination { return termination }
        // Once reaped, the child's fds go: a long experiment must not hold them all.
        defer { if termination != nil { releaseDescriptors() } }
        do {
            let ended = try reap(pid, pidfd: exitNotice, timeout: timeout, command: command)
            termination = ended
            return ended
        } catch let timedOut as WaitTimedOut {
            termination = timedOut.termination  // reaped: its pid may belong to another process now
            throw timedOut
        }
    }

    /// Keeps what the pipe still holds, without waiting, then closes every fd of this child.
    private func releaseDescriptors() {
        closeInput()
        if output >= 0 || errors >= 0 {
            drainAvailable()  // the child is gone: what it wrote is in the pipes now
            if output >= 0 { close(output) }
            if errors >= 0 { close(errors) }
            output = -1
            errors = -1
            outputEnded = true
            errorsEnded = true
        }
        if exitNotice >= 0 { close(exitNotice) }
        exitNotice = -1
    }

    private func keep(_ line: String) -> String {
        keptBytes += line.utf8.count + 1
        if keptBytes <= outputLimit {
            lines.append(line)
        } else {
            outputCut = true
        }
        return line
    }

    /// Reads what is there of the output and of standard error's own pipe; once the child has
    /// exited, a pipe with nothing left in it has ended (a stray may still hold it open).
    private func fill(until deadline: Deadline) throws {
        var pollers = [pollfd(fd: outputEnded ? -1 : output, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: errorsEnded ? -1 : errors, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: outputEndsAtExit ? exitNotice : -1, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&pollers, 3, deadline.remainingMilliseconds)
        if ready < 0 && errno == EINTR { return }
        if ready <= 0 {
            throw OutputTimedOut(message: labText.printedNothingMore(command))
        }
        if pollers[0].revents == 0 && pollers[1].revents == 0 {  // exited, and the pipes are empty now
            outputEnded = true
            errorsEnded = true
            return
        }
        // Not zeroed: only what read(2) filled is used.
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65536) { chunk in
            if pollers[1].revents != 0 {
                let count = read(errors, chunk.baseAddress, chunk.count)
                if count == 0 { errorsEnded = true }
                if count > 0 {
                    // Within the same limit as the output: a flood on stderr is read and dropped too.
                    let kept = max(0, min(count, outputLimit - keptBytes))
                    errorBytes.append(contentsOf: chunk[..<kept])
                    keptBytes += count
                    if kept < count { outputCut = true }
                }
            }
            guard pollers[0].revents != 0 else { return }
            let count = read(output, chunk.baseAddress, chunk.count)
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { return }
                throw SystemCallError("read(output of \(command))", errno: errno)
            }
            if count == 0 { outputEnded = true }
            buffer.removeSubrange(..<bufferStart)  // once per read, not once per line
            bufferStart = 0
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}

/// A point in time on CLOCK_MONOTONIC, to bound waits for failure (never to wait for success).
public struct Deadline {
    let end: Double

    public init(seconds: Double) { end = Deadline.now() + seconds }

    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    public var remaining: Double { max(0, end - Deadline.now()) }
    var remainingMilliseconds: Int32 { Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up)) }
}

/// Starts `spec`: clones, joins and creates namespaces in the C shim, lets `atSyncPoint` act
/// while the child waits (write maps, observe), then lets it name the host, mount and exec.
/// A failure of any step throws the call that failed, with its arguments.
public func spawn(_ spec: ProcessSpec, command: String? = nil, atSyncPoint: (pid_t) throws -> Void = { _ in })
    throws -> ChildProcess
{
    ignoreBrokenPipes
    guard let name = spec.arguments.first, let path = resolveExecutable(name) else {
        throw SystemCallError("execve(\(spec.arguments.first ?? ""))", errno: ENOENT)
    }
    // A joined PID namespace takes the child's child (the shim forks once more): maps written
    // to the child's /proc/PID would miss the user namespace that one makes.
    if spec.create.contains(.user), spec.join.contains(where: { $0.namespace == .pid }) {
        throw SystemCallError("unshare(CLONE_NEWUSER) after setns(CLONE_NEWPID)", errno: EINVAL,
                              detail: labText.mapsToWrongProcess)
    }
    // Opened now, exec'd by fd: it runs in the child's new root (pivot_root, chroot) without
    // being there.
    let program = nslab_open_path(path)
    if program < 0 { throw SystemCallError("execve(\(path))", errno: errno) }
    defer { close(program) }
    // The child's ends close when this returns; the parent's ends go to the ChildProcess,
    // or close too when anything fails on the way.
    var handedOver = false
    var stdinPipe: [Int32] = [-1, -1], outputPipe: [Int32] = [-1, -1], errorPipe: [Int32] = [-1, -1]
    defer {
        [stdinPipe[0], outputPipe[1], errorPipe[1]].filter { $0 >= 0 }.forEach { close($0) }
        if !handedOver { [stdinPipe[1], outputPipe[0], errorPipe[0]].filter { $0 >= 0 }.forEach { close($0) } }
    }
    var childIO: [Int32]
    if spec.inheritsStandardIO {
        childIO = [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO]
    } else {
        try check("pipe2(O_CLOEXEC)") { nslab_pipe_cloexec(&stdinPipe) }
        try check("pipe2(O_CLOEXEC)") { nslab_pipe_cloexec(&outputPipe) }
        childIO = [stdinPipe[0], outputPipe[1], outputPipe[1]]
        if spec.separatesStandardError {
            try check("pipe2(O_CLOEXEC)") { nslab_pipe_cloexec(&errorPipe) }
            childIO[2] = errorPipe[1]
        }
    }
    if let file = spec.standardErrorFile {
        childIO[2] = try check("open(\(file), O_WRONLY|O_CREAT|O_TRUNC)") {
            open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        }
    }
    defer { if spec.standardErrorFile != nil { close(childIO[2]) } }
    var joins: [nslab_namespace_proof] = [], alsoOwned: [nslab_namespace_proof] = []
    defer { (joins + alsoOwned).forEach { close($0.fd) } }
    try openProofs(of: spec.join, into: &joins)
    try openProofs(of: spec.alsoOwned, into: &alsoOwned)
    var cgroupFDs: [Int32] = []
    defer { cgroupFDs.forEach { close($0) } }
    for folder in spec.cgroups {
        cgroupFDs.append(try check("open(\(folder), O_DIRECTORY)") { open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
    }
    // The first cgroup v2 the child is born in (clone3); the others it joins.
    let bornIn = cgroupFDs.firstIndex { nslab_is_cgroup2($0) == 1 }

    let strings = CStrings()
    let argv = strings.array(spec.arguments)
    // The child writes the namespaces it proved into this entry; one given by the caller is
    // replaced, so a program can never be told it owns a namespace it does not.
    let ownedEntry = NSLAB_OWNED_PREFIX + String(repeating: " ", count: Int(NSLAB_OWNED_SIZE) - NSLAB_OWNED_PREFIX.utf8.count)
    let environment = spec.environment.filter { !$0.hasPrefix(NSLAB_OWNED_PREFIX) }
    let envp = strings.array(environment + [ownedEntry])
    let operations = try spec.operations.map { try $0.record(strings) }
    var child = nslab_child()
    var failure = nslab_failure()
    let command = command ?? spec.arguments.joined(separator: " ")

    // The child may share this process's memory until it execs: everything it reads (the
    // spec, its arrays and strings) stays valid until it has: the release is inside these.
    try withExtendedLifetime(strings) {
        try cgroupFDs.withUnsafeBufferPointer { cgroups in try joins.withUnsafeBufferPointer { joins in
            try operations.withUnsafeBufferPointer { records in try alsoOwned.withUnsafeBufferPointer { proofs in
                var cSpec = nslab_spawn_spec(
                    exec_fd: program, path: strings.optional(path), timeout_ms: spawnTimeoutMilliseconds,
                    argv: argv, envp: envp, stdin_fd: childIO[0], stdout_fd: childIO[1], stderr_fd: childIO[2],
                    join: joins.baseAddress, join_count: Int32(joins.count), namespace_flags: Namespace.flags(spec.create),
                    operations: records.baseAddress, operation_count: Int32(records.count),
                    owned_env: envp[environment.count], owned_env_size: NSLAB_OWNED_SIZE,
                    also_owned: proofs.baseAddress, also_owned_count: Int32(proofs.count),
                    cgroup_fds: cgroups.baseAddress, cgroup_count: Int32(cgroups.count), born_in: Int32(bornIn ?? -1))
                try withUnsafePointer(to: &cSpec) { cSpec in
                    guard nslab_spawn_start(cSpec, &child, &failure) == 0 else {
                        throw describe(failure, spec: spec, path: path)
                    }
                    do {
                        try spec.idMaps?.write(pid: child.pid)
                        try atSyncPoint(child.pid)
                    } catch {
                        nslab_spawn_abort(&child)
                        throw error
                    }
                    guard nslab_spawn_release(&child, &failure) == 0 else {
                        throw describe(failure, spec: spec, path: path)
                    }
                }
            } }
        } }
    }
    // Every wait for the child is bounded through its pidfd; without one, none could be.
    let exitNotice = nslab_pidfd_open(child.pid)
    if exitNotice < 0 {
        let error = errno
        kill(child.pid, SIGKILL)
        _ = try? reap(child.pid, pidfd: -1, timeout: 0, command: command)
        throw SystemCallError("pidfd_open(\(child.pid))", errno: error)
    }
    handedOver = true
    return ChildProcess(pid: child.pid, command: command, input: stdinPipe[1], output: outputPipe[0],
                        errors: errorPipe[0], exitNotice: exitNotice, outputLimit: spec.outputLimit)
}

/// Bound for each wait on a child during spawn (until it is ready, then until it execs).
let spawnTimeoutMilliseconds: Int32 = 10_000

/// A write to the stdin of a child that died must fail with EPIPE, not kill the runner. The
/// shim resets every signal to its default in the child, so programs still get SIGPIPE.
private let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

/// Names the call that failed in the child, from the spec that asked for it. A failure to
/// make or join a namespace is the kernel's refusal (the isolation the lesson asserts is not
/// there); any other is the runner's own trouble.
private func describe(_ failure: nslab_failure, spec: ProcessSpec, path: String) -> SystemCallError {
    let index = Int(failure.index)
    let step = nslab_step(UInt32(failure.step))
    let joined = index < spec.join.count ? spec.join[index] : nil
    let setns = "setns(\(joined?.path ?? "?"), \(joined?.namespace.flagName ?? "?"))"
    switch step {
    case NSLAB_STEP_PIPE: return SystemCallError("pipe2(O_CLOEXEC)", errno: failure.error)
    case NSLAB_STEP_CLONE:
        let call = "clone(\(Namespace.flagNames(spec.create.intersection([.pid]))))"
        let refused = spec.create.contains(.pid) && [EINVAL, EPERM, ENOSPC, EUSERS].contains(failure.error)
        return SystemCallError(call, errno: failure.error, kernelRefused: refused)
    case NSLAB_STEP_PRCTL: return SystemCallError("prctl(PR_SET_PDEATHSIG, SIGKILL)", errno: failure.error)
    case NSLAB_STEP_SETNS: return SystemCallError(setns, errno: failure.error, kernelRefused: true)
    case NSLAB_STEP_VERIFY_JOIN:
        guard failure.error == 0, let joined else {
            return SystemCallError("fstat(\(joined?.path ?? "?"))", errno: failure.error, kernelRefused: true)
        }
        let link = "/proc/self/ns/\(joined.namespace.rawValue)"
        return SystemCallError(setns, errno: 0, detail: labText.joinedAnother("\(joined.namespace.rawValue):[\(joined.inode)]",
                                                                             "\(joined.namespace.rawValue):[\(failure.inode)]", link),
                               kernelRefused: true)
    case NSLAB_STEP_UNSHARE:
        let created = Set(Namespace.allCases.filter { Int32(failure.index) & $0.cloneFlag != 0 })
        return SystemCallError("unshare(\(Namespace.flagNames(created)))", errno: failure.error, kernelRefused: true)
    case NSLAB_STEP_VERIFY:
        let namespace = Namespace.allCases.first { $0.cloneFlag == failure.index }
        let link = namespace.map { $0 == .time ? "time_for_children" : $0.rawValue } ?? "?"
        let flag = namespace?.flagName ?? "?"
        let made = namespace == .pid ? "clone(\(flag))" : "unshare(\(flag))"
        if failure.error != 0 { return SystemCallError("stat(/proc/self/ns/\(link))", errno: failure.error) }
        let effect = namespace == .pid ? labText.notPid1 : labText.linkUnchanged("/proc/self/ns/\(link)")
        return SystemCallError(made, errno: 0, detail: labText.pretended(effect), kernelRefused: true)
    case NSLAB_STEP_REFUSED:
        let operation = index < spec.operations.count ? spec.operations[index].description : "operation \(index)"
        return SystemCallError(operation, errno: 0, detail: labText.operationRefused)
    case NSLAB_STEP_OPERATION:
        return SystemCallError(index < spec.operations.count ? spec.operations[index].description : "operation \(index)",
                               errno: failure.error)
    case NSLAB_STEP_DUP2: return SystemCallError("dup2(\(index))", errno: failure.error)
    case NSLAB_STEP_EXECVE: return SystemCallError("execveat(fd of \(path), \"\", AT_EMPTY_PATH)", errno: failure.error)
    case NSLAB_STEP_CGROUP:
        return SystemCallError("write \(index < spec.cgroups.count ? spec.cgroups[index] + "/" : "")cgroup.procs \"0\"", errno: failure.error)
    default:
        let call = failure.error == ETIMEDOUT ? "wait for the child, \(spawnTimeoutMilliseconds / 1000) s" : "sync with the child"
        return SystemCallError(call, errno: failure.error)
    }
}

/// The absolute path of `program`: itself when it has a slash, else found on PATH.
public func resolveExecutable(_ program: String) -> String? {
    if program.contains("/") { return program }
    return searchedDirectories.lazy.map { "\($0)/\(program)" }.first { access($0, X_OK) == 0 }
}

/// Where a program named without a slash is looked for: the PATH every spawned program gets.
private let searchedDirectories = ProcessSpec.defaultEnvironment[0].dropFirst("PATH=".count).split(separator: ":").map(String.init)

/// Whether the program `name` (no slash) is in one of the directories resolveExecutable
/// searches, asked of the likeliest first: each miss costs a path walk, and any will do.
public func isInstalled(_ name: String) -> Bool {
    likeliestFirst.contains { access("\($0)/\(name)", X_OK) == 0 }
}

/// The searched directories, those that hold most commands first.
private let likeliestFirst: [String] = {
    let likeliest = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]
    return likeliest.filter(searchedDirectories.contains) + searchedDirectories.filter { !likeliest.contains($0) }
}()

/// C strings that live as long as this object.
final class CStrings {
    private var owned: [UnsafeMutablePointer<CChar>] = []
    private var arrays: [UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>] = []

    func optional(_ string: String?) -> UnsafePointer<CChar>? {
        guard let string, let copy = strdup(string) else { return nil }
        owned.append(copy)
        return UnsafePointer(copy)
    }

    func array(_ strings: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
        for (i, string) in strings.enumerated() {
            let copy = strdup(string)!
            owned.append(copy)
            array[i] = copy
        }
        array[strings.count] = nil
        arrays.append(array)
        return UnsafePointer(array)
    }

    deinit {
        owned.forEach { free($0) }
        arrays.forEach { $0.deallocate() }
    }
}
