import Glibc

/// user-namespace (user_namespaces(7)). A user namespace maps ids: a process can be root, with
/// every capability, inside, and an ordinary uid outside, where those capabilities mean
/// nothing. The runner writes the maps from outside while the child waits (as runc does), then
/// the child takes its uid inside.
let userChapter = Chapter(userNamespace, exercises: [userExercise], messages: say)
private let say = UserText()

public let userNamespace = Experiment(
    id: "user-namespace",
    title: say.title,
    namespaces: [.user],
    minimumKernel: "4.9",  // /proc/sys/user/max_user_namespaces
    needsCommands: ["id", "ls"],
    // A UTS namespace that the new user namespaces do not own.
    demoHostNamespaces: [.uts],
    // User: at most two at once (a namespace and one nested in it). UTS: the sandbox's, the
    // demo host's, and the one the unprivileged probe makes.
    namespaceBudget: [.user: 2, .uts: 3],
    footprint: Footprint(names: [refusedName, rootlessName]),
    workbench: [.file("user/owned-by-200", text: "200's file\n", owner: 200, mode: 0o644),
                .file("user/root-only", text: "root's secret\n", owner: 0, mode: 0o600)],
    needsRealRoot: say.needsRealRoot,
    shellTries: ["id", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups", "grep Cap /proc/self/status"],
    shellStartsUnmapped: true,
    steps: [
        Step("no-maps", say.noMaps,
             shell: """
                 unshare --user --keep-caps sh -c 'id; cat /proc/self/uid_map
                   grep CapEff /proc/self/status; hostname \(refusedName) || echo refused'
                 """,
             syscalls: ["unshare(CLONE_NEWUSER)", "cap_get_proc()", "sethostname(\"\(refusedName)\")"]) { lab in
            // One process, before and after unshare(2): capabilities are looked at before any
            // execve(2), which would recompute them for a uid that is not 0 inside.
            let process = try lab.probe(.oldSide, [.report([.process, .hostname, .ns]), .unshare([.user]),
                                                   .report([.process, .idMaps, .ns]), .sethostname(refusedName)], then: ["id"])
            let after = try lab.probe(.oldSide, [.report([.hostname])])
            let outside = try process.probe.report(0), inside = try process.probe.report(1)
            let unshared = try? process.probe.result(UnshareResult.self), refused = try? process.probe.result(HostnameSet.self)
            return StepOutcome(
                observations: [
                    Observation(words.oldNamespace, command: "id; capabilities",
                                output: [say.uidAndCapabilities(outside.uid.map(String.init) ?? "?", outside.caps ?? "?")],
                                namespaces: ProcessNamespaces(pid: Int(process.pid), report: outside.ns ?? [:])),
                    Observation(say.sameProcessAfterUnshare,
                                command: "capabilities; hostname \(refusedName); exec id",
                                output: [say.unshareGave(unshared?.outcome ?? Message.verbatim("?")), say.capabilities(inside.caps ?? "?"),
                                         say.sethostnameGave(refusedName, refused?.outcome ?? say.notTried)]
                                    + process.output.map(Message.verbatim),
                                namespaces: ProcessNamespaces(pid: Int(process.pid), report: inside.ns ?? [:])),
                ],
                checks: [
                    .differ(say.userInodeAfterUnshare, old: outside.inode(.user), new: inside.inode(.user)),
                    .equal(say.overflowUID, expected: overflowID("uid"), actual: inside.uid),
                    .equal(say.overflowGID, expected: overflowID("gid"), actual: inside.gid),
                    .equal(say.itsUIDMap, expected: "", actual: inside.uidMap),
                    .equal(say.itsCapabilities, expected: "=ep", actual: inside.caps),
                    .fails(say.sethostnameInTheDemoHost, with: "EPERM", refused),
                    .equal(say.demoHostsHostname, expected: outside.hostname, actual: try after.report.hostname),
                ])
        },

        Step("maps", say.maps,
             shell: "unshare --user sleep 9 & sleep 1; /usr/bin/printf '0 0 1\\n100 200 1\\n' > /proc/$!/uid_map; /usr/bin/printf '0 0 1\\n100 200 1\\n' > /proc/$!/gid_map; nsenter --user --target $! setpriv --reuid=100 --regid=100 --keep-groups sh -c 'id; cat /proc/self/uid_map'; kill $!",
             syscalls: ["write(/proc/PID/setgroups, \"deny\")", "write(/proc/PID/uid_map, \"100 200 1\")",
                        "write(/proc/PID/gid_map, \"100 200 1\")", "setresgid(100, 100, 100)", "setresuid(100, 100, 100)"]) { lab in
            let (new, (outside, nested)) = try lab.probe(hundredAsTwoHundred, [.report([.process, .idMaps, .ns]), .hold()],
                                                         then: ["id"]) { holder in
                // Its map, read by the runner (in the parent user namespace) and by a process
                // in a user namespace nested in it, where that process is root (0 is its 100).
                let outside = readTextFile("/proc/\(holder.pid)/uid_map")
                // The reader joins it as 100 (an id must be mapped to make a user namespace
                // in there), then makes its own and maps itself to root.
                let reader = try lab.inside(holder, [.user]).with(operations: [.setresgid(100), .setresuid(100)])
                let nested = try lab.probe(reader, [.unshare([.user]), .mapRoot, .read(path: "/proc/\(holder.pid)/uid_map")])
                return (outside, try nested.probe.result(ReadResult.self))
            }
            let inside = try new.report
            return StepOutcome(
                observations: [
                    new.observation(words.newNamespace, command: "id; cat /proc/self/uid_map",
                                    output: (new.output + [mapLine(inside.uidMap)]).map(Message.verbatim)),
                    Observation(say.theRunnerOutside, command: "cat /proc/\(new.pid)/uid_map", printed: [mapLine(outside)]),
                    Observation(say.nestedAsRoot, command: "cat /proc/\(new.pid)/uid_map", printed: [mapLine(nested.text)]),
                ],
                checks: [
                    .equal(say.uidAndGIDInside, expected: "100 100", actual: "\(inside.uid.map(String.init) ?? "?") \(inside.gid.map(String.init) ?? "?")"),
                    .equal(say.setgroupsWrittenFirst, expected: "deny", actual: inside.setgroups.map(mapLine)),
                    .equal(say.uidMapReadInside, expected: "100 200 1", actual: inside.uidMap.map(mapLine)),
                    .equal(say.readFromTheParent, expected: "100 200 1", actual: outside.map(mapLine)),
                    .equal(say.readFromANestedNamespace, expected: "100 0 1", actual: nested.text.map(mapLine)),
                    .equal(say.capabilitiesAfterExecve, expected: "=", actual: inside.caps),
                ])
        },

        Step("map-errors", say.mapErrors,
             shell: .verbatim("""
                 unshare --user --keep-caps bash -c 'echo 0 0 1 > /proc/self/gid_map
                   echo deny > /proc/self/setgroups
                   echo 0 0 1 > /proc/self/gid_map && echo 0 0 1 > /proc/self/uid_map && id -u
                   echo 0 0 1 > /proc/self/uid_map || echo second write refused'
                 """),
             syscalls: [say.gidMapWriteBeforeDeny, .verbatim("write(/proc/self/uid_map, \"0 1000 1\")"),
                        say.uidMapWrittenTwice, .verbatim("write(/proc/PID/uid_map, \"0 0\")"), .verbatim("setresuid(5000, 5000, 5000)")]) { lab in
            // The child writes its own maps (an unprivileged writer: its capabilities are in
            // its new namespace only), then the runner writes a child's map twice, and badly.
            let selfMap = Operation.write("0 0 1", to: "/proc/self/gid_map")
            let noDeny = try expectedRefusal { try lab.run(.new([.user], [selfMap]), ["true"]) }
            let notMine = try expectedRefusal { try lab.run(.new([.user], [.write("0 1000 1", to: "/proc/self/uid_map")]), ["true"]) }
            let done = try lab.probe(.new([.user], [.denySetgroups, selfMap, .write("0 0 1", to: "/proc/self/uid_map")]),
                                     [.report([.process, .idMaps, .ns])])
            let maps = IDMaps(setgroups: nil, uidMap: "0 0 1", gidMap: "0 0 1")
            let (held, (twice, mapAfter)) = try lab.probe(.new([.user], idMaps: maps), [.report([.ns]), .hold()]) { holder in
                (try expectedRefusal { try maps.write(pid: holder.pid) }, readTextFile("/proc/\(holder.pid)/uid_map"))
            }
            let malformed = try expectedRefusal { try lab.run(.new([.user], idMaps: IDMaps(uidMap: "0 0", gidMap: "0 0 1")), ["true"]) }
            // Credentials must be mapped: a uid the map does not hold cannot be taken.
            let unmapped = try expectedRefusal {
                try lab.run(.new([.user], [.denySetgroups, selfMap, .write("0 0 1", to: "/proc/self/uid_map"), .setresuid(unmappedUID)]),
                            ["true"])
            }
            let lines: [(says: Template, error: SystemCallError?)] = [
                (say.ownGIDMapBeforeDenyGave, noDeny), (say.ownUIDMapFor1000Gave, notMine),
                (say.secondUIDMapWriteGave, twice), (say.lineWithoutCountGave, malformed),
                (say.unmappedUIDGave, unmapped),
            ]
            let report = try done.report
            return StepOutcome(
                observations: [
                    Observation(say.newNamespaces, command: "echo … > /proc/…/uid_map",
                                output: lines.map { $0.says($0.error?.message ?? words.success) }),
                    done.observation(say.theWritesInOrder, command: "echo deny > setgroups; echo 0 0 1 > gid_map, uid_map",
                                     output: [say.uidAndUIDMap(report.uid.map(String.init) ?? "?", mapLine(report.uidMap))]),
                    held.observation(say.mappedByTheRunner, command: "cat /proc/\(held.pid)/uid_map",
                                     output: [say.afterTheSecondWrite(mapLine(mapAfter))]),
                ],
                checks: [
                    .fails(say.gidMapBeforeDeny, with: "EPERM", noDeny),
                    .fails(say.uidMapOfAnotherID, with: "EPERM", notMine),
                    .equal(say.denyThenItsOwnIDs, expected: 0, actual: report.uid),
                    .equal(say.secondWriteToAMap, expected: say.nameAndValue("uid_map", "EPERM"),
                           actual: twice.map { say.nameAndValue($0.call.contains("/uid_map") ? "uid_map" : $0.call, $0.errnoName) }
                               ?? words.success),
                    .fails(say.lineWithoutCount, with: "EINVAL", malformed),
                    .fails(say.unmappedUID, with: "EINVAL", unmapped),
                ])
        },

        Step("file-access", say.fileAccess,
             shell: "unshare --user sleep 9 & sleep 1; echo '0 200 1' > /proc/$!/uid_map; echo '0 200 1' > /proc/$!/gid_map; nsenter --user --target $! sh -c 'id -u; ls -ln /etc/shadow; cat /etc/shadow > /dev/null || echo refused'; kill $!",
             syscalls: ["open(\(ownedBy200), O_WRONLY)", "open(\(rootOnly), O_WRONLY)"]) { lab in
            let tries: [ProbeAction] = [.report([.process, .ns]), .write(path: ownedBy200), .write(path: rootOnly)]
            let old = try lab.probe(.oldSide, tries)
            let hundred = try lab.probe(hundredAsTwoHundred, tries, then: ["ls", "-ln", "\(Workbench.path)/user"])
            let root = try lab.probe(.new([.user], [.setresgid(0), .setresuid(0)], idMaps: IDMaps(uidMap: "0 200 1", gidMap: "0 200 1")),
                                     tries)
            func writes(_ side: FinishedProcess) -> [WriteResult] { (try? side.probe.results(WriteResult.self)) ?? [] }
            func lines(_ side: FinishedProcess) -> [Message] {
                [say.uidAndCapabilities((try? side.report)?.uid.map(String.init) ?? "?", (try? side.report)?.caps ?? "?")]
                    + writes(side).map { say.openForWritingGave($0.path, $0.outcome) }
            }
            let rootInside = try root.report
            return StepOutcome(
                observations: [
                    old.observation(say.oldNamespaceRealRoot, command: "nsprobe write=…", output: lines(old)),
                    hundred.observation(say.hundredAsTwoHundred, command: "ls -ln; nsprobe write=…",
                                        output: hundred.output.map(Message.verbatim) + lines(hundred)),
                    root.observation(say.rootAsTwoHundred, command: "nsprobe write=…", output: lines(root)),
                ],
                checks: [
                    .succeeds(say.hundredOpensTwoHundredsFile, writes(hundred).first),
                    .fails(say.andNotRootsFile, with: "EACCES", writes(hundred).dropFirst().first),
                    .equal(say.rootInsideHasEveryCapability, expected: "=ep", actual: rootInside.caps),
                    .fails(say.yetNotRootsFile, with: "EACCES", writes(root).dropFirst().first),
                    .succeeds(say.realRootOpensIt, writes(old).dropFirst().first),
                ])
        },

        Step("unprivileged", say.unprivileged,
             shell: "setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user --map-root-user --uts sh -c 'id -u; hostname \(rootlessName); hostname'",
             syscalls: ["setresuid(65534)", "unshare(CLONE_NEWUSER|CLONE_NEWUTS)", "write(/proc/self/uid_map, \"0 65534 1\")",
                        "sethostname(\"\(rootlessName)\")"]) { lab in
            let asNobody = ProcessSpec.oldSide.with(operations: [.clearGroups, .setresgid(nobody), .setresuid(nobody)])
            let before = try lab.probe(.oldSide, [.report([.hostname, .ns])])
            let new = try lab.probe(asNobody, [.report([.process, .ns]), .unshare([.user, .uts]), .mapRoot,
                                               .report([.process, .idMaps, .ns]), .sethostname(rootlessName), .report([.hostname])])
            let after = try lab.probe(.oldSide, [.report([.hostname])])
            let first = try new.probe.report(0), inside = try new.probe.report(1), named = try new.probe.report(2)
            let unshared = try? new.probe.result(UnshareResult.self), mapped = try? new.probe.result(MapRootResult.self)
            let renamed = try? new.probe.result(HostnameSet.self)
            let unknown = Message.verbatim("?")
            return StepOutcome(
                observations: [
                    new.observation(say.nobodyThenNewNamespaces, command: "nsprobe unshare=user,uts map-root sethostname=\(rootlessName)",
                                    output: [say.uidAndCapabilities(first.uid.map(String.init) ?? "?", first.caps ?? "?"),
                                             say.unshareOfGave("CLONE_NEWUSER|CLONE_NEWUTS", unshared?.outcome ?? unknown),
                                             say.mapRootGave(mapped?.outcome ?? unknown, mapLine(inside.uidMap)),
                                             say.uidAndCapabilities(inside.uid.map(String.init) ?? "?", inside.caps ?? "?"),
                                             say.sethostnameGaveAndHostname(rootlessName, renamed?.outcome ?? unknown, named.hostname ?? "?")]),
                ],
                checks: [
                    .equal(say.uidBeforeNobody, expected: nobody, actual: first.uid.map(UInt32.init)),
                    .succeeds(say.unshareAsNobody, unshared),
                    .equal(say.uidMapWrittenByItself, expected: "0 \(nobody) 1", actual: inside.uidMap.map(mapLine)),
                    .equal(say.uidAndCapabilitiesInside, expected: "0 =ep",
                           actual: "\(inside.uid.map(String.init) ?? "?") \(inside.caps ?? "?")"),
                    .differ(say.itsUTSNamespace, old: try before.report.inode(.uts), new: inside.inode(.uts)),
                    .succeeds(say.sethostnameThere, renamed),
                    .equal(say.itsHostname, expected: rootlessName, actual: named.hostname),
                    .equal(say.demoHostsHostname, expected: try before.report.hostname, actual: try after.report.hostname),
                ])
        },

        Step("limits", say.limits,
             shell: "unshare --user --map-root-user sh -c 'echo 0 > /proc/sys/user/max_user_namespaces; unshare --user true || echo refused'; cat /proc/sys/user/max_user_namespaces",
             syscalls: ["write(/proc/sys/user/max_user_namespaces, \"0\")", "unshare(CLONE_NEWUSER)"]) { lab in
            let limit = "/proc/sys/user/max_user_namespaces"
            let outsideBefore = readTextFile(limit)?.trimmingNewline
            let new = try lab.probe(.new([.user], [.write("0", to: limit)], idMaps: .rootToRoot),
                                    [.report([.ns]), .read(path: limit), .unshare([.user])])
            let outsideAfter = readTextFile(limit)?.trimmingNewline
            let read = try? new.probe.result(ReadResult.self), nested = try? new.probe.result(UnshareResult.self)
            return StepOutcome(
                observations: [
                    new.observation(words.newNamespace, command: "echo 0 > \(limit); unshare --user true",
                                    output: [say.nameAndValue(limit, read?.text?.trimmingNewline ?? "?"),
                                             say.unshareOfGave("CLONE_NEWUSER", nested?.outcome ?? Message.verbatim("?"))]),
                    Observation(say.theRunnerOutside, command: "cat \(limit)", printed: [outsideAfter ?? "?"]),
                ],
                checks: [
                    .equal(say.theLimitInside, expected: "0", actual: read?.text?.trimmingNewline),
                    .fails(say.aUserNamespaceNestedInIt, with: "ENOSPC", nested),
                    .equal(say.theLimitOutsideUnchanged, expected: outsideBefore, actual: outsideAfter),
                ])
        },
    ])

private let refusedName = "nslab-user"
/// A uid no map of the step holds.
private let unmappedUID: UInt32 = 5000
private let rootlessName = "rootless"
private let nobody: UInt32 = 65534
private let ownedBy200 = "\(Workbench.path)/user/owned-by-200"
private let rootOnly = "\(Workbench.path)/user/root-only"

/// A new user namespace where 100 is 200 outside (setgroups denied first, as an unprivileged
/// writer must), the process taking uid and gid 100.
private let hundredAsTwoHundred = ProcessSpec.new([.user], [.setresgid(100), .setresuid(100)],
                                                  idMaps: IDMaps(setgroups: "deny", uidMap: "100 200 1", gidMap: "100 200 1"))

/// /proc/sys/kernel/overflowuid or overflowgid: the id an unmapped one reads as.
private func overflowID(_ kind: String) -> Int? {
    readTextFile("/proc/sys/kernel/overflow\(kind)").flatMap { Int($0.trimmingNewline) }
}

/// A map as one line with single spaces: "100 200 1" (the kernel pads its columns).
private func mapLine(_ text: String?) -> String {
    (text ?? "?").split(whereSeparator: \.isWhitespace).joined(separator: " ")
}


// MARK: - Graded exercise

/// The ids the student's program must map and take, different in every run, and the
/// directory of the two files it tries to write.
struct UserExerciseValues: ExerciseValues {
    let uidInside: UInt32
    let uidOutside: UInt32
    let gidInside: UInt32
    let gidOutside: UInt32
    /// A sandbox path under /exercise.
    let files: String

    /// A file of uid_outside's, mode 0644: the command may write it.
    var theirs: String { "\(files)/theirs" }
    /// A file of root's, mode 0600: the command may not.
    var roots: String { "\(files)/roots" }

    var placeholders: [(name: String, value: String)] {
        [("uid_inside", String(uidInside)), ("uid_outside", String(uidOutside)),
         ("gid_inside", String(gidInside)), ("gid_outside", String(gidOutside))]
    }

    /// The four ids, inside ones too: a program that maps inside → inside is then told its map
    /// is wrong, rather than refused.
    var sandboxIDs: [UInt32] { Set([uidOutside, gidOutside, uidInside, gidInside]).sorted() }
}

let userExercise = Exercise(
    id: "user-namespace", task: say.task,
    choose: { random in
        UserExerciseValues(uidInside: UInt32(random.number(1000...9999)), uidOutside: UInt32(random.number(10000...60000)),
                           gidInside: UInt32(random.number(1000...9999)), gidOutside: UInt32(random.number(10000...60000)),
                           files: "\(GradingWorkspace.exerciseInSandbox)/files-\(random.word(4))")
    },
    fixtures: { values in
        [.file(values.theirs, text: "yours to write\n", owner: values.uidOutside, mode: 0o644),
         .file(values.roots, text: "not yours\n", owner: 0, mode: 0o600)]
    }
) { paused, values in
    let probe = paused.probe
    let uidMap = probe.text("uid_map").map(paused.inSandboxTerms), gidMap = probe.text("gid_map").map(paused.inSandboxTerms)
    let inside = probe.ids.map { ids in
        (paused.inside(ids.uid, map: probe.text("uid_map")), paused.inside(ids.gid, map: probe.text("gid_map")))
    }
    func shown(_ id: UInt32?) -> any MessageArgument { id.map { $0 as any MessageArgument } ?? say.unmapped }
    var checks: [Check] = [
        paused.newNamespace(.user),
        .equal(say.uidAndGIDOfTheCommand, expected: say.twoIDs(values.uidInside, values.gidInside),
               actual: inside.map { say.twoIDs(shown($0.0), shown($0.1)) }),
        .equal(say.itsUIDMap, expected: "\(values.uidInside) \(values.uidOutside) 1", actual: uidMap),
        .equal(say.itsGIDMap, expected: "\(values.gidInside) \(values.gidOutside) 1", actual: gidMap),
        .equal(say.itsSetgroups, expected: "deny", actual: probe.text("setgroups").map(mapLine)),
    ]
    let writes: [(name: Message, path: String, expected: Message)] = [
        (say.itWritesTheirFile, values.theirs, words.success),
        (say.itCannotWriteRootsFile, values.roots, .verbatim("EACCES")),
    ]
    var outcomes: [Message] = []
    if paused.isNew(.user) {
        // With the command's own ids, in its own user namespace: what the kernel lets it do.
        do {
            let seen = try paused.look(joining: [.user], operations: [.setresgid(values.gidInside), .setresuid(values.uidInside)],
                                       writes.map { .write(path: paused.workspace.local($0.path)) })
            outcomes = try seen.results(WriteResult.self).map(\.outcome)
        } catch let refused as SystemCallError where refused.call.hasPrefix("setres") {
            outcomes = writes.map { _ in say.idsNotMapped(refused.errnoName) }
        }
    }
    for (index, write) in writes.enumerated() {
        checks.append(.equal(write.name, expected: write.expected, actual: index < outcomes.count ? outcomes[index] : notTried(.user)))
    }
    return checks
}

// MARK: - What the chapter says

final class UserText: MessageTable {
    let title = Message("User namespace: uid and gid maps, capabilities, file access and limits", zh: "用户命名空间：uid 与 gid 映射、能力、文件访问与数量上限")
    /// Why it is skipped without real root, after "needs real root: ".
    let needsRealRoot = Message("it maps ids other than your own (100 inside to 200 outside) and becomes nobody", zh: "它要映射你自己以外的 id（把里面的 100 映射为外面的 200），还要变成 nobody")

    // What a probe saw, in several steps
    let uidAndCapabilities = Template("uid {0}, capabilities {1}", zh: "uid {0}，能力 {1}")
    let theRunnerOutside = Message("the runner, outside", zh: "外面的 runner")
    let demoHostsHostname = Message("the demo host's hostname", zh: "演示宿主机的主机名")
    let itsUIDMap = Message("its uid_map", zh: "它的 uid_map")
    let unshareOfGave = Template("unshare({0}): {1}", zh: "unshare({0})：{1}")
    /// A file or a map and what it holds or gave: "uid_map: EPERM".
    let nameAndValue = Template("{0}: {1}", zh: "{0}：{1}")

    let noMaps = Message("No maps yet: nobody, with every capability", zh: "还没有映射：身为 nobody，却拥有全部能力")
    let sameProcessAfterUnshare = Message("new namespace, the same process after unshare(CLONE_NEWUSER)", zh: "新命名空间，unshare(CLONE_NEWUSER) 之后的同一个进程")
    let unshareGave = Template("unshare: {0}", zh: "unshare：{0}")
    let capabilities = Template("capabilities {0}", zh: "能力 {0}")
    let sethostnameGave = Template("sethostname({0}): {1}", zh: "sethostname({0})：{1}")
    let notTried = Message("not tried", zh: "未尝试")
    let userInodeAfterUnshare = Message("user namespace inode after unshare", zh: "unshare 之后的用户命名空间 inode 号")
    let overflowUID = Message("its uid, unmapped: the overflow uid", zh: "它的 uid 没有映射，显示为溢出 uid（overflowuid）")
    let overflowGID = Message("its gid: the overflow gid", zh: "它的 gid 显示为溢出 gid（overflowgid）")
    let itsCapabilities = Message("its capabilities (cap_to_text)", zh: "它的能力（cap_to_text 格式）")
    let sethostnameInTheDemoHost = Message("sethostname in the demo host's UTS namespace, which another user namespace owns", zh: "在演示宿主机的 UTS 命名空间里 sethostname，该命名空间归另一个用户命名空间所有")

    let maps = Message("Maps: 100 inside is 200 outside", zh: "映射：里面的 100 就是外面的 200")
    let nestedAsRoot = Message("a user namespace nested in it, as root", zh: "嵌套在它里面的用户命名空间中的 root")
    let uidAndGIDInside = Message("uid and gid inside", zh: "新命名空间里的 uid 和 gid")
    let setgroupsWrittenFirst = Message("setgroups, written first", zh: "setgroups，最先写入")
    let uidMapReadInside = Message("uid_map read inside", zh: "在新命名空间里读到的 uid_map")
    let readFromTheParent = Message("read from the parent namespace: the second column is the parent's id", zh: "从父命名空间读取，第二列是父命名空间里的 id")
    let readFromANestedNamespace = Message("read from a namespace nested inside: the second column is the reader's id", zh: "从嵌套在里面的命名空间读取，第二列是读取者所在命名空间里的 id")
    let capabilitiesAfterExecve = Message("capabilities of uid 100 after execve (not 0 inside: none)", zh: "execve 之后 uid 100 的能力（它在里面不是 0，所以一项也没有）")

    let mapErrors = Message("The errors a map write gives", zh: "写映射时会遇到的错误")
    let gidMapWriteBeforeDeny = Message("write(/proc/self/gid_map) before setgroups deny", zh: "在 setgroups deny 之前 write(/proc/self/gid_map)")
    let uidMapWrittenTwice = Message("write(/proc/PID/uid_map) twice", zh: "两次 write(/proc/PID/uid_map)")
    let newNamespaces = Message("new namespaces", zh: "几个新命名空间")
    let ownGIDMapBeforeDenyGave = Template("its own gid_map before setgroups deny: {0}", zh: "它自己在 setgroups deny 之前写 gid_map：{0}")
    let ownUIDMapFor1000Gave = Template("its own uid_map, for uid 1000: {0}", zh: "它自己写 uid_map，映射 uid 1000：{0}")
    let secondUIDMapWriteGave = Template("the runner writes a uid_map a second time: {0}", zh: "runner 第二次写同一个 uid_map：{0}")
    let lineWithoutCountGave = Template("a map line without its count: {0}", zh: "缺少数量一栏的映射行：{0}")
    let unmappedUIDGave = Template("setresuid(5000), a uid outside the map \"0 0 1\": {0}", zh: "setresuid(5000)，一个不在映射“0 0 1”里的 uid：{0}")
    let theWritesInOrder = Message("new namespace, the writes in order", zh: "新命名空间，按正确的顺序写入")
    let uidAndUIDMap = Template("uid {0}, uid_map {1}", zh: "uid {0}，uid_map {1}")
    let mappedByTheRunner = Message("new namespace, mapped by the runner", zh: "新命名空间，由 runner 写入映射")
    let afterTheSecondWrite = Template("after the second write: {0}", zh: "第二次写入之后：{0}")
    let gidMapBeforeDeny = Message("gid_map written by the process itself before setgroups deny", zh: "进程自己在 setgroups deny 之前写 gid_map")
    let uidMapOfAnotherID = Message("uid_map mapping an id the writer does not have", zh: "uid_map 映射了写入者并不拥有的 id")
    let denyThenItsOwnIDs = Message("setgroups deny, then its own gid and uid: uid inside", zh: "先 setgroups deny，再映射自己的 gid 和 uid，之后里面的 uid")
    let secondWriteToAMap = Message("a second write to a map", zh: "第二次写同一个映射")
    let lineWithoutCount = Message("a map line without its count", zh: "缺少数量一栏的映射行")
    let unmappedUID = Message("taking a uid the map does not hold (setresuid)", zh: "切换到映射里没有的 uid（setresuid）")

    let fileAccess = Message("Files through the map: owner 200 is 100 inside", zh: "透过映射看文件：属主 200 在里面是 100")
    let oldNamespaceRealRoot = Message("old namespace, real root", zh: "旧命名空间，真正的 root")
    let hundredAsTwoHundred = Message("new namespace, 100 as 200", zh: "在把 100 映射为 200 的新命名空间里")
    let rootAsTwoHundred = Message("new namespace, root as 200", zh: "在把 root 映射为 200 的新命名空间里")
    let openForWritingGave = Template("open({0}, O_WRONLY): {1}", zh: "open({0}, O_WRONLY)：{1}")
    let hundredOpensTwoHundredsFile = Message("100 inside opens 200's file for writing", zh: "里面的 100 以写方式打开 200 的文件")
    let andNotRootsFile = Message("and not root's 0600 file", zh: "但打不开 root 的 0600 文件")
    let rootInsideHasEveryCapability = Message("root inside (200 outside) has every capability there", zh: "里面的 root（外面是 200）在那里拥有全部能力")
    let yetNotRootsFile = Message("yet CAP_DAC_OVERRIDE does not open root's 0600 file: uid 0 outside is not mapped", zh: "CAP_DAC_OVERRIDE 却打不开 root 的 0600 文件，因为外面的 uid 0 没有映射进来")
    let realRootOpensIt = Message("real root outside opens it", zh: "外面真正的 root 能打开它")

    let unprivileged = Message("No root needed: nobody makes a user namespace and is root there", zh: "无需 root：nobody 创建一个用户命名空间，并在其中成为 root")
    let nobodyThenNewNamespaces = Message("nobody, then new namespaces", zh: "nobody，随后进入新命名空间")
    let mapRootGave = Template("map-root: {0}; uid_map {1}", zh: "map-root：{0}；uid_map {1}")
    let sethostnameGaveAndHostname = Template("sethostname({0}): {1}; hostname {2}", zh: "sethostname({0})：{1}；主机名 {2}")
    let uidBeforeNobody = Message("uid before: nobody", zh: "之前的 uid，即 nobody")
    let unshareAsNobody = Message("unshare(CLONE_NEWUSER|CLONE_NEWUTS) as nobody", zh: "以 nobody 身份 unshare(CLONE_NEWUSER|CLONE_NEWUTS)")
    let uidMapWrittenByItself = Message("uid_map, written by itself", zh: "它自己写入的 uid_map")
    let uidAndCapabilitiesInside = Message("uid and capabilities inside", zh: "新命名空间里的 uid 和能力")
    let itsUTSNamespace = Message("its UTS namespace", zh: "它的 UTS 命名空间")
    let sethostnameThere = Message("sethostname there: its own user namespace owns that UTS namespace", zh: "在那里 sethostname，那个 UTS 命名空间归它自己的用户命名空间所有")
    let itsHostname = Message("its hostname", zh: "它的主机名")

    let limits = Message("A limit of 0 user namespaces, set inside a user namespace", zh: "在用户命名空间里，把用户命名空间的数量上限设为 0")
    let theLimitInside = Message("the limit inside", zh: "新命名空间里的上限")
    let aUserNamespaceNestedInIt = Message("a user namespace nested in it", zh: "嵌套在它里面的用户命名空间")
    let theLimitOutsideUnchanged = Message("the limit where the runner runs, unchanged", zh: "runner 运行之处的上限没有变化")

    let task = Message("run the command in a new user namespace with uid_map `{uid_inside} {uid_outside} 1`, gid_map `{gid_inside} {gid_outside} 1`, setgroups denied, as uid {uid_inside} and gid {gid_inside}", zh: "在一个新的用户命名空间里运行命令：uid_map 为 `{uid_inside} {uid_outside} 1`，gid_map 为 `{gid_inside} {gid_outside} 1`，setgroups 已禁止，以 uid {uid_inside} 和 gid {gid_inside} 的身份运行")
    let uidAndGIDOfTheCommand = Message("uid and gid of the command", zh: "命令的 uid 和 gid")
    /// A uid and a gid, each a number or "unmapped".
    let twoIDs = Template("{0} {1}", zh: "{0} {1}")
    let unmapped = Message("unmapped", zh: "未映射")
    let itsGIDMap = Message("its gid_map", zh: "它的 gid_map")
    let itsSetgroups = Message("its setgroups", zh: "它的 setgroups")
    let itWritesTheirFile = Message("it writes a file of {uid_outside}'s", zh: "它能写 {uid_outside} 的文件")
    let itCannotWriteRootsFile = Message("it cannot write root's 0600 file", zh: "它不能写 root 的 0600 文件")
    let idsNotMapped = Template("(not tried: its ids are not mapped in its user namespace: {0})", zh: "（未尝试：它的 id 在它的用户命名空间里没有映射，得到 {0}）")
}
