import FoundationEssentials
import Glibc

/// The marker in front of each line nsprobe prints.
public let probeMarker = "@@NSPROBE@@ "

/// What nsprobe reports about the namespace world it runs in (its "report" event).
public struct ProbeReport: Codable, Sendable, Equatable {
    public struct IPCObject: Codable, Sendable, Equatable {
        public let key: Int
        public let id: Int
    }
    public struct SysVIPC: Codable, Sendable, Equatable {
        public let msg: [IPCObject]
        public let shm: [IPCObject]
        public let sem: [IPCObject]
    }
    public struct MountEntry: Codable, Sendable, Equatable {
        public let id: Int
        public let parent: Int
        public let root: String
        public let target: String
        public let fstype: String
        public let source: String
        public let propagation: String
    }
    public struct Interface: Codable, Sendable, Equatable {
        public let name: String
        public let up: Bool
        public let addresses: [String]
    }
    public struct ReportError: Codable, Sendable, Equatable {
        public let what: String
        public let error: String
    }

    public let pid: Int
    public let ppid: Int
    public let uid: Int
    public let gid: Int
    public let nspid: [Int]
    public let capEff: String
    public let ns: [String: UInt64]
    public let hostname: String?
    public let domainname: String?
    public let sysvipc: SysVIPC
    public let pids: [Int]
    public let fds: [Int]
    public let rootEntries: [String]
    public let mounts: [MountEntry]
    public let uidMap: String?
    public let gidMap: String?
    public let setgroups: String?
    public let cgroup: String?
    public let interfaces: [Interface]
    public let monotonic: Double
    public let boottime: Double
    public let errors: [ReportError]
    public let truncated: Bool?

    /// The inode of /proc/self/ns/<namespace>, as stat(2) shows it.
    public func inode(_ namespace: Namespace) -> UInt64? { ns[namespace.rawValue] }

    /// `uts:[4026531838]`, as readlink(1) prints the namespace link.
    public func link(_ namespace: Namespace) -> String {
        inode(namespace).map { "\(namespace.rawValue):[\($0)]" } ?? "\(namespace.rawValue): (missing)"
    }
}

/// Any other line the probe prints: the result of one action. Fields not used by an action
/// are nil.
public struct ProbeEvent: Codable, Sendable {
    public let event: String
    public let pid: Int
    public let errno: Int?
    public let error: String?
    // make-ipc
    public let kind: String?
    public let key: Int?
    public let id: Int?
    // hold
    public let how: String?
    // orphan
    public let orphan: Int?
    public let parentBefore: Int?
    public let parentAfter: Int?
    public let reapedByMe: Bool?
    // kill-init
    public let signal: Int?
    public let sent: Bool?
    public let refused: String?
    public let initAliveAfter: Bool?
    // spawn
    public let children: [Int]?
    // fork, zombie
    public let child: Int?
    public let exitStatus: Int?
    public let stateBeforeReaping: String?
    public let stateAfterReaping: String?
    // setns, write
    public let path: String?

    public var failed: Bool { (errno ?? 0) != 0 }
}

/// Everything a probe printed: its reports, its action events, and any other lines.
public struct ProbeOutput: Sendable {
    public private(set) var reports: [ProbeReport] = []
    public private(set) var events: [ProbeEvent] = []
    public private(set) var otherLines: [String] = []

    public init(lines: [String]) {
        for line in lines { append(line) }
    }

    public mutating func append(_ line: String) {
        guard let json = ProbeOutput.payload(of: line) else {
            otherLines.append(line)
            return
        }
        let data = Data(json.utf8)
        guard let event = try? ProbeOutput.decoder.decode(ProbeEvent.self, from: data) else {
            otherLines.append(line)
            return
        }
        if event.event == "report", let report = try? ProbeOutput.decoder.decode(ProbeReport.self, from: data) {
            reports.append(report)
        }
        events.append(event)
    }

    /// The first report, or a LabError that says what the probe printed instead.
    public func report(_ index: Int = 0) throws -> ProbeReport {
        guard index < reports.count else {
            let seen = otherLines.suffix(3).joined(separator: " | ")
            throw LabError("the probe printed no report\(seen.isEmpty ? "" : ": \(seen)")")
        }
        return reports[index]
    }

    /// The first event named `name`, or a LabError.
    public func event(_ name: String) throws -> ProbeEvent {
        guard let found = events.first(where: { $0.event == name }) else {
            throw LabError("the probe printed no \"\(name)\" event")
        }
        return found
    }

    static func payload(of line: String) -> Substring? {
        guard let range = line.firstRange(of: probeMarker) else { return nil }
        return line[range.upperBound...]
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}

/// Where the probe binary is: $NSLAB_PROBE, else where SwiftPM puts it beside the running
/// executable (the nsprobe target's resources), else right beside it (a copied install).
public func locateProbe() -> String {
    if let path = getenv("NSLAB_PROBE") { return String(cString: path) }
    let directory = executableDirectory()
    let candidates = ["\(directory)/nslab_nsprobe.resources/nsprobe", "\(directory)/nsprobe"]
    return candidates.first { access($0, X_OK) == 0 } ?? candidates[0]
}

/// The directory of /proc/self/exe.
public func executableDirectory() -> String {
    guard let path = try? executablePath(), let slash = path.lastIndex(of: "/") else { return "." }
    return String(path[..<slash])
}

extension ChildProcess {
    /// Waits until a probe holding with `hold` has printed its ready line.
    public func awaitHold(timeout: Double) throws {
        try readLine(until: { $0.hasPrefix(probeMarker) && $0.contains("\"event\":\"ready\"") }, timeout: timeout)
    }
}
