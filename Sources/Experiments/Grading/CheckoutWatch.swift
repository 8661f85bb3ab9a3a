import Glibc

/// Waits for a change in a checkout (`runner grade --watch`): a file written, made, moved or
/// removed anywhere below it, through inotify(7). Its `.git` folder is left out: git writes
/// there when it only reads.
public final class CheckoutWatch {
    private let fd: Int32
    private let root: String
    private static let events = UInt32(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB)

    public init(_ root: String) throws(SystemCallError) {
        self.root = root
        fd = try check("inotify_init1(IN_CLOEXEC)") { inotify_init1(Int32(IN_CLOEXEC)) }
        try watchFolders()
    }

    deinit { close(fd) }

    /// Waits until something changed (unbounded: a student's edit takes what it takes), takes
    /// every event queued then (one save by an editor is several), and watches the folders
    /// made since.
    public func waitForChange() throws(SystemCallError) {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, -1) < 0 && errno == EINTR {}
        var buffer = [UInt8](repeating: 0, count: 65536)
        while poll(&poller, 1, 0) > 0 {
            if buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) < 0 && errno != EINTR {
                throw SystemCallError("read(inotify)", errno: errno)
            }
        }
        try watchFolders()
    }

    /// The root and every folder below it (not through symbolic links), watched; a folder
    /// already watched keeps its watch.
    private func watchFolders() throws(SystemCallError) {
        var folders = [root]
        while let folder = folders.popLast() {
            if inotify_add_watch(fd, folder, Self.events) < 0 {
                if folder == root { throw SystemCallError("inotify_add_watch(\(folder))", errno: errno) }
                continue  // gone again, or not ours to read
            }
            folders += subdirectories(folder).filter { $0 != ".git" }.map { "\(folder)/\($0)" }
        }
    }
}
