import Experiments

/// The map of a step: for each namespace kind, which of its processes share which inode, and
/// where the old side's host is, as a student would draw it on paper; what `lsns -T` and
/// `pstree -N` show, for this experiment alone:
///
///     uts  4026531838       ── old namespace (pid 12) · demo host (pid 5)
///          4026532201 (new) ── new namespace (pid 13)
struct MapRenderer {
    let style: Style
    let language: Language

    /// The map's lines for `observations`, one row per inode of each kind in `kinds` (the
    /// experiment's), and of any other kind its processes are not all in one namespace of;
    /// none when no observation knows its namespaces. `key`, when given, goes before the title.
    func lines(_ observations: [Observation], kinds: [Namespace], key: String? = nil) -> [String] {
        guard let (mapped, host, shown) = Self.layout(observations, kinds: kinds) else { return [] }
        let rows = shown.flatMap { kind in self.rows(kind, mapped, host: host) }
        let newMark = runnerText.newMark.text(language)
        let inodeWidth = rows.map { $0.inodeText(newMark).columns }.max() ?? 0
        let kindWidth = max(4, (rows.map(\.kind.count).max() ?? 0) + 1)
        // After the checks, like a check line ("  map   [key] …") with the rows under the key;
        // after the side-by-side output, under it.
        var lines = key.map { "map   [\($0)] " + runnerText.whoIsWhere.text(language) }
            .map { [("  " + $0).cut(to: style.width)] }
            ?? runnerText.whoIsWhereLong.text(language).wrapped(width: style.width, prefix: "  ", hangingIndent: "  ")
        lines = lines.map(style.dim)
        let indent = key == nil ? 4 : 8, margin = String(repeating: " ", count: indent)
        for row in rows {
            let kind = (row.kind.isEmpty ? "" : style.bold(row.kind)) + String(repeating: " ", count: kindWidth - row.kind.count)
            let inode = style.accent("\(row.inode)") + (row.new ? space(before: newMark) + style.accent(newMark) : "")
                + String(repeating: " ", count: inodeWidth - row.inodeText(newMark).columns)
            lines += wrapped(lead: margin + kind + " " + inode + " ── ",
                             leadWidth: indent + kindWidth + 1 + inodeWidth + 4, row.words)
        }
        let unmapped = observations.filter { $0.namespaces == nil }.map(\.label)
        if !unmapped.isEmpty {
            lines += (runnerText.notDrawn.text(language) + Message.list(unmapped).text(language))
                .wrapped(width: style.width, prefix: margin, hangingIndent: margin + "  ").map(style.dim)
        }
        return lines
    }

    /// One row of the map: an inode of `kind` and who is in it.
    struct Row {
        /// The kind's name on the first row of a kind, else "".
        let kind: String
        let inode: UInt64
        /// Whether the old side's host is not in it: only the new side is.
        let new: Bool
        /// Pieces as (plain, styled), laid out one after the other; a piece that begins with a
        /// space has one before it on a line (between two Chinese characters there is none).
        let words: [(String, String)]

        /// "4026532201 (new)", as the row shows it without colour, `mark` in the language shown
        /// (full-width brackets need no space).
        func inodeText(_ mark: String) -> String { "\(inode)" + (new ? space(before: mark) + mark : "") }
    }

    /// The rows of `kind`: the host's inode first, then each other inode as the processes
    /// first show it; "(new)" on those the host is not in.
    func rows(_ kind: Namespace, _ mapped: [Observation], host: HostNamespaces?) -> [Row] {
        Self.namespaces(kind, mapped, host: host).enumerated().map { index, namespace in
            let (inode, members) = (namespace.inode, namespace.members)
            // "new namespace (pid 13), other (pid 14)": it may wrap between its words (between
            // two Chinese characters too), never inside "(pid 12),". The language's list
            // separator, split: its mark after a pid, its space (if any) before what follows.
            let separator = language.listSeparator
            let mark = String(separator.prefix { $0 != " " }), spaced = separator.hasSuffix(" ")
            var words: [(String, String)] = []
            for (position, member) in members.enumerated() {
                var label = wrapUnits(member.label.text(language))
                if position > 0, spaced, let first = label.first { label[0] = (" " + first.0, " " + first.1) }
                let pid = runnerText.pidMark(member.namespaces?.pid ?? 0).text(language) + (position < members.count - 1 ? mark : "")
                let piece = space(before: pid) + pid
                words += label + [(piece, piece)]
            }
            if let host, host.inode(kind) == inode {
                let name = runnerText.withPid(host.role == .demoHost ? runnerText.demoHost : runnerText.theRunner, host.pid).text(language)
                // "· demo host (pid 5)", spaced as the list is ("·演示宿主机" in Chinese).
                words.append(members.isEmpty ? (name, style.dim(name))
                    : spaced ? (" · " + name, " " + style.dim("· " + name)) : ("·" + name, style.dim("·" + name)))
            }
            return Row(kind: index == 0 ? kind.rawValue : "", inode: inode, new: namespace.new, words: words)
        }
    }

    /// What a map of `observations` draws, in the terminal or as a picture: the observations
    /// that know their namespaces, the old side's host, and the kinds shown; nil when no
    /// observation knows its namespaces.
    static func layout(_ observations: [Observation], kinds: [Namespace])
        -> (mapped: [Observation], host: HostNamespaces?, shown: [Namespace])?
    {
        let mapped = observations.filter { $0.namespaces != nil }
        guard !mapped.isEmpty else { return nil }
        let host = mapped.lazy.compactMap(\.namespaces?.oldSideHost).first
        return (mapped, host, shownKinds(kinds, mapped, host: host))
    }

    /// The kinds a map shows: the experiment's, and any other its processes are not all in
    /// one namespace of.
    private static func shownKinds(_ kinds: [Namespace], _ mapped: [Observation], host: HostNamespaces?) -> [Namespace] {
        kinds + Namespace.allCases.sorted().filter { kind in
            !kinds.contains(kind) && Set(mapped.compactMap { $0.namespaces?.inode(kind) } + [host?.inode(kind)].compactMap { $0 }).count > 1
        }
    }

    /// The namespaces of `kind` a map draws: the old side's host's first, then each other as
    /// the processes first show it; who is in each, and whether it is new (the host is not in it).
    static func namespaces(_ kind: Namespace, _ mapped: [Observation], host: HostNamespaces?)
        -> [(inode: UInt64, members: [Observation], new: Bool)]
    {
        var inodes: [UInt64] = host?.inode(kind).map { [$0] } ?? []
        for observation in mapped {
            if let inode = observation.namespaces?.inode(kind), !inodes.contains(inode) { inodes.append(inode) }
        }
        return inodes.map { inode in
            (inode, mapped.filter { $0.namespaces?.inode(kind) == inode }, host?.inode(kind).map { $0 != inode } ?? false)
        }
    }

    /// `words` after `lead`, filling the width and going on under the first word; a word too
    /// wide for a line alone is cut, marked with "…".
    /// `text`'s pieces to lay out: its words, and its Chinese characters one by one, never
    /// splitting "(pid 12)," or a full-width bracket from what it encloses.
    func wrapUnits(_ text: String) -> [(String, String)] { text.wrapUnits().map { ($0, $0) } }

    func wrapped(lead: String, leadWidth: Int, _ pieces: [(String, String)]) -> [String] {
        let room = max(20, style.width - leadWidth)
        var lines: [String] = [], line = "", used = 0
        for (plain, styled) in pieces {
            let spaced = plain.hasPrefix(" ")
            let bare = spaced ? String(plain.dropFirst()) : plain, styledBare = spaced ? String(styled.dropFirst()) : styled
            let (text, width) = bare.columns > room ? (bare.cut(to: room), bare.cut(to: room).columns) : (styledBare, bare.columns)
            var gap = used > 0 && spaced ? 1 : 0
            if used > 0 && used + gap + width > room {
                lines.append(line)
                line = ""
                used = 0
                gap = 0
            }
            line += (gap > 0 ? " " : "") + text
            used += gap + width
        }
        lines.append(line)
        return lines.enumerated().map { index, text in
            (index == 0 ? lead : String(repeating: " ", count: leadWidth)) + text
        }
    }
}

/// A space between an inode and its mark, unless the mark begins with a full-width bracket.
func space(before mark: String) -> String { mark.first?.isFullWidthPunctuation == true ? "" : " " }

extension ResultRenderer {
    /// The map of a step's processes and namespaces, or none (see MapRenderer).
    func map(_ result: StepResult, namespaces: [Namespace]) -> [String] {
        MapRenderer(style: style, language: language).lines(result.observations, kinds: namespaces, key: explain ? nil : result.key)
    }
}
