// swift-tools-version: 6.2
import PackageDescription

// Every target of ours: Swift 6 language mode (strict concurrency) and warnings are errors.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "remit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "remit", targets: ["RemitCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries, found through pkg-config; tools/setup installs their -dev packages.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),

        // Limits and configuration shared by every module; no I/O.
        .target(name: "RemitCore", swiftSettings: strict),

        // The remittance domain: validation, commands, events, the hash chain. Pure: no I/O.
        .target(
            name: "RemitDomain",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),

        // Safe Swift over libpq: connections, typed values and errors, transactions, COPY, a pool.
        .target(
            name: "RemitPostgres",
            dependencies: [
                "CLibPQ", "RemitCore",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // LZ4 frames with their content size and checksums, bounded on the way in.
        .target(name: "RemitLZ4", dependencies: ["CLZ4", "RemitCore"], swiftSettings: strict),

        // The strict JSON parser every request body goes through (no duplicates, depth and size
        // bounds, exact numbers). No dependencies, so the fuzz build instruments it on its own.
        .target(name: "RemitStrictJSON", swiftSettings: strict),

        // The segment format: encode, decode within bounds, verify against a reader's head.
        // Pure, and light enough for the fuzz build (Tests/Fuzz) to instrument on its own.
        .target(
            name: "RemitSegment",
            dependencies: ["RemitCore", "RemitDomain", "RemitLZ4", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),

        // What the router and the nodes say to each other and to clients: problem documents,
        // JSON coding, request ids, readiness and its client, signed requests between processes.
        // No storage, no libpq: the router links this and RemitCore only.
        // The web console's static files and the middleware that serves them.
        .target(
            name: "RemitConsole",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            resources: [.copy("Console")],
            swiftSettings: strict
        ),

        // What a node or the router tells an operations team: Prometheus metrics (swift-metrics
        // with swift-prometheus), per-request figures by route, the process's own, `/metrics`.
        .target(
            name: "RemitMetrics",
            dependencies: [
                "RemitCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "RemitWire",
            dependencies: [
                "RemitCore", "RemitDomain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // SQL only: migrations, the log (append, read), projections, identity, the region row.
        .target(
            name: "RemitStorage",
            dependencies: [
                "RemitCore", "RemitDomain", "RemitPostgres", "RemitAuth",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Replication: the segment format and its verifier (pure), cutting and applying segments,
        // the writer's segment service, the reader's puller (a pure loop and its driver), figures.
        .target(
            name: "RemitReplication",
            dependencies: [
                "RemitCore", "RemitDomain", "RemitLZ4", "RemitSegment", "RemitPostgres", "RemitStorage", "RemitWire", "RemitAuth",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Who may do what: passwords, roles, signed access tokens, trusted identity providers,
        // sign-in throttling. No I/O: keys and users come from storage, requests from HTTP.
        .target(
            name: "RemitAuth",
            dependencies: [
                "RemitCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            swiftSettings: strict
        ),

        // Failover: region control and the write lease, planned and forced runbooks (pure state
        // machines and their drivers), rejoin with quarantine, reconcile, runbook records.
        .target(
            name: "RemitFailover",
            dependencies: [
                "RemitCore", "RemitDomain", "RemitPostgres", "RemitReplication", "RemitStorage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // A region node's HTTP application: thin route handlers over the modules above.
        .target(
            name: "RemitHTTP",
            dependencies: [
                "RemitCore", "RemitDomain", "RemitWire", "RemitPostgres", "RemitStorage", "RemitAuth", "RemitReplication", "RemitFailover",
                "RemitConsole", "RemitMetrics", "RemitStrictJSON",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("openapi.json")],
            swiftSettings: strict
        ),

        // The router: health-checks regions and proxies the API to the active one.
        .target(
            name: "RemitRouter",
            dependencies: [
                "RemitCore", "RemitWire", "RemitConsole", "RemitMetrics",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // The embedded stack: local PostgreSQL clusters and child processes.
        .target(
            name: "RemitStack",
            dependencies: [
                "RemitCore", "RemitPostgres", "RemitStorage", "RemitAuth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The payout-file importer: reads and checks a CSV file, sends it through the batch route.
        .target(
            name: "RemitImport",
            dependencies: [
                "RemitCore", "RemitDomain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The benchmarks behind `remit bench`: load generators, their baselines measured in the
        // same run, and the figures they print. Through the modules' APIs; raw SQL only where it
        // measures PostgreSQL itself (the INSERT baseline, the WAL).
        .target(
            name: "RemitBench",
            dependencies: [
                "RemitImport", "RemitCore", "RemitPostgres", "RemitStorage", "RemitWire", "RemitReplication", "RemitFailover", "RemitHTTP", "RemitStack", "RemitMetrics",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "RemitCLI",
            dependencies: [
                "RemitCore", "RemitPostgres", "RemitStorage", "RemitWire", "RemitHTTP", "RemitRouter", "RemitStack", "RemitAuth", "RemitFailover", "RemitReplication", "RemitBench",
                "RemitMetrics", "RemitImport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Helpers the test targets share: a fresh database per test on the clusters tools/test started.
        .target(
            name: "RemitTestSupport",
            dependencies: ["RemitCore", "RemitPostgres"],
            path: "Tests/RemitTestSupport",
            swiftSettings: strict
        ),
        // Fuzz harnesses (libFuzzer), fuzzing only when tools/fuzz builds them instrumented.
        .target(name: "RemitFuzzDriver", path: "Tests/Fuzz/Driver", swiftSettings: strict),
        .executableTarget(
            name: "RemitSegmentFuzz", dependencies: ["RemitFuzzDriver", "RemitSegment", "RemitDomain"], path: "Tests/Fuzz/SegmentFuzz",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "RemitStrictJSONFuzz", dependencies: ["RemitFuzzDriver", "RemitStrictJSON"], path: "Tests/Fuzz/StrictJSONFuzz",
            swiftSettings: strict
        ),

        .testTarget(name: "RemitDomainTests", dependencies: ["RemitDomain"], swiftSettings: strict),
        .testTarget(name: "RemitAuthTests", dependencies: ["RemitAuth"], swiftSettings: strict),
        .testTarget(
            name: "RemitFailoverTests",
            dependencies: [
                "RemitFailover", "RemitStorage", "RemitReplication", "RemitWire", "RemitPostgres", "RemitDomain", "RemitCore", "RemitTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The failover runbooks' and rejoin's decisions, with no database.
        .testTarget(name: "RemitRunbookTests", dependencies: ["RemitFailover", "RemitDomain", "RemitCore"], swiftSettings: strict),
        .testTarget(name: "RemitReplicationTests", dependencies: ["RemitReplication", "RemitSegment", "RemitDomain", "RemitCore"], swiftSettings: strict),
        .testTarget(name: "RemitCoreTests", dependencies: ["RemitCore"], swiftSettings: strict),
        .testTarget(name: "RemitLZ4Tests", dependencies: ["RemitLZ4", "CLZ4"], swiftSettings: strict),
        .testTarget(
            name: "RemitPostgresTests",
            dependencies: ["RemitPostgres", "RemitTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RemitStorageTests",
            dependencies: ["RemitStorage", "RemitPostgres", "RemitReplication", "RemitFailover", "RemitDomain", "RemitTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RemitHTTPTests",
            dependencies: [
                "RemitHTTP", "RemitRouter", "RemitWire", "RemitReplication", "RemitSegment", "RemitStrictJSON", "RemitFailover", "RemitStorage", "RemitAuth", "RemitDomain", "RemitTestSupport", "RemitMetrics",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "RemitStackTests", dependencies: ["RemitStack"], swiftSettings: strict),
        .testTarget(name: "RemitImportTests", dependencies: ["RemitImport", "RemitDomain"], swiftSettings: strict),
    ]
)
