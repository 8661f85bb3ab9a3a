import Glibc

/// The contents of a file, or nil if it cannot be read. For the kernel's small text files.
public func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// What the real host shows of the state experiments must never change, read from the
/// kernel by the runner itself: names, SysV IPC objects, mounts and network devices.
public struct HostState: Equatable, Sendable {
    public let hostname: String
    public let domainname: String
    public let sysvipc: [String]
    public let mounts: [String]
    public let links: [String]

    public static func read() -> HostState {
        // These files show the UTS namespace of the reader: the runner's, the real host's.
        func name(_ file: String) -> String {
            (readTextFile("/proc/sys/kernel/\(file)") ?? "").split(separator: "\n").first.map(String.init) ?? ""
        }
        return HostState(
            hostname: name("hostname"),
            domainname: name("domainname"),
            sysvipc: ["msg", "shm", "sem"].flatMap { kind in
                // Skip the header; key and id identify an object.
                (readTextFile("/proc/sysvipc/\(kind)") ?? "").split(separator: "\n").dropFirst().map {
                    "\(kind) " + $0.split(separator: " ").prefix(2).joined(separator: " ")
                }
            },
            mounts: (readTextFile("/proc/self/mountinfo") ?? "").split(separator: "\n").map {
                // Mount point, propagation, filesystem and source; ids may be reused.
                let fields = $0.split(separator: " ")
                return fields.count > 4 ? fields[4...].joined(separator: " ") : String($0)
            }.sorted(),
            links: (readTextFile("/proc/net/dev") ?? "").split(separator: "\n").dropFirst(2).compactMap {
                $0.split(separator: ":").first.map { $0.trimmingWhitespace }
            }.sorted()
        )
    }

    /// One line per difference between `self` (before) and `after`; empty when identical.
    public func differences(to after: HostState) -> [String] {
        var lines: [String] = []
        if hostname != after.hostname { lines.append("hostname \(hostname) → \(after.hostname)") }
        if domainname != after.domainname { lines.append("domainname \(domainname) → \(after.domainname)") }
        func compare(_ name: String, _ old: [String], _ new: [String]) {
            let added = new.filter { !old.contains($0) }, removed = old.filter { !new.contains($0) }
            if !added.isEmpty { lines.append("\(name) added: \(added.joined(separator: ", "))") }
            if !removed.isEmpty { lines.append("\(name) removed: \(removed.joined(separator: ", "))") }
        }
        compare("SysV IPC", sysvipc, after.sysvipc)
        compare("mounts", mounts, after.mounts)
        compare("network devices", links, after.links)
        return lines
    }
}

extension Substring {
    var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
