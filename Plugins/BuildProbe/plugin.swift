import Foundation
import PackagePlugin

/// Builds nsprobe with the system C compiler as a static program. A SwiftPM executable target
/// would link the Swift runtime into it, which aborts before main when /proc is missing.
@main
struct BuildProbe: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let source = context.package.directoryURL.appending(path: "Sources/nsprobe/nsprobe.c")
        let probe = context.pluginWorkDirectoryURL.appending(path: "nsprobe")
        return [
            .buildCommand(
                displayName: "Compiling nsprobe with cc -static",
                executable: URL(fileURLWithPath: "/usr/bin/cc"),
                arguments: ["-std=gnu11", "-O2", "-Wall", "-Werror", "-static", "-o", probe.path(), source.path()],
                inputFiles: [source],
                outputFiles: [probe])
        ]
    }
}
