@testable import ArchiveKit
import Crypto
import Foundation
import Testing
import VendorSimulator

/// `archive ids`, `sync --discover`, `recordings` and `recording` with
/// `--db postgres://…`, run as processes against the simulator: the same
/// expected values as the SQLite suites (`ListingTests`, `RecordingTests`).
extension PostgresSuites {
@Suite(.timeLimit(.minutes(8)), .enabled(if: TestPostgres.available, TestPostgres.skipReason))
struct PostgresListingTests {
    func run(_ arguments: [String], _ vendor: SimulatedVendor, in dir: TempDirectory) throws -> CLI.Result {
        try CLI.run(arguments, environment: TestPostgres.loginEnvironment.merging([vendor.provider.apiKeyVariable: "sim-key"]) { $1 },
                    in: dir.url)
    }

    /// A listing into PostgreSQL stopped at a page that keeps failing resumes
    /// there: the second run prints the IDs of the first from the archive and
    /// asks the vendor for the rest only, and the union is the whole listing, once.
    @Test func idsKeepTheirProgressInPostgreSQLAndResume() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let vendor = SimulatedVendor.puretalk
        let faults = FaultPlan(scripted: ["list:puretalk:3": [.serverError, .unavailable, .serverError]])
        try await TestPostgres.withDatabase { url in
            try await withSimulator(.init(faults: faults, maxLifetime: .seconds(460), listedCalls: ListingTests.listed)) { server in
                let ids = ["ids", "--provider", vendor.rawValue, "--base-url", server.baseURL(for: vendor), "--db", url, "--max-attempts", "3"]
                let first = try run(ids, vendor, in: dir)
                #expect(first.status == ExitStatus.vendorUnavailable.rawValue, "\(first.stderr)")
                #expect(first.stderr.contains("page 3") && first.stderr.contains("Run the same command again to resume"), "\(first.stderr)")
                let before = first.stdout.split(separator: "\n").map(String.init)
                #expect(before.count == 200)
                #expect(try TestPostgres.psql(url, "SELECT pages || ' ' || ids || ' ' || (finished_at IS NULL) FROM listings") == "2 200 true")
                #expect(try TestPostgres.psql(url, "SELECT count(*) FROM listing_ids") == "200")

                let requests = server.listRequests
                let second = try run(ids, vendor, in: dir)
                #expect(second.status == 0, "\(second.stderr)")
                #expect(second.stderr.contains("resuming an interrupted listing (200 ID(s) from it"), "\(second.stderr)")
                #expect(server.listRequests - requests == 1, "only the page it stopped at was asked for")
                let after = second.stdout.split(separator: "\n").map(String.init)
                #expect(Array(after.prefix(200)) == before, "the first run's IDs come back in their order")
                #expect(after.count == ListingTests.listed && Set(after) == Set(vendor.sampleIDs(count: ListingTests.listed)))
                #expect(try TestPostgres.psql(url, "SELECT count(*) FROM listing_ids") == "0", "finished listings keep no IDs")
                #expect(try TestPostgres.psql(url, "SELECT count(*) FROM listings WHERE finished_at IS NULL") == "0")
            }
        }
    }

    /// `sync --discover` into PostgreSQL archives exactly the calls in range,
    /// the same set as `ListingTests` expects of the SQLite store.
    @Test(arguments: [SimulatedVendor.puppeteer, .vapi])
    func discoverArchivesTheListedCallsInPostgreSQL(vendor: SimulatedVendor) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await TestPostgres.withDatabase { url in
            try await withSimulator(.init(maxLifetime: .seconds(460), listedCalls: ListingTests.listed)) { server in
                let discover = try run(["sync", "--discover", "--since", "2025-09-01", "--provider", vendor.rawValue,
                                        "--base-url", server.baseURL(for: vendor), "--db", url, "-q"], vendor, in: dir)
                #expect(discover.status == 0, "\(discover.stdout)\(discover.stderr)")
                #expect(discover.stderr.contains("listed "))
                let stored = try TestPostgres.psql(url, "SELECT call_id FROM calls WHERE provider = '\(vendor.rawValue)'")
                let expected = try ListingTests.expected(vendor, since: "2025-09-01", until: nil)
                #expect(!expected.isEmpty && Set(stored.split(separator: "\n").map(String.init)) == Set(expected))
                #expect(try TestPostgres.psql(url, "SELECT source FROM sync_runs").hasPrefix("list-calls?"))
            }
        }
    }

    /// `archive recordings` fetches what a sync into PostgreSQL left out: the
    /// files go to `--recordings-dir`, their rows to PostgreSQL; `archive
    /// recording` copies one out, checking its SHA-256.
    @Test func recordingsAndRecordingWorkOnPostgreSQL() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let vendor = SimulatedVendor.vapi
        let ids = vendor.sampleIDs(count: 12)
        let ended = ids.filter { CallFactory.hasRecording(vendor, id: $0) }
        let recordings = dir.path("recordings")
        try await TestPostgres.withDatabase { url in
            try await withSimulator(.init(maxLifetime: .seconds(460))) { server in
                let base = server.baseURL(for: vendor)
                let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
                let sync = try run(["sync", list, "--provider", vendor.rawValue, "--base-url", base, "--db", url, "-q"], vendor, in: dir)
                #expect(sync.status == 0, "\(sync.stderr)")
                #expect(try TestPostgres.psql(url, "SELECT count(*) FROM recordings") == "0")

                let noDirectory = try run(["recordings", "--provider", vendor.rawValue, "--base-url", base, "--db", url], vendor, in: dir)
                #expect(noDirectory.status == ExitStatus.usage.rawValue && noDirectory.stderr.contains("--recordings-dir"), "\(noDirectory.stderr)")

                let fetched = try run(["recordings", "--provider", vendor.rawValue, "--base-url", base, "--db", url,
                                       "--recordings-dir", recordings, "-q"], vendor, in: dir)
                #expect(fetched.status == 0, "\(fetched.stdout)\(fetched.stderr)")
                let rows = try TestPostgres.psql(url, "SELECT call_id || ' ' || sha256 FROM recordings WHERE variant = 'mono' ORDER BY call_id")
                let hashes = Dictionary(uniqueKeysWithValues: rows.split(separator: "\n").map { line in
                    let parts = line.split(separator: " ")
                    return (String(parts[0]), String(parts[1]))
                })
                #expect(!ended.isEmpty && Set(hashes.keys) == Set(ended))
                for id in ended {
                    #expect(hashes[id] == SHA256.hash(data: RecordingFactory.bytes(vendor, id: id)).hex, "\(id)")
                }
                #expect(!server.storageHeaderValues.contains { $0.contains("sim-key") }, "the API key reached the storage host")

                let again = try run(["recordings", "--provider", vendor.rawValue, "--base-url", base, "--db", url,
                                     "--recordings-dir", recordings, "-q"], vendor, in: dir)
                let rowsAfter = try TestPostgres.psql(url, "SELECT count(*) FROM recordings")
                #expect(again.status == 0 && rowsAfter == "\(ended.count)", "nothing left to fetch: \(again.stderr)")

                let id = try #require(ended.first)
                let out = try run(["recording", id, "--out", "copy.wav", "--db", url, "--recordings-dir", recordings], vendor, in: dir)
                #expect(out.status == 0, "\(out.stderr)")
                let copied = try Data(contentsOf: dir.url.appendingPathComponent("copy.wav"))
                #expect(SHA256.hash(data: copied).hex == hashes[id])
                let none = try run(["recording", "no-such-call", "--out", "x.wav", "--db", url, "--recordings-dir", recordings], vendor, in: dir)
                #expect(none.status == ExitStatus.someFailed.rawValue && none.stderr.contains("no archived recording"), "\(none.stderr)")
                #expect(!none.stderr.contains(TestPostgres.password), "the password stays out of the message")
            }
        }
    }
}
}
