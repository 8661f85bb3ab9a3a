import Testing

@testable import Experiments

/// The helpers write expected and actual from the values, and a value that was not read (a
/// report section left out) always fails, never passes as "nothing there".
@Suite("checks: expected and actual written from the values")
struct CheckTests {
    private func result(_ errno: Int, _ error: String) throws -> ForkResult {
        try ProbeOutput(lines: [probeMarker + #"{"event":"fork","pid":9,"child":-1,"exit_status":-1,"errno":\#(errno),"error":"\#(error)"}"#])
            .result(ForkResult.self)
    }

    @Test func containsAndNotContainsShowWhatWasListed() {
        let key = { (key: Int) in "key \(ipcKeyText(key))" }
        let listed = Check.contains("queue", 0x4e53_4c42, in: [0x4e53_4c42], describe: key)
        #expect(listed.passed && listed.expected.english == "key 0x4e534c42 listed" && listed.actual.english == "key 0x4e534c42")
        let other = Check.notContains("queue", 0x4e53_4c42, in: [0x463a_fdb2], describe: key)
        #expect(other.passed && other.expected.english == "key 0x4e534c42 not listed" && other.actual.english == "key 0x463afdb2")
        #expect(!Check.notContains("queue", 1, in: [1], describe: key).passed)
        #expect(!Check.contains("queue", 1, in: [2], describe: key).passed)
        // Long lists: the element found, or the first eight.
        #expect(Check.contains("pid", 40, in: Array(1...50), describe: { "pid \($0)" }).actual.english == "pid 40 listed, and 49 more")
        #expect(Check.contains("pid", 60, in: Array(1...50), describe: String.init).actual.english == "1, 2, 3, 4, 5, 6, 7, 8, … 42 more")
    }

    @Test func aCollectionThatWasNotReadFailsEveryHelper() {
        let missing: [Int]? = nil
        for check in [Check.contains("c", 1, in: missing, describe: String.init),
                      Check.notContains("c", 1, in: missing, describe: String.init),
                      Check.isEmpty("c", missing, describe: String.init)] {
            #expect(!check.passed && check.actual.english == "not reported")
        }
        #expect(!Check.unchanged("mounts", before: missing, after: [1]).passed)
        // An expectation read from a report section that was not there.
        #expect(!Check.equal("hostname", expected: nil as String?, actual: nil).passed)
        #expect(Check.equal("hostname", expected: "vm" as String?, actual: "vm").passed)
    }

    @Test func isEmptyAndUnchangedNameWhatIsThere() {
        #expect(Check.isEmpty("queues", [] as [Int], describe: String.init).passed)
        let left = Check.isEmpty("queues", [3], describe: { "msqid \($0)" })
        #expect(!left.passed && left.expected.english == "none" && left.actual.english == "msqid 3")
        #expect(Check.unchanged("mounts", before: ["/", "/proc"], after: ["/", "/proc"]).passed)
        let changed = Check.unchanged("mounts", before: ["/", "/proc"], after: ["/", "/x"])
        #expect(!changed.passed && changed.actual.english == "+ /x; - /proc")
    }

    @Test func failsAndSucceedsShowSuccessOrTheErrnoName() throws {
        let failed = Check.fails("fork()", with: "ENOMEM", try result(12, "ENOMEM"))
        #expect(failed.passed && failed.actual.english == "ENOMEM")
        let succeeded = Check.fails("fork()", with: "ENOMEM", try result(0, ""))
        #expect(!succeeded.passed && succeeded.actual.english == "success")
        #expect(succeeded.actual.text(.zh) == "成功" && failed.actual.text(.zh) == "ENOMEM")
        #expect(!Check.succeeds("fork()", nil as ForkResult?).passed)
    }

    @Test func aResultThatIsMissingOrUnreadableIsALabErrorNamingIt() {
        let output = ProbeOutput(lines: [probeMarker + #"{"event":"orphan","pid":1}"#, "plain"])
        #expect(output.otherLines == ["plain"])
        #expect(throws: LabError.self) { try output.result(OrphanResult.self) }
        #expect((try? output.result(ZombieResult.self)) == nil)
        do {
            _ = try output.result(ZombieResult.self)
        } catch {
            #expect("\(error)" == "the probe printed no \"zombie\" line: plain")
        }
    }

    @Test func theRealHostIsComparedOnTheRunsMountsByPointOrBySource() {
        func host(_ mounts: [String]) -> HostState {
            HostState(hostname: "h", domainname: "d", sysvipc: [], mounts: mounts, links: [], cgroups: [], unreadable: [])
        }
        let footprint = Footprint(mountPoints: ["/mnt/rootfs"], mountSources: ["nslab-workbench"])
        let before = host(["/ rw - ext4 /dev/vda rw"])
        // Another process's tmpfs on /mnt is none of the run's; the workbench anywhere, or a
        // mount at one of the run's mount points, is.
        #expect(before.differences(to: host((before.mounts ?? []) + ["/mnt rw - tmpfs noise rw"]), within: footprint).isEmpty)
        #expect(before.differences(to: host((before.mounts ?? []) + ["/mnt rw - tmpfs nslab-workbench rw"]), within: footprint)
                .map(\.english) == ["mounts added: /mnt rw - tmpfs nslab-workbench rw"])
        #expect(before.differences(to: host((before.mounts ?? []) + ["/mnt/rootfs rw - tmpfs x rw"]), within: footprint).count == 1)
    }

    @Test func theRealHostIsComparedOnTheRunsOwnCgroupsByName() {
        func host(_ cgroups: [String]) -> HostState {
            HostState(hostname: "h", domainname: "d", sysvipc: [], mounts: [], links: [], cgroups: cgroups, unreadable: [])
        }
        let footprint = Footprint(cgroupNames: ["nslab-run-1"])
        let before = host([])
        // Another run's cgroup, made meanwhile, is none of this run's; this run's, or one below it, is.
        #expect(before.differences(to: host(["/sys/fs/cgroup/nslab-run-2"]), within: footprint).isEmpty)
        #expect(before.differences(to: host(["/sys/fs/cgroup/nslab-run-1", "/sys/fs/cgroup/nslab-run-1/x"]), within: footprint)
                .map(\.english) == ["cgroups added: /sys/fs/cgroup/nslab-run-1, /sys/fs/cgroup/nslab-run-1/x"])
        // Without a footprint (a test's before and after), every one counts.
        #expect(before.differences(to: host(["/sys/fs/cgroup/nslab-run-2"])).count == 1)
    }

    @Test func theRealHostIsReadOnlyWhereTheFootprintCanFindAChange() {
        // A host where every part changed as each footprint below looks for it.
        let before = HostState(hostname: "h", domainname: "d", sysvipc: [], mounts: [], links: [], cgroups: [], unreadable: [],
                               netnsNames: [])
        let after = HostState(hostname: "x", domainname: "d", sysvipc: [SysVObject(kind: "msg", key: 5, id: 1)],
                              mounts: ["/m rw - tmpfs s rw"], links: ["l"], cgroups: ["/sys/fs/cgroup/c"], unreadable: [],
                              netnsNames: ["n"])
        // The same states as a read of `parts` alone gives them.
        func read(_ state: HostState, _ parts: HostState.Parts) -> HostState {
            HostState(hostname: parts.contains(.names) ? state.hostname : nil, domainname: parts.contains(.names) ? state.domainname : nil,
                      sysvipc: parts.contains(.sysvipc) ? state.sysvipc : nil, mounts: parts.contains(.mounts) ? state.mounts : nil,
                      links: parts.contains(.links) ? state.links : nil, cgroups: parts.contains(.cgroups) ? state.cgroups : [],
                      unreadable: [], netnsNames: parts.contains(.netnsNames) ? state.netnsNames : nil)
        }
        let footprints = [Footprint(names: ["x"]), Footprint(ipcKeys: [5]), Footprint(links: ["l"]), Footprint(mountPoints: ["/m"]),
                          Footprint(mountSources: ["s"]), Footprint(cgroupNames: ["c"]), Footprint(netnsNames: ["n"]), Footprint()]
        for footprint in footprints {
            let whole = before.differences(to: after, within: footprint)
            #expect(whole.count == (footprint.parts.isEmpty ? 0 : 1), "\(footprint)")
            let parts = footprint.parts
            #expect(read(before, parts).differences(to: read(after, parts), within: footprint).map(\.english) == whole.map(\.english),
                    "\(footprint)")
        }
    }
}
