import Glibc

/// The chapters a student has passed, kept between runs in `$XDG_STATE_HOME/nslab/passed`
/// (default `~/.local/state`), one id per line. A convenience: a file that cannot be read or
/// written never fails a run. It is written only where the folder above it belongs to the
/// writer, so that `sudo -E runner run` never leaves a root-owned file in a user's home.
public enum Progress {
    /// Where the state lives for this environment; nil without XDG_STATE_HOME or HOME.
    public static func file(_ environment: [String: String]) -> String? {
        let absolute = { (path: String?) in path.flatMap { $0.hasPrefix("/") ? $0 : nil } }
        guard let state = absolute(environment["XDG_STATE_HOME"]) ?? absolute(environment["HOME"]).map({ $0 + "/.local/state" })
        else { return nil }
        return state + "/nslab/passed"
    }

    /// The ids passed so far; none when the file is missing or unreadable.
    public static func passed(in file: String?) -> Set<String> {
        guard let file, let text = readTextFile(file) else { return [] }
        return Set(text.split(separator: "\n").map(String.init))
    }

    /// Adds `ids` to the passed ones (a failed run takes nothing away: what was passed was
    /// learnt). Silent when it cannot: the folder belongs to someone else, a disk is full.
    public static func record(passed ids: [String], in file: String?) {
        guard let file, !ids.isEmpty else { return }
        let before = passed(in: file)
        guard !Set(ids).isSubset(of: before) else { return }
        let directory = String(file[..<(file.lastIndex(of: "/") ?? file.startIndex)])
        guard ownedByMe(nearestExisting(directory)) else { return }
        try? Workbench.makeDirectories(directory)
        // Replaced whole: a run interrupted while writing leaves the old list, never half of one.
        let temporary = file + ".\(getpid())"
        let known = Catalog.all.map(\.id).filter { before.contains($0) || ids.contains($0) }
        do {
            try Workbench.write(known.map { $0 + "\n" }.joined(), to: temporary)
            if rename(temporary, file) != 0 { unlink(temporary) }
        } catch {
            unlink(temporary)
        }
    }

    /// `path`, or the closest folder above it that exists.
    private static func nearestExisting(_ path: String) -> String {
        var path = path
        while !path.isEmpty && access(path, F_OK) != 0 {
            path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        }
        return path.isEmpty ? "/" : path
    }

    private static func ownedByMe(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_uid == geteuid()
    }
}
