import ArchiveKit
import Foundation
import Logging
import PostgresNIO

/// Owns a connection pool to a PostgreSQL archive: connecting with the
/// location's TLS mode, migrating the schema under an advisory lock, and
/// every statement run on it (`run`, `transaction`), whose errors it phrases.
///
/// The archive needs no superuser: it creates its tables in the database's
/// default schema, which the role must own (or be allowed to create in).
public final class PostgresArchive: Sendable {
    public let location: PostgresLocation
    private let client: PostgresClient
    /// Every statement's limit, in seconds, when the session has one (the viewer's).
    private let statementTimeout: Double?
    /// PostgresNIO's own warnings (a lease asked for before the pool's first
    /// connection) are noise on a command's stderr: errors only.
    static let logger: Logger = {
        var logger = Logger(label: "archive.postgres")
        logger.logLevel = .error
        return logger
    }()

    private init(location: PostgresLocation, client: PostgresClient, statementTimeout: Double?) {
        self.location = location
        self.client = client
        self.statementTimeout = statementTimeout
    }

    /// Connects to `location`, migrates it (unless `migrating` is false),
    /// runs `body`, and closes every connection before returning.
    ///
    /// A `readOnlySession` (the viewer's) runs every statement read-only, as
    /// PostgreSQL's `default_transaction_read_only` makes it, each stopped
    /// after `statementTimeout` seconds (`QueryError.timedOut`).
    ///
    /// One connection is made first, outside the pool: a server that is not
    /// there, or a rejected login, is then said at once and precisely (the
    /// pool would keep retrying, then report only that it gave up).
    public static func with<T: Sendable>(_ location: PostgresLocation, migrating: Bool = true,
                                         readOnlySession statementTimeout: Double? = nil,
                                         _ body: (PostgresArchive) async throws -> T) async throws -> T {
        if statementTimeout != nil && migrating {
            // Migrations write: they run in a session of their own first.
            try await with(location, migrating: true) { _ in }
            return try await with(location, migrating: false, readOnlySession: statementTimeout, body)
        }
        var configuration = try poolConfiguration(location)
        if let statementTimeout {
            configuration.options.additionalStartupParameters += [
                ("default_transaction_read_only", "on"), ("statement_timeout", String(max(1, Int((statementTimeout * 1000).rounded())))),
            ]
        }
        let archive = PostgresArchive(location: location, client: PostgresClient(configuration: configuration, backgroundLogger: logger),
                                      statementTimeout: statementTimeout)
        try await archive.mappingErrors {
            let probe = try await PostgresConnection.connect(configuration: try connectionConfiguration(location), id: 0, logger: logger)
            try await probe.close()
        }
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await archive.client.run() }
            defer { group.cancelAll() }
            if migrating {
                try await PostgresMigrator(archive: archive).migrate()
                try await archive.runPendingWork()
            }
            return try await body(archive)
        }
    }

    /// libpq's `prefer` and `require` encrypt without checking who answers; `verify-full` checks
    /// the certificate against `sslrootcert`'s authorities (else the system's) and the host: its
    /// name, or for an IP address the certificate's IP entry (PostgresNIO sends no SNI for an IP,
    /// and NIOSSL then checks the address it reached). Nil: no TLS.
    private static func tls(_ location: PostgresLocation) -> TLSConfiguration? {
        var config = TLSConfiguration.makeClientConfiguration()
        switch location.sslMode {
        case .disable: return nil
        case .prefer, .require: config.certificateVerification = .none
        case .verifyFull: if let roots = location.rootCertificates { config.trustRoots = .file(roots) }
        }
        return config
    }

    private static func poolConfiguration(_ location: PostgresLocation) throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch (Self.tls(location), location.sslMode) {
        case (let config?, .prefer): .prefer(config)
        case (let config?, _): .require(config)
        case (nil, _): .disable
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: location.password, database: location.database, tls: tls)
        configuration.options.maximumConnections = 8
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "archive")]
        return configuration
    }

    private static func connectionConfiguration(_ location: PostgresLocation) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = switch (Self.tls(location), location.sslMode) {
        case (let config?, .prefer): .prefer(try NIOSSLContext(configuration: config))
        case (let config?, _): .require(try NIOSSLContext(configuration: config))
        case (nil, _): .disable
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: location.password, database: location.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    // MARK: Statements

    /// Runs one statement and returns its rows, each decoded by `kinds`.
    func rows(_ query: PostgresQuery, kinds: [ColumnKind], on connection: PostgresConnection? = nil) async throws -> [[TransferValue]] {
        var rows: [[TransferValue]] = []
        try await forEachRow(query, kinds: kinds, on: connection) { rows.append($0) }
        return rows
    }

    /// Runs one statement and hands `body` its rows as they arrive, each decoded
    /// by `kinds` (PostgresNIO asks the server for more only as they are consumed).
    func forEachRow(_ query: PostgresQuery, kinds: [ColumnKind], on connection: PostgresConnection? = nil,
                    _ body: ([TransferValue]) async throws -> Void) async throws {
        try await mappingErrors {
            let sequence = if let connection {
                try await send(query, on: connection)
            } else {
                try await client.query(query, logger: Self.logger)
            }
            for try await row in sequence {
                try await body(try Self.values(row, kinds: kinds))
            }
        }
    }

    /// A statement on a leased connection. PostgresNIO (1.33.2) never answers one
    /// sent on a connection that has closed meanwhile (the server ended the
    /// session between two statements): its write fails unseen. So the
    /// connection is checked first, and watched until the statement is answered
    /// (`ConnectionWatch`); a closed one is a lost connection, which `retrying`
    /// runs again on another.
    func send(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> PostgresRowSequence {
        try await watching(connection) { try await connection.query(query, logger: Self.logger) }
    }

    /// A prepared statement's rows, on a leased connection (checked and watched as `send` does).
    func execute<Statement: PostgresPreparedStatement>(_ statement: Statement, on connection: PostgresConnection) async throws -> [Statement.Row]
    where Statement.Row: Sendable {
        try await mappingErrors {
            try await watching(connection) {
                var rows: [Statement.Row] = []
                for try await row in try await connection.execute(statement, logger: Self.logger) { rows.append(row) }
                return rows
            }
        }
    }

    /// `work` on `connection`, unless it has closed, or closes before `work` is answered.
    func watching<T: Sendable>(_ connection: PostgresConnection, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        // Built only for a lost connection: this runs for every statement.
        let lost: @Sendable () -> any Error = { [location] in PostgresStoreError.cannotConnect(location: location.description, reason: "the server ended the session") }
        guard !connection.isClosed else { throw lost() }
        return try await ConnectionWatch.answer(of: work, abandoningWhen: { connection.isClosed }, lost: lost)
    }

    /// Runs `body` on one connection inside a transaction, committed if it returns.
    func transaction<T: Sendable>(readOnly: Bool = false, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await mappingErrors {
            try await client.withConnection { connection in
                _ = try await send(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN", on: connection)
                do {
                    let result = try await body(connection)
                    _ = try await send("COMMIT", on: connection)
                    return result
                } catch {
                    // A session that has ended took its transaction with it (and `send`
                    // refuses a connection that has closed).
                    if (error as? PostgresStoreError)?.isConnectionLost != true { _ = try? await send("ROLLBACK", on: connection) }
                    throw error
                }
            }
        }
    }

    /// Runs `body` on one leased connection (the migrator's advisory lock is a connection's).
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await mappingErrors { try await client.withConnection(body) }
    }

    private static func values(_ row: PostgresRow, kinds: [ColumnKind]) throws -> [TransferValue] {
        let cells = PostgresRandomAccessRow(row)
        return try kinds.indices.map { i in
            let cell = cells[i]
            guard cell.bytes != nil else { return .null }
            switch kinds[i] {
            case .integer: return .integer(try cell.decode(Int64.self))
            case .real: return .real(try cell.decode(Double.self))
            case .boolean: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .text, .json, .time: return .text(try cell.decode(String.self))
            }
        }
    }

    /// PostgresNIO's errors, phrased for people, naming the archive without its password.
    func mappingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            let phrased = PostgresStoreError(error, location: location)
            if let statementTimeout, case .server(_, "57014", _) = phrased { throw QueryError.timedOut(seconds: statementTimeout) }
            throw phrased
        } catch let error as PostgresDecodingError {
            throw PostgresStoreError.unexpected(location: location.description, message: "a value could not be read (\(error.code))")
        } catch let error as any UserFacingError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // NIOSSL's (a certificate refused, sslrootcert unreadable), said plainly.
            if let reason = PostgresStoreError.tlsReason(error) {
                throw PostgresStoreError.tlsRefused(location: location.description, reason: reason)
            }
            // The pool's own errors (it could not connect again) and NIO's: no query or value is in them.
            throw PostgresStoreError.cannotConnect(location: location.description, reason: String(describing: type(of: error)))
        }
    }
}

extension PostgresBindings {
    /// Binds archive values (SQLite's storage classes) as the columns they fill expect.
    mutating func append(_ value: TransferValue, as kind: ColumnKind) {
        switch (value, kind) {
        case (.null, _): appendNull()
        case (.integer(let v), .boolean): append(v != 0)
        case (.integer(let v), .real): append(Double(v))
        case (.integer(let v), _): append(v)
        case (.real(let v), _): append(v)
        case (.text(let v), _): append(v)
        }
    }
}
