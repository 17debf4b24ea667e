import ArgumentParser
import ArchiveKit
import Foundation

/// What `archive ids` and `sync --discover` ask List Calls for.
struct ListingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only calls started (PureTalk) or created (PuppeteerAI) at or after this UTC date or date-time.",
                               valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only calls before this date-time; a bare date includes that whole day.", valueName: "time"))
    var until: String?

    @Option(help: "Only calls with this status, as the vendor names it (repeatable).")
    var status: [String] = []

    @Flag(help: "Start the listing again from its first page, instead of resuming an interrupted one.")
    var restart = false

    var isSet: Bool { since != nil || until != nil || !status.isEmpty || restart }

    func validate() throws {
        _ = try query()
    }

    func query() throws -> ListingQuery {
        var query = ListingQuery(statuses: status)
        if let since {
            guard let micros = TimeBound.since(since).flatMap(Timestamp.microseconds(fromISO8601:)) else {
                throw ValidationError("--since \(since.debugDescription) is not a date or date-time; use 2026-03-01 or 2026-03-01T14:00:00Z.")
            }
            query.since = micros
        }
        if let until {
            guard let micros = TimeBound.until(until).flatMap(Timestamp.microseconds(fromISO8601:)) else {
                throw ValidationError("--until \(until.debugDescription) is not a date or date-time; use 2026-03-31 or 2026-03-31T23:59:59Z.")
            }
            query.until = micros
        }
        if let since = query.since, let until = query.until, until <= since {
            throw ValidationError("--until must be later than --since.")
        }
        return query
    }
}

/// How a listing ended, for `archive ids` and `sync --discover`: a line on
/// stderr, and the failure to exit with, given how the sync fed by it ended.
enum ListingReport {
    static func finish(_ listing: CallListing, provider: Provider, after sync: CommandFailure? = nil,
                       quiet: Bool) async -> CommandFailure? {
        let progress = await listing.progress
        if !quiet {
            var line = "archive: listed \(progress.ids) \(provider.displayName) call ID(s) over \(progress.pages) page(s)"
            if progress.resumed { line += ", resuming an interrupted listing (\(progress.resumedIDs) ID(s) from it, no request needed)" }
            if progress.undated > 0 { line += "; \(progress.undated) call(s) without a usable time were left out" }
            if progress.retryAfterCapped > 0 {
                line += "; \(progress.retryAfterCapped) Retry-After value(s) above --max-retry-after were capped"
            }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        guard let failure = await listing.failure else { return sync }
        var stopped = CommandFailure(
            "the listing stopped: \(failure.description). Run the same command again to resume from the page it reached.",
            failure.exitStatus)
        // The sync's own failure says more than "some failed" (an interrupt, a rejected key), so its code wins.
        if let sync, sync.exitStatus != .someFailed {
            stopped.messages = sync.messages + stopped.messages
            stopped.exitStatus = sync.exitStatus
        }
        return stopped
    }
}
