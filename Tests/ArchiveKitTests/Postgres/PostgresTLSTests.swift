import ArchiveKit
import Foundation
import Testing

/// The URL's `sslmode` against the throwaway server, which speaks TLS with a
/// self-signed certificate for `localhost` (`scripts/postgres-throwaway`):
/// whether the session is encrypted is asked of the server itself (`pg_stat_ssl`).
extension PostgresSuites {
@Suite(.timeLimit(.minutes(3)), .enabled(if: TestPostgres.available, TestPostgres.skipReason))
struct PostgresTLSTests {
    static let encrypted = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

    func url(_ query: String, host: String? = nil) throws -> String {
        var url = try #require(TestPostgres.baseURL).replacingOccurrences(of: "?sslmode=disable", with: "?" + query)
        if let host { url = url.replacingOccurrences(of: "@127.0.0.1:", with: "@\(host):") }
        return url
    }

    /// The result's lines (CSV ends them with CRLF).
    func lines(_ result: CLI.Result) -> [String] { result.stdout.split(whereSeparator: \.isNewline).map(String.init) }

    func ask(_ url: String) throws -> CLI.Result {
        try CLI.run(["sql", Self.encrypted, "--db", url, "--format", "csv"], environment: TestPostgres.loginEnvironment,
                    in: URL(fileURLWithPath: NSTemporaryDirectory()))
    }

    @Test func requireEncryptsAndDisableDoesNot() throws {
        let required = try ask(try url("sslmode=require"))
        #expect(required.status == 0 && lines(required) == ["ssl", "true"], "\(required.stdout)\(required.stderr)")
        let disabled = try ask(try url("sslmode=disable"))
        #expect(disabled.status == 0 && lines(disabled) == ["ssl", "false"], "\(disabled.stdout)\(disabled.stderr)")
    }

    /// `verify-full` trusts no certificate it cannot check: the self-signed one
    /// (made for `localhost`) is refused with the system's authorities,
    /// accepted with `sslrootcert` naming it, and refused for 127.0.0.1, the
    /// same server by an address the certificate does not name.
    @Test(.enabled(if: TestPostgres.certificate != nil, "ARCHIVE_TEST_POSTGRES_CA names the throwaway server's certificate; .ci/run sets it"))
    func verifyFullChecksTheAuthorityAndTheHost() throws {
        let certificate = try #require(TestPostgres.certificate)
        let untrusted = try ask(try url("sslmode=verify-full", host: "localhost"))
        #expect(untrusted.status == ExitStatus.database.rawValue, "\(untrusted.stdout)\(untrusted.stderr)")
        #expect(untrusted.stdout.isEmpty && untrusted.stderr.contains("not signed by an authority this machine trusts"), "\(untrusted.stderr)")

        let trusted = try ask(try url("sslmode=verify-full&sslrootcert=" + certificate, host: "localhost"))
        #expect(trusted.status == 0 && lines(trusted) == ["ssl", "true"], "\(trusted.stdout)\(trusted.stderr)")

        let otherName = try ask(try url("sslmode=verify-full&sslrootcert=" + certificate))
        #expect(otherName.status == ExitStatus.database.rawValue && otherName.stderr.contains("does not name this host"),
                "the certificate names localhost only: \(otherName.stdout)\(otherName.stderr)")
        for result in [untrusted, trusted, otherName] {
            #expect(!result.stdout.contains(TestPostgres.password) && !result.stderr.contains(TestPostgres.password))
        }
    }
}
}
