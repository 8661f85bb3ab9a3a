/// Text laid out in columns, as a terminal shows it: what the runner prints, and the few
/// commands' outputs a chapter rebuilds (lsns's table).

extension String {
    /// Pads with spaces to `width` terminal columns (CJK characters take two).
    public func padded(to width: Int) -> String {
        let missing = width - columns
        return missing > 0 ? self + String(repeating: " ", count: missing) : self
    }

    /// Spaces before, up to `width` columns.
    public func rightAligned(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - columns)) + self
    }

    /// Terminal columns: two for East Asian wide characters, one otherwise, none for the
    /// colour codes Style adds.
    public var columns: Int {
        var inEscape = false
        return unicodeScalars.reduce(0) { total, scalar in
            if scalar == "\u{1B}" { inEscape = true }
            if inEscape {
                if scalar == "m" { inEscape = false }
                return total
            }
            return total + (scalar.isWide ? 2 : 1)
        }
    }
}

extension Unicode.Scalar {
    /// Takes two terminal columns: East Asian wide characters and fullwidth forms.
    public var isWide: Bool {
        let v = value
        return (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v)
    }
}

extension String {
    /// Zeros before, up to `width` characters: "016".
    public func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Milliseconds as seconds with three decimals: "0.016", "-1.500".
public func secondsText(milliseconds: Int64) -> String {
    "\(milliseconds < 0 ? "-" : "")\(abs(milliseconds) / 1000).\(String(abs(milliseconds) % 1000).leftPadded(to: 3))"
}
