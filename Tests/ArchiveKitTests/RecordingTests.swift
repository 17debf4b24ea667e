@testable import ArchiveKit
import Crypto
import Foundation
import GRDB
import Testing
import VendorSimulator

/// Recordings against the simulator: PureTalk's on the API host (a third of
/// them redirected to storage), PuppeteerAI's behind signed storage links.
@Suite(.timeLimit(.minutes(6)))
struct RecordingTests {
    static func sha256(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).hex
    }

    func recordingRows(_ store: ArchiveStore, _ vendor: SimulatedVendor) throws -> [String: Row] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM recordings WHERE provider = ?", arguments: [vendor.rawValue])
        }.reduce(into: [:]) { $0[$1["call_id"]] = $1 }
    }

    /// Every ended call's recording is stored once, with the simulator's exact
    /// bytes, SHA-256, size and type; the key went to the API host only.
    @Test(arguments: SimulatedVendor.allCases)
    func syncArchivesEachRecordingWithItsHashAndSize(vendor: SimulatedVendor) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            let recordings = try RecordingStore(directory: dir.path("archive.sqlite.recordings"))
            var configuration = try simulatorSync(server, vendor)
            configuration.recordings = recordings
            let ids = vendor.sampleIDs(count: vendor == .vapi ? 40 : 16)  // Vapi's first unfinished call is its 40th
            let report = try await runSync(store, configuration, ids: ids)
            #expect(report.outcome == .completed)

            let withRecording = ids.filter { CallFactory.hasRecording(vendor, id: $0) }
            #expect(withRecording.count >= 10 && withRecording.count < ids.count, "the sample should mix ended and unfinished calls")
            #expect(report.counts.recordings == withRecording.count)
            let rows = try recordingRows(store, vendor)
            #expect(Set(rows.keys) == Set(withRecording))
            for id in withRecording {
                let expected = RecordingFactory.bytes(vendor, id: id)
                let row = try #require(rows[id])
                #expect(row["size_bytes"] as Int == expected.count)
                #expect(row["sha256"] as String == Self.sha256(expected))
                #expect(row["content_type"] as String? == RecordingFactory.contentType(vendor))
                let file: String = row["file"]
                #expect(file == "\(Self.sha256(expected).prefix(2))/\(Self.sha256(expected)).wav")
                let stored = try Data(contentsOf: URL(fileURLWithPath: recordings.path(of: file)))
                #expect(stored == Data(expected), "\(id): the stored bytes differ")
                let mode = try FileManager.default.attributesOfItem(atPath: recordings.path(of: file))[.posixPermissions] as? Int
                #expect(mode == 0o600)
                #expect(!(row["source_url"] as String).contains("sim-key"))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: recordings.tempDirectory).isEmpty)
            #expect(try FileManager.default.attributesOfItem(atPath: recordings.directory)[.posixPermissions] as? Int == 0o700)

            // The key: sent on every API request, never to storage, which did serve recordings.
            #expect(server.receivedHeaderValues.contains { $0.contains("sim-key") })
            #expect(server.storageRequests > 0)
            #expect(!server.storageHeaderValues.contains { $0.contains("sim-key") }, "the API key reached the storage host")
            if vendor == .puretalk {
                let redirected = withRecording.filter { server.recordingRequestCount(.puretalk, id: $0) == 2 }
                #expect(!redirected.isEmpty && redirected.count < withRecording.count, "some, not all, PureTalk recordings redirect")
            }

            // A second sync downloads nothing again (it fetches only the calls that may still change).
            let storageBefore = server.storageRequests
            let again = try await runSync(store, configuration, ids: ids)
            #expect(again.counts.recordings == 0 && again.counts.recordingFailures == 0)
            #expect(server.storageRequests == storageBefore)
        }
    }

    /// A signed link that has expired: one fresh Get Call for a new link, one
    /// download with it. And if the new link is refused too: a recorded failure.
    @Test func anExpiredLinkIsRenewedByOneFreshGetCallThenFailsIfRefusedAgain() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let ids = SimulatedVendor.puppeteer.sampleIDs(count: 12).filter { CallFactory.hasRecording(.puppeteer, id: $0) }
        let refused = ids[0]
        let forbidden = Fault.raw(status: 403, headers: ["Content-Type": "application/xml"], body: Array("<Error><Code>AccessDenied</Code></Error>".utf8))
        let configuration = SimulatorConfiguration(faults: FaultPlan(scripted: ["recording:\(refused)": [forbidden, forbidden]]),
                                                   maxLifetime: .seconds(330), recordingLinkLifetime: .seconds(600))
        try await withSimulator(configuration) { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            // Calls first, recordings later: by then every stored link has expired.
            let synced = try await runSync(store, try simulatorSync(server, .puppeteer), ids: ids)
            #expect(synced.counts.fetched == ids.count)
            server.advanceClock(by: .seconds(3600))

            var sync = try simulatorSync(server, .puppeteer)
            sync.recordings = try RecordingStore(directory: dir.path("recordings"))
            let report = try await SyncEngine(store: store, configuration: sync, logger: .init(label: "test"))
                .run(MissingRecordingsSource(store: store, provider: .puppeteer))
            #expect(report.outcome == .completedWithFailures)
            #expect(report.counts.recordings == ids.count - 1)
            for id in ids.dropFirst() {
                #expect(server.requestCount(.puppeteer, id: id) == 2, "\(id): one sync, one fresh Get Call")
                #expect(server.recordingRequestCount(.puppeteer, id: id) == 1, "\(id): the expired link is refused before the scripted count")
            }
            #expect(server.requestCount(.puppeteer, id: refused) == 2, "only one fresh Get Call")
            let failure = try #require(report.recordingFailures.first)
            #expect(failure.callID == refused && failure.httpStatus == 403)
            #expect(failure.error.contains("and so was the new one from a fresh Get Call"), "\(failure.error)")
            let recorded = try await store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM recording_failures WHERE call_id = ?", arguments: [refused]) }
            #expect(recorded == 1)
        }
    }

    /// Cut, failed, reset and HTML answers are retried like Get Call; the stored file is still exact.
    @Test func transientRecordingFaultsAreRetried() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let ids = SimulatedVendor.puretalk.sampleIDs(count: 12).filter { CallFactory.hasRecording(.puretalk, id: $0) }
        let script: [String: [Fault]] = [
            "recording:\(ids[0])": [.truncatedBody, .serverError, .connectionReset],
            "recording:\(ids[1])": [.htmlErrorPage, .tooManyRequests(retryAfterSeconds: 0)],
        ]
        try await withSimulator(.init(faults: FaultPlan(scripted: script), maxLifetime: .seconds(330))) { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            var configuration = try simulatorSync(server, .puretalk, maxAttempts: 4)
            configuration.recordings = try RecordingStore(directory: dir.path("recordings"))
            let report = try await runSync(store, configuration, ids: Array(ids.prefix(2)))
            #expect(report.outcome == .completed)
            #expect(report.counts.recordings == 2)
            let rows = try recordingRows(store, .puretalk)
            for id in ids.prefix(2) {
                #expect(rows[id]?["sha256"] as String? == Self.sha256(RecordingFactory.bytes(.puretalk, id: id)))
            }
            // Each attempt is one request, plus one to storage for the one that succeeds when the ID redirects.
            func redirects(_ id: String) -> Int { RecordingLinks.pureTalkRedirects(id) ? 1 : 0 }
            #expect(server.recordingRequestCount(.puretalk, id: ids[0]) == 4 + redirects(ids[0]))
            #expect(server.recordingRequestCount(.puretalk, id: ids[1]) == 3 + redirects(ids[1]))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("recordings/.tmp")).isEmpty)
        }
    }

    /// kill -9 in the middle of downloads: the store holds only whole files,
    /// each matching its name; the next run sweeps the partial temp file and
    /// finishes every recording.
    @Test func aKilledDownloadLeavesNoHalfFileAndTheNextRunRedoesIt() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let ids = SimulatedVendor.puppeteer.sampleIDs(count: 10).filter { CallFactory.hasRecording(.puppeteer, id: $0) }.prefix(4)
        // 4 s per recording: a wide window for the kill, even on a loaded machine.
        let slow = SimulatorConfiguration(maxLifetime: .seconds(330), recordingSize: 1_200_000, recordingBytesPerSecond: 300_000)
        try await withSimulator(slow) { server in
            let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
            let arguments = ["sync", list, "--provider", "puppeteer", "--base-url", server.baseURL(for: .puppeteer),
                             "--recordings", "--concurrency", "2", "--quiet"]
            let env = ["PUPPETEER_API_KEY": "sim-key"]
            let sync = try CLI.spawn(arguments, environment: env, in: dir.url)
            let temp = dir.path("archive.sqlite.recordings/.tmp")
            @Sendable func partialBytes() -> Int {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: temp)) ?? []
                return names.compactMap { try? FileManager.default.attributesOfItem(atPath: temp + "/" + $0)[.size] as? Int }.reduce(0, +)
            }
            let pid = sync.processIdentifier
            await pollUntil(timeout: .seconds(30)) { partialBytes() >= 100_000 } then: { kill(pid, SIGKILL) }
            sync.waitUntilExit()
            #expect(sync.terminationReason == .uncaughtSignal)
            #expect(partialBytes() > 0, "the kill was meant to land mid-download")

            // Only whole files outside .tmp, each named by its own hash.
            let root = dir.path("archive.sqlite.recordings")
            var complete = 0
            for prefix in try FileManager.default.contentsOfDirectory(atPath: root) where prefix != ".tmp" {
                for name in try FileManager.default.contentsOfDirectory(atPath: root + "/" + prefix) {
                    let data = try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(prefix)/\(name)"))
                    #expect(name == Self.sha256(data) + ".wav", "a file in the store does not match its name")
                    complete += 1
                }
            }
            #expect(complete < ids.count)

            let resumed = try CLI.run(arguments, environment: env, in: dir.url)
            #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
            #expect((try FileManager.default.contentsOfDirectory(atPath: temp)).isEmpty, "the dead run's temp file was not swept")
            let store = try ArchiveStore.openReadOnly(path: dir.path("archive.sqlite"))
            let rows = try recordingRows(store, .puppeteer)
            #expect(Set(rows.keys) == Set(ids))
            for id in ids {
                let expected = RecordingFactory.bytes(.puppeteer, id: id, fixed: 1_200_000)
                #expect(rows[id]?["sha256"] as String? == Self.sha256(expected))
                let file = try #require(rows[id]?["file"] as String?)
                #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/" + file)) == Data(expected))
            }
        }
    }

    /// `show` says where the recording is; `recording --out` copies it and checks its hash.
    @Test func showAndRecordingOutPointToTheArchivedFile() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let id = try #require(SimulatedVendor.puretalk.sampleIDs(count: 5).first { CallFactory.hasRecording(.puretalk, id: $0) })
        try await withSimulator { server in
            let list = try dir.write("ids.txt", id)
            let sync = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk), "--recordings", "-q"],
                                   environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
            #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")
        }
        let expected = RecordingFactory.bytes(.puretalk, id: id)
        let hash = Self.sha256(expected)
        let show = try CLI.run(["show", id], in: dir.url)
        #expect(show.stdout.contains("recording   archived: archive.sqlite.recordings/\(hash.prefix(2))/\(hash).wav"), "\(show.stdout)")
        let shownJSON = try CLI.run(["show", id, "--json"], in: dir.url)
        let json = try #require(try JSONSerialization.jsonObject(with: shownJSON.stdoutBytes) as? [String: Any])
        #expect((json["recording"] as? [String: Any])?["sha256"] as? String == hash)

        let out = try CLI.run(["recording", id, "--out", "copy.wav"], in: dir.url)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(try Data(contentsOf: dir.url.appendingPathComponent("copy.wav")) == Data(expected))
        #expect(out.stderr.contains("SHA-256 \(hash) checked"))

        // A damaged file is refused, not copied.
        let stored = dir.path("archive.sqlite.recordings/\(hash.prefix(2))/\(hash).wav")
        let handle = try #require(FileHandle(forWritingAtPath: stored))
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: Data([0xFF, 0x00, 0xFF]))
        try handle.close()
        let damaged = try CLI.run(["recording", id, "--out", "bad.wav"], in: dir.url)
        #expect(damaged.status == 4 && damaged.stderr.contains("is damaged"), "\(damaged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("bad.wav")))

        let none = try CLI.run(["recording", "no-such-call", "--out", "x.wav"], in: dir.url)
        #expect(none.status == 1 && none.stderr.contains("no archived recording"))
    }

    /// `archive recordings` fetches what earlier syncs left out. For Vapi the
    /// body's URLs point at private storage: the download goes through the API
    /// host's `/call/{id}/mono-recording`, which redirects to a signed URL that
    /// gets no key.
    @Test(arguments: [SimulatedVendor.vapi, .retell])
    func theRecordingsCommandArchivesWhatAnEarlierSyncLeftOut(vendor: SimulatedVendor) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let ids = vendor.sampleIDs(count: 12)
        let env = [vendor.provider.apiKeyVariable: "sim-key"]
        try await withSimulator { server in
            let base = server.baseURL(for: vendor)
            let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
            let sync = try CLI.run(["sync", list, "--provider", vendor.provider.rawValue, "--base-url", base, "-q"], environment: env, in: dir.url)
            #expect(sync.status == 0, "\(sync.stderr)")
            #expect(server.recordingRequestCount(vendor, id: ids[0]) == 0)
            let fetched = try CLI.run(["recordings", "--provider", vendor.provider.rawValue, "--base-url", base, "-q"], environment: env, in: dir.url)
            #expect(fetched.status == 0, "\(fetched.stdout)\(fetched.stderr)")
            let store = try ArchiveStore.openReadOnly(path: dir.path("archive.sqlite"))
            let rows = try recordingRows(store, vendor)
            let ended = ids.filter { CallFactory.hasRecording(vendor, id: $0) }
            #expect(!ended.isEmpty && Set(rows.keys) == Set(ended))
            for (id, row) in rows {
                #expect(row["sha256"] as String == Self.sha256(RecordingFactory.bytes(vendor, id: id)), "\(id)")
                #expect((row["source_url"] as String).contains("/rec/\(vendor.rawValue)/"), "the bytes came from storage: \(row["source_url"] as String)")
            }
            if vendor == .vapi {
                // Each: one request to the API's endpoint, one to the storage URL it redirected to.
                #expect(ended.allSatisfy { server.recordingRequestCount(.vapi, id: $0) == 2 })
            }
            #expect(!server.storageHeaderValues.contains { $0.contains("sim-key") }, "the API key reached the storage host")
        }
    }

    /// `--two-party-recordings`: Retell's multichannel and Vapi's stereo recording
    /// beside the mono one, each its own row and file, the key only on the API host;
    /// `archive recording --variant` copies it out, and a second sync downloads
    /// nothing for final calls.
    @Test(arguments: [(SimulatedVendor.retell, RecordingVariant.multichannel), (.vapi, .stereo)])
    func twoPartyRecordingsAreArchivedBesideTheMonoOne(vendor: SimulatedVendor, variant: RecordingVariant) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let ids = vendor.sampleIDs(count: 12)
        let env = [vendor.provider.apiKeyVariable: "sim-key"]
        let ended = ids.filter { CallFactory.hasRecording(vendor, id: $0) }
        try await withSimulator { server in
            let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
            let sync = ["sync", list, "--provider", vendor.provider.rawValue, "--base-url", server.baseURL(for: vendor), "--two-party-recordings", "-q"]
            let first = try CLI.run(sync, environment: env, in: dir.url)
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
            let rows = try ArchiveStore.openReadOnly(path: dir.path("archive.sqlite")).read { db in
                try Row.fetchAll(db, sql: "SELECT call_id, variant, sha256, source_url FROM recordings WHERE provider = ?", arguments: [vendor.rawValue])
            }
            #expect(rows.count == 2 * ended.count)
            for id in ended {
                let mine = rows.filter { $0["call_id"] == id }
                #expect(Set(mine.map { $0["variant"] as String }) == ["mono", variant.rawValue], "\(id)")
                let twoParty = try #require(mine.first { $0["variant"] == variant.rawValue })
                #expect(twoParty["sha256"] as String == Self.sha256(RecordingFactory.bytes(vendor, id: "\(id)-\(variant.rawValue)")))
                #expect((twoParty["source_url"] as String).contains("/rec/\(vendor.rawValue)/\(id)-\(variant.rawValue).wav"))
            }
            #expect(!server.storageHeaderValues.contains { $0.contains("sim-key") }, "the API key reached the storage host")

            let final = try ArchiveStore.openReadOnly(path: dir.path("archive.sqlite")).read { db in
                try String.fetchAll(db, sql: "SELECT call_id FROM calls WHERE is_final = 1 AND provider = ?", arguments: [vendor.rawValue])
            }
            let before = server.storageRequests
            let second = try CLI.run(sync, environment: env, in: dir.url)
            #expect(second.status == 0 && final.count == ended.count, "\(second.stderr)")
            #expect(server.storageRequests == before, "nothing downloaded again for final calls")
        }
        let id = try #require(ended.first)
        let copied = try CLI.run(["recording", id, "--variant", variant.rawValue, "--out", "two.wav"], in: dir.url)
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(try Data(contentsOf: dir.url.appendingPathComponent("two.wav")) == Data(RecordingFactory.bytes(vendor, id: "\(id)-\(variant.rawValue)")))
        let shown = try #require(try JSONSerialization.jsonObject(with: try CLI.run(["show", id, "--json"], in: dir.url).stdoutBytes) as? [String: Any])
        #expect((shown["two_party_recording"] as? [String: Any])?["variant"] as? String == variant.rawValue)
        #expect((shown["recording"] as? [String: Any])?["variant"] as? String == "mono")
        #expect(try CLI.run(["show", id], in: dir.url).stdout.contains("\n  \(variant.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))archived: "))
    }
}
