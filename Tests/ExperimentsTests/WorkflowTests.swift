import Foundation
import Glibc
import Testing

@testable import Experiments

/// The example pipelines in docs/ci are valid for the CI that will run them: each file is
/// checked against its public schema with check-jsonschema (from PyPI), whose schemas are built
/// in, so no network is needed. The directory is listed, so a new example cannot be forgotten.
@Suite("CI examples")
struct WorkflowTests {
    static let directory = sourceRoot() + "/docs/ci"

    /// Every YAML file of docs/ci, by name.
    static func examples() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }
            .sorted()
    }

    /// The built-in schema a file is checked against, by its name: GitLab's for
    /// gitlab-ci.yml, GitHub's workflows' for any other.
    static func schema(of file: String) -> String {
        file == "gitlab-ci.yml" || file == ".gitlab-ci.yml" ? "vendor.gitlab-ci" : "vendor.github-workflows"
    }

    @Test func everyExampleIsValidAgainstItsSchema() throws {
        let files = try Self.examples()
        // The examples the docs link to are there, so the listing is no empty rubber stamp.
        for known in ["github-actions.yml", "github-classroom.yml", "gitlab-ci.yml"] {
            #expect(files.contains(known), "docs/ci/\(known) is missing")
        }
        let checker = try Self.checkJSONSchema()
        for file in files {
            let result = try Self.validate(Self.directory + "/" + file, schema: Self.schema(of: file), with: checker)
            #expect(result.exitCode == 0,
                    "docs/ci/\(file) is not valid against \(Self.schema(of: file)):\n\(result.output)\n\(result.errors)")
        }
    }

    @Test func theSchemasAreChosenByName() {
        #expect(Self.schema(of: "gitlab-ci.yml") == "vendor.gitlab-ci")
        #expect(Self.schema(of: "github-actions.yml") == "vendor.github-workflows")
        #expect(Self.schema(of: "github-classroom.yml") == "vendor.github-workflows")
    }

    /// The check is no rubber stamp: a workflow or a pipeline that its CI would refuse fails.
    @Test(arguments: [
        ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - usess: actions/checkout@v4\n",
         "vendor.github-workflows"),
        ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n        continue-on-error: maybe\n",
         "vendor.github-workflows"),
        ("job:\n  script: [echo hi]\n  when: sometimes\n", "vendor.gitlab-ci"),
    ])
    func anInvalidFileIsRefused(text: String, schema: String) throws {
        let checker = try Self.checkJSONSchema()
        let file = try TemporaryFile()
        try #require(FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8)))
        let result = try Self.validate(file.path, schema: schema, with: checker)
        #expect(result.exitCode == 1, "\(result.output)\n\(result.errors)")
    }

    // MARK: helpers

    /// The PATH to look for check-jsonschema on: this process's (pip puts it in the user's
    /// Python), then the usual directories.
    static let searchPath: String = {
        let own = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let usual = String(ProcessSpec.defaultEnvironment[0].dropFirst("PATH=".count))
        return own.isEmpty ? usual : own + ":" + usual
    }()

    /// check-jsonschema's environment: the PATH it was found on (a pyenv shim needs it), and
    /// UTF-8 for its messages.
    static var environment: [String] {
        ["PATH=\(searchPath)", "LC_ALL=C.UTF-8"]
            + (ProcessInfo.processInfo.environment["HOME"].map { ["HOME=\($0)"] } ?? [])
    }

    static func find(_ program: String) -> String? {
        searchPath.split(separator: ":").map { "\($0)/\(program)" }.first { access($0, X_OK) == 0 }
    }

    /// The command line that runs check-jsonschema: the program on PATH, else
    /// `python3 -m check_jsonschema`. Missing, the test fails and says how to install it.
    static func checkJSONSchema() throws -> [String] {
        if let program = find("check-jsonschema") { return [program] }
        if let python = find("python3"),
           try runCommand([python, "-c", "import check_jsonschema"], environment: environment).exitCode == 0
        {
            return [python, "-m", "check_jsonschema"]
        }
        throw Missing(description: """
            these tests need check-jsonschema, neither on PATH nor as `python3 -m check_jsonschema`: \
            pip install check-jsonschema
            """)
    }

    /// A tool the tests need is not installed: the test fails, saying how to install it.
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// check-jsonschema on one file, with a built-in schema (nothing is downloaded).
    static func validate(_ path: String, schema: String, with checker: [String]) throws -> CommandResult {
        try runCommand(checker + ["--no-cache", "--builtin-schema", schema, path], environment: environment)
    }
}
