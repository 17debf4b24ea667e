import ArchiveKit
import Testing

/// Each user-facing error carries the exit code the README documents; the CLI
/// tests pin the same codes end to end (sync: 0, 1, 3, 6, 130, 143; queries: 2, 4, 5).
struct ExitStatusTests {
    @Test func theDocumentedCodes() {
        #expect([ExitStatus.ok, .someFailed, .usage, .authRejected, .database, .timedOut, .vendorUnavailable].map(\.rawValue)
            == [0, 1, 2, 3, 4, 5, 6])
        #expect(ExitStatus.interrupted(by: 2).rawValue == 130)
        #expect(ExitStatus.interrupted(by: 15).rawValue == 143)
    }

    @Test func eachErrorKnowsItsCode() {
        let cases: [(any UserFacingError, Int32)] = [
            (StoreError.missing(path: "a"), 4),
            (StoreError.diskFull(path: "a"), 4),
            (RecordingStoreError.diskFull("dir"), 4),
            (ConfigurationError.missingAPIKey(variable: "PURETALK_API_KEY", provider: .puretalk), 2),
            (ConfigurationError.invalidBaseURL("x", "no"), 2),
            (InputError.cannotRead("ids.txt", "no such file"), 2),
            (QueryError.invalidSearch(query: "a-", reason: "syntax error"), 2),
            (QueryError.notReadOnly(reason: "writes"), 2),
            (QueryError.timedOut(seconds: 1), 5),
            (ListingError.authRejected(status: 401), 3),
            (ListingError.unavailable("down"), 6),
            (ListingError.vendor("loops"), 1),
        ]
        for (error, code) in cases {
            #expect(error.exitStatus.rawValue == code, "\(error)")
        }
    }
}
