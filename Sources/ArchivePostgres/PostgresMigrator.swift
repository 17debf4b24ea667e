import ArchiveKit
import Foundation
import PostgresNIO

/// Applies `migrations/postgres/*.sql` (embedded at build time) in order, each
/// in one transaction with its row in `archive_migrations`, as the SQLite
/// store does with `grdb_migrations`. A session-level advisory lock makes two
/// processes that start at once migrate once: the second waits, then finds
/// nothing left to do. A schema with migrations this build does not know is
/// refused, untouched.
struct PostgresMigrator {
    let archive: PostgresArchive
    /// `pg_advisory_lock`'s key: "archive" in ASCII.
    static let lockKey: Int64 = 0x61_7263_6869_7665

    static var known: [String] { EmbeddedMigrations.all.map(\.name) }

    func migrate() async throws {
        try await archive.withConnection { connection in
            _ = try await archive.send("SELECT pg_advisory_lock(\(Self.lockKey))", on: connection)
            do {
                try await apply(on: connection)
                _ = try await archive.send("SELECT pg_advisory_unlock(\(Self.lockKey))", on: connection)
            } catch {
                _ = try? await archive.send("SELECT pg_advisory_unlock(\(Self.lockKey))", on: connection)
                throw error
            }
        }
    }

    private func apply(on connection: PostgresConnection) async throws {
        _ = try await archive.send("""
            CREATE TABLE IF NOT EXISTS archive_migrations (
                name       text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, on: connection)
        var applied = Set<String>()
        for try await name in try await archive.send("SELECT name FROM archive_migrations", on: connection).decode(String.self) {
            applied.insert(name)
        }
        let unknown = applied.subtracting(Self.known).sorted()
        guard unknown.isEmpty else {
            throw PostgresStoreError.newerSchema(location: archive.location.description, unknownMigrations: unknown)
        }
        for migration in EmbeddedMigrations.all where !applied.contains(migration.name) {
            // DDL is transactional in PostgreSQL: the migration and its record commit together or not at all.
            _ = try await archive.send("BEGIN", on: connection)
            do {
                for statement in Self.statements(migration.sql) {
                    _ = try await archive.send(PostgresQuery(unsafeSQL: statement), on: connection)
                }
                _ = try await archive.send("INSERT INTO archive_migrations (name) VALUES (\(migration.name))", on: connection)
                _ = try await archive.send("COMMIT", on: connection)
            } catch {
                _ = try? await archive.send("ROLLBACK", on: connection)
                throw error
            }
        }
    }

    /// A migration file's statements: split at each `;` outside quotes, `$$`
    /// bodies (a `DO` block's) and `--` comments (the extended protocol takes
    /// one statement at a time).
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = [], current = ""
        var quote: Character? = nil, inComment = false, inDollarBody = false
        for ch in sql {
            if inComment {
                if ch == "\n" { inComment = false; current.append(ch) }
                continue
            }
            if let q = quote {
                current.append(ch)
                if ch == q { quote = nil }
                continue
            }
            if inDollarBody {
                if ch == "$" && current.last == "$" { inDollarBody = false }
                current.append(ch)
                continue
            }
            switch ch {
            case "'", "\"": quote = ch; current.append(ch)
            case "$" where current.last == "$": inDollarBody = true; current.append(ch)
            case "-" where current.last == "-": current.removeLast(); inComment = true
            case ";":
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { statements.append(statement) }
                current = ""
            default: current.append(ch)
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }
}
