import Foundation

/// Where a vendor listing (`archive ids`, `sync --discover`) keeps its
/// progress: each page's IDs and the way to the next page, in the archive's
/// `listings` and `listing_ids` tables, so an interrupted listing resumes.
/// The SQLite store and the PostgreSQL store implement it with the same
/// statements (`ListingStatements`).
public protocol ListingStore: Sendable {
    /// The unfinished listing of the same vendor, base URL and filters, if any;
    /// else a new one. `restart` closes unfinished ones first.
    func startListing(provider: Provider, baseURL: String, query: String, restart: Bool,
                      at date: Date) async throws -> (progress: ListingProgress, resumed: Bool)
    /// IDs an unfinished listing produced before it stopped, after `position`, in order.
    func listedIDs(_ listingID: Int64, after position: Int, limit: Int) async throws -> [(position: Int, id: String)]
    /// Records one page in one transaction: its IDs and where to go on from.
    /// `next` nil finishes the listing, and its IDs are no longer needed.
    func savePage(_ listingID: Int64, ids: [String], firstPosition: Int, next: String?, pages: Int, at date: Date) async throws
}

/// An unfinished listing found in the archive: where to go on from.
public struct ListingProgress: Sendable, Equatable {
    public var listingID: Int64
    /// PureTalk's next URL or PuppeteerAI's cursor; nil: the first page.
    public var nextPage: String?
    public var pages: Int
    public var ids: Int

    public init(listingID: Int64, nextPage: String?, pages: Int, ids: Int) {
        self.listingID = listingID
        self.nextPage = nextPage
        self.pages = pages
        self.ids = ids
    }

    /// A row of `ListingStatements.unfinished`.
    public init?(values row: [TransferValue]) {
        guard row.count == 4, case .integer(let id) = row[0], case .integer(let pages) = row[2], case .integer(let ids) = row[3]
        else { return nil }
        let next: String? = if case .text(let next) = row[1] { next } else { nil }
        self.init(listingID: id, nextPage: next, pages: Int(pages), ids: Int(ids))
    }
}

/// The listing's statements, written once for both stores: SQL with `?`
/// placeholders, each argument typed by the column it fills.
public enum ListingStatements {
    private static func key(_ provider: Provider, _ baseURL: String, _ query: String) -> [TransferValue] {
        [.text(provider.rawValue), .text(baseURL), .text(query)]
    }

    /// Closes the unfinished listings of this key (`--restart`) and drops their IDs.
    public static func restart(provider: Provider, baseURL: String, query: String, at now: String) -> [TransferQuery] {
        [TransferQuery(sql: "UPDATE listings SET finished_at = ? WHERE provider = ? AND base_url = ? AND query = ? AND finished_at IS NULL",
                       arguments: [.text(now)] + key(provider, baseURL, query), argumentKinds: [.time, .text, .text, .text], resultKinds: []),
         TransferQuery(sql: "DELETE FROM listing_ids WHERE listing_id NOT IN (SELECT listing_id FROM listings WHERE finished_at IS NULL)",
                       arguments: [], argumentKinds: [], resultKinds: [])]
    }

    /// The newest unfinished listing of this key: a `ListingProgress` row.
    public static func unfinished(provider: Provider, baseURL: String, query: String) -> TransferQuery {
        TransferQuery(sql: """
            SELECT listing_id, next_page, pages, ids FROM listings
            WHERE provider = ? AND base_url = ? AND query = ? AND finished_at IS NULL
            ORDER BY listing_id DESC LIMIT 1
            """, arguments: key(provider, baseURL, query), argumentKinds: [.text, .text, .text],
            resultKinds: [.integer, .text, .integer, .integer])
    }

    /// A new listing; returns its `listing_id`.
    public static func begin(provider: Provider, baseURL: String, query: String, at now: String) -> TransferQuery {
        TransferQuery(sql: "INSERT INTO listings (provider, base_url, query, started_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING listing_id",
                      arguments: key(provider, baseURL, query) + [.text(now), .text(now)],
                      argumentKinds: [.text, .text, .text, .time, .time], resultKinds: [.integer])
    }

    public static func listedIDs(_ listingID: Int64, after position: Int, limit: Int) -> TransferQuery {
        TransferQuery(sql: "SELECT position, call_id FROM listing_ids WHERE listing_id = ? AND position > ? ORDER BY position LIMIT ?",
                      arguments: [.integer(listingID), .integer(Int64(position)), .integer(Int64(limit))],
                      argumentKinds: [.integer, .integer, .integer], resultKinds: [.integer, .text])
    }

    /// The page's statements, to run in one transaction.
    public static func savePage(_ listingID: Int64, ids: [String], firstPosition: Int, next: String?, pages: Int,
                                at now: String) -> [TransferQuery] {
        var statements: [TransferQuery] = []
        if next == nil {
            statements.append(TransferQuery(sql: "DELETE FROM listing_ids WHERE listing_id = ?", arguments: [.integer(listingID)],
                                            argumentKinds: [.integer], resultKinds: []))
        } else {
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = ids[start..<min(start + 500, ids.count)]
                statements.append(TransferQuery(
                    sql: "INSERT INTO listing_ids (listing_id, position, call_id) VALUES " + Array(repeating: "(?, ?, ?)", count: chunk.count).joined(separator: ", "),
                    arguments: chunk.enumerated().flatMap { offset, id in
                        [.integer(listingID), .integer(Int64(firstPosition + start + offset)), .text(id)]
                    },
                    argumentKinds: Array(Array(repeating: [ColumnKind.integer, .integer, .text], count: chunk.count).joined()),
                    resultKinds: []))
            }
        }
        let finished: TransferValue = next == nil ? .text(now) : .null
        statements.append(TransferQuery(sql: """
            UPDATE listings SET next_page = ?, pages = ?, ids = ids + ?, updated_at = ?, finished_at = ? WHERE listing_id = ?
            """, arguments: [next.map(TransferValue.text) ?? .null, .integer(Int64(pages)), .integer(Int64(ids.count)), .text(now), finished,
                             .integer(listingID)],
            argumentKinds: [.text, .integer, .integer, .time, .time, .integer], resultKinds: []))
        return statements
    }

    /// Rows of `listedIDs`, as (position, ID).
    public static func positions(_ rows: [[TransferValue]]) -> [(position: Int, id: String)] {
        rows.compactMap { row in
            guard case .integer(let position) = row[0], case .text(let id) = row[1] else { return nil }
            return (Int(position), id)
        }
    }
}
