import Glibc

let subordinateText = SubordinateText()

/// The user's subordinate ids (/etc/subuid and /etc/subgid, subuid(5)), as rootless Podman
/// uses them: a sandbox without real root maps the user's own uid and gid to 0 and the ranges
/// to 1 and up, through the setuid helpers newuidmap(1) and newgidmap(1), so that it has the
/// 65,536 ids a grading sandbox maps for its program.
public struct SubordinateIDs: Sendable, Equatable {
    public let uid: UInt32, uidStart: UInt32, uidCount: UInt32
    public let gid: UInt32, gidStart: UInt32, gidCount: UInt32

    /// Ids a grading sandbox needs, besides 0: one checkout's.
    public static let needed: UInt32 = 65_536

    /// How many ids there are of both kinds.
    public var count: UInt32 { min(uidCount, gidCount) }

    /// How many checkouts can be graded with these ids (65,536 each).
    public var checkouts: Int { Int(count / SubordinateIDs.needed) }

    /// This user's, or why there are none to use: the helpers missing (exit 3 says what to
    /// install), or no range of 65,536 in either file (it says what to run).
    public static func ofThisUser() -> Result<SubordinateIDs, Refusal> {
        let name = getpwuid(geteuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "\(geteuid())"
        for helper in ["newuidmap", "newgidmap"] where !isInstalled(helper) {
            return .failure(Refusal(message: subordinateText.helperMissing(helper)))
        }
        func range(_ file: String, _ id: UInt32) -> (UInt32, UInt32)? {
            // "name:start:count" or "uid:start:count"; the first line of this user's, as newuidmap reads them.
            for line in (readTextFile(file) ?? "").split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                guard fields.count == 3, fields[0] == name || fields[0] == "\(id)",
                      let start = UInt32(fields[1]), let count = UInt32(fields[2]), count >= needed else { continue }
                return (start, count)
            }
            return nil
        }
        guard let uids = range("/etc/subuid", geteuid()), let gids = range("/etc/subgid", getegid()) else {
            return .failure(Refusal(message: subordinateText.noRange(name)))
        }
        return .success(SubordinateIDs(uid: geteuid(), uidStart: uids.0, uidCount: uids.1,
                                       gid: getegid(), gidStart: gids.0, gidCount: gids.1))
    }

    /// Why the subordinate ids cannot be used.
    public struct Refusal: Error, Sendable {
        public let message: Message
    }

    /// Maps the user namespace of `pid`, a child stopped at its sync point: 0 is the user,
    /// 1 and up the subordinate range.
    func write(pid: pid_t) throws {
        for (helper, own, start, count) in [("newuidmap", uid, uidStart, uidCount), ("newgidmap", gid, gidStart, gidCount)] {
            let arguments = [helper, "\(pid)", "0", "\(own)", "1", "1", "\(start)", "\(count)"]
            // A helper that refuses (not setuid, a range it does not grant) is this host's
            // refusal, as the kernel's would be: exit 3, with what it said.
            _ = try runTool(arguments) {
                SystemCallError(arguments.joined(separator: " "), errno: EPERM, detail: subordinateText.helperFailed(helper, $0),
                                kernelRefused: true)
            }
        }
    }
}

final class SubordinateText: MessageTable {
    let helperMissing = Template("grading without root maps your subordinate ids with newuidmap and newgidmap, and {0} is missing: apt-get install uidmap", zh: "不用 root 评分时，要用 newuidmap 和 newgidmap 映射你的从属 id，而 {0} 不存在：apt-get install uidmap")
    let noRange = Template("grading without root needs 65536 subordinate ids for {0} in /etc/subuid and /etc/subgid: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {0}", zh: "不用 root 评分时，/etc/subuid 和 /etc/subgid 里要给 {0} 留 65536 个从属 id：sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {0}")
    let helperFailed = Template("{0} failed: {1}", zh: "{0} 失败：{1}")
}
