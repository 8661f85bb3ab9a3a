import ArgumentParser
import Experiments
import Glibc

/// The language the runner speaks to a student in its text output. Presentation only: the
/// Experiments library names checks, observations and steps in English, and JSON and JUnit
/// keep those names (and the check ids) as they are, so that CI sees the same in every
/// language; the runner translates what it prints.
enum Language: String, CaseIterable, Sendable {
    case en, zh

    /// What the runner prints in, set when the command line is parsed (a command's language
    /// option's validate()); messages on stderr and the `--step` prompt read it.
    nonisolated(unsafe) static var current = Language.en

    /// `--lang` when given; otherwise the locale, as setlocale(3) picks the messages' language:
    /// the first of LC_ALL, LC_MESSAGES and LANG that is set and not empty, Chinese when it
    /// starts with "zh" (zh_CN.UTF-8, zh_TW, zh), English otherwise. The processes the runner
    /// starts always get LC_ALL=C; the runner inside its sandbox gets this environment.
    static func resolve(_ flag: String?, environment: [String: String] = localeEnvironment()) -> Language {
        if let flag, let language = Language(rawValue: flag) { return language }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        return locale?.hasPrefix("zh") == true ? .zh : .en
    }

    /// LC_ALL, LC_MESSAGES and LANG of this process, those that are set.
    static func localeEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return environment
    }

    /// Checks a `--lang` value (nil: not given) and makes the language it selects current.
    static func select(_ flag: String?) throws -> Language {
        if let flag, Language(rawValue: flag) == nil {
            throw ValidationError("--lang must be en or zh, not '\(flag)'")
        }
        current = resolve(flag)
        return current
    }

    // MARK: the runner's own words

    /// One of the runner's own sentences: `format` is the English, with `%` for each value in
    /// order; in Chinese, Chinese.formats has the same sentence under that key. A format
    /// missing from the table prints in English (ChineseTests fails on it).
    func text(_ format: String, _ values: Any...) -> String {
        let template = self == .zh ? Chinese.formats[format] ?? format : format
        return PhraseTable.fill(template, values.map { "\($0)" })
    }

    // MARK: what the Experiments library wrote

    /// A check name, an observation label, a step's or experiment's title, a syscall, a shell
    /// line's comment: as the student reads it.
    func name(_ text: String) -> String { self == .zh ? Chinese.phrases.translate(text) : text }

    /// A check's expected or actual value: the words the library writes ("unchanged", "none",
    /// "key 0x… listed") translated, the values the kernel or a program gave kept as they are.
    func value(_ text: String) -> String { self == .zh ? Chinese.values.translate(text) : text }

    /// A line of an observation's output: the sentences the library writes about what a probe
    /// saw ("orphan 38: its parent 37 exited") translated; what a program printed (ps, ipcs,
    /// hostname) is shown as it printed it, so only those sentences are in the table.
    func line(_ text: String) -> String { self == .zh ? Chinese.lines.translate(text) : text }

    /// A message on stderr (the runner's, or a reason the host cannot run something).
    func message(_ text: String) -> String { self == .zh ? Chinese.messages.translate(text) : text }

    /// A step's result with every name, label, value and library-written output line in this
    /// language; the key, the commands, the verdict and the namespaces stay.
    func localized(_ result: StepResult) -> StepResult {
        guard self != .en else { return result }
        return StepResult(
            key: result.key, title: name(result.title), shell: name(result.shell), syscalls: result.syscalls.map(name),
            observations: result.observations.map(localized),
            checks: result.checks.map { Check(name($0.name), expected: value($0.expected), actual: value($0.actual),
                                              passed: $0.passed) },
            broken: result.broken, seconds: result.seconds)
    }

    func localized(_ observation: Observation) -> Observation {
        guard self != .en else { return observation }
        return Observation(name(observation.label), command: observation.command, output: observation.output.map(line),
                           namespaces: observation.namespaces)
    }
}

/// `--lang` alone, for the commands that print fixed words but read no lesson (list, doctor).
struct TextLanguageOption: ParsableArguments {
    @Option(name: .customLong("lang"),
            help: ArgumentHelp("Language of what is printed: en or zh (default: zh when LC_ALL, LC_MESSAGES or LANG starts with zh, else en).",
                               valueName: "lang"))
    var requested: String?

    /// The language asked for: --lang, else the locale's.
    var language: Language { Language.resolve(requested) }

    func validate() throws { _ = try Language.select(requested) }
}

/// English → Chinese, keyed by the English text. An entry's English may hold `%`, each
/// standing for a value (a signal, a count, a path): "kill(1, %) succeeded and init lived on".
/// Its Chinese takes the values in order at each `%`, or by number at `%1`, `%2`; a value that
/// is itself an entry of the values table (or of the same table) is translated too.
struct PhraseTable: Sendable {
    private let exact: [String: String]
    private let patterns: [(pieces: [String], chinese: String)]
    /// The English keys that appear more than once (a mistake; ChineseTests fails on it).
    let duplicates: [String]
    let entries: [(english: String, chinese: String)]

    init(_ entries: [(String, String)]) {
        self.entries = entries
        var exact: [String: String] = [:], duplicates: [String] = []
        for (english, chinese) in entries {
            if exact[english] != nil { duplicates.append(english) }
            exact[english] = chinese
        }
        self.exact = exact
        self.duplicates = duplicates
        // The most specific pattern first: "% not listed" before "% listed".
        patterns = entries.filter { $0.0.contains("%") }
            .map { (pieces: $0.0.split(separator: "%", omittingEmptySubsequences: false).map(String.init), chinese: $0.1) }
            .enumerated().sorted { a, b in
                let x = a.element.pieces.reduce(0) { $0 + $1.count }, y = b.element.pieces.reduce(0) { $0 + $1.count }
                return x != y ? x > y : a.offset < b.offset
            }.map(\.element)
    }

    /// The Chinese of `text`, or `text` itself when no entry matches it whole.
    func translate(_ text: String) -> String { translation(of: text) ?? text }

    func translation(of text: String) -> String? {
        if let chinese = exact[text] { return chinese }
        for pattern in patterns {
            guard let values = PhraseTable.match(Substring(text), pattern.pieces[...]) else { continue }
            return PhraseTable.fill(pattern.chinese, values.map { value in
                Chinese.values.translation(of: value) ?? translation(of: value) ?? value
            })
        }
        return nil
    }

    /// The values of `text` at the pattern's `%`s (each at least one character), or nil.
    static func match(_ text: Substring, _ pieces: ArraySlice<String>) -> [String]? {
        guard let first = pieces.first, text.hasPrefix(first) else { return nil }
        let rest = text.dropFirst(first.count)
        let remaining = pieces.dropFirst()
        guard let next = remaining.first else { return rest.isEmpty ? [] : nil }
        if remaining.count == 1 {  // the last value: up to the pattern's end
            guard rest.hasSuffix(next), rest.count > next.count else { return nil }
            return [String(rest.dropLast(next.count))]
        }
        // A value, then the next piece: try each place the piece occurs, the nearest first.
        guard !rest.isEmpty else { return nil }
        var from = rest.index(after: rest.startIndex)
        while let found = rest[from...].firstRange(of: next) {
            if let values = match(rest[found.lowerBound...], remaining) {
                return [String(rest[..<found.lowerBound])] + values
            }
            guard found.lowerBound < rest.endIndex else { break }
            from = rest.index(after: found.lowerBound)
        }
        return nil
    }

    /// `template` with each `%` replaced by the next value, and `%1`…`%9` by that value.
    static func fill(_ template: String, _ values: [String]) -> String {
        var result = "", next = 0
        var characters = template[...]
        while let character = characters.popFirst() {
            guard character == "%" else {
                result.append(character)
                continue
            }
            if let digit = characters.first?.wholeNumberValue, digit >= 1 {
                characters.removeFirst()
                result += digit <= values.count ? values[digit - 1] : ""
            } else {
                result += next < values.count ? values[next] : "%"
                next += 1
            }
        }
        return result
    }
}

/// Every string the runner prints for a student, in Simplified Chinese, with the terms of
/// /work/shared/GLOSSARY-zh.md (命名空间, 宿主机, 演示宿主机, 旧命名空间 / 新命名空间, 1 号进程,
/// 孤儿进程, 僵尸进程, 回收, 挂载, inode 号). "runner", commands, syscalls, errno and signal
/// names stay as they are, as in the lessons.
enum Chinese {
    /// The runner's own sentences (Language.text), by their English format.
    static let formats: [String: String] = Dictionary(formatEntries, uniquingKeysWith: { first, _ in first })
    static let formatEntries: [(String, String)] = [
        // run
        ("Step %/%", "第 %/% 步"),
        // The labels before a step's commands, padded to the same width (12 columns).
        ("shell:   ", "shell 命令："),
        ("syscall: ", "系统调用：  "),
        ("(no output)", "（没有输出）"),
        ("%: %", "%：%"),
        ("expected %, got %", "预期 %，实际 %"),
        ("% (expected: %)", "%（预期：%）"),
        ("cannot open a shell for % on this host: %", "无法在这台宿主机上为 % 打开 shell：%"),
        ("%: a shell in new namespaces: %", "%：一个位于新命名空间里的 shell：%"),
        ("% here; the old side's: %", "这里是 %；旧命名空间的是 %"),
        ("Try: %. Leave with `exit`.", "试试：%。用 `exit` 离开。"),
        ("nothing outside its namespaces changed", "它的命名空间之外没有任何变化"),
        ("changed: %", "有变化：%"),
        ("shell %; every process of it is gone; %", "shell %；它的所有进程都已结束；%"),
        ("the runner could not carry out this step, so nothing was judged: %",
         "runner 无法完成这一步，因此没有作出任何判定：%"),
        ("passed", "通过"),
        ("FAILED", "失败"),
        ("BROKEN", "无法判定"),
        ("%: % — %/% checks", "%：% — %/% 项检查通过"),
        (", % step not carried out", "，% 步未能完成"),
        (", % steps not carried out", "，% 步未能完成"),
        (" in % ms", "，用时 % 毫秒"),
        ("% experiments: ", "% 个实验："),
        ("% passed", "% 个通过"),
        ("% failed", "% 个失败"),
        ("% broken", "% 个无法判定"),
        ("% could not run here", "% 个无法在此运行"),
        (", ", "，"),
        (" — %/% checks in % ms", " — %/% 项检查通过，用时 % 毫秒"),
        ("Press Enter for the next step (Ctrl-C stops; nothing is left behind).",
         "按回车键进入下一步（Ctrl-C 停止；不会留下任何东西）。"),
        // list
        ("ready", "可以运行"),
        ("cannot run: %", "无法运行：%"),
        ("; ", "；"),
        ("namespaces: % · Linux ≥ % · %", "命名空间：% · Linux ≥ % · %"),
        // doctor
        ("kernel %", "内核 %"),
        ("CAP_SYS_ADMIN in the effective set (root)", "有效能力集中有 CAP_SYS_ADMIN（root）"),
        ("% namespaces (% = %)", "% 命名空间（% = %）"),
        ("%; as root: sysctl -w %", "%；以 root 身份运行：sysctl -w %"),
        ("unprivileged user namespaces (to run without sudo)", "非特权用户命名空间（不用 sudo 运行时需要）"),
        ("%; as root: %", "%；以 root 身份运行：%"),
        ("% needs max_*_namespaces of at least %", "% 需要的 max_*_namespaces 至少为：%"),
        ("probe at %", "探针：%"),
        ("NSLAB_PROBE names a missing file: unset it to use the probe built into the runner",
         "NSLAB_PROBE 指向一个不存在的文件：取消设置它，即可使用 runner 内置的探针"),
        ("busybox for the pivot_root rootfs", "busybox，用于 pivot_root 的根文件系统"),
        ("libcap headers (libcap-dev), needed to build", "libcap 头文件（libcap-dev），构建时需要"),
        ("command `%` for %", "%2 所需的命令 `%1`"),
        ("install the package that provides it", "安装提供它的软件包"),
        // The map of a step (MapRenderer; its labels come translated in the step's result):
        // its fixed words, for it to print through Language.text.
        ("who is where, by namespace inode (as lsns -T and pstree -N show it):",
         "谁在哪里：按命名空间的 inode 号列出（如同 lsns -T 和 pstree -N 所示）："),
        ("who is where, by namespace inode", "谁在哪里：按命名空间的 inode 号列出"),
        ("not drawn (no report of its namespaces): ", "未画出（没有它的命名空间报告）："),
        ("demo host", "演示宿主机"),
        ("(new)", "（新）"),
    ]

    /// Check names, observation labels, step and experiment titles, syscalls: what the
    /// Experiments library names, by its English.
    static let phrases = PhraseTable([
        // Experiment titles (`list`, and `run` without a lesson)
        ("UTS namespace: hostname and NIS domain name", "UTS 命名空间：主机名与 NIS 域名"),
        ("IPC namespace: System V message queues, shared memory and semaphores",
         "IPC 命名空间：System V 消息队列、共享内存与信号量"),
        ("PID namespace: pid 1, /proc, orphans, kill -9 and joining",
         "PID 命名空间：1 号进程、/proc、孤儿进程、kill -9 与加入"),
        ("Mount namespace: bind mounts, propagation and unmounting", "挂载命名空间：绑定挂载、传播与卸载"),
        ("pivot_root: a busybox root for a mount namespace", "pivot_root：为挂载命名空间换上 busybox 根文件系统"),
        ("Network namespace: loopback, veth pairs, ports and routes", "网络命名空间：回环接口、veth 设备对、端口与路由"),
        ("User namespace: uid and gid maps, capabilities, file access and limits",
         "用户命名空间：uid 与 gid 映射、能力、文件访问与数量上限"),

        // Step titles (shown when the lesson has no section for the step)
        ("A new % namespace", "新的 % 命名空间"),
        ("Setting the names inside the new namespace", "在新命名空间里设置名字"),
        ("Pitfall: setting the hostname too late", "陷阱：设置主机名太晚"),
        ("A queue made outside", "在外面创建的队列"),
        ("A queue made inside", "在里面创建的队列"),
        ("Shared memory and semaphores", "共享内存与信号量"),
        ("Cleaning up with ipcrm", "用 ipcrm 清理"),
        ("You are pid 1", "你是 1 号进程"),
        ("/proc must be mounted again", "/proc 必须重新挂载"),
        ("Orphans are adopted by the namespace's init", "孤儿进程由命名空间的 init 收养"),
        ("`kill -9 1` from inside does nothing", "在里面执行 `kill -9 1` 毫无作用"),
        ("SIGKILL from the parent namespace ends the whole namespace", "从父命名空间发出的 SIGKILL 会结束整个命名空间"),
        ("Joining with setns(2): only your children move", "用 setns(2) 加入：只有你的子进程会移动"),
        ("No forking into a dead namespace", "不能再 fork 进已经死亡的命名空间"),
        ("Zombies: someone must call wait(2)", "僵尸进程：总得有人调用 wait(2)"),
        ("A new mount namespace", "新的挂载命名空间"),
        ("A bind mount shows only in its namespace", "绑定挂载只在它的命名空间里可见"),
        ("Shared mounts propagate back; slave and private ones do not", "共享挂载会传播回去，从属挂载和私有挂载不会"),
        ("Unmounting: busy, lazy (MNT_DETACH) and expiring (MNT_EXPIRE)", "卸载：忙碌、延迟（MNT_DETACH）与过期（MNT_EXPIRE）"),
        ("pivot_root needs a mount point, then the old root can go", "pivot_root 需要一个挂载点，之后旧根就可以移除"),
        ("pivot_root(\".\", \".\"): no directory for the old root", "pivot_root(\".\", \".\")：无需为旧根准备目录"),
        ("chroot is not pivot_root: a chroot can be climbed out of", "chroot 不是 pivot_root：可以从 chroot 里爬出去"),
        ("A new network namespace: only lo, and it is down", "新的网络命名空间：只有 lo，而且它没有启用"),
        ("Bring lo up: loopback works inside", "启用 lo：回环接口在里面能用了"),
        ("The same port, bound in two namespaces at once", "同一个端口，同时绑定在两个命名空间里"),
        ("A veth pair: a cable between two namespaces", "veth 设备对：连接两个命名空间的一根网线"),
        ("Moving a device: by pid, by name, and when its namespace dies", "移动设备：按 pid、按名字，以及它的命名空间消亡时"),
        ("No maps yet: nobody, with every capability", "还没有映射：身为 nobody，却拥有全部能力"),
        ("Maps: 100 inside is 200 outside", "映射：里面的 100 就是外面的 200"),
        ("The errors a map write gives", "写映射时会遇到的错误"),
        ("Files through the map: owner 200 is 100 inside", "透过映射看文件：属主 200 在里面是 100"),
        ("No root needed: nobody makes a user namespace and is root there", "无需 root：nobody 创建一个用户命名空间，并在其中成为 root"),
        ("A limit of 0 user namespaces, set inside a user namespace", "在用户命名空间里，把用户命名空间的数量上限设为 0"),
        ("Nothing changed outside the experiment's namespaces", "实验的命名空间之外没有任何变化"),

        // Observation labels
        ("old namespace", "旧命名空间"),
        ("new namespace", "新命名空间"),
        ("parent, old namespace", "父进程，旧命名空间"),
        ("child, new namespace", "子进程，新命名空间"),
        ("new PID namespace, host's /proc", "新 PID 命名空间，宿主机的 /proc"),
        ("new PID and mount namespaces, fresh /proc", "新 PID 与挂载命名空间，新挂载的 /proc"),
        ("inside, before", "里面，之前"),
        ("the runner's view", "runner 看到的"),
        ("the caller of setns", "setns 的调用者"),
        ("nsenter", "nsenter 进入后"),
        // mount-namespace
        ("new namespace, / as it came (shared)", "新命名空间，/ 保持原样（共享）"),
        ("old namespace, after it", "旧命名空间，随后"),
        ("new namespace, after mount --make-rslave /", "新命名空间，执行 mount --make-rslave / 之后"),
        ("new namespace, after mount --make-rprivate /", "新命名空间，执行 mount --make-rprivate / 之后"),
        ("old namespace, meanwhile", "旧命名空间，与此同时"),
        ("new namespace, another process", "新命名空间，另一个进程"),
        ("new namespace, the process in %", "新命名空间，位于 % 的进程"),
        // pivot-root
        ("new namespace, before the bind mount", "新命名空间，绑定挂载之前"),
        ("new namespace, after it", "新命名空间，绑定挂载之后"),
        ("new namespace, chroot", "新命名空间，chroot"),
        ("new namespace, pivot_root", "新命名空间，pivot_root"),
        // net-namespace
        ("new namespace, after ip link set lo up", "新命名空间，执行 ip link set lo up 之后"),
        ("new namespace, meanwhile", "新命名空间，与此同时"),
        // user-namespace
        ("new namespace, the same process after unshare(CLONE_NEWUSER)", "新命名空间，unshare(CLONE_NEWUSER) 之后的同一个进程"),
        ("the runner, outside", "外面的 runner"),
        ("a user namespace nested in it, as root", "嵌套在它里面的用户命名空间中的 root"),
        ("new namespaces", "几个新命名空间"),
        ("new namespace, the writes in order", "新命名空间，按正确的顺序写入"),
        ("new namespace, mapped by the runner", "新命名空间，由 runner 写入映射"),
        ("old namespace, real root", "旧命名空间，真正的 root"),
        ("new namespace, 100 as 200", "新命名空间，100 即外面的 200"),
        ("new namespace, root as 200", "新命名空间，root 即外面的 200"),
        ("nobody, then new namespaces", "nobody，随后进入新命名空间"),

        // Check names: every chapter's, then the engine's
        ("% namespace inode of the new process", "新进程的 % 命名空间 inode 号"),
        // uts-namespace
        ("hostname inside", "新命名空间里的主机名"),
        ("NIS domain name inside", "新命名空间里的 NIS 域名"),
        ("hostname outside, unchanged", "旧命名空间里的主机名，没有变化"),
        ("NIS domain name outside, unchanged", "旧命名空间里的 NIS 域名，没有变化"),
        ("the demo host was renamed by its own process", "演示宿主机被它自己的进程改了名"),
        ("the child kept the name copied at clone time", "子进程保留了 clone 时复制的名字"),
        // ipc-namespace
        ("the old namespace sees the queue it made", "旧命名空间看得到它创建的队列"),
        ("message queues the new namespace sees", "新命名空间看到的消息队列"),
        ("the new namespace sees its queue", "新命名空间看得到它的队列"),
        ("the old namespace does not see it", "旧命名空间看不到它"),
        ("nor after the new namespace is gone", "新命名空间消失之后也看不到"),
        ("the old namespace sees its segment and semaphore set", "旧命名空间看得到它的共享内存段和信号量集"),
        ("segments the new namespace sees", "新命名空间看到的共享内存段"),
        ("semaphore sets the new namespace sees", "新命名空间看到的信号量集"),
        ("the old namespace sees none of the new one's", "旧命名空间看不到新命名空间的任何对象"),
        ("objects the old namespace had made", "旧命名空间创建过的对象"),
        ("ipcrm", "ipcrm 的结束状态"),
        ("% left in the old namespace", "旧命名空间里剩下的%"),
        ("message queues", "消息队列"),
        ("shared memory segments", "共享内存段"),
        ("semaphore sets", "信号量集"),
        // pid-namespace
        ("getpid() inside", "新命名空间里的 getpid()"),
        ("NSpid: its pid outside, then inside", "NSpid 字段：先是它在外面的 pid，然后是里面的"),
        ("getpid() of the old process is its pid in the runner's namespace",
         "旧进程的 getpid() 是它在 runner 所在命名空间里的 pid"),
        ("with the host's /proc, the runner's processes still show", "用宿主机的 /proc，仍能看到 runner 的进程"),
        ("with a fresh /proc, the pids listed", "用新挂载的 /proc，列出的 pid"),
        ("the host's mounts did not change", "宿主机的挂载没有变化"),
        ("new parent of the orphan inside", "新命名空间里孤儿进程的新父进程"),
        ("pid 1 reaped it", "1 号进程回收了它"),
        ("new parent of the orphan outside: the runner", "旧命名空间里孤儿进程的新父进程（runner）"),
        ("signals sent to pid 1 from inside", "从里面发给 1 号进程的信号"),
        ("kill(1, %) succeeded and init lived on", "kill(1, %) 成功，init 依然存活"),
        ("init ended on its own", "init 自行结束"),
        ("init reported after both signals", "两个信号之后 init 仍作了报告"),
        ("processes in the namespace before", "杀死 init 之前，命名空间里的进程数"),
        ("init", "init 如何结束"),
        ("processes in the namespace after init died", "init 死后命名空间里的进程数"),
        ("the caller's own pid namespace after setns", "setns 之后调用者自己的 PID 命名空间"),
        ("the caller's pid_for_children after setns", "setns 之后调用者的 pid_for_children"),
        ("the pid namespace of the child it forked", "它 fork 出的子进程的 PID 命名空间"),
        ("getppid() in that child (its parent is outside)", "该子进程里的 getppid()（它的父进程在外面）"),
        ("nsenter's shell: not pid 1, and its parent is outside", "nsenter 启动的 shell：不是 1 号进程，父进程在外面"),
        ("fork() in its own namespace", "在自己的命名空间里 fork()"),
        ("pid_for_children after setns into the live namespace", "setns 进入存活的命名空间之后的 pid_for_children"),
        ("fork() after init died", "init 死后 fork()"),
        ("state of the exited, unreaped child", "已退出、未被回收的子进程的状态"),
        ("after waitpid", "waitpid 之后"),
        ("every process the experiment started has been reaped", "实验启动的每个进程都已被回收"),
        // mount-namespace
        ("at % the new namespace lists", "新命名空间在 % 列出的内容"),
        ("its mount there shows the source's directory as its root", "它在那里的挂载以来源目录为根"),
        ("at % the old namespace lists", "旧命名空间在 % 列出的内容"),
        ("the old namespace has no mount there", "旧命名空间在那里没有挂载"),
        ("/mnt in the old namespace is shared (the demo host made it so)", "旧命名空间里的 /mnt 是共享的（演示宿主机设置的）"),
        ("a tmpfs mounted in the new namespace shows in the old one", "新命名空间里挂载的 tmpfs 出现在旧命名空间里"),
        ("umount % in the old namespace (cleaning up)", "在旧命名空间里 umount %（清理）"),
        ("after it, no mount at % there", "之后，旧命名空间在 % 没有挂载"),
        ("after mount --make-rslave /, the new namespace's /mnt is", "执行 mount --make-rslave / 之后，新命名空间的 /mnt 是"),
        ("after mount --make-rprivate /, the new namespace's /mnt is", "执行 mount --make-rprivate / 之后，新命名空间的 /mnt 是"),
        ("after mount --make-rslave /, the old namespace has no mount at %", "执行 mount --make-rslave / 之后，旧命名空间在 % 没有挂载"),
        ("after mount --make-rprivate /, the old namespace has no mount at %", "执行 mount --make-rprivate / 之后，旧命名空间在 % 没有挂载"),
        ("umount2(%, 0) while a process works there", "有进程在那里工作时 umount2(%, 0)"),
        ("umount2(%, MNT_DETACH), as umount --lazy", "umount2(%, MNT_DETACH)，即 umount --lazy"),
        ("then % is gone from mountinfo", "之后 % 从 mountinfo 中消失"),
        ("the process there still opens its file for writing", "那里的进程仍能以写方式打开它的文件"),
        ("umount2(%, MNT_EXPIRE) the first time marks it", "第一次 umount2(%, MNT_EXPIRE) 只作标记"),
        ("the second time, unused since, unmounts it", "第二次（期间没人用过）将它卸载"),
        // pivot-root
        ("pivot_root while % is not a mount point", "% 还不是挂载点时的 pivot_root"),
        ("after the bind mount and pivot_root, / lists the busybox root", "绑定挂载并执行 pivot_root 之后，/ 列出的是 busybox 根文件系统"),
        ("the mounts it sees: the new root and its /proc, the old root detached", "它看到的挂载（新根和它的 /proc，旧根已分离）"),
        ("the old namespace's / is unchanged", "旧命名空间的 / 没有变化"),
        ("and it has no mount at %", "旧命名空间在 % 也没有挂载"),
        ("/ lists the busybox root", "/ 列出的是 busybox 根文件系统"),
        ("the old root, stacked on the new one by pivot_root, is detached", "pivot_root 叠在新根之上的旧根已被分离"),
        ("the escape, in the chroot", "在 chroot 里逃逸"),
        ("after it, the chrooted process sees the old namespace's /", "逃逸之后，chroot 里的进程看到旧命名空间的 /"),
        ("the same escape, after pivot_root", "pivot_root 之后，同样的逃逸"),
        ("after it, the pivoted process still sees only the busybox root", "逃逸之后，切换过根的进程仍然只看到 busybox 根文件系统"),
        // net-namespace
        ("devices in the new namespace", "新命名空间里的设备"),
        ("its routes", "新命名空间里的路由"),
        ("connect(%) there", "在新命名空间里 connect(%)"),
        ("the same connect in the old namespace (lo up, nobody listening)", "在旧命名空间里做同样的 connect（lo 已启用，没有进程在监听）"),
        // Also the syscall of the same words (step loopback-up), which runs there too.
        ("listen(127.0.0.1:8080)", "在新命名空间里 listen(127.0.0.1:8080)"),
        ("connect(%): a TCP handshake over lo", "connect(%)，经由 lo 的一次 TCP 握手"),
        ("listen(%) in the old namespace", "在旧命名空间里 listen(%)"),
        ("the same port in the new namespace, meanwhile", "与此同时，在新命名空间里监听同一个端口"),
        ("a second listen on it in the new namespace: the port is taken there", "在新命名空间里第二次监听它，端口在那里已被占用"),
        ("routes in the new namespace before the cable", "接上网线之前，新命名空间里的路由"),
        ("devices in the new namespace after it", "接上网线之后，新命名空间里的设备"),
        ("its routes: only the one the address brought", "它的路由，只有添加地址时带来的那一条"),
        ("devices in the old namespace", "旧命名空间里的设备"),
        ("connect(%) from the new namespace, across the cable", "从新命名空间经网线 connect(%)"),
        ("by pid: % is in the new namespace", "按 pid 移动：% 在新命名空间里"),
        ("and gone from the old one", "并且已从旧命名空间里消失"),
        ("back by the demo host's pid, from inside", "从里面按演示宿主机的 pid 移回"),
        ("ip netns attach: a bind mount of the namespace under /run/netns", "ip netns attach 在 /run/netns 下为命名空间做的绑定挂载"),
        ("by name: % is in the new namespace again", "按名字移动：% 又回到新命名空间里"),
        ("when the new namespace died, its end of the pair went, and the other with it", "新命名空间消亡时，设备对在里面的一端随之消失，另一端也一起消失"),
        ("the old namespace's devices at the end", "最后旧命名空间里的设备"),
        // user-namespace
        ("user namespace inode after unshare", "unshare 之后的用户命名空间 inode 号"),
        ("its uid, unmapped: the overflow uid", "它的 uid 没有映射，显示为溢出 uid（overflowuid）"),
        ("its gid: the overflow gid", "它的 gid 显示为溢出 gid（overflowgid）"),
        ("its uid_map", "它的 uid_map"),
        ("its capabilities (cap_to_text)", "它的能力（cap_to_text 格式）"),
        ("sethostname in the demo host's UTS namespace, which another user namespace owns",
         "在演示宿主机的 UTS 命名空间里 sethostname（该命名空间属于另一个用户命名空间）"),
        ("the demo host's hostname", "演示宿主机的主机名"),
        ("uid and gid inside", "新命名空间里的 uid 和 gid"),
        ("setgroups, written first", "setgroups，最先写入"),
        ("uid_map read inside", "在新命名空间里读到的 uid_map"),
        ("read from the parent namespace: the second column is the parent's id",
         "从父命名空间读取，第二列是父命名空间里的 id"),
        ("read from a namespace nested inside: the second column is the reader's id",
         "从嵌套在里面的命名空间读取，第二列是读取者所在命名空间里的 id"),
        ("capabilities of uid 100 after execve (not 0 inside: none)", "execve 之后 uid 100 的能力（在里面不是 0：一个也没有）"),
        ("gid_map written by the process itself before setgroups deny", "进程自己在 setgroups deny 之前写 gid_map"),
        ("uid_map mapping an id the writer does not have", "uid_map 映射了写入者并不拥有的 id"),
        ("setgroups deny, then its own gid and uid: uid inside", "先 setgroups deny，再映射自己的 gid 和 uid，之后里面的 uid"),
        ("a second write to a map", "第二次写同一个映射"),
        ("a map line without its count", "缺少数量一栏的映射行"),
        ("100 inside opens 200's file for writing", "里面的 100 以写方式打开 200 的文件"),
        ("and not root's 0600 file", "但打不开 root 的 0600 文件"),
        ("root inside (200 outside) has every capability there", "里面的 root（外面是 200）在那里拥有全部能力"),
        ("yet CAP_DAC_OVERRIDE does not open root's 0600 file: uid 0 outside is not mapped",
         "CAP_DAC_OVERRIDE 却打不开 root 的 0600 文件，因为外面的 uid 0 没有映射进来"),
        ("real root outside opens it", "外面真正的 root 能打开它"),
        ("uid before: nobody", "之前的 uid 是 nobody"),
        ("unshare(CLONE_NEWUSER|CLONE_NEWUTS) as nobody", "以 nobody 身份 unshare(CLONE_NEWUSER|CLONE_NEWUTS)"),
        ("uid_map, written by itself", "uid_map，由它自己写入"),
        ("uid and capabilities inside", "新命名空间里的 uid 和能力"),
        ("its UTS namespace", "它的 UTS 命名空间"),
        ("sethostname there: its own user namespace owns that UTS namespace",
         "在那里 sethostname，那个 UTS 命名空间属于它自己的用户命名空间"),
        ("its hostname", "它的主机名"),
        ("the limit inside", "新命名空间里的上限"),
        ("a user namespace nested in it", "嵌套在它里面的用户命名空间"),
        ("the limit where the runner runs, unchanged", "runner 运行之处的上限，没有变化"),
        // The engine: a refused namespace, and the last step
        ("the kernel made and joined the namespaces the step needs", "内核创建并加入了这一步所需的命名空间"),
        ("hostname, domainname, SysV IPC, mounts and network devices where the runner runs",
         "runner 运行之处的主机名、NIS 域名、SysV IPC、挂载和网络设备"),
        ("processes of the experiment still running, or zombies", "实验中仍在运行的进程或僵尸进程"),

        // Syscalls with words in them, and a shell line's comment
        ("%(random key, %", "%(随机 key, %"),
        ("% in the parent", "父进程中的 %"),
        ("% in the demo host", "演示宿主机中的 %"),
        ("%# this sh plays the host", "%# 这个 sh 扮演宿主机"),
        ("%# this bash plays the host", "%# 这个 bash 扮演宿主机"),
        ("bind(%) in the old namespace", "旧命名空间里的 bind(%)"),
        ("bind(%) in the new one", "新命名空间里的 bind(%)"),
        ("kill(holder)", "kill(新命名空间的最后一个进程)"),
        ("write(/proc/self/gid_map) before setgroups deny", "在 setgroups deny 之前 write(/proc/self/gid_map)"),
        ("write(/proc/PID/uid_map) twice", "两次 write(/proc/PID/uid_map)"),
    ])

    /// The words the library writes as a check's expected or actual value.
    static let values = PhraseTable([
        ("unchanged", "没有变化"),
        ("none", "无"),
        ("not reported", "未报告"),
        ("(nothing)", "（无）"),
        ("yes", "是"),
        ("true", "是"),
        ("false", "否"),
        ("gone", "已消失"),
        ("success", "成功"),
        ("reordered", "顺序变了"),
        ("not read before", "之前未能读取"),
        ("not read after", "之后未能读取"),
        ("% listed", "列出了 %"),
        ("% not listed", "未列出 %"),
        ("% listed, and % more", "列出了 %，另有 % 个"),
        ("%, … % more", "%，…… 另有 % 个"),
        ("key % only", "只有 key %"),
        ("% queue, % segment, % set", "% 个消息队列，% 个共享内存段，% 个信号量集"),
        ("% segment, % set", "% 个共享内存段，% 个信号量集"),
        ("%, init %", "%，init %"),
        ("sent", "已发送"),
        ("not sent", "未发送"),
        ("alive", "存活"),
        ("dead", "已死"),
        ("not looked at", "未查看"),
        ("exit %", "以状态 % 退出"),
        ("killed by %", "被 % 杀死"),
        ("ipcmk -Q printed no id (%)", "ipcmk -Q 没有输出 id（%）"),
        ("no process left", "没有剩下任何进程"),
        ("still alive", "依然存活"),
        // mount-namespace and pivot-root
        ("no mount", "没有挂载"),
        ("mounts not reported", "未报告挂载"),
        ("shared", "共享（shared）"),
        ("slave", "从属（slave）"),
        ("private", "私有（private）"),
        ("%\"/ on the busybox root\"%", "%\"/ 上的 busybox 根\"%"),
        ("not tried", "未尝试"),
    ])

    /// The sentences the library writes into an observation's output.
    static let lines = PhraseTable([
        // uts-namespace
        ("hostname before: %", "之前的主机名：%"),
        ("hostname after:  %", "之后的主机名：%"),
        // pid-namespace
        ("… % more lines", "…… 另有 % 行"),
        ("orphan %: its parent % exited", "孤儿进程 %：它的父进程 % 已退出"),
        ("new parent: %, which reaped it", "新父进程：%，并由它回收"),
        ("new parent: %", "新父进程：%"),
        ("orphan: %", "孤儿进程：%"),
        ("a child of pid 1: kill(1, %) = %; pid 1 %", "1 号进程的一个子进程：kill(1, %) = %；1 号进程%"),
        ("pid 1 then reported and exited: %", "1 号进程随后作了报告并退出：%"),
        ("pids: %", "pid：%"),
        ("before: %", "之前：%"),
        ("init: %", "init：%"),
        ("after: %", "之后：%"),
        ("pid ns before: %, pid_for_children: %", "之前的 pid 命名空间：%，pid_for_children：%"),
        ("pid ns after:  %, pid_for_children: %", "之后的 pid 命名空间：%，pid_for_children：%"),
        ("its child: pid %, ppid %, %", "它的子进程：pid %，ppid %，%"),
        ("fork() in its own namespace: %", "在自己的命名空间里 fork()：%"),
        ("setns(%): %, pid_for_children: %", "setns(%)：%，pid_for_children：%"),
        ("init %: %", "init %：%"),
        ("fork() into the dead namespace: %", "fork() 进入已死的命名空间：%"),
        ("child % exited; before waitpid: state %", "子进程 % 已退出；waitpid 之前：状态 %"),
        ("after waitpid: gone from /proc", "waitpid 之后：已从 /proc 消失"),
        ("after waitpid: state %", "waitpid 之后：状态 %"),
        // mount-namespace
        ("(empty)", "（空）"),
        ("(no mount at %)", "（% 处没有挂载）"),
        ("(mounts not reported)", "（未报告挂载）"),
        ("umount %: %", "umount %：%"),
        ("umount2(%, %): %", "umount2(%, %)：%"),
        ("then at %: %", "之后 % 处：%"),
        ("open(note, O_WRONLY): %", "open(note, O_WRONLY)：%"),
        ("ls: %", "ls：%"),
        ("ls %: %", "ls %：%"),
        // pivot-root
        ("(it succeeded)", "（它成功了）"),
        ("ls / before: %", "之前 ls /：%"),
        ("the escape: %", "逃逸：%"),
        ("ls / after:  %", "之后 ls /：%"),
        // net-namespace
        ("listen: %", "listen：%"),
        ("listen(%): %", "listen(%)：%"),
        ("connect(%): %", "connect(%)：%"),
        ("devices: %", "设备：%"),
        ("routes: %", "路由：%"),
        ("then: %", "然后：%"),
        ("(pid %, the new namespace's last process, exits)", "（新命名空间的最后一个进程 pid % 退出）"),
        ("  (gone: %)", "  （已消失：%）"),
        // user-namespace
        ("uid %, capabilities %", "uid %，能力 %"),
        ("capabilities %", "能力 %"),
        ("unshare: %", "unshare：%"),
        ("unshare(%): %", "unshare(%)：%"),
        ("sethostname(%): %", "sethostname(%)：%"),
        ("sethostname(%): %; hostname %", "sethostname(%)：%；主机名 %"),
        ("its own gid_map before setgroups deny: %", "它自己在 setgroups deny 之前写 gid_map：%"),
        ("its own uid_map, for uid 1000: %", "它自己写 uid_map，映射 uid 1000：%"),
        ("the runner writes a uid_map a second time: %", "runner 第二次写同一个 uid_map：%"),
        ("a map line without its count: %", "缺少数量一栏的映射行：%"),
        ("uid %, uid_map %", "uid %，uid_map %"),
        ("after the second write: %", "第二次写入之后：%"),
        ("open(%, O_WRONLY): %", "open(%, O_WRONLY)：%"),
        ("map-root: %; uid_map %", "map-root：%；uid_map %"),
        ("/proc/sys/user/max_user_namespaces: %", "/proc/sys/user/max_user_namespaces：%"),
    ])

    /// Messages on stderr: the runner's, and why a host cannot run an experiment.
    static let messages = PhraseTable([
        ("%; %", "%；%"),
        ("cannot run % on this host: %", "无法在这台宿主机上运行 %：%"),
        ("unknown experiment '%': %", "未知的实验“%”：%"),
        ("run `runner list` to see them", "运行 `runner list` 查看所有实验"),
        ("did you mean %?", "你是不是想输入 %？"),
        ("this host cannot make the runner's sandbox: %", "这台宿主机无法创建 runner 的沙箱：%"),
        ("could not start the runner in its sandbox: %", "无法在沙箱中启动 runner：%"),
        ("the real host changed during the run: %", "运行期间宿主机发生了变化：%"),
        ("interrupted by %: every process of the run was killed; %", "被 % 中断：本次运行的所有进程都已被杀死；%"),
        ("the runner in its sandbox was killed by %: nothing was judged; %",
         "沙箱中的 runner 被 % 杀死：没有作出任何判定；%"),
        ("the real host is as it was", "宿主机保持原样"),
        ("the real host changed (above)", "宿主机发生了变化（见上）"),
        ("cannot open a shell for % on this host: %", "无法在这台宿主机上为 % 打开 shell：%"),
        ("cannot write % %: %", "无法写入 % %：%"),
        ("could not write the results to standard output: %", "无法把结果写到标准输出：%"),
        ("could not write the results to % %: %", "无法把结果写入 % %：%"),
        // Why a host cannot run an experiment (HostSupport, Sandbox)
        ("the kernel has no % namespaces (% is missing)", "内核没有 % 命名空间（% 不存在）"),
        ("% is 0: creating % namespaces is switched off", "% 为 0：创建 % 命名空间的功能已关闭"),
        ("the runner needs Linux % or later for pidfd_open(2); this is %",
         "runner 需要 Linux % 或更高版本才能使用 pidfd_open(2)；这台是 %"),
        ("needs Linux % or later; this is %", "需要 Linux % 或更高版本；这台是 %"),
        ("% is %; this experiment needs %", "% 为 %；本实验需要 %"),
        ("the probe is missing at % (NSLAB_PROBE names it: unset it to use the one built in)",
         "探针 % 不存在（由 NSLAB_PROBE 指定：取消设置它，即可使用内置的探针）"),
        ("needs the command `%`, which is not installed", "需要命令 `%`，但它没有安装"),
        ("needs a statically linked busybox for its root: apt-get install busybox-static",
         "需要一个静态链接的 busybox 来搭建它的根文件系统：apt-get install busybox-static"),
        ("root without CAP_SYS_ADMIN (a container's default), or a user namespace of its own, which this host refuses (%): run it as root (sudo), or allow unprivileged user namespaces (runner doctor says how)",
         "是 root 但没有 CAP_SYS_ADMIN（容器的默认情况），而另一条路，即一个自己的用户命名空间，被这台宿主机拒绝了（%）：请以 root 身份（sudo）运行，或者允许非特权用户命名空间（runner doctor 会告诉你怎么做）"),
        ("needs CAP_SYS_ADMIN, or a user namespace of its own, which this host refuses (%): run it as root (sudo), or allow unprivileged user namespaces (runner doctor says how)",
         "需要 CAP_SYS_ADMIN，或者一个自己的用户命名空间，而这台宿主机拒绝了后者（%）：请以 root 身份（sudo）运行，或者允许非特权用户命名空间（runner doctor 会告诉你怎么做）"),
        ("kernel.unprivileged_userns_clone is 0: unprivileged user namespaces are switched off",
         "kernel.unprivileged_userns_clone 为 0：非特权用户命名空间已被关闭"),
        ("kernel.apparmor_restrict_unprivileged_userns is 1: AppArmor refuses unprivileged user namespaces",
         "kernel.apparmor_restrict_unprivileged_userns 为 1：AppArmor 拒绝非特权用户命名空间"),
        ("needs real root: %; run it with sudo", "需要真正的 root：%；请用 sudo 运行"),
        // The same, when other reasons follow it: each half on its own.
        ("needs real root: %", "需要真正的 root：%"),
        ("run it with sudo", "请用 sudo 运行"),
        ("it maps ids other than your own (100 inside to 200 outside) and becomes nobody",
         "它要映射你自己以外的 id（把里面的 100 映射为外面的 200），还要变成 nobody"),
        ("without CAP_SYS_ADMIN: running in a user namespace of its own, where it has it (as `unshare --map-root-user` would); what needs real root is skipped",
         "没有 CAP_SYS_ADMIN：runner 在一个自己的用户命名空间里运行，在那里它拥有这个能力（如同 `unshare --map-root-user` 所做的）；需要真正 root 的实验将被跳过"),
        ("runs in a user namespace of its own; user-namespace needs sudo", "runner 会在一个自己的用户命名空间里运行；user-namespace 需要 sudo"),
        ("the runner's sandbox needs one: %", "runner 的沙箱需要一个：%"),
    ])
}
