// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "streamrecon",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ReconEngine", targets: ["ReconEngine"]),
        .executable(name: "streamrecon", targets: ["streamrecon"]),
        .executable(name: "streamrecon-bench", targets: ["streamrecon-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "ReconEngine",
            dependencies: ["ReconChain", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(name: "ReconChain", swiftSettings: strict),
        // The source protocols and the chain snapshot file: no database library.
        .target(name: "ReconSources", dependencies: ["ReconEngine", "ReconChain"], swiftSettings: strict),
        // Pairing, findings, reports and the run-store protocol: no database library either.
        .target(
            name: "Reconciliation",
            dependencies: [
                "ReconEngine", "ReconSources",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ReconSQLite",
            dependencies: [
                "ReconEngine", "ReconSources", "Reconciliation",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ReconPostgres",
            dependencies: [
                "ReconEngine", "ReconSources", "Reconciliation",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Delivers a run's alert to a webhook: signing, timeouts, retries.
        .target(
            name: "ReconAlerts",
            dependencies: [
                "Reconciliation",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The composition root: every plugin, source, store and format this build offers.
        .target(name: "ReconAssembly", dependencies: ["Reconciliation", "ReconSQLite", "ReconPostgres", "ReconRPC"], swiftSettings: strict),
        .target(
            name: "ReconRPC",
            dependencies: ["ReconChain", "ReconEngine", "ReconSources"],
            swiftSettings: strict
        ),
        .target(
            name: "ReconServer",
            dependencies: [
                "ReconEngine", "ReconSources", "Reconciliation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StreamReconCLI",
            dependencies: [
                "ReconEngine", "ReconSources", "Reconciliation", "ReconServer", "ReconAssembly", "ReconSQLite", "ReconAlerts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "streamrecon", dependencies: ["StreamReconCLI"], swiftSettings: strict),
        .executableTarget(
            name: "streamrecon-bench",
            dependencies: ["ReconEngine", "ReconSources", "ReconSQLite", "ReconChain", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(name: "ReconEngineTests", dependencies: ["ReconEngine"], swiftSettings: strict),
        .testTarget(name: "ReconChainTests", dependencies: ["ReconChain"], swiftSettings: strict),
        .testTarget(name: "ReconciliationTests", dependencies: ["Reconciliation", "ReconSources", "ReconSQLite", "ReconAssembly", "ReconEngine", "TestSupport",
                                                               .product(name: "GRDB", package: "GRDB.swift"),
                                                               .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        // A plain HTTP client over a loopback socket, for the server's tests.
        .target(name: "LoopbackHTTP", path: "Tests/LoopbackHTTP", swiftSettings: strict),
        // Reads a test's run tables.
        .target(name: "TestSupport", dependencies: [.product(name: "GRDB", package: "GRDB.swift")], path: "Tests/TestSupport", swiftSettings: strict),
        // Starts a throwaway PostgreSQL server for the tests.
        .target(name: "PostgresRig", path: "Tests/PostgresRig", swiftSettings: strict),
        // Starts the Python EVM rig (Tests/EVM), installing its venv on first use.
        .target(name: "EVMRigSupport", path: "Tests/EVMRigSupport", swiftSettings: strict),
        .testTarget(name: "ReconRPCTests", dependencies: ["ReconRPC", "ReconChain", "ReconEngine", "ReconSources", "Reconciliation", "ReconSQLite",
                                                         "EVMRigSupport", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .testTarget(name: "ReconServerTests", dependencies: ["ReconServer", "LoopbackHTTP", "WebhookReceiver", "ReconAlerts", "TestSupport", "Reconciliation", "ReconSources", "ReconEngine", "ReconSQLite", "ReconAssembly",
                                                            .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .testTarget(name: "ReconPostgresTests", dependencies: ["ReconPostgres", "ReconSQLite", "Reconciliation", "ReconSources", "ReconEngine", "PostgresRig", "TestSupport"],
                    swiftSettings: strict),
        // A webhook receiver on a free loopback port, for the alert tests of the sender, the CLI and the server.
        .target(name: "WebhookReceiver", dependencies: [.product(name: "Hummingbird", package: "hummingbird"),
                                                        .product(name: "HTTPTypes", package: "swift-http-types"),
                                                        .product(name: "Logging", package: "swift-log")],
                path: "Tests/WebhookReceiver", swiftSettings: strict),
        .testTarget(name: "ReconAlertsTests", dependencies: ["ReconAlerts", "Reconciliation", "WebhookReceiver", .product(name: "Hummingbird", package: "hummingbird"),
                                                            .product(name: "HTTPTypes", package: "swift-http-types"),
                                                            .product(name: "Crypto", package: "swift-crypto"),
                                                            .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                            .product(name: "NIOCore", package: "swift-nio"),
                                                            .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(name: "StreamReconCLITests", dependencies: ["StreamReconCLI", "streamrecon", "LoopbackHTTP", "WebhookReceiver", "ReconAlerts", "EVMRigSupport", "TestSupport", "PostgresRig", "Reconciliation", "ReconSources", "ReconSQLite", "ReconPostgres", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
