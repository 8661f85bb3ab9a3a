// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "nslab",
    products: [
        .executable(name: "runner", targets: ["Runner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Everything that runs between clone and exec, plus errno-preserving wrappers; and
        // libyaml's header, for lab.yml.
        .target(
            name: "CShim",
            linkerSettings: [.linkedLibrary("cap"), .linkedLibrary("yaml")]
        ),
        // The probe: one static C program whose JSON report every check reads. Built by the
        // plugin with cc -static and shipped beside the runner as this target's resource.
        .target(
            name: "nsprobe",
            exclude: ["probe"],
            plugins: ["BuildProbe"]
        ),
        .plugin(name: "BuildProbe", capability: .buildTool()),
        .target(
            name: "Experiments",
            dependencies: ["CShim"],
            plugins: ["BuildProbe"]  // embeds the probe and the lessons
        ),
        .executableTarget(
            name: "Runner",
            dependencies: [
                "Experiments",
                "nsprobe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: ["Experiments", "Runner", "nsprobe"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
