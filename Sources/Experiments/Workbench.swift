import CShim
import FoundationEssentials
import Glibc

/// The run's workbench: a tmpfs on /mnt that the runner mounts in its sandbox's own mount
/// namespace, where experiments keep the directories and files their steps mount and pivot
/// into. No other mount namespace shows it, so nothing made there reaches a disk of the
/// host, and it goes with the sandbox. Demo hosts and new mount namespaces get a copy of the
/// mount; the files are the same.
public enum Workbench {
    public static let path = "/mnt"
    /// The tmpfs's source, as mountinfo shows it.
    static let source = "nslab-workbench"

    /// What an experiment finds there before its first step, relative to /mnt.
    public enum Entry: Sendable, Equatable {
        case directory(String)
        /// A file with this text, owner and mode; its directories are made too.
        case file(String, text: String, owner: UInt32 = 0, mode: UInt32 = 0o644)
        /// The busybox root of fixtures/rootfs/make-rootfs.sh, made the same way by the runner.
        case busyboxRoot(String)
    }

    /// Mounts the workbench, once, and makes `entries` there. Only in the runner's sandbox:
    /// its mount namespace is one the runner made (Sandbox.isInside compares it by inode with
    /// the one the supervisor runs in).
    public static func prepare(_ entries: [Entry]) throws {
        guard !entries.isEmpty else { return }
        if !isMounted() {
            guard Sandbox.isInside else {
                throw LabError(labText.workbenchOnHost)
            }
            try check("mount(\"\(source)\", \"\(path)\", \"tmpfs\", MS_NOSUID|MS_NODEV, \"mode=0755\")") {
                mount(source, path, "tmpfs", UInt(MS_NOSUID | MS_NODEV), "mode=0755")
            }
        }
        for entry in entries {
            switch entry {
            case .directory(let name): try makeDirectories("\(path)/\(name)")
            case .file(let name, let text, let owner, let mode):
                let file = "\(path)/\(name)"
                try makeDirectories(String(file[..<file.lastIndex(of: "/")!]))
                try write(text, to: file)
                try check("chown(\(file), \(owner), \(owner))") { chown(file, owner, owner) }
                try check("chmod(\(file), 0\(String(mode, radix: 8)))") { chmod(file, mode) }
            case .busyboxRoot(let name): try makeBusyboxRoot("\(path)/\(name)")
            }
        }
    }

    /// Whether something is mounted at `path` in this mount namespace.
    static func isMountPoint(_ path: String) -> Bool { MountinfoLine.ofThisProcess().contains { $0.target == path } }

    /// Whether /mnt is already the workbench (a second experiment of the same run).
    static func isMounted() -> Bool {
        MountinfoLine.ofThisProcess().contains { $0.target == path && $0.fstype == "tmpfs" && $0.source == source }
    }

    /// Directories down to `directory`; `made` is told each one this call made (not one that
    /// was there).
    static func makeDirectories(_ directory: String, made: (String) throws -> Void = { _ in }) throws {
        var built = ""
        for part in directory.split(separator: "/") {
            built += "/\(part)"
            if mkdir(built, 0o755) == 0 {
                try made(built)
            } else if errno != EEXIST {
                throw SystemCallError("mkdir(\(built))", errno: errno)
            }
        }
    }

    static func write(_ text: String, to file: String) throws {
        let fd = try check("open(\(file), O_WRONLY|O_CREAT|O_TRUNC)") { open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        if bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) != bytes.count {
            throw SystemCallError("write(\(file))", errno: errno)
        }
    }

    /// The busybox the root is built from, when it is a static program (Debian's
    /// busybox-static): a dynamic one cannot run in a root without its libraries.
    public static var staticBusybox: String? {
        ["/bin/busybox", "/usr/bin/busybox"].first { access($0, X_OK) == 0 && isStaticProgram($0) }
    }

    /// Whether the ELF file at `path` has no program interpreter (PT_INTERP): it needs no
    /// dynamic loader, so it runs in an empty root.
    static func isStaticProgram(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 64)
        guard pread(fd, &header, 64, 0) == 64, header[0...3] == [0x7f, 0x45, 0x4c, 0x46], header[4] == 2 else {
            return false  // not a 64-bit ELF file
        }
        func number(_ bytes: ArraySlice<UInt8>) -> Int { bytes.reversed().reduce(0) { $0 << 8 | Int($1) } }
        let tableOffset = number(header[32..<40]), entrySize = number(header[54..<56]), count = number(header[56..<58])
        guard entrySize >= 4, count < 256 else { return false }
        var table = [UInt8](repeating: 0, count: entrySize * count)
        guard pread(fd, &table, table.count, off_t(tableOffset)) == table.count else { return false }
        let interpreterType = 3  // PT_INTERP
        return !(0..<count).contains { number(table[$0 * entrySize..<$0 * entrySize + 4]) == interpreterType }
    }

    /// The applets of a busybox (`busybox --list`), asked once per process: a grader makes a
    /// root for every pivot-root exercise.
    nonisolated(unsafe) private static var appletLists: [String: [String]] = [:]

    static func applets(of busybox: String) throws -> [String] {
        if let known = appletLists[busybox] { return known }
        let list = try spawn(ProcessSpec([busybox, "--list"]), command: "busybox --list")
        guard try list.finish(timeout: 10) == .exited(0) else { throw LabError(labText.busyboxListFailed) }
        let applets = list.lines.filter { !$0.isEmpty && $0 != "busybox" && !$0.contains("/") }
        appletLists[busybox] = applets
        return applets
    }

    /// The busybox root of fixtures/rootfs/make-rootfs.sh, made the same way but in this
    /// process (the script's `ln -s` per applet is 400 processes): bin/busybox and a link per
    /// applet, the empty mount points, etc/passwd. A root already there is kept.
    static func makeBusyboxRoot(_ root: String) throws {
        guard access(root, F_OK) != 0 else { return }
        guard let busybox = staticBusybox else {
            throw LabError(labText.noStaticBusybox)
        }
        for directory in ["bin", "proc", "dev", "sys", "tmp", "etc"] { try makeDirectories("\(root)/\(directory)") }
        _ = chmod("\(root)/tmp", 0o1777)
        try copyFile(from: busybox, to: "\(root)/bin/busybox", mode: 0o755)
        for applet in try applets(of: busybox) {
            try check("symlink(busybox, \(root)/bin/\(applet))") { symlink("busybox", "\(root)/bin/\(applet)") }
        }
        try write("root:x:0:0:root:/:/bin/sh\n", to: "\(root)/etc/passwd")
    }
}
