// swift-tools-version: 6.0
import PackageDescription

// Layers, bottom up; a module imports only those below it, and declares here each one it imports
// (scripts/check-imports checks it; CI builds with --explicit-target-dependency-import-check error):
//   SOPJSON → SOPDiagnostics → CLibYAML/SOPYAML, SOPExpression → SOPCore
//   SOPCore → SOPStore (the store protocol, its rows, its tables) → SOPService (runs, replay,
//     scenario tests, reports, the operations every interface calls)
//   SOPStore → SOPStoreSQLite (GRDB), SOPStorePostgres (postgres-nio) → SOPStoreLocation (opens
//     either from a --store location)
//   SOPCore → SOPLanguageServer (`sop lsp`)
//   SOPService + SOPStoreLocation + SOPLanguageServer → sop;  SOPService → SOPServer (HTTP, MCP, console) → sopd
// (SOPExpression knows nothing of YAML; SOPYAML nothing of expressions; SOPService no store but
// through the protocol.) The HTTP and MCP servers live in their own executable, `sopd`, so that
// `sop` (lint in CI) links neither Hummingbird nor the MCP SDK; `sop serve` and `sop mcp` run
// `sopd`. `sop` does link SwiftNIO, through the PostgreSQL store (`--store postgres://…`).
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
        // Declared for the modules SOPServer imports from them (Hummingbird and postgres-nio
        // already depend on both): the import check wants each import's product named.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
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
        .target(name: "SOPStore", dependencies: ["SOPCore", "SOPJSON"]),
        .target(name: "SOPStoreSQLite", dependencies: ["SOPStore", "SOPCore", "SOPJSON",
                                                      .product(name: "GRDB", package: "GRDB.swift"),
                                                      .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .target(name: "SOPStorePostgres", dependencies: ["SOPStore", "SOPCore", "SOPJSON",
                                                        .product(name: "PostgresNIO", package: "postgres-nio"),
                                                        .product(name: "Logging", package: "swift-log")]),
        // Opens either store from a path or a postgres:// URL: what both executables reach.
        .target(name: "SOPStoreLocation", dependencies: ["SOPStore", "SOPStoreSQLite", "SOPStorePostgres"]),
        // `sop lsp`: the language server over the same catalogue and linter as `sop lint`.
        .target(name: "SOPLanguageServer", dependencies: ["SOPCore", "SOPDiagnostics", "SOPExpression", "SOPYAML", "SOPJSON"]),
        .target(name: "SOPService", dependencies: ["SOPStore", "SOPCore", "SOPJSON", "SOPExpression", "SOPDiagnostics", "SOPYAML"]),
        .executableTarget(
            name: "sop",
            dependencies: [
                "SOPService", "SOPStore", "SOPStoreLocation", "SOPCore", "SOPJSON", "SOPExpression", "SOPDiagnostics", "SOPYAML",
                "SOPLanguageServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "SOPServer",
            dependencies: [
                "SOPService", "SOPStore", "SOPCore", "SOPJSON", "SOPExpression",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
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
                "SOPServer", "SOPService", "SOPStoreLocation", "SOPCore", "SOPDiagnostics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sop-bench",
            dependencies: ["SOPCore", "SOPExpression", "SOPYAML", "SOPDiagnostics", "SOPJSON", "SOPLanguageServer"],
            path: "Benchmarks/SOPBench"
        ),
        // The fuzz targets (Fuzz/README.md): scripts/fuzz builds them with libFuzzer; an ordinary
        // build replays inputs given as files.
        .executableTarget(
            name: "sop-fuzz",
            dependencies: ["SOPCore", "SOPExpression", "SOPJSON", "SOPDiagnostics", "SOPLanguageServer"],
            path: "Fuzz/SOPFuzz"
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // What the service and store suites share: the store under test (SQLite, or PostgreSQL
        // with SOP_TEST_POSTGRES) and a workspace of SOPs with a service on it.
        .target(name: "StoreTestSupport", dependencies: ["SOPService", "SOPStore", "SOPStoreLocation", "SOPStorePostgres", "SOPCore",
                                                        "SOPExpression", "SOPJSON", "TestSupport"],
                path: "Tests/StoreTestSupport"),
        .testTarget(name: "SOPJSONTests", dependencies: ["SOPJSON", "TestSupport"]),
        .testTarget(name: "SOPYAMLTests", dependencies: ["SOPYAML", "SOPDiagnostics", "TestSupport"]),
        .testTarget(name: "SOPExpressionTests", dependencies: ["SOPExpression", "SOPDiagnostics", "TestSupport"]),
        .testTarget(name: "SOPCoreTests", dependencies: ["SOPCore", "SOPExpression", "SOPDiagnostics", "SOPJSON", "TestSupport"],
                    exclude: ["Fixtures"]),
        // The cases every store must pass, on the store under test (StoreTestSupport).
        .testTarget(name: "SOPStoreTests", dependencies: ["SOPStore", "SOPStoreSQLite", "SOPStorePostgres", "SOPStoreLocation", "SOPService",
                                                         "SOPCore", "SOPExpression", "SOPJSON", "StoreTestSupport", "TestSupport",
                                                         .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "SOPLanguageServerTests", dependencies: ["SOPLanguageServer", "SOPCore", "SOPDiagnostics", "SOPExpression",
                                                                  "SOPYAML", "SOPJSON", "TestSupport"]),
        .testTarget(name: "SOPServiceTests", dependencies: ["SOPService", "SOPStore", "SOPStoreSQLite", "SOPStorePostgres", "SOPStoreLocation", "SOPCore",
                                                           "SOPDiagnostics", "SOPExpression", "SOPJSON", "StoreTestSupport", "TestSupport",
                                                           .product(name: "GRDB", package: "GRDB.swift")],
                    exclude: ["Fixtures"]),
        .testTarget(name: "SOPServerTests", dependencies: ["SOPServer", "SOPService", "SOPStoreLocation", "SOPCore", "SOPJSON", "SOPYAML", "SOPDiagnostics",
                                                          "TestSupport", .product(name: "HTTPTypes", package: "swift-http-types")]),
        .testTarget(name: "SOPCLITests", dependencies: ["sop", "SOPJSON", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                                                       .product(name: "ArgumentParser", package: "swift-argument-parser")],
                    exclude: ["Fixtures"]),
    ]
)
