import Foundation
import GRDB

/// An unfinished listing found in the archive: where to go on from.
struct ListingProgress: Sendable {
    var listingID: Int64
    /// PureTalk's next URL or PuppeteerAI's cursor; nil: the first page.
    var nextPage: String?
    var pages: Int
    var ids: Int
}

extension ArchiveStore {
    /// The unfinished listing of the same vendor, base URL and filters, if any;
    /// else a new one. `restart` closes unfinished ones first.
    func startListing(provider: Provider, baseURL: String, query: String, restart: Bool,
                      at date: Date = Date()) throws(StoreError) -> (progress: ListingProgress, resumed: Bool) {
        let now = Timestamp.format(date)
        return try mapped {
            try writer.write { db in
                let key: StatementArguments = [provider.rawValue, baseURL, query]
                if restart {
                    try db.execute(sql: """
                        UPDATE listings SET finished_at = ? WHERE provider = ? AND base_url = ? AND query = ? AND finished_at IS NULL
                        """, arguments: [now] + key)
                    try db.execute(sql: "DELETE FROM listing_ids WHERE listing_id NOT IN (SELECT listing_id FROM listings WHERE finished_at IS NULL)")
                }
                if let row = try Row.fetchOne(db, sql: """
                    SELECT listing_id, next_page, pages, ids FROM listings
                    WHERE provider = ? AND base_url = ? AND query = ? AND finished_at IS NULL
                    ORDER BY listing_id DESC LIMIT 1
                    """, arguments: key) {
                    return (ListingProgress(listingID: row["listing_id"], nextPage: row["next_page"], pages: row["pages"], ids: row["ids"]), true)
                }
                try db.execute(sql: """
                    INSERT INTO listings (provider, base_url, query, started_at, updated_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: key + [now, now])
                return (ListingProgress(listingID: db.lastInsertedRowID, nextPage: nil, pages: 0, ids: 0), false)
            }
        }
    }

    /// IDs an unfinished listing produced before it stopped, after `position`, in order.
    func listedIDs(_ listingID: Int64, after position: Int, limit: Int) throws(StoreError) -> [(position: Int, id: String)] {
        try mapped {
            try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT position, call_id FROM listing_ids WHERE listing_id = ? AND position > ? ORDER BY position LIMIT ?
                    """, arguments: [listingID, position, limit]).map { ($0["position"], $0["call_id"]) }
            }
        }
    }

    /// Records one page in one transaction: its IDs and where to go on from.
    /// `next` nil finishes the listing, and its IDs are no longer needed.
    func savePage(_ listingID: Int64, ids: [String], firstPosition: Int, next: String?, pages: Int,
                  at date: Date = Date()) throws(StoreError) {
        let now = Timestamp.format(date)
        try mapped {
            try writer.write { db in
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
}
