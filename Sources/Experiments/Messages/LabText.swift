let labText = LabText()

/// What the lab says when it cannot go on, or when the kernel refused or only pretended: the
/// errors of Lab, Spawn, Probe, Workbench and Lesson.
final class LabText: MessageTable {
    let failedCall = Template("{0}: {1}", zh: "{0}：{1}")
    let killed = Template("{0}; killed", zh: "{0}；已杀死")
    let didNotExit = Template("{0} (pid {1}) did not exit within {2} s; killed", zh: "{0}（pid {1}）没有在 {2} 秒内退出；已杀死")
    let endedBeforeAwaited = Template("{0} ended before printing what was awaited", zh: "{0} 在打印出所等待的内容之前就结束了")
    let printedNothingMore = Template("{0} printed nothing more within the time allowed", zh: "{0} 在允许的时间内没有再打印任何内容")
    let noNamespaceToJoin = Template("{0} reported no {1} namespace to join", zh: "{0} 没有报告可供加入的 {1} 命名空间")
    let demoHostReportedNone = Template("the demo host's probe reported no {0} namespace", zh: "演示宿主机的探针没有报告 {0} 命名空间")
    let notTheReportedNamespace = Template("{0} is not the {1} namespace the demo host reported", zh: "{0} 不是演示宿主机报告的那个 {1} 命名空间")
    let mapsToWrongProcess = Message("not supported: the maps would go to the wrong process", zh: "不支持：映射会写给错误的进程")
    let joinedAnother = Template("refused: expected {0}, the namespace its owner reported, but found {1} (a /proc of another PID namespace, or a setns that returned success but left {2} unchanged)", zh: "拒绝：预期 {0}（其所有者报告的命名空间），实际却是 {1}（另一个 PID 命名空间的 /proc，或者 setns 返回成功却没有改变 {2}）")
    let notPid1 = Message("the child is not pid 1", zh: "子进程不是 1 号进程")
    let linkUnchanged = Template("{0} did not change", zh: "{0} 没有变化")
    let pretended = Template("returned success but {0}: no new namespace", zh: "返回了成功，但{0}：并没有新的命名空间")
    let operationRefused = Message("refused: not in a namespace the child proved the runner's (names need a new or joined UTS namespace, mounts a mount namespace, mkdir and rmdir one and a tmpfs)", zh: "拒绝：不在子进程已证明属于 runner 的命名空间里（改名字需要新建或加入的 UTS 命名空间，挂载需要挂载命名空间，mkdir 和 rmdir 还需要一个 tmpfs）")
    let notProcfs = Message("not a procfs file: something is mounted over it", zh: "不是 procfs 文件：有东西挂载在它上面")
    let unreadableLine = Template("the probe's \"{0}\" line could not be read: {1}", zh: "无法读取探针的“{0}”行：{1}")
    let noLine = Template("the probe printed no \"{0}\" line", zh: "探针没有打印“{0}”行")
    let noLineNumber = Template("the probe printed no \"{0}\" line number {1}", zh: "探针没有打印第 {1} 个“{0}”行")
    let andPrinted = Template("{0}: {1}", zh: "{0}：{1}")
    let workbenchOnHost = Message("the workbench is mounted only inside the runner's sandbox (runner run), never on the host", zh: "工作台只挂载在 runner 的沙箱里（runner run），从不挂载在宿主机上")
    let busyboxListFailed = Message("busybox --list failed", zh: "busybox --list 失败了")
    let noStaticBusybox = Message("no static busybox for the root: apt-get install busybox-static", zh: "没有用于根文件系统的静态 busybox：apt-get install busybox-static")
    let noLessonFile = Template("no lesson file {0} in {1}", zh: "在 {1} 中没有课程文件 {0}")
}

