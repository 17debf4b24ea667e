import Foundation
import Testing

/// The PostgreSQL server the suite runs against: `ARCHIVE_TEST_POSTGRES_URL`
/// (a role that may create databases) and `ARCHIVE_TEST_POSTGRES_PASSWORD`,
/// as `scripts/postgres-throwaway start` makes them and `.ci/run` exports them.
/// Each test gets a database of its own, dropped when it ends.
enum TestPostgres {
    static let environment = ProcessInfo.processInfo.environment
    static let baseURL = environment["ARCHIVE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let password = environment["ARCHIVE_TEST_POSTGRES_PASSWORD"] ?? ""
    static var available: Bool { baseURL != nil }
    /// `ARCHIVE_TEST_POSTGRES_CA`: the throwaway server's self-signed certificate, for `verify-full`.
    static let certificate = environment["ARCHIVE_TEST_POSTGRES_CA"].flatMap { $0.isEmpty ? nil : $0 }
    static let skipReason: Comment = """
        no PostgreSQL server: set ARCHIVE_TEST_POSTGRES_URL and ARCHIVE_TEST_POSTGRES_PASSWORD \
        (scripts/postgres-throwaway start DIR prints the URL and writes DIR/password); .ci/run does
        """

    /// The environment a child `archive` needs to log in.
    static var loginEnvironment: [String: String] { ["PGPASSWORD": password] }

    /// A new, empty database owned by the test role, for `body`; dropped afterwards.
    static func withDatabase<T>(_ body: (_ url: String) async throws -> T) async throws -> T {
        let base = try #require(baseURL)
        let name = "archive_t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try psql(base, "CREATE DATABASE \(name)")
        let url = base.replacingOccurrences(of: "/archive_test?", with: "/\(name)?")
        do {
            let result = try await body(url)
            _ = try? psql(base, "DROP DATABASE \(name) WITH (FORCE)")
            return result
        } catch {
            _ = try? psql(base, "DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Runs SQL through `psql` (the server's own client), returning its unaligned output.
    @discardableResult
    static func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]
        process.environment = ["PGPASSWORD": password, "PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PSQLFailure(message: String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct PSQLFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { "psql: \(message)" }
    }
}
