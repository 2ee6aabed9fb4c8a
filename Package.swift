// swift-tools-version: 6.0
import PackageDescription

// Layers, bottom up; a module imports only those below it:
// SOPJSON → SOPDiagnostics → CLibYAML/SOPYAML, SOPExpression → SOPCore → SOPStore → SOPPostgres → sop
//                                                                           ↘ SOPServer ─────────→ sopd
// (SOPExpression knows nothing of YAML; SOPYAML nothing of expressions.) The HTTP and MCP servers
// live in their own executable, `sopd`, so that building and starting `sop` (lint in CI) pays
// nothing for SwiftNIO, Hummingbird and the MCP SDK; `sop serve` and `sop mcp` run `sopd`.
let package = Package(
    name: "sopkit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sop", targets: ["sop"]),
        .executable(name: "sopd", targets: ["sopd"]),
        .library(name: "SOPCore", targets: ["SOPCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
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
        // The PostgreSQL store (postgres-nio), and `StoreLocation`, which opens either store from
        // a path or a postgres:// URL.
        .target(name: "SOPPostgres", dependencies: ["SOPStore", "SOPCore", "SOPJSON",
                                                   .product(name: "PostgresNIO", package: "postgres-nio"),
                                                   .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "sop",
            dependencies: [
                "SOPCore",
                "SOPStore",
                "SOPPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "SOPServer",
            dependencies: [
                "SOPCore", "SOPStore", "SOPJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Ink", package: "Ink"),
            ],
            exclude: ["Console/templates", "Console/assets"]
        ),
        .executableTarget(
            name: "sopd",
            dependencies: [
                "SOPServer", "SOPStore", "SOPPostgres", "SOPCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
        .testTarget(name: "SOPStoreTests", dependencies: ["SOPStore", "SOPPostgres", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "SOPServerTests", dependencies: ["SOPServer", "SOPStore", "SOPJSON", "SOPYAML", "SOPDiagnostics", "TestSupport"]),
        .testTarget(name: "SOPCLITests", dependencies: ["sop", "SOPJSON", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
                    exclude: ["Fixtures"]),
    ]
)
