/// What the grader says, in every language the runner speaks: its checks of the program, its
/// diagnoses, and why it could not judge.
struct GradingText: MessageTable {
    // Every exercise's first check
    let newNamespace = Template("{0} namespace of the command, not the sandbox's", zh: "命令所在的 {0} 命名空间，不是沙箱的")
    let aNewOne = Message("a new one", zh: "一个新的")
    let theSandboxs = Message("the sandbox's", zh: "沙箱的")
    let diagnosed = Template("{0} — {1}", zh: "{0}——{1}")
    let notTried = Template("(not tried: the command is in the sandbox's {0} namespace)", zh: "（未尝试：命令在沙箱的 {0} 命名空间里）")

    // Looking from outside
    let lookEnded = Template("the grader's look ({0}) ended with {1}", zh: "评分器的查看（{0}）结束时{1}")
    let lookRefused = Template("the grader's probe could not look (its {0} was refused: {1})", zh: "评分器的探针无法查看（它的 {0} 被拒绝：{1}）")
    let probeStayed = Message("the probe stayed while the grader looked", zh: "评分器查看期间探针一直在")
    let paused = Message("paused", zh: "暂停着")
    let probeGone = Message("gone: something ended it before it was released", zh: "已消失：在被放行之前有东西结束了它")

    // An exercise's result
    let couldNotJudge = Template("the grader could not judge this exercise: {0}", zh: "评分器无法评判这道练习：{0}")
    let failedCheck = Template("{0}: expected {1}, got {2}", zh: "{0}：预期{1}，实际{2}")

    // The checkout, its lab.yml, its build
    let theGrader = Message("the grader", zh: "评分器")
    let aResult = Message("a result", zh: "一个结果")
    let graderEnded = Template("its grader ended with {0}", zh: "它的评分器结束时{0}")
    let graderPastBound = Template("its grader ended with {0} (past its bound of {1} s)", zh: "它的评分器结束时{0}（超出了 {1} 秒的上限）")
    let theCheckout = Message("the checkout", zh: "学生的代码目录")
    let aDirectory = Message("a directory", zh: "一个目录")
    let notOne = Message("not one", zh: "不是目录")
    let notADirectory = Template("{0} is not a directory (a student's checkout)", zh: "{0} 不是目录（应是一个学生的代码目录）")
    let itsLabFile = Message("its lab.yml", zh: "它的 lab.yml")
    let valid = Message("valid", zh: "有效")
    let present = Message("present", zh: "存在")
    let noLabFile = Message("no lab.yml: it gives the build and each exercise's command line",
                            zh: "没有 lab.yml：它给出构建命令和每道练习的命令行")
    let workspace = Message("the grader's workspace", zh: "评分器的工作区")
    let made = Message("made", zh: "已创建")
    let buildSandbox = Message("the build's sandbox", zh: "构建用的沙箱")
    let itsCommandLine = Message("its command line (lab.yml's `run`)", zh: "它的命令行（lab.yml 的 `run`）")
    let given = Message("given", zh: "已给出")
    let notAttempted = Message("none: not attempted", zh: "没有：未尝试这道练习")
    let theBuild = Message("the build", zh: "构建")
    let buildEnded = Template("`{0}`: {1}", zh: "`{0}`：{1}")
    let buildSaid = Template("{0}: {1}", zh: "{0}：{1}")
    let buildTooLong = Template("did not finish within {0} s", zh: "没有在 {0} 秒内完成")
    let buildMemory = Template("used more than {0} MiB of memory", zh: "使用了超过 {0} MiB 的内存")
    let commandFailed = Template("{0}: {1}", zh: "{0}：{1}")
    let couldNotCopy = Template("could not copy {0}: {1}", zh: "无法复制 {0}：{1}")
    let exerciseFiles = Message("the exercise's files", zh: "练习的文件")
    let theSandbox = Message("the sandbox", zh: "沙箱")

    // The sandbox that plays the host
    let sandboxPlaysHost = Message("the sandbox that plays the host", zh: "扮演宿主机的沙箱")
    let asItWas = Message("as it was", zh: "保持原样")
    let gradersSandbox = Message("the grader's own sandbox, the real host's stand-in", zh: "评分器自己的沙箱（真实宿主机的替身）")
    let settingUp = Message("setting up the sandbox", zh: "搭建沙箱")
    let noReportLeft = Message("the sandbox has no report left to give", zh: "沙箱已经没有可以给出的报告了")
    let mountsUnreadable = Message("the sandbox's mounts could not be read", zh: "无法读取沙箱的挂载")
    let actionRefused = Template("{0}: the probe's {1} was refused: {2}", zh: "{0}：探针的 {1} 被拒绝：{2}")
    let actionFailed = Template("{0}: the probe's {1} failed with {2}", zh: "{0}：探针的 {1} 失败，错误为 {2}")
    let renamedHost = Template("your program renamed the host: sandbox hostname was {0}, is now {1}",
                               zh: "你的程序改了宿主机的名字：沙箱的主机名原来是 {0}，现在是 {1}")
    let changedDomainname = Template("your program changed the host's NIS domain name: was {0}, is now {1}",
                                     zh: "你的程序改了宿主机的 NIS 域名：原来是 {0}，现在是 {1}")
    let leftDevices = Template("your program left network devices in the sandbox: {0}", zh: "你的程序在沙箱里留下了网络设备：{0}")
    let madeIPCObjects = Template("your program made IPC objects in the sandbox: {0}", zh: "你的程序在沙箱里创建了 IPC 对象：{0}")
    let leftAProcess = Message("your program left 1 process running in the sandbox", zh: "你的程序在沙箱里留下了 1 个仍在运行的进程")
    let leftProcesses = Template("your program left {0} processes running in the sandbox", zh: "你的程序在沙箱里留下了 {0} 个仍在运行的进程")
    let forkBomb = Template("{0} (it hit the limit of {1}: a fork bomb is contained here)", zh: "{0}（达到了 {1} 个的上限：fork 炸弹在这里被拦住了）")
    let mountOn = Template("a {0} is now mounted on the sandbox's {1}", zh: "沙箱的 {1} 上现在挂载了一个 {0}")
    let secondMountOn = Template("a second {0} is now mounted on the sandbox's {1}", zh: "沙箱的 {1} 上现在又挂载了一个 {0}")
    let procHint = Template("{0}: make / private (mount --make-rprivate /) before you mount proc",
                            zh: "{0}：挂载 proc 之前先把 / 设为私有（mount --make-rprivate /）")
    let mountsShowedUp = Template(
        "your program's mounts showed up in the sandbox: {0} — mount only in a mount namespace of your own, made private first (mount --make-rprivate /)",
        zh: "你的程序的挂载出现在了沙箱里：{0}——只在你自己的挂载命名空间里挂载，并且先把它设为私有（mount --make-rprivate /）")
    let mountedThere = Template("{0} ({1})", zh: "{0}（{1}）")
    let mountGone = Template("the sandbox's mount on {0} ({1}) is gone", zh: "沙箱在 {0} 上的挂载（{1}）不见了")
    let mountMoved = Template("the sandbox's mount on {0} was moved to {1}", zh: "沙箱在 {0} 上的挂载被移到了 {1}")
    let propagationChanged = Template("the sandbox's {0} is now {1} (was {2})", zh: "沙箱的 {0} 现在是 {1}（原来是 {2}）")

    // The program itself
    let memoryWithin = Template("its memory within {0} MiB", zh: "它的内存不超过 {0} MiB")
    let within = Message("within", zh: "没有超过")
    let outOfMemory = Message("more: the kernel's OOM killer ended it", zh: "超过了：内核的 OOM killer 结束了它")
    let finishedWithin = Template("your program finished within {0} s", zh: "你的程序在 {0} 秒内结束")
    let finished = Message("finished", zh: "已结束")
    let killedWithSandbox = Template("killed with the whole sandbox — {0}", zh: "连同整个沙箱一起被杀死——{0}")
    let pauseLineLost = Message(
        "its probe had paused, but the line that says so never reached the grader: pass the command's standard output on",
        zh: "它的探针已经暂停，但说明这一点的那一行始终没有到达评分器：请把命令的标准输出传递出去")
    let waitsForSomething = Message("does it wait for something?", zh: "它是不是在等什么？")
    let exitStatus = Message("your program's exit status", zh: "你的程序的退出状态")
    let itPrinted = Template("it printed: {0}", zh: "它打印了：{0}")
    let itPrintedHint = Template("it printed: {0} — {1}", zh: "它打印了：{0}——{1}")
    let outputWithin = Template("its output within {0} bytes", zh: "它的输出不超过 {0} 字节")
    let outputDropped = Message("more: the rest was read and dropped", zh: "超过了：其余部分已读取并丢弃")
    let waited = Message("your program waited for its command", zh: "你的程序等待了它的命令")
    let didNotWait = Message("no: it ended while its command still ran — wait for the command and exit with its status",
                             zh: "没有：它在命令仍在运行时就结束了——请等待命令结束，并以命令的退出状态退出")
    let procRefused = Message(
        "in a user namespace the kernel mounts a new proc only where a full proc is still visible, for a PID namespace of the mounter's own user namespace: mount proc before you detach the old root",
        zh: "在用户命名空间里，只有当完整的 proc 仍然可见，并且 PID 命名空间属于挂载者自己的用户命名空间时，内核才会挂载新的 proc：请在分离旧根之前挂载 proc")
    let mknodRefused = Message("a user namespace may not make device nodes: bind-mount the few it needs (/dev/null, /dev/zero) instead",
                               zh: "用户命名空间里不能创建设备节点：请改为绑定挂载所需的几个（/dev/null、/dev/zero）")
    let devtmpfsRefused = Message("a user namespace may not mount devtmpfs: mount a tmpfs on /dev and bind the devices it needs",
                                  zh: "用户命名空间里不能挂载 devtmpfs：请在 /dev 上挂载一个 tmpfs，再绑定挂载所需的设备")

    // The probe
    let probeRan = Message("the probe ran", zh: "探针运行了")
    let probePaused = Message("the grader's probe, paused while the grader looked", zh: "评分器的探针，在评分器查看期间保持暂停")
    let severalProbes = Template("{0} of them at once: run the command once", zh: "同时有 {0} 个：命令只运行一次")
    let tracedProbe = Message("traced (ptrace): run the command without a tracer or debugger",
                              zh: "被跟踪（ptrace）：运行命令时不要挂跟踪器或调试器")
    let noProbeProcess = Message(
        "no process of the grader's probe in the sandbox when its output said the probe paused: what a program prints proves nothing, the grader looks at the probe itself",
        zh: "输出说探针已暂停时，沙箱里却没有评分器探针的进程：程序打印的内容什么也证明不了，评分器查看的是探针本身")
    let pauseLineNeverCame = Message("it paused, but the line that says so never reached the grader",
                                     zh: "它暂停了，但说明这一点的那一行始终没有到达评分器")
    let neverPausedWithin = Template("it never paused within {0} s", zh: "它在 {0} 秒内始终没有暂停")
    let withoutArguments = Message("without its arguments (a full report, no pause): pass every argument after the command on to it",
                                   zh: "没有带上它的参数（完整的报告，没有暂停）：把命令后面的每个参数都传给它")
    let neverPaused = Message("it never paused for the grader: was it ended, or its output cut short?",
                              zh: "它始终没有为评分器暂停：是它被结束了，还是它的输出被截断了？")
    let probeNeverRan = Message("none — the probe never ran: does your program run the command it is given with its arguments?",
                                zh: "没有——探针从未运行：你的程序是否带着参数运行了交给它的命令？")
    let probeNeverRanSaid = Template(
        "none — the probe never ran: does your program run the command it is given with its arguments? It said: {0}",
        zh: "没有——探针从未运行：你的程序是否带着参数运行了交给它的命令？它说：{0}")
    let reportAgainstKernel = Message("the probe's report, against the kernel", zh: "探针的报告与内核所示的对照")
    let whatTheKernelShows = Message("what the kernel shows", zh: "与内核所示一致")
    let noReportWithinLimit = Message("none within the output limit", zh: "在输出上限之内没有")
    let noReportReached = Message("none reached the grader: pass the command's standard output on",
                                  zh: "没有一份到达评分器：请把命令的标准输出传递出去")
    let itsPid = Message("its pid", zh: "它的 pid")
    let itsHostname = Message("its hostname", zh: "它的主机名")
    let itsNamespaces = Template("its namespaces ({0})", zh: "它的命名空间（{0}）")
    let reportMismatch = Template("a report that does not match what the kernel shows ({0}): the grader reads the kernel itself",
                                  zh: "报告与内核所示不符（{0}）：评分器自己读取内核")

    // Cgroups
    let noCgroupHere = Template("no cgroup for {0} on this host", zh: "这台宿主机上没有用于 {0} 的 cgroup")
    let both = Template("{0} and {1}", zh: "{0} 和 {1}")
    let noCgroup = Template("no cgroup for {0}: {1}", zh: "没有用于 {0} 的 cgroup：{1}")
}

let gradingText = GradingText()
