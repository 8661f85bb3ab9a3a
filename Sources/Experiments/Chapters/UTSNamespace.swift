/// uts-namespace: seeds 001, 002 and 004. A new UTS namespace has its own hostname and NIS
/// domain name; a name set in the wrong process renames the host.
public let utsNamespace = Experiment(
    id: "uts-namespace",
    title: "UTS namespace: hostname and NIS domain name",
    namespaces: [.uts],
    minimumKernel: "3.0",  // setns(2) and /proc/PID/ns links
    needsCommands: ["sh", "hostname"],
    demoHostNamespaces: [.uts],
    namespaceBudget: [.uts: 3],  // the sandbox's, the demo host's, the new one
    footprint: Footprint(names: [insideHostname, insideDomainname]),
    shellTries: ["hostname", "hostname inside-the-shell; hostname", "readlink /proc/self/ns/uts"],
    steps: [
        .newNamespace(.uts, "A new UTS namespace"),

        Step("set-names", "Setting the names inside the new namespace",
             shell: "unshare --uts sh -c 'hostname container; domainname nslab.example; hostname; hostname --nis'",
             syscalls: ["unshare(CLONE_NEWUTS)", "sethostname(\"container\")", "setdomainname(\"nslab.example\")"]) { lab in
            let show = ["sh", "-c", "hostname; hostname --nis"]
            let before = try lab.probe(.oldSide, [.report([.hostname])]).report
            // The old side looks while the new namespace has its names, not before.
            let (new, old) = try lab.probe(.new([.uts], [.sethostname(insideHostname), .setdomainname(insideDomainname)]),
                                           [.report([.hostname, .ns]), .hold()], then: show) { _ in
                try lab.probe(.oldSide, [.report([.hostname, .ns])], then: show)
            }
            let oldReport = try old.report, newReport = try new.report
            return StepOutcome(
                observations: [old.observation("old namespace"), new.observation("new namespace")],
                checks: [
                    .equal("hostname inside", expected: insideHostname, actual: newReport.hostname),
                    .equal("NIS domain name inside", expected: insideDomainname, actual: newReport.domainname),
                    .equal("hostname outside, unchanged", expected: before.hostname, actual: oldReport.hostname),
                    .equal("NIS domain name outside, unchanged", expected: before.domainname, actual: oldReport.domainname),
                ])
        },

        Step("set-too-late", "Pitfall: setting the hostname too late",
             shell: "unshare --uts sh -c 'unshare --uts sleep 9 & sleep 1; hostname container; hostname; nsenter --uts --target $! hostname; kill $!'   # this sh plays the host",
             syscalls: ["unshare(CLONE_NEWUTS)", "sethostname(\"container\") in the parent"]) { lab in
            // The child starts first, holding; then the parent, still in the demo host, calls
            // sethostname, as a Go program does that calls syscall.Sethostname after cmd.Start().
            let (childOutput, parent) = try lab.probe(.new([.uts]), [.hold(), .report([.hostname, .ns])]) { _ in
                try lab.probe(.oldSide, [.report([.hostname, .ns]), .sethostname(insideHostname), .report([.hostname])])
            }
            let before = try parent.probe.report(0), after = try parent.probe.report(1)
            let childReport = try childOutput.report
            return StepOutcome(
                observations: [
                    parent.observation("parent, old namespace", command: "hostname container",
                                       output: ["hostname before: \(before.hostname ?? "")",
                                                "hostname after:  \(after.hostname ?? "")"]),
                    childOutput.observation("child, new namespace", command: "hostname",
                                            output: [childReport.hostname ?? ""]),
                ],
                checks: [
                    .equal("the demo host was renamed by its own process", expected: insideHostname,
                           actual: after.hostname),
                    .equal("the child kept the name copied at clone time", expected: before.hostname,
                           actual: childReport.hostname),
                ])
        },
    ])

/// The names the new namespace gets, as the lesson's commands give them.
private let insideHostname = "container"
private let insideDomainname = "nslab.example"
