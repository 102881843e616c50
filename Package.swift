// swift-tools-version:6.2
// Warden: a self-hosted security plane that speaks the AWS wire protocols.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "warden",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "warden", targets: ["warden"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "WardenCore", swiftSettings: swiftSettings),
        .target(name: "WardenAPI", dependencies: ["WardenCore"], swiftSettings: swiftSettings),
        .target(name: "WardenProtocol", dependencies: ["WardenCore"], swiftSettings: swiftSettings),
        // IAM's policy language: parsing with AWS's grammar errors, and one evaluator every service's authorization uses.
        .target(name: "WardenPolicy", dependencies: ["WardenCore"], swiftSettings: swiftSettings),
        .target(name: "WardenAuth", dependencies: [
            "WardenCore",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .target(name: "WardenStorage", dependencies: [
            "WardenCore",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .target(name: "WardenStorageSQLite", dependencies: ["WardenStorage", "CSQLite"], swiftSettings: swiftSettings),
        .target(name: "WardenStoragePostgres", dependencies: [
            "WardenStorage",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .target(name: "WardenAudit", dependencies: [
            "WardenCore", "WardenStorage",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swiftSettings),
        // secp256k1 and HMAC-SHA-224 from the system's OpenSSL (Debian: libssl-dev), gzip from zlib (zlib1g-dev).
        .target(name: "COpenSSLShim", linkerSettings: [.linkedLibrary("crypto"), .linkedLibrary("z")]),
        .target(name: "WardenServices", dependencies: [
            "WardenCore", "WardenAPI", "WardenStorage", "WardenAuth", "WardenPolicy", "COpenSSLShim",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swiftSettings),
        .target(name: "WardenServer", dependencies: [
            "WardenCore", "WardenAPI", "WardenProtocol", "WardenAuth", "WardenStorage",
            "WardenStorageSQLite", "WardenStoragePostgres", "WardenAudit", "WardenServices", "WardenPolicy",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "warden", dependencies: [
            "WardenServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "WardenCoreTests", dependencies: ["WardenCore", "WardenAPI", "WardenProtocol"], swiftSettings: swiftSettings),
        .testTarget(name: "WardenServicesTests", dependencies: [
            "WardenServices", "WardenStorageSQLite", .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "WardenAuthTests", dependencies: ["WardenAuth"], swiftSettings: swiftSettings),
        .testTarget(name: "WardenPolicyTests", dependencies: ["WardenPolicy"], swiftSettings: swiftSettings),
        .testTarget(name: "WardenStorageTests", dependencies: [
            "WardenStorage", "WardenStorageSQLite", "WardenStoragePostgres",
        ], swiftSettings: swiftSettings),
        .testTarget(name: "WardenServerTests", dependencies: [
            "WardenServer",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: swiftSettings),
    ]
)
