import Glibc
import Testing

@testable import Experiments

/// Results arrive where the user said, or the run fails: standard output that is closed or
/// loses what was printed, and `--junit` paths that are devices, symlinks, missing or on a
/// full disk. Everything that mounts or makes devices runs inside `unshare`, on a tmpfs of its
/// own over a fresh mkdtemp directory: nothing on the machine changes.
@Suite("runner: results reach their destination, or the exit code says they did not")
struct OutputTests {
    // MARK: standard output

    @Test("output lost to a full device is exit 4 and one line naming ENOSPC",
          arguments: [["list", "--json"], ["list"], ["--help"]])
    func standardOutputFull(arguments: [String]) throws {
        let result = try shell("\"$RUNNER\" \(arguments.joined(separator: " ")) > /dev/full")
        #expect(result.exitCode == 4)
        #expect(result.errors == "runner: could not write the results to standard output: ENOSPC\n")
    }

    @Test func closedStandardOutputIsExit2BeforeAnythingHappens() throws {
        let result = try shell("\"$RUNNER\" list >&-")
        #expect(result.exitCode == 2)
        #expect(result.errors == "runner: standard output is closed: results would be lost\n")
    }

    @Test func aPipeWithoutReaderIsExit4NotASilentSignal() throws {
        let directory = try ScratchDirectory()
        // A FIFO opened read-write, then for writing, then the read side closed: fd 4 is
        // a pipe's write end that nobody reads, before the runner starts.
        let result = try shell("""
            mkfifo "$D/pipe" && exec 3<>"$D/pipe" && exec 4>"$D/pipe" && exec 3<&- && \
            "$RUNNER" list --json >&4
            """, directory: directory.path)
        #expect(result.status == .exited(4))
        #expect(result.errors == "runner: could not write the results to standard output: EPIPE\n")
    }

    // MARK: --junit

    @Test func junitIntoCharacterDevicesWritesInPlace() throws {
        try requireRoot()
        let (result, report) = try inPrivateNamespaces("""
            mknod "$D/null" c 1 3 && mknod "$D/full" c 1 7
            "$RUNNER" run uts-namespace --junit "$D/null" > "$D/out"; echo "@@null-status=$?"
            echo "@@null=$(stat -c '%F %t:%T' "$D/null")"
            "$RUNNER" run uts-namespace --junit "$D/full" > "$D/out"; echo "@@full-status=$?"
            echo "@@full=$(stat -c '%F %t:%T' "$D/full")"
            echo "@@files=$(ls -A "$D" | tr '\\n' ' ')"
            """)
        #expect(["0", "1"].contains(report["null-status"]), "\(result.errors)")
        #expect(report["null"] == "character special file 1:3")
        #expect(report["full-status"] == "4")
        #expect(report["full"] == "character special file 1:7")
        #expect(report["files"] == "full null out ")
        let lines = result.errors.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("runner: could not write the results to --junit ") && $0.contains("/full: ")
                                 && $0.hasSuffix("(ENOSPC)") }, "\(result.errors)")
    }

    @Test func junitThroughASymlinkReplacesTheTargetAndKeepsTheLink() throws {
        try requireRoot()
        let (result, report) = try inPrivateNamespaces("""
            echo '<old/>' > "$D/results.xml" && chmod 640 "$D/results.xml" && ln -s results.xml "$D/link.xml"
            "$RUNNER" run uts-namespace --junit "$D/link.xml" > "$D/out"; echo "@@status=$?"
            echo "@@link=$(stat -c '%F' "$D/link.xml") -> $(readlink "$D/link.xml")"
            echo "@@target=$(stat -c '%F %a' "$D/results.xml")"
            echo "@@xml=$(grep -c '<testsuites name="nslab"' "$D/results.xml")"
            echo "@@files=$(ls -A "$D" | tr '\\n' ' ')"
            """)
        #expect(["0", "1"].contains(report["status"]), "\(result.errors)")
        #expect(report["link"] == "symbolic link -> results.xml")
        #expect(report["target"] == "regular file 640", "the old file's permission bits stay")
        #expect(report["xml"] == "1")
        #expect(report["files"] == "link.xml out results.xml ", "no temporary file is left")
    }

    @Test func junitCreatesANewFileWithTheUmask() throws {
        try requireRoot()
        let (result, report) = try inPrivateNamespaces("""
            umask 027
            "$RUNNER" run uts-namespace --junit "$D/new.xml" > "$D/out"; echo "@@status=$?"
            echo "@@new=$(stat -c '%F %a' "$D/new.xml")"
            echo "@@xml=$(grep -c '</testsuites>' "$D/new.xml")"
            """)
        #expect(["0", "1"].contains(report["status"]), "\(result.errors)")
        #expect(report["new"] == "regular file 640")
        #expect(report["xml"] == "1")
    }

    @Test("a --junit path that cannot be written is exit 2 before any experiment runs", arguments: [
        ("/nonexistent-dir/x.xml", "directory /nonexistent-dir: No such file or directory (ENOENT)"),
        ("$D", "Is a directory (EISDIR)"),
        ("$D/file/x.xml", "Not a directory (ENOTDIR)"),
        ("$D/ro/x.xml", "directory $D/ro: Read-only file system (EROFS)"),
        ("$D/ro/old.xml", "directory $D/ro: Read-only file system (EROFS)"),
        ("$D/socket", "a socket cannot be opened as a file (ENXIO)"),
    ])
    func unwritableJUnitPath(path: String, reason: String) throws {
        try requireRoot()
        let (result, report) = try inPrivateNamespaces("""
            touch "$D/file" && mkdir "$D/ro" && mount -t tmpfs nslab-ro "$D/ro" && touch "$D/ro/old.xml" \
              && mount -o remount,ro "$D/ro"
            python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$D/socket" 2>/dev/null \
              && echo "@@socket=made"
            "$RUNNER" run uts-namespace --junit "\(path)" > "$D/out"; echo "@@status=$?"
            echo "@@stdout-bytes=$(wc -c < "$D/out")"
            echo "@@D=$D"
            """)
        let directory = try #require(report["D"])
        if path == "$D/socket" && report["socket"] == nil { return }  // no python3 here to make a socket file
        #expect(report["status"] == "2")
        #expect(report["stdout-bytes"] == "0", "no experiment ran")
        let expected = "runner: cannot write --junit \(path): \(reason)\n".replacing("$D", with: directory)
        #expect(result.errors == expected)
    }

    @Test func junitDashWritesTheXMLAloneToStandardOutput() throws {
        try requireRoot()
        let (result, report) = try inPrivateNamespaces("""
            "$RUNNER" run uts-namespace --junit - > "$D/out" 2> "$D/err"; echo "@@status=$?"
            echo "@@summary=$(grep -c '^uts-namespace: ' "$D/out")"
            echo "@@report=$(grep -c '^uts-namespace: ' "$D/err")"
            echo "@@xml=$(grep -c '<testsuites name="nslab"' "$D/out")"
            echo "@@first=$(head -n 1 "$D/out")"
            echo "@@last=$(tail -n 1 "$D/out")"
            """)
        #expect(["0", "1"].contains(report["status"]), "\(result.errors)")
        #expect(report["summary"] == "0", "the text report is not on standard output")
        #expect(report["report"] == "1", "it is on standard error")
        #expect(report["xml"] == "1")
        #expect(report["first"]?.hasPrefix("<?xml") == true)
        #expect(report["last"] == "</testsuites>")
    }

    @Test func aFullDiskIsExit4AndKeepsTheOldFile() throws {
        try requireRoot()
        let (result, report) = try inPrivateNamespaces("""
            mkdir "$D/small" && mount -t tmpfs -o size=64k nslab-small "$D/small"
            printf '<old results="kept"/>\\n' > "$D/small/old.xml"
            echo "@@before=$(md5sum < "$D/small/old.xml")"
            head -c 1048576 /dev/zero > "$D/small/fill" 2>/dev/null
            echo "@@free=$(df --output=avail "$D/small" | tail -n 1 | tr -d ' ')"
            "$RUNNER" run uts-namespace --junit "$D/small/old.xml" > "$D/out"; echo "@@status=$?"
            echo "@@after=$(md5sum < "$D/small/old.xml")"
            echo "@@files=$(ls -A "$D/small" | tr '\\n' ' ')"
            echo "@@D=$D"
            """)
        let directory = try #require(report["D"])
        #expect(report["free"] == "0", "the disk is full before the run")
        #expect(report["status"] == "4")
        #expect(report["before"] != nil && report["after"] == report["before"], "old.xml is byte for byte as before")
        #expect(report["files"] == "fill old.xml ", "no temporary file is left")
        let path = "\(directory)/small/old.xml"
        #expect(result.errors.split(separator: "\n").contains {
            $0 == "runner: could not write the results to --junit \(path): No space left on device (ENOSPC); \(path) is unchanged"
        }, "\(result.errors)")
    }
}

// MARK: - Helpers

/// A directory from mkdtemp(3) in /tmp, removed with what is in it when this object goes.
private final class ScratchDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/nslab-output-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw SystemCallError("mkdtemp", errno: errno) }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        // Only files the tests made on the host (a FIFO); mounts ended with their namespace.
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { unlink("\(path)/\(name)") }
            }
            closedir(directory)
        }
        rmdir(path)
    }
}

/// Runs `script` with sh on the host; `$RUNNER` is the runner, `$D` the given directory.
private func shell(_ script: String, directory: String = "/nonexistent") throws -> CommandResult {
    try runCommand(["sh", "-c", script],
                   environment: ProcessSpec.defaultEnvironment + ["RUNNER=\(runnerPath)", "D=\(directory)"])
}

/// Runs `script` with sh in new UTS, IPC, mount, network and PID namespaces (what
/// `runner run` needs; mounts made there vanish with them), with a private tmpfs mounted at
/// `$D`, a fresh mkdtemp directory. Lines the script prints as `@@key=value` come back as a
/// dictionary; the runner's own stdout should go to a file in `$D`.
private func inPrivateNamespaces(_ script: String) throws -> (CommandResult, [String: String]) {
    let directory = try ScratchDirectory()
    let result = try runCommand(
        ["unshare", "--uts", "--ipc", "--mount", "--propagation", "private", "--net", "--pid", "--fork", "--mount-proc",
         "sh", "-c", "mount -t tmpfs -o mode=0755 nslab-output \"$D\" || exit 99\n" + script],
        environment: ProcessSpec.defaultEnvironment + ["RUNNER=\(runnerPath)", "D=\(directory.path)"], timeout: 120)
    #expect(result.exitCode == 0, "the script itself ended with \(result.status): \(result.errors)")
    var report: [String: String] = [:]
    for line in result.output.split(separator: "\n", omittingEmptySubsequences: false) where line.hasPrefix("@@") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        report[String(line[line.index(line.startIndex, offsetBy: 2)..<equals])] = String(line[line.index(after: equals)...])
    }
    // The tmpfs was the namespace's: the host's directory is still empty.
    #expect(opendir(directory.path).map { directory in
        defer { closedir(directory) }
        var names = 0
        while readdir(directory) != nil { names += 1 }
        return names == 2
    } == true, "nothing was left on the host under \(directory.path)")
    return (result, report)
}
