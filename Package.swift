// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "archive",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "archive", targets: ["archive"]),
        .executable(name: "archive-sim", targets: ["archive-sim"]),
        .library(name: "ArchiveKit", targets: ["ArchiveKit"]),
        .library(name: "VendorSimulator", targets: ["VendorSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Already used by async-http-client; named so a decompression bomb can be told from a network error.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // Already built for async-http-client's TLS stack; SHA-256 names each archived recording.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The viewer (`archive serve`): routing, HTTP/1 limits, file streaming and its testing library, on our SwiftNIO.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        // Hummingbird's own header types, named for the viewer's few headers of its own.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The team store (issue 17): PostgreSQL's wire protocol, its connection pool and TLS through NIOSSL.
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        // The engine: vendor adapters, store, sync engine.
        .target(
            name: "ArchiveKit",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                // For the errors of a connection that could not be made (`NIOConnectionError`).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedMigrations"]
        ),
        // The viewer: `archive serve`, pages and their JSON over the query layer.
        .target(
            name: "ArchiveViewer",
            dependencies: [
                "ArchiveKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PostgreSQL store: its migrations, connection settings and `archive copy` between the two stores.
        .target(
            name: "ArchivePostgres",
            dependencies: [
                "ArchiveKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedMigrations"]
        ),
        // A vendor simulator speaking both APIs over real HTTP, with fault injection.
        .target(
            name: "VendorSimulator",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The command-line front: thin, argument parsing and printing only.
        .executableTarget(
            name: "archive",
            dependencies: [
                "ArchiveKit",
                "ArchiveViewer",
                "ArchivePostgres",
                "VendorSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Runs the simulator as a standalone server, for manual runs and benchmarks.
        .executableTarget(
            name: "archive-sim",
            dependencies: [
                "VendorSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Build tool: turns migrations/*.sql into Swift source so the binary carries its schema.
        .executableTarget(name: "MigrationEmbedder"),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["MigrationEmbedder"]
        ),
        .testTarget(
            name: "ArchiveKitTests",
            dependencies: [
                "ArchiveKit", "VendorSimulator", "archive", "ArchiveViewer", "ArchivePostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
