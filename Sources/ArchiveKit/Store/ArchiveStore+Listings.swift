import Foundation
import GRDB

/// An unfinished listing found in the archive: where to go on from.
struct ListingProgress: Sendable, Equatable {
    var listingID: Int64
    /// PureTalk's next URL or PuppeteerAI's cursor; nil: the first page.
    var nextPage: String?
    var pages: Int
    var ids: Int
}

/// The progress columns of a `listings` row; what it lists (provider, base
/// URL, query) and its times are written by `startListing` and `savePage`.
extension ListingProgress: ArchiveRecord {
    static let databaseTableName = "listings"

    enum Columns: String, CaseIterable, ColumnExpression {
        case listingID = "listing_id", nextPage = "next_page", pages, ids
    }

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .listingID: listingID
        case .nextPage: nextPage
        case .pages: pages
        case .ids: ids
        }
    }

    init(row: Row) throws {
        self.init(listingID: row[Columns.listingID], nextPage: row[Columns.nextPage], pages: row[Columns.pages], ids: row[Columns.ids])
    }
}

extension ArchiveStore {
    /// The unfinished listing of the same vendor, base URL and filters, if any;
    /// else a new one. `restart` closes unfinished ones first.
    func startListing(provider: Provider, baseURL: String, query: String, restart: Bool,
                      at date: Date = Date()) throws -> (progress: ListingProgress, resumed: Bool) {
        let now = Timestamp.format(date)
        return try write { db in
            let key: StatementArguments = [provider.rawValue, baseURL, query]
            if restart {
                try db.execute(sql: """
                    UPDATE listings SET finished_at = ? WHERE provider = ? AND base_url = ? AND query = ? AND finished_at IS NULL
                    """, arguments: [now] + key)
                try db.execute(sql: "DELETE FROM listing_ids WHERE listing_id NOT IN (SELECT listing_id FROM listings WHERE finished_at IS NULL)")
            }
            if let progress = try ListingProgress.fetchOne(db, sql: """
                SELECT * FROM listings WHERE provider = ? AND base_url = ? AND query = ? AND finished_at IS NULL
                ORDER BY listing_id DESC LIMIT 1
                """, arguments: key) {
                return (progress, true)
            }
            try db.execute(sql: """
                INSERT INTO listings (provider, base_url, query, started_at, updated_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: key + [now, now])
            return (ListingProgress(listingID: db.lastInsertedRowID, nextPage: nil, pages: 0, ids: 0), false)
        }
    }

    /// IDs an unfinished listing produced before it stopped, after `position`, in order.
    func listedIDs(_ listingID: Int64, after position: Int, limit: Int) throws -> [(position: Int, id: String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT position, call_id FROM listing_ids WHERE listing_id = ? AND position > ? ORDER BY position LIMIT ?
                """, arguments: [listingID, position, limit]).map { ($0["position"], $0["call_id"]) }
        }
    }

    /// Records one page in one transaction: its IDs and where to go on from.
    /// `next` nil finishes the listing, and its IDs are no longer needed.
    func savePage(_ listingID: Int64, ids: [String], firstPosition: Int, next: String?, pages: Int,
                  at date: Date = Date()) throws {
        let now = Timestamp.format(date)
        try write { db in
            if next == nil {
                try db.execute(sql: "DELETE FROM listing_ids WHERE listing_id = ?", arguments: [listingID])
            } else {
                let insert = try db.cachedStatement(sql: "INSERT INTO listing_ids (listing_id, position, call_id) VALUES (?, ?, ?)")
                for (offset, id) in ids.enumerated() {
                    try insert.execute(arguments: [listingID, firstPosition + offset, id])
                }
            }
            try db.execute(sql: """
                UPDATE listings SET next_page = ?, pages = ?, ids = ids + ?, updated_at = ?, finished_at = ?
                WHERE listing_id = ?
                """, arguments: [next, pages, ids.count, now, next == nil ? now : nil, listingID])
        }
    }
}
