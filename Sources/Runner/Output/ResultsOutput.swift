import Experiments
// `stdout` is a C global; reading it is safe here: the runner writes its output from one thread.
@preconcurrency import Glibc

/// Where results go that the user named on the command line (`--junit FILE`, later the
/// grader's `--json FILE` and `--csv FILE`), and the one way to write them there.
///
/// - `-` is standard output.
/// - An existing regular file (also through symlinks: the target is replaced, the links stay)
///   is replaced atomically: a temporary file beside the target, fsync, rename. On any failure
///   the temporary file goes and the old file stays as it was; its permission bits are kept.
/// - Anything else that exists (a character device such as /dev/null or /dev/full, a FIFO,
///   /dev/stdout) is opened for writing and written in place: never renamed over or unlinked.
/// - A path that does not exist is created, 0644 less the umask.
///
/// `validate()` runs before any experiment (a path that cannot be written is bad usage, exit
/// 2); `write(_:)` runs after (a failure there is exit 4: the results were not delivered).
struct ResultDestination: Sendable {
    /// The path as given: "-" for standard output.
    let path: String
    /// The option that named it, for messages: "--junit".
    let option: String
    /// A folder the results go into as files (`--svg`): there and writable, or made in a
    /// writable folder (`makeFolder`).
    let isFolder: Bool

    /// A destination not checked yet: `validate()` checks it.
    init(path: String, option: String, isFolder: Bool = false) {
        self.path = path
        self.option = option
        self.isFolder = isFolder
    }

    /// A destination that can be written now, or a `ResultOutputError` saying why not.
    init(validating path: String, option: String) throws(ResultOutputError) {
        self.init(path: path, option: option)
        try validate()
    }

    /// Checks, without writing or opening anything (opening a FIFO would block), that the
    /// results can be written here.
    func validate() throws(ResultOutputError) {
        do throws(Failure) {
            if isFolder {
                // There already, or to be made in its parent.
                try checkWritableDirectory(access(path, F_OK) == 0 ? path : directoryName(path))
                return
            }
            switch try resolve() {
            case .standardOutput, .openDescriptor:
                return
            case .inPlace:
                if access(path, W_OK) != 0 { throw Failure(errno) }
            case .replace(let target, _):
                try checkWritableDirectory(directoryName(target))
            }
        } catch {
            throw ResultOutputError(stage: .validation, message: runnerText.cannotWriteResults(option, path, error.reason))
        }
    }

    /// That `directory` is one, and writable.
    private func checkWritableDirectory(_ directory: String) throws(Failure) {
        var status = stat()
        if stat(directory, &status) != 0 { throw Failure(errno, about: directory) }
        if status.st_mode & S_IFMT != S_IFDIR { throw Failure(ENOTDIR, about: directory) }
        if access(directory, W_OK) != 0 { throw Failure(errno, about: directory) }
    }

    /// Writes `text` completely, or throws a `ResultOutputError` naming the path and errno;
    /// a file that was there before is then unchanged.
    func write(_ text: String) throws(ResultOutputError) {
        let bytes = Array(text.utf8)
        var replacing: String?
        do throws(Failure) {
            switch try resolve() {
            case .standardOutput:
                try StandardOutput.write(bytes)
            case .openDescriptor(let fd):
                try writeAll(fd, bytes)
            case .inPlace:
                try writeInPlace(bytes)
            case .replace(let target, let existing):
                if existing != nil { replacing = path }
                try replace(target, existing: existing, with: bytes)
            }
        } catch {
            if path == "-" || error.isStandardOutput {
                StandardOutput.lossReported = true
                throw ResultOutputError(stage: .delivery, message: StandardOutput.lossMessage(error.errno))
            }
            let reason = replacing.map { runnerText.fileUnchanged(error.reason, $0) } ?? error.reason
            throw ResultOutputError(stage: .delivery, message: runnerText.couldNotWriteTo(option, path, reason))
        }
    }

    /// Makes the folder, unless it is there.
    func makeFolder() throws(ResultOutputError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw ResultOutputError(stage: .delivery, message: runnerText.cannotWriteResults(option, path, errnoName(errno)))
        }
    }

    // MARK: - What the path is

    private enum Resolved {
        /// "-", or a path to the file standard output already writes to (/dev/stdout): written
        /// through stdio's stdout, after what the runner printed.
        case standardOutput
        /// A path to what standard error writes to: written with write(2) on fd 2.
        case openDescriptor(Int32)
        /// Something to open and write in place: a device, a FIFO.
        case inPlace
        /// A regular file, or a new one: `target` is the real path behind any symlinks.
        case replace(target: String, existing: stat?)
    }

    private func resolve() throws(Failure) -> Resolved {
        if path == "-" { return .standardOutput }
        if path.isEmpty { throw Failure(ENOENT) }
        var status = stat()
        guard stat(path, &status) == 0 else {
            guard errno == ENOENT else { throw Failure(errno) }
            return .replace(target: try missingTarget(path), existing: nil)
        }
        if status.st_mode & S_IFMT == S_IFDIR { throw Failure(EISDIR) }
        if isOpen(STDOUT_FILENO, sameAs: status) { return .standardOutput }
        if isOpen(STDERR_FILENO, sameAs: status) { return .openDescriptor(STDERR_FILENO) }
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            guard let real = realpath(path, nil) else { throw Failure(errno) }
            defer { free(real) }
            return .replace(target: String(cString: real), existing: status)
        case S_IFSOCK:
            throw Failure(ENXIO, detail: runnerText.socket)
        default:
            return .inPlace
        }
    }

    /// The real path a new file at `path` gets: dangling symlinks followed to their end, the
    /// directory resolved with realpath(3).
    private func missingTarget(_ path: String) throws(Failure) -> String {
        var current = path
        for _ in 0..<40 {  // the kernel's MAXSYMLINKS
            if current.hasSuffix("/") { throw Failure(EISDIR) }
            var status = stat()
            if lstat(current, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK {
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let length = readlink(current, &buffer, buffer.count - 1)
                guard length >= 0 else { throw Failure(errno) }
                let link = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                current = link.hasPrefix("/") ? link : "\(directoryName(current))/\(link)"
                continue
            }
            let directory = directoryName(current)
            guard let real = realpath(directory, nil) else { throw Failure(errno, about: directory) }
            defer { free(real) }
            let resolved = String(cString: real)
            return (resolved == "/" ? "" : resolved) + "/" + baseName(current)
        }
        throw Failure(ELOOP)
    }

    // MARK: - Writing

    /// Opens an existing non-regular file for writing, without O_CREAT or O_TRUNC.
    private func writeInPlace(_ bytes: [UInt8]) throws(Failure) {
        var fd: Int32
        repeat { fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw Failure(errno) }
        do throws(Failure) {
            try writeAll(fd, bytes)
        } catch {
            close(fd)
            throw error
        }
        if close(fd) != 0 && errno != EINTR { throw Failure(errno) }
    }

    /// Writes a temporary file in the target's directory, syncs it and renames it over the
    /// target; on any failure removes the temporary file and leaves the target alone.
    private func replace(_ target: String, existing: stat?, with bytes: [UInt8]) throws(Failure) {
        let directory = directoryName(target)
        let (fd, temporary) = try createTemporary(beside: target, mode: existing == nil ? 0o644 : 0o600)
        do throws(Failure) {
            if let existing {
                if geteuid() == 0 && (existing.st_uid != getuid() || existing.st_gid != getgid()) {
                    _ = fchown(fd, existing.st_uid, existing.st_gid)  // best effort: keep the owner
                }
                if fchmod(fd, existing.st_mode & 0o7777) != 0 { throw Failure(errno) }
            }
            try writeAll(fd, bytes)
            if fsync(fd) != 0 { throw Failure(errno) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        if close(fd) != 0 && errno != EINTR {
            let error = Failure(errno)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, target) == 0 else {
            let error = Failure(errno)
            unlink(temporary)
            throw error
        }
        // The rename itself lasts once the directory is synced; a failure here loses nothing.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// A new file `.NAME.runner-PID-N` beside `target`, created exclusively.
    private func createTemporary(beside target: String, mode: mode_t) throws(Failure) -> (Int32, String) {
        let directory = directoryName(target)
        for attempt in 0..<100 {
            let candidate = "\(directory == "/" ? "" : directory)/.\(baseName(target)).runner-\(getpid())-\(attempt)"
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, mode)
            if fd >= 0 { return (fd, candidate) }
            if errno == EEXIST || errno == EINTR { continue }
            throw Failure(errno, about: directory)
        }
        throw Failure(EEXIST, about: directory)
    }

    private func isOpen(_ fd: Int32, sameAs status: stat) -> Bool {
        var open = stat()
        return fstat(fd, &open) == 0 && open.st_dev == status.st_dev && open.st_ino == status.st_ino
    }
}

/// Commands that write results to files named on the command line; `RunnerCommand.main`
/// validates each destination before the command runs.
protocol WritesResults {
    var resultDestinations: [ResultDestination] { get }
}

extension RunCommand: WritesResults {
    var resultDestinations: [ResultDestination] {
        [(junit, "--junit"), (handout, "--handout")].compactMap { path, option in
            path.map { ResultDestination(path: $0, option: option) }
        } + (svg.map { [ResultDestination(path: $0, option: "--svg", isFolder: true)] } ?? [])
            + (handout.flatMap(Handout.picturesFolder).map { [ResultDestination(path: $0, option: "--handout", isFolder: true)] } ?? [])
    }
}

/// Results that could not be written: before the run (validation) that is bad usage, exit 2;
/// after it (delivery) the runner is broken, exit 4.
struct ResultOutputError: Error, CustomStringConvertible {
    enum Stage: Sendable { case validation, delivery }
    let stage: Stage
    /// One line, without the "runner: " prefix.
    let message: Message

    var description: String { message.english }
    var exitCode: Int32 { stage == .validation ? Exit.usage.rawValue : Exit.broken.rawValue }
}

/// A failed system call: its errno, and what it concerned when that was not the path itself.
private struct Failure: Error {
    let errno: Int32
    var about: String?
    var detail: Message?
    var isStandardOutput = false

    init(_ errno: Int32, about: String? = nil, detail: Message? = nil) {
        self.errno = errno
        self.about = about
        self.detail = detail
    }

    /// "directory /x: No such file or directory (ENOENT)": the C library's words for the
    /// errno, as it gives them.
    var reason: Message {
        let text = words.withNote(detail ?? .verbatim(String(cString: strerror(errno))), errnoName(errno))
        return about.map { runnerText.inDirectory($0, text) } ?? text
    }
}

/// Writes every byte, going on after partial writes and EINTR; a write that makes no
/// progress without an errno is EIO.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(Failure) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 {
            if errno == EINTR { continue }
            throw Failure(errno)
        }
        if written == 0 { throw Failure(EIO) }
        offset += written
    }
}

private func directoryName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let directory = String(path[..<slash])
    return directory.isEmpty ? "/" : directory
}

/// The last part of `path`: its file's or folder's own name.
func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

// MARK: - Standard output

/// Standard output carries the results: the runner refuses to start with it closed, and
/// fails (exit 4) when what it printed did not arrive.
enum StandardOutput {
    /// Set when a failure to write standard output was already reported on stderr.
    nonisolated(unsafe) static var lossReported = false

    /// Exits 2 at once if fd 1 is closed: results would be lost, and the next file or pipe
    /// the runner opened would become fd 1 and receive them. Call first in `main`.
    static func requireOpen(_ language: Language) {
        guard fcntl(STDOUT_FILENO, F_GETFD) == -1 && errno == EBADF else { return }
        printError(runnerText.stdoutClosed, language)
        Glibc.exit(Exit.usage.rawValue)
    }

    /// Flushes stdout; if anything printed was lost, says so in one line and returns the exit
    /// code to use instead: 4 where the command would have exited 0 or 1 (lost output must
    /// never look like success, nor like a mere failed check), `exitCode` otherwise.
    static func finish(exitCode: Int32, _ language: Language) -> Int32 {
        let flushed = fflush(stdout) == 0
        let flushErrno = errno
        guard !flushed || ferror(stdout) != 0 else { return exitCode }
        if !lossReported {
            lossReported = true
            printError(lossMessage(flushed ? lostOutputErrno() : flushErrno), language)
        }
        return exitCode == 0 || exitCode == 1 ? Exit.broken.rawValue : exitCode
    }

    static func lossMessage(_ errno: Int32) -> Message { runnerText.couldNotWriteStdout(errnoName(errno)) }

    /// Writes through stdio's stdout (after what was printed) and flushes at once, so that
    /// the errno of a failure is the real one.
    fileprivate static func write(_ bytes: [UInt8]) throws(Failure) {
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, stdout) }
        let writeErrno = errno
        var failure: Failure?
        if written != bytes.count {
            failure = Failure(writeErrno)
        } else if fflush(stdout) != 0 {
            failure = Failure(errno)
        } else if ferror(stdout) != 0 {
            failure = Failure(lostOutputErrno())
        }
        if var failure {
            failure.isStandardOutput = true
            throw failure
        }
    }

    /// Why output to fd 1 was lost, when stdio no longer knows: glibc drops the errno of a
    /// failed flush (a later fflush succeeds with nothing to write), and other calls reuse
    /// errno meanwhile. Asks fd 1 again without writing a byte.
    private static func lostOutputErrno() -> Int32 {
        let flags = fcntl(STDOUT_FILENO, F_GETFL)
        if flags == -1 { return errno }
        if flags & O_ACCMODE == O_RDONLY { return EBADF }
        var status = stat()
        guard fstat(STDOUT_FILENO, &status) == 0 else { return errno }
        switch status.st_mode & S_IFMT {
        case S_IFIFO, S_IFSOCK:
            // The write end of a pipe whose reader is gone polls as an error.
            var poller = pollfd(fd: STDOUT_FILENO, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, 0) == 1 && poller.revents & Int16(POLLERR | POLLHUP) != 0 { return EPIPE }
        case S_IFCHR:
            // /dev/full refuses even an empty write, with ENOSPC.
            if Glibc.write(STDOUT_FILENO, "", 0) == -1 { return errno }
        case S_IFREG:
            var filesystem = statvfs()
            if fstatvfs(STDOUT_FILENO, &filesystem) == 0 {
                let free = geteuid() == 0 ? filesystem.f_bfree : filesystem.f_bavail
                if free == 0 { return ENOSPC }
            }
        default:
            break
        }
        return EIO
    }
}
