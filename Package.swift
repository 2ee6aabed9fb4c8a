// swift-tools-version: 6.0
import PackageDescription

// Layers, bottom up; a module imports only those below it:
// CLibYAML → SOPDiagnostics → SOPYAML → SOPCore → sop
let package = Package(
    name: "sopkit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sop", targets: ["sop"]),
        .library(name: "SOPCore", targets: ["SOPCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(name: "SOPDiagnostics"),
        .target(name: "SOPYAML", dependencies: ["CLibYAML", "SOPDiagnostics"]),
        .target(name: "SOPCore", dependencies: ["SOPYAML", "SOPDiagnostics"]),
        .executableTarget(
            name: "sop",
            dependencies: [
                "SOPCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SOPYAMLTests", dependencies: ["SOPYAML"]),
        .testTarget(name: "SOPCoreTests", dependencies: ["SOPCore"], exclude: ["Fixtures"]),
        .testTarget(name: "SOPCLITests", dependencies: ["sop"]),
    ]
)
