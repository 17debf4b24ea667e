import ArchiveKit
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// `archive serve`: the archive as a local web app, read-only.
///
/// Built on Hummingbird (routing, HTTP/1 limits, file streaming, cookies)
/// over the SwiftNIO the project already has. Pages are plain Swift that
/// escapes by construction (`HTML`), so no template can forget to.
public struct ViewerServer: Sendable {
    public let configuration: ViewerConfiguration

    public init(_ configuration: ViewerConfiguration) throws(ViewerSetupError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Opens the SQLite archive and serves it until the task is cancelled (or
    /// the process gets SIGINT/SIGTERM). `onListening` receives the address as
    /// soon as the socket is bound, with the real port when `port` was 0.
    public func run(onListening: @escaping @Sendable (URL) -> Void) async throws {
        // One read-only connection per core (at most four).
        let count = min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 4)
        let stores = try (0..<count).map { _ in try ArchiveStore.openReadOnly(path: configuration.databasePath) }
        try await run(source: ArchiveReader(stores: stores, timeout: configuration.queryTimeout), onListening: onListening)
    }

    /// Serves another store (PostgreSQL), which keeps the time limit itself.
    public func run(source: any ViewerSource, onListening: @escaping @Sendable (URL) -> Void) async throws {
        let app = try makeApplication(source: source, onListening: onListening)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// The application, for tests that run it inside their own service group.
    public func makeApplication(stores: [ArchiveStore], onListening: @escaping @Sendable (URL) -> Void) throws -> some ApplicationProtocol {
        try makeApplication(source: ArchiveReader(stores: stores, timeout: configuration.queryTimeout), onListening: onListening)
    }

    func makeApplication(source: any ViewerSource, onListening: @escaping @Sendable (URL) -> Void) throws -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: SafetyMiddleware())
        if let token = configuration.token { router.add(middleware: AccessMiddleware(token: token)) }
        ViewerRoutes(reader: source, recordings: RecordingResponder(directory: configuration.recordingsDirectory),
                     pageSize: configuration.pageSize).add(to: router)

        var logger = Logger(label: "archive.serve")
        logger.logLevel = .warning  // requests are not logged: URLs carry filters and, once, a token
        let host = configuration.host
        let http1 = HTTP1Channel.Configuration(
            idleTimeout: .seconds(60),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 100))
        return Application(
            router: router,
            server: .http1(configuration: http1),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: nil,
                                 availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
                if let url = URL(string: "http://\(shown):\(port)/") { onListening(url) }
            },
            logger: logger)
    }
}
