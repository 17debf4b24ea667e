import ArgumentParser
import ArchiveKit
import Foundation

struct IDsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ids",
        abstract: "Print call IDs from the vendor's List Calls, one per line, for 'archive sync -'.",
        discussion: """
            PureTalk's List Calls has no date filter, so every page is read and --since/--until are applied to \
            each call's start_time here; PuppeteerAI filters by created time itself. Progress is saved in the \
            archive after every page: an interrupted listing with the same filters resumes where it stopped, \
            printing the IDs it had listed first (from the archive, without requests). --restart starts over.
            Example: archive ids --provider puretalk --since 2026-03-01 | archive sync - --provider puretalk --recordings
            """)

    @OptionGroup var vendor: VendorOptions

    @OptionGroup var listing: ListingOptions

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let endpoint = try vendor.endpoint()
        let failure = try await database.withStore { store in
            let client = VendorClient(provider: vendor.provider, baseURL: endpoint.baseURL, apiKey: endpoint.apiKey,
                                      timeout: vendor.timeoutDuration, concurrency: 1)
            let calls = CallListing(store: store, client: client, query: try listing.query(), policy: vendor.retry,
                                    logger: SyncRunner.logger(verbose: output.verbose), restart: listing.restart)
            // Page by page, so a sync reading the pipe starts on the first page's IDs.
            while let lines = await calls.next() {
                var text = ""
                for case .id(let id, _) in lines { text += id + "\n" }
                FileHandle.standardOutput.write(Data(text.utf8))
            }
            await client.shutdown()
            return await ListingReport.finish(calls, provider: vendor.provider, quiet: output.quiet)
        }
        if let failure { throw failure }
    }
}
