// swift-tools-version: 6.1
import PackageDescription

// Targets follow DESIGN.md: one target per responsibility, the domain pure, SQL only in the store.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Nianjian",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nianjian", targets: ["nianjian"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Hummingbird's own header types (already in its graph), named directly for custom x-acs-* headers.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The web console (issue #13).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        // libpq, the PostgreSQL C client (Debian: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Safe Swift layer over libpq: connections on serial queues, bound parameters, pool, COPY,
        // plus the embedded (private) PostgreSQL cluster.
        .target(
            name: "NianjianPostgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The pure domain: models, validation, business calendar, state machine. No I/O.
        .target(
            name: "NianjianDomain",
            dependencies: [],
            swiftSettings: strict
        ),
        // Every SQL statement of the product: migrations, queries.
        .target(
            name: "NianjianStore",
            dependencies: ["NianjianPostgres", "NianjianDomain", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // Console adapters: the protocol, the business clock, the token bucket, where the cloud is.
        .target(
            name: "NianjianConsole",
            dependencies: ["NianjianDomain", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The deterministic in-process mock console, its settings (the job file's `console:` section) and memory.
        .target(
            name: "NianjianMockConsole",
            dependencies: ["NianjianConsole", "NianjianDomain"],
            swiftSettings: strict
        ),
        // Alibaba Cloud's OpenAPI: the ACS3-HMAC-SHA256 signer, the actions the product uses, error classes.
        .target(
            name: "NianjianAliyun",
            dependencies: [
                "NianjianDomain", "NianjianConsole",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The cloud simulator (`nianjian cloud serve`): Alibaba Cloud's signed RPC protocol for the BSS, ECS and
        // RDS actions the adapter uses, over loopback HTTP, with its own durable state and deterministic faults.
        .target(
            name: "NianjianCloudSimulator",
            dependencies: [
                "NianjianAliyun", "NianjianDomain", "NianjianSpreadsheet", "NianjianConsole",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The nightly runner: claim, pool, write-back, heartbeat, shutdown; job files.
        .target(
            name: "NianjianRunner",
            dependencies: [
                "NianjianDomain", "NianjianStore", "NianjianConsole", "NianjianMockConsole", "NianjianPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // Reading the agencies' spreadsheets: encodings (UTF-8, BOM, GB18030), CSV, typed rows with
        // file:line:column errors. Pure: the store writes what this reads.
        .target(
            name: "NianjianSpreadsheet",
            dependencies: ["NianjianDomain"],
            swiftSettings: strict
        ),
        // Rendering a tenant's report (table, JSON, CSV, self-contained HTML with SVG). Pure.
        .target(
            name: "NianjianReports",
            dependencies: ["NianjianDomain"],
            swiftSettings: strict
        ),
        // Operator workflows: tenants, import, plan, requeue, reports, cloud accounts, the console factory, the night.
        .target(
            name: "NianjianOperations",
            dependencies: [
                "NianjianDomain", "NianjianStore", "NianjianRunner", "NianjianConsole", "NianjianMockConsole",
                "NianjianPostgres", "NianjianSpreadsheet", "NianjianReports", "NianjianAliyun",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        // `nianjian demo`: synthetic agencies through import, plan, nights, re-queue and reports, against the cloud
        // simulator in process (DemoCloud, which the soak uses too).
        .target(
            name: "NianjianDemo",
            dependencies: [
                "NianjianOperations", "NianjianDomain", "NianjianStore", "NianjianRunner", "NianjianConsole",
                "NianjianPostgres", "NianjianSpreadsheet", "NianjianReports", "NianjianAliyun", "NianjianCloudSimulator",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Benchmarks (`nianjian bench`): throughput, latency, fairness, memory, validation and the multi-night soak,
        // each in a fresh database; their SQL is the store's (BenchQueries, MinimalFloorQueries, SoakQueries).
        .target(
            name: "NianjianBench",
            dependencies: [
                "NianjianOperations", "NianjianDemo", "NianjianDomain", "NianjianStore", "NianjianRunner",
                "NianjianConsole", "NianjianMockConsole", "NianjianPostgres", "NianjianSpreadsheet", "NianjianCloudSimulator",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The web console: routes, auth, sessions, CSRF, escaped server-rendered pages, JSON API, metrics.
        .target(
            name: "NianjianWeb",
            dependencies: [
                "NianjianOperations", "NianjianStore", "NianjianDomain", "NianjianPostgres", "NianjianReports",
                "NianjianSpreadsheet",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The thin command line.
        .executableTarget(
            name: "nianjian",
            dependencies: [
                "NianjianOperations", "NianjianRunner", "NianjianStore", "NianjianDomain", "NianjianPostgres",
                "NianjianConsole", "NianjianReports", "NianjianCloudSimulator", "NianjianAliyun", "NianjianWeb",
                "NianjianBench", "NianjianDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Test harness: a throwaway cluster per test process, a fresh database per test.
        .target(
            name: "NianjianTestSupport",
            dependencies: ["NianjianPostgres", "NianjianStore", "NianjianDomain",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DomainTests",
            dependencies: [
                "NianjianDomain",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AliyunTests",
            dependencies: [
                "NianjianAliyun", "NianjianDomain", "NianjianConsole",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CloudSimulatorTests",
            dependencies: [
                "NianjianCloudSimulator", "NianjianAliyun", "NianjianDomain", "NianjianTestSupport", "NianjianConsole",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SpreadsheetTests",
            dependencies: ["NianjianSpreadsheet", "NianjianDomain"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ReportsTests",
            dependencies: ["NianjianReports", "NianjianDomain"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["NianjianPostgres", "NianjianTestSupport", "NianjianStore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["NianjianStore", "NianjianTestSupport", "NianjianDomain", "NianjianPostgres"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RunnerTests",
            dependencies: [
                "NianjianRunner", "NianjianStore", "NianjianTestSupport", "NianjianDomain", "NianjianConsole",
                "NianjianMockConsole", "NianjianPostgres", "NianjianOperations",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "OperationsTests",
            dependencies: [
                "NianjianOperations", "NianjianStore", "NianjianTestSupport", "NianjianDomain",
                "NianjianPostgres", "NianjianRunner", "NianjianReports", "NianjianSpreadsheet", "NianjianConsole", "NianjianCloudSimulator", "NianjianAliyun",
                "NianjianMockConsole", "NianjianBench", "NianjianDemo",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WebTests",
            dependencies: [
                "NianjianWeb", "NianjianOperations", "NianjianStore", "NianjianTestSupport", "NianjianDomain",
                "NianjianPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
    ]
)
