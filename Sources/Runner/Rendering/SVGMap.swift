import Experiments

/// A step's map of who is where (what `--map` draws in the terminal) as an SVG picture: for
/// each namespace kind a band, and in it one box per namespace, labelled with its kind and
/// inode; the old side's on the left, the new ones on the right, marked new; in each box the
/// processes in it, by label and pid, and the demo host (or the runner) where it is.
/// Self-contained: no fonts, scripts or links from elsewhere; 760 pixels wide, the width of a
/// course page.
struct SVGMap {
    let language: Language

    static let width = 760
    private static let kindColumn = 70, gap = 16, lineHeight = 18, boxHeader = 24
    private static var boxWidth: Int { (width - kindColumn - 3 * gap) / 2 }

    /// The picture, or nil when no observation of the step knows its namespaces.
    func picture(_ step: StepResult, experiment: String, kinds: [Namespace]) -> String? {
        guard let (mapped, host, shown) = MapRenderer.layout(step.observations, kinds: kinds) else { return nil }
        var body: [String] = []
        var y = 56
        for kind in shown {
            let boxes = self.boxes(kind, mapped, host: host)
            let old = boxes.filter { !$0.new }, new = boxes.filter(\.new)
            let top = y
            var bottom = y
            for (column, side) in [old, new].enumerated() {
                var boxTop = top
                for box in side {
                    body += draw(box, x: Self.kindColumn + Self.gap + column * (Self.boxWidth + Self.gap), y: boxTop)
                    boxTop += box.height + 8
                }
                bottom = max(bottom, boxTop)
            }
            body.append(#"<text x="10" y="\#(top + 17)" class="kind">\#(kind.rawValue)</text>"#)
            body.append(#"<line x1="10" y1="\#(bottom)" x2="\#(Self.width - 10)" y2="\#(bottom)" class="rule"/>"#)
            y = bottom + 12
        }
        let title = "\(experiment) [\(step.key)] — \(runnerText.whoIsWhere.text(language))"
        let oldSide = runnerText.svgOldSide.text(language), newSide = runnerText.svgNewSide.text(language)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.width)" height="\(y)" viewBox="0 0 \(Self.width) \(y)" \
            role="img" aria-label=\(Markup.attribute(title))>
            <title>\(Markup.text(title))</title>
            <style>
            text { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace; font-size: 13px; fill: #1f2328; white-space: pre; }
            .title { font-size: 14px; font-weight: bold; }
            .kind { font-weight: bold; }
            .side { fill: #59636e; }
            .inode { font-weight: bold; }
            .new .frame { fill: #dafbe1; stroke: #1a7f37; stroke-width: 2; }
            .frame { fill: #f6f8fa; stroke: #59636e; stroke-width: 1; }
            .host { fill: #8250df; font-style: italic; }
            .rule { stroke: #d1d9e0; }
            </style>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="10" y="20" class="title">\(Markup.text(title))</text>
            <text x="\(Self.kindColumn + Self.gap)" y="44" class="side">\(Markup.text(oldSide))</text>
            <text x="\(Self.kindColumn + 2 * Self.gap + Self.boxWidth)" y="44" class="side">\(Markup.text(newSide))</text>
            \(body.joined(separator: "\n"))
            </svg>

            """
    }

    /// One namespace: its inode, whether it is new (the old side's host is not in it), and the
    /// lines of who is in it.
    private struct Box {
        let kind: Namespace
        let inode: UInt64
        let new: Bool
        /// Each process's label and pid, wrapped to the box, then the host's where it is.
        let lines: [(text: String, isHost: Bool)]
        var height: Int { SVGMap.boxHeader + lines.count * SVGMap.lineHeight + 6 }
    }

    private func boxes(_ kind: Namespace, _ mapped: [Observation], host: HostNamespaces?) -> [Box] {
        MapRenderer.namespaces(kind, mapped, host: host).map { inode, members, new in
            let members = members.flatMap { member in
                // "(pid 7, 1 inside)": NSpid's first and last, where they differ.
                let pid = member.namespaces?.pid ?? 0
                let own = member.namespaces?.ownPid
                let mark = own.map { $0 != pid } ?? false ? runnerText.pidsMark(pid, own ?? 0) : runnerText.pidMark(pid)
                return fitted(member.label.text(language), mark.text(language))
            }
            let hostHere = host.flatMap { host in
                host.inode(kind) == inode
                    ? fitted("· " + (host.role == .demoHost ? runnerText.demoHost : runnerText.theRunner).text(language),
                             runnerText.pidMark(host.pid).text(language))
                    : nil
            } ?? []
            return Box(kind: kind, inode: inode, new: new,
                       lines: members.map { ($0, false) } + hostHere.map { ($0, true) })
        }
    }

    private func draw(_ box: Box, x: Int, y: Int) -> [String] {
        let mark = box.new ? " " + runnerText.newMark.text(language) : ""
        var lines = [#"<g class="\#(box.new ? "new" : "old")">"#,
                     #"<rect x="\#(x)" y="\#(y)" width="\#(Self.boxWidth)" height="\#(box.height)" rx="6" class="frame"/>"#,
                     #"<text x="\#(x + 10)" y="\#(y + 17)" class="inode">\#(Markup.text("\(box.kind.rawValue) \(box.inode)\(mark)"))</text>"#]
        var lineY = y + Self.boxHeader + 13
        for (line, host) in box.lines {
            lines.append(#"<text x="\#(x + 18)" y="\#(lineY)"\#(host ? #" class="host""# : "")>\#(Markup.text(line))</text>"#)
            lineY += Self.lineHeight
        }
        lines.append("</g>")
        return lines
    }

    /// `label` and its pid `mark`, wrapped to what a box holds (an 8-pixel column, a Chinese
    /// character two), the lines after the first indented; the mark never split.
    private func fitted(_ label: String, _ mark: String) -> [String] {
        let room = (Self.boxWidth - 28) / 8
        var lines = label.wrapped(width: room, hangingIndent: "  ")
        let joined = (lines.last ?? "") + space(before: mark) + mark
        if joined.columns <= room { lines[lines.count - 1] = joined } else { lines.append("  " + mark) }
        return lines
    }
}
