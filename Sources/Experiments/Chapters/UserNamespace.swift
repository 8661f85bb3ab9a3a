import Glibc

/// user-namespace: seeds 001, 003 and 004. A user namespace maps ids: a process can be root,
/// with every capability, inside, and an ordinary uid outside, where those capabilities mean
/// nothing. The runner writes the maps from outside while the child waits (as runc does),
/// then the child takes its uid inside.
public let userNamespace = Experiment(
    id: "user-namespace",
    title: "User namespace: uid and gid maps, capabilities, file access and limits",
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
    needsRealRoot: "it maps ids other than your own (100 inside to 200 outside) and becomes nobody",
    shellTries: ["id", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups", "grep Cap /proc/self/status"],
    steps: [
        Step("no-maps", "No maps yet: nobody, with every capability",
             shell: "unshare --user --keep-caps sh -c 'id; cat /proc/self/uid_map; grep CapEff /proc/self/status; hostname \(refusedName) || echo refused'",
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
                    Observation("old namespace", command: "id; capabilities",
                                output: ["uid \(outside.uid.map(String.init) ?? "?"), capabilities \(outside.caps ?? "?")"],
                                namespaces: ProcessNamespaces(pid: Int(process.pid), report: outside.ns ?? [:])),
                    Observation("new namespace, the same process after unshare(CLONE_NEWUSER)",
                                command: "capabilities; hostname \(refusedName); exec id",
                                output: ["unshare: \(unshared?.outcome ?? "?")", "capabilities \(inside.caps ?? "?")",
                                         "sethostname(\(refusedName)): \(refused?.outcome ?? "not tried")"] + process.output,
                                namespaces: ProcessNamespaces(pid: Int(process.pid), report: inside.ns ?? [:])),
                ],
                checks: [
                    .differ("user namespace inode after unshare", old: outside.inode(.user), new: inside.inode(.user)),
                    .equal("its uid, unmapped: the overflow uid", expected: overflowID("uid"), actual: inside.uid),
                    .equal("its gid: the overflow gid", expected: overflowID("gid"), actual: inside.gid),
                    .equal("its uid_map", expected: "", actual: inside.uidMap),
                    .equal("its capabilities (cap_to_text)", expected: "=ep", actual: inside.caps),
                    .errno("sethostname in the demo host's UTS namespace, which another user namespace owns",
                           expected: "EPERM", actual: refused),
                    .equal("the demo host's hostname", expected: outside.hostname, actual: try after.report.hostname),
                ])
        },

        Step("maps", "Maps: 100 inside is 200 outside",
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
                    new.observation("new namespace", command: "id; cat /proc/self/uid_map",
                                    output: new.output + [mapLine(inside.uidMap)]),
                    Observation("the runner, outside", command: "cat /proc/\(new.pid)/uid_map", output: [mapLine(outside)]),
                    Observation("a user namespace nested in it, as root", command: "cat /proc/\(new.pid)/uid_map",
                                output: [mapLine(nested.text)]),
                ],
                checks: [
                    .equal("uid and gid inside", expected: "100 100", actual: "\(inside.uid.map(String.init) ?? "?") \(inside.gid.map(String.init) ?? "?")"),
                    .equal("setgroups, written first", expected: "deny", actual: inside.setgroups.map(mapLine)),
                    .equal("uid_map read inside", expected: "100 200 1", actual: inside.uidMap.map(mapLine)),
                    .equal("read from the parent namespace: the second column is the parent's id", expected: "100 200 1",
                           actual: outside.map(mapLine)),
                    .equal("read from a namespace nested inside: the second column is the reader's id", expected: "100 0 1",
                           actual: nested.text.map(mapLine)),
                    .equal("capabilities of uid 100 after execve (not 0 inside: none)", expected: "=", actual: inside.caps),
                ])
        },

        Step("map-errors", "The errors a map write gives",
             shell: "unshare --user --keep-caps bash -c 'echo 0 0 1 > /proc/self/gid_map; echo deny > /proc/self/setgroups; echo 0 0 1 > /proc/self/gid_map && echo 0 0 1 > /proc/self/uid_map && id -u; echo 0 0 1 > /proc/self/uid_map || echo second write refused'",
             syscalls: ["write(/proc/self/gid_map) before setgroups deny", "write(/proc/self/uid_map, \"0 1000 1\")",
                        "write(/proc/PID/uid_map) twice", "write(/proc/PID/uid_map, \"0 0\")"]) { lab in
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
            let lines: [(String, SystemCallError?)] = [
                ("its own gid_map before setgroups deny", noDeny), ("its own uid_map, for uid 1000", notMine),
                ("the runner writes a uid_map a second time", twice), ("a map line without its count", malformed),
            ]
            let report = try done.report
            return StepOutcome(
                observations: [
                    Observation("new namespaces", command: "echo … > /proc/…/uid_map",
                                output: lines.map { "\($0.0): \($0.1?.description ?? "success")" }),
                    done.observation("new namespace, the writes in order", command: "echo deny > setgroups; echo 0 0 1 > gid_map, uid_map",
                                     output: ["uid \(report.uid.map(String.init) ?? "?"), uid_map \(mapLine(report.uidMap))"]),
                    held.observation("new namespace, mapped by the runner", command: "cat /proc/\(held.pid)/uid_map",
                                     output: ["after the second write: \(mapLine(mapAfter))"]),
                ],
                checks: [
                    .equal("gid_map written by the process itself before setgroups deny", expected: "EPERM", actual: noDeny?.errnoName ?? "success"),
                    .equal("uid_map mapping an id the writer does not have", expected: "EPERM", actual: notMine?.errnoName ?? "success"),
                    .equal("setgroups deny, then its own gid and uid: uid inside", expected: 0, actual: report.uid),
                    .equal("a second write to a map", expected: "uid_map: EPERM",
                           actual: twice.map { "\($0.call.contains("/uid_map") ? "uid_map" : $0.call): \($0.errnoName)" } ?? "success"),
                    .equal("a map line without its count", expected: "EINVAL", actual: malformed?.errnoName ?? "success"),
                ])
        },

        Step("file-access", "Files through the map: owner 200 is 100 inside",
             shell: "unshare --user sleep 9 & sleep 1; echo '0 200 1' > /proc/$!/uid_map; echo '0 200 1' > /proc/$!/gid_map; nsenter --user --target $! sh -c 'id -u; ls -ln /etc/shadow; cat /etc/shadow > /dev/null || echo refused'; kill $!",
             syscalls: ["open(\(ownedBy200), O_WRONLY)", "open(\(rootOnly), O_WRONLY)"]) { lab in
            let tries: [ProbeAction] = [.report([.process, .ns]), .write(path: ownedBy200), .write(path: rootOnly)]
            let old = try lab.probe(.oldSide, tries)
            let hundred = try lab.probe(hundredAsTwoHundred, tries, then: ["ls", "-ln", "\(Workbench.path)/user"])
            let root = try lab.probe(.new([.user], [.setresgid(0), .setresuid(0)], idMaps: IDMaps(uidMap: "0 200 1", gidMap: "0 200 1")),
                                     tries)
            func writes(_ side: FinishedProcess) -> [WriteResult] { (try? side.probe.results(WriteResult.self)) ?? [] }
            func lines(_ side: FinishedProcess) -> [String] {
                ["uid \((try? side.report)?.uid.map(String.init) ?? "?"), capabilities \((try? side.report)?.caps ?? "?")"]
                    + writes(side).map { "open(\($0.path), O_WRONLY): \($0.outcome)" }
            }
            let rootInside = try root.report
            return StepOutcome(
                observations: [
                    old.observation("old namespace, real root", command: "nsprobe write=…", output: lines(old)),
                    hundred.observation("new namespace, 100 as 200", command: "ls -ln; nsprobe write=…", output: hundred.output + lines(hundred)),
                    root.observation("new namespace, root as 200", command: "nsprobe write=…", output: lines(root)),
                ],
                checks: [
                    .errno("100 inside opens 200's file for writing", expected: "success", actual: writes(hundred).first),
                    .errno("and not root's 0600 file", expected: "EACCES", actual: writes(hundred).dropFirst().first),
                    .equal("root inside (200 outside) has every capability there", expected: "=ep", actual: rootInside.caps),
                    .errno("yet CAP_DAC_OVERRIDE does not open root's 0600 file: uid 0 outside is not mapped",
                           expected: "EACCES", actual: writes(root).dropFirst().first),
                    .errno("real root outside opens it", expected: "success", actual: writes(old).dropFirst().first),
                ])
        },

        Step("unprivileged", "No root needed: nobody makes a user namespace and is root there",
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
            return StepOutcome(
                observations: [
                    new.observation("nobody, then new namespaces", command: "nsprobe unshare=user,uts map-root sethostname=\(rootlessName)",
                                    output: ["uid \(first.uid.map(String.init) ?? "?"), capabilities \(first.caps ?? "?")",
                                             "unshare(CLONE_NEWUSER|CLONE_NEWUTS): \(unshared?.outcome ?? "?")",
                                             "map-root: \(mapped?.outcome ?? "?"); uid_map \(mapLine(inside.uidMap))",
                                             "uid \(inside.uid.map(String.init) ?? "?"), capabilities \(inside.caps ?? "?")",
                                             "sethostname(\(rootlessName)): \(renamed?.outcome ?? "?"); hostname \(named.hostname ?? "?")"]),
                ],
                checks: [
                    .equal("uid before: nobody", expected: nobody, actual: first.uid.map(UInt32.init)),
                    .errno("unshare(CLONE_NEWUSER|CLONE_NEWUTS) as nobody", expected: "success", actual: unshared),
                    .equal("uid_map, written by itself", expected: "0 \(nobody) 1", actual: inside.uidMap.map(mapLine)),
                    .equal("uid and capabilities inside", expected: "0 =ep",
                           actual: "\(inside.uid.map(String.init) ?? "?") \(inside.caps ?? "?")"),
                    .differ("its UTS namespace", old: try before.report.inode(.uts), new: inside.inode(.uts)),
                    .errno("sethostname there: its own user namespace owns that UTS namespace", expected: "success", actual: renamed),
                    .equal("its hostname", expected: rootlessName, actual: named.hostname),
                    .equal("the demo host's hostname", expected: try before.report.hostname, actual: try after.report.hostname),
                ])
        },

        Step("limits", "A limit of 0 user namespaces, set inside a user namespace",
             shell: "unshare --user --map-root-user sh -c 'echo 0 > /proc/sys/user/max_user_namespaces; unshare --user true || echo refused'; cat /proc/sys/user/max_user_namespaces",
             syscalls: ["write(/proc/sys/user/max_user_namespaces, \"0\")", "unshare(CLONE_NEWUSER)"]) { lab in
            let limit = "/proc/sys/user/max_user_namespaces"
            let outsideBefore = readTextFile(limit)
            let new = try lab.probe(.new([.user], [.write("0", to: limit)], idMaps: IDMaps(uidMap: "0 0 1", gidMap: "0 0 1")),
                                    [.report([.ns]), .read(path: limit), .unshare([.user])])
            let outsideAfter = readTextFile(limit)
            let read = try? new.probe.result(ReadResult.self), nested = try? new.probe.result(UnshareResult.self)
            return StepOutcome(
                observations: [
                    new.observation("new namespace", command: "echo 0 > \(limit); unshare --user true",
                                    output: ["\(limit): \(read?.text?.trimmingNewline ?? "?")",
                                             "unshare(CLONE_NEWUSER): \(nested?.outcome ?? "?")"]),
                    Observation("the runner, outside", command: "cat \(limit)", output: [outsideAfter?.trimmingNewline ?? "?"]),
                ],
                checks: [
                    .equal("the limit inside", expected: "0", actual: read?.text?.trimmingNewline),
                    .errno("a user namespace nested in it", expected: "ENOSPC", actual: nested),
                    .equal("the limit where the runner runs, unchanged", expected: outsideBefore, actual: outsideAfter),
                ])
        },
    ])

private let refusedName = "nslab-user"
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


extension String {
    var trimmingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}

extension ProcessSpec {
    /// The same placement with `operations` done in the child before exec.
    func with(operations: [Operation]) -> ProcessSpec {
        var spec = self
        spec.operations += operations
        return spec
    }
}
