import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// The archive is a file other processes use while a sync writes to it.
@Suite(.timeLimit(.minutes(6)))
struct ConcurrentUseTests {
    /// The sync reads its list from a pipe the test feeds in chunks, so it is
    /// certainly running (and writing the chunk just sent) while the queries run.
    @Test func showSearchSQLAndExportAnswerWhileASyncWrites() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(latency: .milliseconds(20), maxLifetime: .seconds(330))) { server in
            let ids = SimulatedVendor.puretalk.sampleIDs(count: 600)
            let input = Pipe()
            let sync = try CLI.spawn(["sync", "-", "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk),
                                      "--concurrency", "4", "--quiet"],
                                     environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url, stdin: input)

            func archived() throws -> Int {
                let count = try CLI.run(["sql", "SELECT count(*) FROM calls", "--format", "tsv"], in: dir.url)
                return count.status == 0 ? Int(count.stdout.split(separator: "\n").last ?? "") ?? -1 : 0
            }
            var counts: [Int] = []
            var rounds = 0
            for (index, chunk) in stride(from: 0, to: ids.count, by: 150).map({ ids[$0..<$0 + 150] }).enumerated() {
                input.fileHandleForWriting.write(Data((chunk.joined(separator: "\n") + "\n").utf8))
                if index > 0 {
                    // The previous chunks are archived; this one is being fetched and written now.
                    rounds += 1
                    let n = try archived()
                    counts.append(n)
                    let first = try CLI.run(["sql", "SELECT call_id FROM calls ORDER BY id LIMIT 1", "--format", "tsv"], in: dir.url)
                    let id = String(first.stdout.split(separator: "\n").last ?? "")
                    let show = try CLI.run(["show", id], in: dir.url)
                    #expect(show.status == 0 && show.stdout.contains(id), "\(show.stderr)")
                    let search = try CLI.run(["search", "the", "--limit", "3", "--format", "json"], in: dir.url)
                    #expect(search.status == 0, "\(search.stderr)")
                    #expect((try? JSONSerialization.jsonObject(with: search.stdoutBytes)) != nil)
                    let export = try CLI.run(["export", "--limit", "5"], in: dir.url)
                    #expect(export.status == 0, "\(export.stderr)")
                    let lines = export.stdout.split(separator: "\n")
                    #expect(lines.count == 5)
                    #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
                    counts.append(try archived())
                }
                var waited = 0
                while try archived() < 150 * (index + 1), waited < 400 {
                    try await Task.sleep(for: .milliseconds(50))
                    waited += 1
                }
                #expect(sync.isRunning, "the sync waits for the rest of its list")
            }
            try input.fileHandleForWriting.close()
            sync.waitUntilExit()
            #expect(sync.terminationStatus == 0)
            #expect(rounds == 3)
            #expect(counts == counts.sorted() && counts.first ?? 0 >= 150, "a reader saw the archive shrink: \(counts)")
            #expect(try expectArchiveIsSound(dir.path("archive.sqlite"), .puretalk, from: server) == ids.count)
        }
    }

    /// Two syncs of overlapping lists, and a third for the other vendor, all
    /// at once on one archive: every call is archived once, and no run fails.
    @Test func threeSyncsOnOneArchiveAtOnceAllFinishWithEveryCallOnce() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(latency: .milliseconds(5), maxLifetime: .seconds(330))) { server in
            let pureTalk = SimulatedVendor.puretalk.sampleIDs(count: 600)
            let puppeteer = SimulatedVendor.puppeteer.sampleIDs(count: 300)
            let lists = [
                ("puretalk", try dir.write("a.txt", pureTalk.prefix(400).joined(separator: "\n"))),
                ("puretalk", try dir.write("b.txt", pureTalk.suffix(400).joined(separator: "\n"))),
                ("puppeteer", try dir.write("c.txt", puppeteer.joined(separator: "\n"))),
            ]
            let outputs = lists.map { _ in Pipe() }
            let runs = try zip(lists, outputs).map { list, out in
                try CLI.spawn(["sync", list.1, "--provider", list.0, "--base-url", server.baseURL(for: SimulatedVendor(rawValue: list.0)!),
                               "--concurrency", "8", "--quiet"],
                              environment: ["PURETALK_API_KEY": "sim-key", "PUPPETEER_API_KEY": "sim-key"], in: dir.url, stderr: out)
            }
            for (run, out) in zip(runs, outputs) {
                let stderr = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                run.waitUntilExit()
                #expect(run.terminationStatus == 0, "\(stderr)")
                #expect(!stderr.contains("locked"), "\(stderr)")
            }
            let path = dir.path("archive.sqlite")
            #expect(try expectArchiveIsSound(path, .puretalk, from: server) == pureTalk.count)
            #expect(try expectArchiveIsSound(path, .puppeteer, from: server) == puppeteer.count)
            let outcomes = try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT outcome FROM sync_runs") }
            #expect(outcomes == ["completed", "completed", "completed"])
        }
    }
}
