@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// `archive ids` and `sync --discover` against the simulator's List Calls.
@Suite(.timeLimit(.minutes(6)))
struct ListingTests {
    static let listed = 260  // three PureTalk pages of 100, the last one short

    /// The IDs a listing must produce, worked out from the bodies with Foundation:
    /// PureTalk by start_time, PuppeteerAI by created_at, since inclusive, until exclusive.
    static func expected(_ vendor: SimulatedVendor, since: String?, until: String?, statuses: Set<String> = []) throws -> [String] {
        let low = since.flatMap(Timestamp.microseconds(fromISO8601:)), high = until.flatMap(Timestamp.microseconds(fromISO8601:))
        return try vendor.sampleIDs(count: listed).filter { id in
            let text = try #require(CallFactory.body(vendor, id: id))
            let body = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let call = try #require((vendor == .puretalk ? body["results"] : body) as? [String: Any])
            let time = switch vendor {
            case .puretalk: (call["start_time"] as? String).flatMap(Timestamp.microseconds(fromISO8601:))
            case .puppeteer: (call["created_at"] as? String).flatMap(Timestamp.microseconds(fromISO8601:))
            case .retell: (call["start_timestamp"] as? NSNumber).map { $0.int64Value * 1000 }
            case .vapi: (call["createdAt"] as? String).flatMap(Timestamp.microseconds(fromISO8601:))
            }
            guard let time else { return false }
            return low.map { time >= $0 } ?? true && high.map { time < $0 } ?? true
                && (statuses.isEmpty || statuses.contains(call[vendor == .retell ? "call_status" : "status"] as? String ?? ""))
        }
    }

    func listing(_ server: SimulatorServer, _ vendor: SimulatedVendor, _ store: ArchiveStore, query: ListingQuery,
                 maxAttempts: Int = 3, restart: Bool = false) throws -> (CallListing, VendorClient) {
        let client = VendorClient(provider: vendor.provider, baseURL: try BaseURL(server.baseURL(for: vendor)), apiKey: "sim-key",
                                  timeout: .seconds(10), concurrency: 1)
        let policy = RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50))
        return (CallListing(store: store, client: client, query: query, policy: policy, logger: .init(label: "test"), restart: restart), client)
    }

    func drain(_ listing: CallListing) async -> [String] {
        var ids: [String] = []
        while let lines = await listing.next() {
            for case .id(let id, _) in lines { ids.append(id) }
        }
        return ids
    }

    /// `archive ids` prints exactly the calls in range, once each, for both vendors,
    /// with the vendor's status filter too.
    @Test(arguments: SimulatedVendor.allCases)
    func idsPrintsExactlyTheCallsInRange(vendor: SimulatedVendor) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(maxLifetime: .seconds(330), listedCalls: Self.listed)) { server in
            let env = [vendor.provider.apiKeyVariable: "sim-key"]
            let base = ["ids", "--provider", vendor.provider.rawValue, "--base-url", server.baseURL(for: vendor)]
            let ranged = try CLI.run(base + ["--since", "2025-03-01", "--until", "2025-06-30"], environment: env, in: dir.url)
            #expect(ranged.status == 0, "\(ranged.stderr)")
            let printed = ranged.stdout.split(separator: "\n").map(String.init)
            let expected = try Self.expected(vendor, since: "2025-03-01", until: "2025-07-01")
            #expect(expected.count > 50 && expected.count < Self.listed)
            #expect(Set(printed) == Set(expected) && printed.count == expected.count)
            #expect(ranged.stderr.contains("listed \(expected.count) "))

            let status = switch vendor {
            case .puretalk: "failed"
            case .vapi: "queued"
            default: "error"
            }
            let failed = try CLI.run(base + ["--status", status, "--restart"], environment: env, in: dir.url)
            #expect(failed.status == 0, "\(failed.stderr)")
            #expect(Set(failed.stdout.split(separator: "\n").map(String.init)) == Set(try Self.expected(vendor, since: nil, until: nil, statuses: [status])))
        }
    }

    /// `archive ids | archive sync -` and `sync --discover` archive the same calls.
    @Test func idsPipedIntoSyncAndDiscoverArchiveTheListedCalls() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(maxLifetime: .seconds(330), listedCalls: Self.listed)) { server in
            let pt = server.baseURL(for: .puretalk), pp = server.baseURL(for: .puppeteer), rt = server.baseURL(for: .retell)
            let vc = server.baseURL(for: .vapi)
            let pipeline = """
                "$ARCHIVE" ids --provider puretalk --base-url \(pt) --since 2025-09-01 \
                  | "$ARCHIVE" sync - --provider puretalk --base-url \(pt) --recordings --quiet
                "$ARCHIVE" ids --provider retell --base-url \(rt) --since 2025-09-01 \
                  | "$ARCHIVE" sync - --provider retell --base-url \(rt) --recordings --quiet
                "$ARCHIVE" ids --provider vapi --base-url \(vc) --since 2025-09-01 \
                  | "$ARCHIVE" sync - --provider vapi --base-url \(vc) --recordings --quiet
                """
            let shell = Process()
            shell.executableURL = URL(fileURLWithPath: "/bin/sh")
            shell.arguments = ["-ec", pipeline]
            shell.currentDirectoryURL = dir.url
            shell.environment = ["ARCHIVE": CLI.executable.path, "PURETALK_API_KEY": "sim-key", "RETELL_API_KEY": "sim-key", "VAPI_API_KEY": "sim-key",
                                 "PATH": "/usr/bin:/bin"]
            shell.standardOutput = FileHandle.nullDevice
            try shell.run()
            shell.waitUntilExit()
            #expect(shell.terminationStatus == 0)

            let discover = try CLI.run(["sync", "--discover", "--since", "2025-09-01", "--provider", "puppeteer", "--base-url", pp, "-q"],
                                       environment: ["PUPPETEER_API_KEY": "sim-key"], in: dir.url)
            #expect(discover.status == 0, "\(discover.stdout)\(discover.stderr)")
            #expect(discover.stderr.contains("listed "))

            let store = try ArchiveStore.openReadOnly(path: dir.path("archive.sqlite"))
            for vendor in SimulatedVendor.allCases {
                let stored = try store.read { try String.fetchAll($0, sql: "SELECT call_id FROM calls WHERE provider = ?", arguments: [vendor.rawValue]) }
                #expect(Set(stored) == Set(try Self.expected(vendor, since: "2025-09-01", until: nil)), "\(vendor)")
            }
            let recordings = try rowCount(store, "recordings")
            #expect(recordings > 0, "the pipeline's --recordings")
            #expect(try rowCount(store, "listing_ids") == 0, "finished listings keep no IDs")
        }
    }

    /// A listing that stops at a page that keeps failing resumes from that page:
    /// the IDs listed before come from the archive, with no request, and the
    /// union is the whole listing, once.
    @Test(arguments: SimulatedVendor.allCases)
    func anInterruptedListingResumesFromThePageItReached(vendor: SimulatedVendor) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let thirdPage = vendor == .puppeteer ? "list:puppeteer:200" : "list:\(vendor.rawValue):3"
        let faults = FaultPlan(scripted: [thirdPage: [.serverError, .unavailable, .serverError]])
        try await withSimulator(.init(faults: faults, maxLifetime: .seconds(330), listedCalls: Self.listed)) { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            let (first, client) = try listing(server, vendor, store, query: ListingQuery(), maxAttempts: 3)
            let before = await drain(first)
            // Vapi's pages overlap where calls share a createdAt, so its two pages hold a few less.
            #expect(vendor == .vapi ? (190..<200).contains(before.count) : before.count == 200, "\(before.count)")
            let failure = await first.failure
            #expect(failure.map { if case .unavailable = $0 { true } else { false } } == true, "\(String(describing: failure))")
            #expect(failure?.description.contains("page 3") == true)
            await client.shutdown()

            let requestsBefore = server.listRequests
            let (second, secondClient) = try listing(server, vendor, store, query: ListingQuery())
            let after = await drain(second)
            let progress = await second.progress
            #expect(await second.failure == nil)
            #expect(progress.resumed && progress.resumedIDs == before.count)
            #expect(server.listRequests - requestsBefore == 1, "only the page it stopped at was asked for")
            #expect(after.count == Self.listed && Set(after) == Set(vendor.sampleIDs(count: Self.listed)))
            await secondClient.shutdown()
        }
    }

    /// Pages meet the same faults as Get Call and the listing still comes out whole.
    @Test func listingSurvivesTransientFaults() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let faults = FaultPlan(rate: 0.5, kinds: Fault.transient(slowSeconds: 0.05), maxPerID: 2, seed: 7)
        try await withSimulator(.init(faults: faults, maxLifetime: .seconds(330), listedCalls: 1000)) { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            for vendor in SimulatedVendor.allCases {
                let (walk, client) = try listing(server, vendor, store, query: ListingQuery(), maxAttempts: 3)
                let ids = await drain(walk)
                #expect(await walk.failure == nil)
                #expect(ids.count == 1000 && Set(ids).count == 1000, "\(vendor)")
                #expect(await walk.progress.requests > 10, "\(vendor): the faults were meant to cost retries")
                await client.shutdown()
            }
            #expect(server.faultsServed > 0)
        }
    }

    /// Vapi's list has no cursor: pages are walked back by `createdAt`. The
    /// simulator puts ties across page boundaries; none is lost or listed twice.
    @Test func vapiTiesAtPageBoundariesAreNeitherLostNorListedTwice() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let ids = SimulatedVendor.vapi.sampleIDs(count: Self.listed)
        let created = try ids.map { id in
            let text = try #require(CallFactory.body(.vapi, id: id))
            let body = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            return try #require(body?["createdAt"] as? String)
        }.sorted(by: >)
        #expect(created[99] == created[100] || created[199] == created[200], "the simulator should tie a page boundary")
        try await withSimulator(.init(maxLifetime: .seconds(330), listedCalls: Self.listed)) { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            let (walk, client) = try listing(server, .vapi, store, query: ListingQuery())
            let listed = await drain(walk)
            await client.shutdown()
            #expect(await walk.failure == nil)
            #expect(listed.count == ids.count && Set(listed) == Set(ids))
            // One request per page; pages overlap by the ties at their boundaries, which can add one.
            #expect((3...4).contains(server.listRequests), "\(server.listRequests) requests")
        }
    }

    /// A vendor whose next page leads back, or whose cursor repeats, is caught
    /// at the repeat; a next page on another host is never requested.
    @Test(arguments: SimulatedVendor.allCases)
    func loopsAndForeignNextPagesStopTheListing(vendor: SimulatedVendor) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(maxLifetime: .seconds(330), listedCalls: 1000, listingLoopAfterPage: 3)) { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            let (walk, client) = try listing(server, vendor, store, query: ListingQuery())
            let ids = await drain(walk)
            await client.shutdown()
            let failure = await walk.failure
            #expect(failure.map { if case .vendor = $0 { true } else { false } } == true, "a loop was not detected")
            #expect(failure?.description.contains("sent before") == true, "\(String(describing: failure))")
            // Pages, not requests: a loaded machine may retry a page that timed out.
            let progress = await walk.progress
            #expect(progress.pages <= 4 && ids.count <= 300, "\(progress)")
            #expect(server.listRequests <= progress.requests)
        }
        guard vendor == .puretalk else { return }
        try await withSimulator { other in
            let foreign = #"{"count": 500, "next": "http://localhost:\#(other.port)/puretalk/api/calls?page=2", "previous": null, "results": [{"call_id": "a"}]}"#
            let page = Fault.raw(status: 200, headers: ["Content-Type": "application/json"], body: Array(foreign.utf8))
            try await withSimulator(.init(faults: FaultPlan(scripted: ["list:puretalk:1": [page]]), maxLifetime: .seconds(330))) { server in
                let store = try ArchiveStore.open(path: dir.path("foreign.sqlite"))
                let (walk, client) = try listing(server, .puretalk, store, query: ListingQuery())
                #expect(await drain(walk) == ["a"])
                await client.shutdown()
                let failure = await walk.failure
                #expect(failure?.description.contains("not followed") == true, "a next page on another host was accepted")
                #expect(other.listRequests == 0 && other.receivedHeaderValues.isEmpty)
            }
        }
    }
}
