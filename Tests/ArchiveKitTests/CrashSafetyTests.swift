import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// Faults on our side: the process killed outright, the disk full, the file read-only.
@Suite(.timeLimit(.minutes(8)))  // the kill test runs four vendors one after another: 167 s on a quiet machine
struct CrashSafetyTests {
    /// SIGKILL at random moments of real syncs (300 calls, 10 ms latency):
    /// after every kill the archive is sound, and the next sync completes the
    /// rest without fetching any final call again. Every third round kills a
    /// `--refresh` sync, so calls die while being replaced, not only inserted.
    /// Twenty kills for PureTalk; four for each other vendor, whose rows (call
    /// samples, tool calls) die mid-write too. One vendor at a time: four of
    /// these at once starve every other test on two cores.
    @Test(.serialized, arguments: [(SimulatedVendor.puretalk, 20), (.puppeteer, 4), (.retell, 4), (.vapi, 4)])
    func killNineAtRandomMomentsLosesAndCorruptsNothing(vendor: SimulatedVendor, killCount: Int) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(latency: .milliseconds(10), maxLifetime: .seconds(460))) { server in
            let ids = vendor.sampleIDs(count: 300)
            let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
            let env = [vendor.provider.apiKeyVariable: "sim-key"]
            func sync(_ db: String, _ extra: [String] = []) -> [String] {
                ["sync", list, "--provider", vendor.provider.rawValue, "--base-url", server.baseURL(for: vendor), "--db", db,
                 "--concurrency", "8", "--quiet"] + extra
            }

            // How long an uninterrupted run takes here, so kills land inside runs.
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try CLI.run(sync("calibrate.sqlite"), environment: env, in: dir.url).status == 0)
            var runLength = clock.now - start

            var kills: [Duration] = []
            var round = 0
            var previous: String?
            while kills.count < killCount, round < 60 {
                round += 1
                let refreshing = round % 3 == 0 && previous != nil
                let db = refreshing ? previous! : "round\(round).sqlite"
                let moment = runLength * Double.random(in: 0.02...0.95)
                let process = try CLI.spawn(sync(db, refreshing ? ["--refresh"] : []), environment: env, in: dir.url)
                try await Task.sleep(for: moment)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                guard process.terminationReason == .uncaughtSignal else {
                    runLength = runLength * 0.7  // it finished first: runs are quicker than measured
                    continue
                }
                kills.append(moment)

                let path = dir.path(db)
                guard FileManager.default.fileExists(atPath: path) else { continue }  // killed before creating it
                try expectArchiveIsSound(path, vendor, from: server)

                // The next run completes the rest and leaves final calls alone.
                let finals = try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT call_id FROM calls WHERE is_final = 1") }
                let before = finals.map { server.requestCount(vendor, id: $0) }
                let resumed = try CLI.run(sync(db), environment: env, in: dir.url)
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(finals.map { server.requestCount(vendor, id: $0) } == before, "a final call was fetched again")
                #expect(try expectArchiveIsSound(path, vendor, from: server) == ids.count)
                previous = db
            }
            #expect(kills.count >= killCount)
            print("kill -9 (\(vendor.rawValue)): \(kills.count) kills in \(round) rounds, at \(kills.map { "\(Int($0.seconds * 1000)) ms" }.joined(separator: ", ")) (a run takes \(Int(runLength.seconds * 1000)) ms)")
        }
    }

    /// A tmpfs of 6 MB: the first sync fits; remounted read-only, a sync is
    /// refused and the file is untouched; remounted writable, a big sync fills
    /// the disk and stops clearly. The archive is sound after each, and a sync
    /// on a roomier disk completes it.
    @Test(.enabled(if: MountNamespace.available, "needs a private mount namespace to mount a small tmpfs"))
    func aFullDiskOrAReadOnlyFileFailsClearlyAndLeavesTheArchiveIntact() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator { server in
            let small = SimulatedVendor.puretalk.sampleIDs(count: 50)
            let big = SimulatedVendor.puretalk.sampleIDs(count: 1500)
            _ = try dir.write("small.txt", small.joined(separator: "\n"))
            _ = try dir.write("big.txt", big.joined(separator: "\n"))
            try FileManager.default.createDirectory(atPath: dir.path("disk"), withIntermediateDirectories: true)
            let script = #"""
                out=$1; disk=$out/disk; archive=$2; base=$3
                mount -t tmpfs -o size=6m,mode=0755 tmpfs "$disk"
                sync() { "$archive" sync "$out/$1" --provider puretalk --base-url "$base" --db "$disk/archive.sqlite" --quiet; }
                set +e
                sync small.txt > "$out/1.out" 2> "$out/1.err"; echo $? > "$out/1.rc"
                mount -o remount,ro "$disk"
                cksum < "$disk/archive.sqlite" > "$out/before.sum"
                sync small.txt > "$out/2.out" 2> "$out/2.err"; echo $? > "$out/2.rc"
                cksum < "$disk/archive.sqlite" > "$out/after.sum"
                mount -o remount,rw "$disk"
                sync big.txt > "$out/3.out" 2> "$out/3.err"; echo $? > "$out/3.rc"
                mkdir "$out/copy" && cp "$disk"/archive.sqlite* "$out/copy/"
                """#
            let status = try MountNamespace.run(script, arguments: [dir.url.path, CLI.executable.path, server.baseURL(for: .puretalk)],
                                                environment: ["PURETALK_API_KEY": "sim-key"])
            #expect(status == 0)
            func read(_ name: String) -> String { (try? String(contentsOfFile: dir.path(name), encoding: .utf8)) ?? "" }
            #expect(read("1.rc") == "0\n", "\(read("1.err"))")

            #expect(read("2.rc") == "4\n", "a read-only archive exits 4: \(read("2.err"))")
            #expect(read("2.err").contains("is read-only"), "\(read("2.err"))")
            #expect(read("before.sum") == read("after.sum") && !read("before.sum").isEmpty)

            #expect(read("3.rc") == "4\n", "a full disk exits 4: \(read("3.err"))")
            #expect(read("3.err").contains("is full. Free some space and run the same command again"), "\(read("3.err"))")
            #expect(!read("3.err").contains("Fatal error"))

            let copy = dir.path("copy/archive.sqlite")
            let stored = try expectArchiveIsSound(copy, .puretalk, from: server)
            #expect(stored >= small.count && stored < big.count, "\(stored) calls survived the full disk")
            let finished = try CLI.run(["sync", dir.path("big.txt"), "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk),
                                        "--db", copy, "--quiet"], environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
            #expect(finished.status == 0, "\(finished.stderr)")
            #expect(try expectArchiveIsSound(copy, .puretalk, from: server) == big.count)
        }
    }
}
