@testable import ArchiveKit
@testable import ArchivePostgres
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// A statement on a connection that closes before it is answered: PostgresNIO
/// 1.33.2 never answers it, and `ConnectionWatch` turns the wait into a lost
/// connection, which the writer runs again. The decision first, with no
/// network, then on a real connection to the test server.
@Suite(.timeLimit(.minutes(1)))
struct ConnectionWatchTests {
    struct Lost: Error, Equatable {}

    /// A statement that is never answered until `release`, as PostgresNIO's is not.
    final class Unanswered: Sendable {
        private let waiting = Mutex<CheckedContinuation<Int, Never>?>(nil)
        let started = Atomic<Bool>(false)
        func answer() async -> Int {
            await withCheckedContinuation { continuation in
                waiting.withLock { $0 = continuation }
                started.store(true, ordering: .sequentiallyConsistent)
            }
        }
        func release() {
            while !started.load(ordering: .sequentiallyConsistent) { usleep(1_000) }
            waiting.withLock { $0?.resume(returning: -1); $0 = nil }
        }
    }

    @Test func anAnsweredStatementGivesItsValueAndAStatementsOwnErrorPassesThrough() async throws {
        let value = try await ConnectionWatch.answer(of: { 42 }, abandoningWhen: { false }, every: .milliseconds(5), lost: { Lost() })
        #expect(value == 42)
        struct Refused: Error, Equatable {}
        await #expect(throws: Refused()) {
            try await ConnectionWatch.answer(of: { () async throws -> Int in throw Refused() }, abandoningWhen: { false },
                                             every: .milliseconds(5), lost: { Lost() })
        }
    }

    @Test func aStatementUnansweredWhenItsConnectionClosesIsALostConnection() async throws {
        let statement = Unanswered()
        let closed = Atomic<Bool>(false)
        await #expect(throws: Lost()) {
            try await ConnectionWatch.answer(of: { await statement.answer() }, abandoningWhen: {
                // The connection closes once the statement is under way.
                if statement.started.load(ordering: .sequentiallyConsistent) { closed.store(true, ordering: .sequentiallyConsistent) }
                return closed.load(ordering: .sequentiallyConsistent)
            }, every: .milliseconds(5), lost: { Lost() })
        }
        let wasClosed = closed.load(ordering: .sequentiallyConsistent)
        #expect(wasClosed)
        statement.release()
    }

    @Test func aCancelledCallerStopsWaitingForAnUnansweredStatement() async throws {
        let statement = Unanswered()
        let waiter = Task {
            try await ConnectionWatch.answer(of: { await statement.answer() }, abandoningWhen: { false }, every: .milliseconds(5), lost: { Lost() })
        }
        while !statement.started.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(1)) }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        statement.release()
    }

    /// The real thing: a statement written to a connection after it has closed
    /// (what happens when the server ends the session between `send`'s check
    /// and its write) ends as a lost connection instead of a wait without end.
    @Test(.enabled(if: TestPostgres.available, TestPostgres.skipReason))
    func aStatementWrittenToAClosedConnectionEndsAsALostConnection() async throws {
        try await TestPostgres.withDatabase { url in
            guard case .postgres(let location) = try StoreLocation.parse(url, environment: TestPostgres.loginEnvironment) else {
                Issue.record("not a PostgreSQL URL"); return
            }
            try await PostgresArchive.with(location, migrating: false) { archive in
                try await archive.withConnection { connection in
                    #expect(try await archive.send("SELECT 1", on: connection).collect().count == 1)
                    try await connection.close()
                    let error = await #expect(throws: (any Error).self) {
                        try await ConnectionWatch.answer(of: { try await connection.query("SELECT 1", logger: PostgresArchive.logger).collect().count },
                                                         abandoningWhen: { connection.isClosed }, lost: { Lost() })
                    }
                    // PostgresNIO 1.33.2 never answers; a later one may fail the statement itself.
                    #expect(error is Lost || error is PSQLError, "\(String(describing: error))")
                    // And `send`, the writer's one way to a connection, says so in the archive's own terms.
                    let lost = await #expect(throws: PostgresStoreError.self) { try await archive.send("SELECT 1", on: connection) }
                    #expect(lost?.isConnectionLost == true)
                }
            }
        }
    }
}
