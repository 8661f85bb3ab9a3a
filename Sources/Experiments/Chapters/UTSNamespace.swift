import Glibc

/// uts-namespace (uts_namespaces(7)). A new UTS namespace has its own hostname and NIS domain
/// name; a name set in the wrong process renames the host.
let utsChapter = Chapter(utsNamespace, exercises: [utsExercise], messages: say)
private let say = UTSText()

public let utsNamespace = Experiment(
    id: "uts-namespace",
    title: say.title,
    namespaces: [.uts],
    minimumKernel: "3.0",  // setns(2) and /proc/PID/ns links
    needsCommands: ["sh", "hostname"],
    demoHostNamespaces: [.uts],
    namespaceBudget: [.uts: 3],  // the sandbox's, the demo host's, the new one
    footprint: Footprint(names: [insideHostname, insideDomainname]),
    shellTries: ["hostname", "hostname inside-the-shell; hostname", "readlink /proc/self/ns/uts"],
    steps: [
        .newNamespace(.uts, words.aNewNamespace("UTS")),

        Step("set-names", say.setNames,
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
                observations: [old.observation(words.oldNamespace), new.observation(words.newNamespace)],
                checks: [
                    .equal(say.hostnameInside, expected: insideHostname, actual: newReport.hostname),
                    .equal(say.domainnameInside, expected: insideDomainname, actual: newReport.domainname),
                    .equal(say.hostnameOutside, expected: before.hostname, actual: oldReport.hostname),
                    .equal(say.domainnameOutside, expected: before.domainname, actual: oldReport.domainname),
                ])
        },

        .hostnameSetTooLate("set-too-late", say.setTooLate,
                            shell: say.tooLateShell("unshare --uts sh -c 'unshare --uts sleep 9 & sleep 1; hostname container; hostname; nsenter --uts --target $! hostname; kill $!'")),
    ])

/// The names the new namespace gets, as the lesson's commands give them.
let insideHostname = "container"
private let insideDomainname = "nslab.example"

// MARK: - Graded exercise

/// The hostname the student's program must set, different in every run.
struct UTSExerciseValues: ExerciseValues {
    let hostname: String
    var placeholders: [(name: String, value: String)] { [("hostname", hostname)] }
}

let utsExercise = Exercise(
    id: "uts-namespace", task: say.task, reportSections: [.hostname],
    choose: { random in UTSExerciseValues(hostname: "host-" + random.word(6)) }
) { paused, values in
    let seen = try paused.look(joining: [.uts], [.report([.hostname])]).report()
    return [
        paused.newNamespace(.uts),
        .equal(say.hostnameTheCommandSees, expected: values.hostname, actual: seen.hostname),
    ]
}

// MARK: - What the chapter says

final class UTSText: MessageTable {
    let title = Message("UTS namespace: hostname and NIS domain name", zh: "UTS 命名空间：主机名与 NIS 域名")

    let setNames = Message("Setting the names inside the new namespace", zh: "在新命名空间里设置名字")
    let hostnameInside = Message("hostname inside", zh: "新命名空间里的主机名")
    let domainnameInside = Message("NIS domain name inside", zh: "新命名空间里的 NIS 域名")
    let hostnameOutside = Message("hostname outside, unchanged", zh: "旧命名空间里的主机名没有变化")
    let domainnameOutside = Message("NIS domain name outside, unchanged", zh: "旧命名空间里的 NIS 域名没有变化")

    let setTooLate = Message("Pitfall: setting the hostname too late", zh: "陷阱：设置主机名太晚")
    let tooLateShell = Template("{0}   # this sh plays the host", zh: "{0}   # 这个 sh 扮演宿主机")

    let task = Message("run the command in a new UTS namespace whose hostname is {hostname}", zh: "在一个新的 UTS 命名空间里运行命令，该命名空间的主机名为 {hostname}")
    let hostnameTheCommandSees = Message("hostname the command sees", zh: "命令看到的主机名")
}
