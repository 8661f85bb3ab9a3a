import Experiments

let runnerText = RunnerText()

/// The runner's own sentences: what its commands print around the library's results, in
/// every language it speaks. (The chapters, the engine and the grader keep theirs beside
/// their code; Catalog.messageTables lists those.) Glossary: ../shared/GLOSSARY-zh.md.
final class RunnerText: MessageTable {
    // run
    let stepOf = Template("Step {0}/{1}", zh: "第 {0}/{1} 步")
    /// The labels before a step's commands, of one width (12 columns) in each language.
    let shellLabel = Message("shell:   ", zh: "shell 命令：")
    let syscallLabel = Message("syscall: ", zh: "系统调用：  ")
    let nameAndValue = Template("{0}: {1}", zh: "{0}：{1}")
    let svgOldSide = Message("the old side's namespaces", zh: "旧一侧的命名空间")
    let svgNewSide = Message("the new side's namespaces", zh: "新一侧的命名空间")
    let pidsMark = Template("(pid {0}, {1} inside)", zh: "（pid {0}，在里面是 {1}）")
    // The columns of a handout's table of checks
    let handoutCheck = Message("Check", zh: "检查")
    let handoutSeen = Message("Seen", zh: "实际")
    let handoutExpected = Message("Expected", zh: "预期")
    let expectedGot = Template("expected {0}, got {1}", zh: "预期 {0}，实际 {1}")
    let seenExpected = Template("{0} (expected: {1})", zh: "{0}（预期：{1}）")
    let notCarriedOut = Template("the runner could not carry out this step, so nothing was judged: {0}", zh: "runner 无法完成这一步，因此没有作出任何判定：{0}")
    let passed = Message("passed", zh: "通过")
    let failed = Message("FAILED", zh: "失败")
    let broken = Message("BROKEN", zh: "无法判定")
    let experimentSummary = Template("{0}: {1} — {2}/{3} checks", zh: "{0}：{1}——{2}/{3} 项检查通过")
    let stepNotCarriedOut = Template(", {0} step not carried out", zh: "，{0} 步未能完成")
    let stepsNotCarriedOut = Template(", {0} steps not carried out", zh: "，{0} 步未能完成")
    let inMilliseconds = Template(" in {0} ms", zh: "，用时 {0} 毫秒")
    let experimentsCount = Template("{0} experiments: ", zh: "{0} 个实验：")
    let countPassed = Template("{0} passed", zh: "{0} 个通过")
    let countFailed = Template("{0} failed", zh: "{0} 个失败")
    let countBroken = Template("{0} broken", zh: "{0} 个无法判定")
    let countCannotRun = Template("{0} could not run here", zh: "{0} 个无法在此运行")
    let partsSeparator = Message(", ", zh: "，")
    let checksInMilliseconds = Template(" — {0}/{1} checks in {2} ms", zh: "——{0}/{1} 项检查通过，用时 {2} 毫秒")
    let nextChapter = Template("Next: `{0}` ({1})", zh: "下一步：`{0}`（{1}）")
    let everyChapterPassed = Template("Every chapter passed. Each lesson ends with a graded exercise to write yourself: `{0}`", zh: "所有章节都已通过。每课的结尾都有一道要你自己编写程序的评分练习：`{0}`")
    let unknownStep = Template("--only: {0} has no step {1}; its steps: {2}", zh: "--only：{0} 没有步骤 {1}；它的步骤有：{2}")
    let onlyOneExperiment = Message("--only names a step of one experiment: give one id", zh: "--only 指的是某一个实验的步骤：请只给出一个实验 id")
    let pressEnter = Message("Press Enter for the next step (Ctrl-C stops; nothing is left behind).", zh: "按回车键进入下一步（Ctrl-C 停止；不会留下任何东西）。")

    // The map of a step
    let whoIsWhereLong = Message("who is where, by namespace inode (as lsns -T and pstree -N show it):", zh: "谁在哪里：按命名空间的 inode 号列出（如同 lsns -T 和 pstree -N 所示）：")
    let whoIsWhere = Message("who is where, by namespace inode", zh: "谁在哪里：按命名空间的 inode 号列出")
    let notDrawn = Message("not drawn (no report of its namespaces): ", zh: "未画出（没有它的命名空间报告）：")
    let newMark = Message("(new)", zh: "（新）")
    let pidMark = Template("(pid {0})", zh: "（pid {0}）")
    let withPid = Template("{0} (pid {1})", zh: "{0}（pid {1}）")
    let demoHost = Message("demo host", zh: "演示宿主机")
    let theRunner = Message("runner", zh: "runner")

    // list
    let notYet = Message("not yet", zh: "尚未通过")
    let startHere = Template("Start with `{0}`: add --explain to read the lesson as it runs.", zh: "从 `{0}` 开始：加上 --explain，边运行边读课文。")
    let cannotRun = Template("cannot run: {0}", zh: "无法运行：{0}")
    let listDetails = Template("namespaces: {0} · Linux ≥ {1} · {2}", zh: "命名空间：{0} · Linux ≥ {1} · {2}")

    // doctor
    let kernel = Template("kernel {0}", zh: "内核 {0}")
    let capSysAdmin = Message("CAP_SYS_ADMIN in the effective set (root)", zh: "有效能力集中有 CAP_SYS_ADMIN（root）")
    let rootlessNote = Message("runs in a user namespace of its own; what needs real root is skipped (below)", zh: "runner 会在一个自己的用户命名空间里运行；需要真正 root 的实验将被跳过（见下）")
    let fixFirst = Message("Next: change what is marked FAIL above, then run `runner doctor` again.", zh: "下一步：修改上面标为 FAIL 的项目，然后再运行 `runner doctor`。")
    let doctorNext = Template("Next: `{0}` shows the chapters in course order; start with `{1}`.", zh: "下一步：`{0}` 按课程顺序列出各章；从 `{1}` 开始。")
    let unprivilegedUserns = Message("unprivileged user namespaces (to run without sudo)", zh: "非特权用户命名空间（不用 sudo 运行时需要）")
    let asRoot = Template("{0}; as root: {1}", zh: "{0}；以 root 身份运行：{1}")
    let namespaceLimit = Template("{0} namespaces ({1} = {2})", zh: "{0} 命名空间（{1} = {2}）")
    let needsLimits = Template("{0} needs max_*_namespaces of at least {1}", zh: "{0} 需要的 max_*_namespaces 至少为：{1}")
    let probeAt = Template("probe at {0}", zh: "探针：{0}")
    let probeMissing = Message("NSLAB_PROBE names a missing file: unset it to use the probe built into the runner", zh: "NSLAB_PROBE 指向一个不存在的文件：取消设置它，即可使用 runner 内置的探针")
    let busybox = Message("busybox for the pivot_root rootfs", zh: "busybox，用于 pivot_root 的根文件系统")
    let libcap = Message("libcap headers (libcap-dev), needed to build", zh: "libcap 头文件（libcap-dev），构建时需要")
    let commandFor = Template("command `{0}` for {1}", zh: "{1} 所需的命令 `{0}`")
    let installPackage = Message("install the package that provides it", zh: "安装提供它的软件包")

    // shell
    let cannotOpenShell = Template("cannot open a shell for {0} on this host: {1}", zh: "无法在这台宿主机上为 {0} 打开 shell：{1}")
    let shellIn = Template("{0}: a shell in new namespaces: {1}", zh: "{0}：一个位于新命名空间里的 shell：{1}")
    let hereAndOldSide = Template("{0} here; the old side's: {1}", zh: "这里是 {0}；旧命名空间的是 {1}")
    let tryThese = Template("Try: {0}. Leave with `exit`.", zh: "试试：{0}。用 `exit` 离开。")
    let nothingOutsideChanged = Message("nothing outside its namespaces changed", zh: "它的命名空间之外没有任何变化")
    let changed = Template("changed: {0}", zh: "有变化：{0}")
    let shellEnded = Template("shell {0}; every process of it is gone; {1}", zh: "shell {0}；它的所有进程都已结束；{1}")

    // Messages on stderr
    let runnerEndedWithoutResult = Template("the runner of {0}, in a sandbox of its own, ended without its result: {1}", zh: "{0} 的 runner（在它自己的沙箱里）结束了，却没有交回结果：{1}")
    let runnerNotStarted = Template("the runner of {0} could not be started in a sandbox of its own: {1}", zh: "无法在 {0} 自己的沙箱里启动它的 runner：{1}")
    let notReaped = Message("not reaped", zh: "未被回收")
    let cannotRunHere = Template("cannot run {0} on this host: {1}", zh: "无法在这台宿主机上运行 {0}：{1}")
    let unknownExperiment = Template("unknown experiment '{0}': {1}", zh: "未知的实验“{0}”：{1}")
    let seeList = Message("run `runner list` to see them", zh: "运行 `runner list` 查看所有实验")
    let didYouMean = Template("did you mean {0}?", zh: "你是不是想输入 {0}？")
    let noCommand = Template("no command given: start with `runner list`, then `runner run uts-namespace --explain`\n\n{0}", zh: "没有给出命令：先运行 `runner list`，再运行 `runner run uts-namespace --explain`\n\n{0}")
    let nameExperiments = Template("name the experiments to run: {0}, or all (see `runner list`)", zh: "请给出要运行的实验：{0}，或 all（见 `runner list`）")
    let nameOneExperiment = Template("name one experiment: {0} (see `runner list`)", zh: "请给出一个实验：{0}（见 `runner list`）")
    let allIsNotOne = Template("`all` is every experiment, and {0} opens one: name it: {1}", zh: "`all` 指所有实验，而 {0} 只打开一个：请给出它的 id：{1}")
    let usage = Template("{0} (see `runner --help`)", zh: "{0}（见 `runner --help`）")
    let usageDidYouMean = Template("{0}; did you mean {1}? (see `runner --help`)", zh: "{0}；你是不是想输入 {1}？（见 `runner --help`）")
    let cannotMakeSandbox = Template("this host cannot make the runner's sandbox: {0}", zh: "这台宿主机无法创建 runner 的沙箱：{0}")
    let couldNotStartSandbox = Template("could not start the runner in its sandbox: {0}", zh: "无法在沙箱中启动 runner：{0}")
    let realHostChanged = Template("the real host changed during the run: {0}", zh: "运行期间宿主机发生了变化：{0}")
    let interrupted = Template("interrupted by {0}: every process of the run was killed; {1}", zh: "被 {0} 中断：本次运行的所有进程都已被杀死；{1}")
    let killedInSandbox = Template("the runner in its sandbox was killed by {0}: nothing was judged; {1}", zh: "沙箱中的 runner 被 {0} 杀死：没有作出任何判定；{1}")
    let hostAsItWas = Message("the real host is as it was", zh: "宿主机保持原样")
    let hostChangedAbove = Message("the real host changed (above)", zh: "宿主机发生了变化（见上）")
    let rootless = Message("without CAP_SYS_ADMIN: running in a user namespace of its own, where it has it (as `unshare --map-root-user` would); what needs real root is skipped", zh: "没有 CAP_SYS_ADMIN：runner 在一个自己的用户命名空间里运行，在那里它拥有这个能力（如同 `unshare --map-root-user` 所做的）；需要真正 root 的实验将被跳过")

    // Results written to files and standard output
    let stdoutClosed = Message("standard output is closed: results would be lost", zh: "标准输出已关闭：结果会丢失")
    let cannotWriteResults = Template("cannot write {0} {1}: {2}", zh: "无法写入 {0} {1}：{2}")
    let couldNotWriteStdout = Template("could not write the results to standard output: {0}", zh: "无法把结果写到标准输出：{0}")
    let couldNotWriteTo = Template("could not write the results to {0} {1}: {2}", zh: "无法把结果写入 {0} {1}：{2}")
    let fileUnchanged = Template("{0}; {1} is unchanged", zh: "{0}；{1} 保持不变")
    let inDirectory = Template("directory {0}: {1}", zh: "目录 {0}：{1}")
    let socket = Message("a socket cannot be opened as a file", zh: "套接字不能作为文件打开")

    // grade
    let workerIsTheGraders = Message("--worker is the grader's own: run `runner grade CHECKOUT...`", zh: "--worker 是评分器自己用的：请运行 `runner grade CHECKOUT...`")
    let gradeNeedsRoot = Message("runner grade needs real root: each sandbox maps ids of the machine (run it with sudo)", zh: "runner grade 需要真正的 root：每个沙箱都要映射这台机器的 id（请用 sudo 运行）")
    let cannotGrade = Template("cannot grade on this host: {0}", zh: "无法在这台宿主机上评分：{0}")
    let rlimitsInstead = Template("{0}: memory is bounded with RLIMIT_DATA and processes with RLIMIT_NPROC instead", zh: "{0}：改用 RLIMIT_DATA 限制内存，用 RLIMIT_NPROC 限制进程数")
    let cgroupLeft = Template("the real host changed during the run: a cgroup of the grader's is left: {0}", zh: "运行期间宿主机发生了变化：评分器留下了一个 cgroup：{0}")
    let badTimeout = Template("--timeout: {0} is not a number of seconds from 0.1 to 3600", zh: "--timeout：{0} 不是 0.1 到 3600 之间的秒数")
    let badClassroom = Template("--classroom {0}: a step id of letters and digits only (GitHub Classroom's reporter hides its errors for others)", zh: "--classroom {0}：步骤 id 只能由字母和数字组成（否则 GitHub Classroom 的报告器会把错误藏起来）")
    let badJobs = Template("--jobs: {0} is not a number of checkouts from 1", zh: "--jobs：{0} 不是从 1 起的代码目录数")
    let badManifest = Template("bad manifest: {0}", zh: "课程清单有误：{0}")
    let unknownOnly = Template("--only: unknown exercise {0}", zh: "--only：未知的练习 {0}")
    let unknownOnlyClose = Template("--only: unknown exercise {0}; did you mean {1}?", zh: "--only：未知的练习 {0}；你是不是想输入 {1}？")
    let noGitHubOutput = Template("--classroom {0}: GITHUB_OUTPUT is not set (with sudo: sudo --preserve-env=GITHUB_OUTPUT)", zh: "--classroom {0}：没有设置 GITHUB_OUTPUT（用 sudo 时：sudo --preserve-env=GITHUB_OUTPUT）")
    let cannotWriteFile = Template("cannot write {0} to {1}: {2}", zh: "无法把{0}写入 {1}：{2}")
    let stepSummary = Message("the step summary", zh: "步骤摘要")

    // grade, on the terminal
    let seed = Template(" (seed {0})", zh: "（种子 {0}）")
    let buildLine = Template("{0}: {1}", zh: "{0}：{1}")
    let alsoFailing = Template("{0} (also failing: {1})", zh: "{0}（同样失败的还有：{1}）")
    let above = Message("(above)", zh: "（见上）")
    let score = Template("score {0}/{1}", zh: "得分 {0}/{1}")
}

