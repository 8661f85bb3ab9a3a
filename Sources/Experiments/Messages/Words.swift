/// The shared words, for the library's own use and every chapter's.
public let words = Words()

/// The words every chapter and the engine share: how a check shows nothing, a list, an
/// outcome, how a process ended, and the two sides of a step. Glossary: ../shared/GLOSSARY-zh.md.
public final class Words: MessageTable {
    // The pitfall of a hostname set in the parent after the child started (hostnameSetTooLate).
    let inTheParent = Template("{0} in the parent", zh: "父进程中的 {0}")
    let parentOld = Message("parent, old namespace", zh: "父进程，旧命名空间")
    let childNew = Message("child, new namespace", zh: "子进程，新命名空间")
    let hostnameBefore = Template("hostname before: {0}", zh: "之前的主机名：{0}")
    let hostnameAfter = Template("hostname after:  {0}", zh: "之后的主机名：{0}")
    let renamedByItsOwn = Message("the demo host was renamed by its own process", zh: "演示宿主机被它自己的进程改了名")
    let keptCopiedName = Message("the child kept the name copied at clone time", zh: "子进程保留了 clone 时复制的名字")
    // A value a check shows
    public let nothing = Message("(nothing)", zh: "（无）")
    public let none = Message("none", zh: "无")
    public let notReported = Message("not reported", zh: "未报告")
    public let unchanged = Message("unchanged", zh: "没有变化")
    public let reordered = Message("reordered", zh: "顺序变了")
    public let notReadBefore = Message("not read before", zh: "之前未能读取")
    public let notReadAfter = Message("not read after", zh: "之后未能读取")
    public let isTrue = Message("true", zh: "是")
    public let isFalse = Message("false", zh: "否")
    public let yes = Message("yes", zh: "是")
    public let success = Message("success", zh: "成功")
    public let gone = Message("gone", zh: "已消失")
    public let alive = Message("alive", zh: "存活")
    public let dead = Message("dead", zh: "已死")
    /// Expected of a value that must differ from the old side's: "≠ 4026531838".
    public let differsFrom = Template("≠ {0}", zh: "≠ {0}")
    public let noOutput = Message("(no output)", zh: "（没有输出）")

    // Lists: `{0}` is the list itself, separated as the language separates one
    public let listed = Template("{0} listed", zh: "列出了 {0}")
    public let notListed = Template("{0} not listed", zh: "未列出 {0}")
    public let listedAndMore = Template("{0} listed, and {1} more", zh: "列出了 {0}，另有 {1} 个")
    public let firstAndMore = Template("{0}, … {1} more", zh: "{0}……另有 {1} 个")
    public let added = Template("+ {0}", zh: "+ {0}")
    public let removed = Template("- {0}", zh: "- {0}")
    /// Values that belong together, like several changes: "a; b".
    public let semicolons = Template("{0}; {1}", zh: "{0}；{1}")
    /// Names to choose from: "uts-namespace or ipc-namespace".
    public let or = Template("{0} or {1}", zh: "{0} 或 {1}")
    /// A value and what it means: "4026532315 (new)".
    public let withNote = Template("{0} ({1})", zh: "{0}（{1}）")

    // What a probe saw of files and mounts
    public let empty = Message("(empty)", zh: "（空）")
    public let lsFailed = Template("ls {0}: {1}", zh: "ls {0}：{1}")
    public let moreLines = Template("… {0} more lines", zh: "……另有 {0} 行")
    public let noMount = Message("no mount", zh: "没有挂载")
    public let shared = Message("shared", zh: "共享")
    public let slave = Message("slave", zh: "从属")
    public let `private` = Message("private", zh: "私有")

    // How a process ended
    public let exited = Template("exit {0}", zh: "退出状态 {0}")
    public let killedBy = Template("killed by {0}", zh: "被 {0} 杀死")

    // The first step of every chapter
    public let aNewNamespace = Template("A new {0} namespace", zh: "新的 {0} 命名空间")
    public let newNamespaceInode = Template("{0} namespace inode of the new process", zh: "新进程的 {0} 命名空间 inode 号")

    // The two sides of a step
    public let oldNamespace = Message("old namespace", zh: "旧命名空间")
    public let newNamespace = Message("new namespace", zh: "新命名空间")

    public init() {}
}

extension Termination {
    /// "exit 0", "killed by SIGKILL", in the reader's language.
    public var message: Message {
        switch self {
        case .exited(let code): words.exited(code)
        case .signaled(let signal): words.killedBy(signalName(signal))
        }
    }
}

extension Message {
    /// Messages one after another, each in the reader's language: "a; b; c".
    public static func joined(_ parts: [Message]) -> Message {
        guard var result = parts.first else { return words.none }
        for part in parts.dropFirst() { result = words.semicolons(result, part) }
        return result
    }
}
