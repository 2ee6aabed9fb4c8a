// swift-tools-version: 6.0
import PackageDescription

// Layers, bottom up; a module imports only those below it:
// SOPJSON → SOPDiagnostics → CLibYAML/SOPYAML, SOPExpression → SOPCore → SOPStore → sop
// (SOPExpression knows nothing of YAML; SOPYAML nothing of expressions.)
let package = Package(
    name: "sopkit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sop", targets: ["sop"]),
        .library(name: "SOPCore", targets: ["SOPCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(name: "SOPJSON"),
        .target(name: "SOPDiagnostics", dependencies: ["SOPJSON"]),
        .target(name: "SOPExpression", dependencies: ["SOPDiagnostics"]),
        .target(name: "SOPYAML", dependencies: ["CLibYAML", "SOPDiagnostics"]),
        .target(
            name: "SOPCore",
            dependencies: ["SOPYAML", "SOPExpression", "SOPDiagnostics", "SOPJSON", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "SOPStore", dependencies: ["SOPCore", .product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .executableTarget(
            name: "sop",
            dependencies: [
                "SOPCore",
                "SOPStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sop-bench",
            dependencies: ["SOPCore", "SOPExpression", "SOPYAML", "SOPDiagnostics"],
            path: "Benchmarks/SOPBench"
        ),
        // The fuzz targets (Fuzz/README.md): scripts/fuzz builds them with libFuzzer; an ordinary
        // build replays inputs given as files.
        .executableTarget(
            name: "sop-fuzz",
            dependencies: ["SOPCore", "SOPExpression", "SOPJSON", "SOPDiagnostics"],
            path: "Fuzz/SOPFuzz"
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SOPJSONTests", dependencies: ["SOPJSON", "TestSupport"]),
        .testTarget(name: "SOPYAMLTests", dependencies: ["SOPYAML", "TestSupport"]),
        .testTarget(name: "SOPExpressionTests", dependencies: ["SOPExpression", "TestSupport"]),
        .testTarget(name: "SOPCoreTests", dependencies: ["SOPCore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SOPStoreTests", dependencies: ["SOPStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "SOPCLITests", dependencies: ["sop", "SOPJSON", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
                    exclude: ["Fixtures"]),
    ]
)
