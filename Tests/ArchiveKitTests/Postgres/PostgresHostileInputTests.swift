import Foundation
import Testing

/// `HostileInputTests`' refresh from a hostile vendor, into a PostgreSQL
/// archive: the same answers, the same messages, and the archive read back
/// (through `archive copy`) unchanged and sound.
extension PostgresSuites {
@Suite(.timeLimit(.minutes(6)), .enabled(if: TestPostgres.available, TestPostgres.skipReason))
struct PostgresHostileInputTests {
    @Test func hostileVendorAnswersFailTheirIDAndLeaveItsArchivedCallAlone() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await TestPostgres.withDatabase { url in
            try await HostileInputTests.hostileRefresh(of: .postgres(url: url), in: dir)
        }
    }
}
}
