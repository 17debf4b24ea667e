import Foundation
import GRDB

/// The progress columns of a `listings` row; what it lists (provider, base
/// URL, query) and its times are written by `ListingStatements`.
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

    public init(row: Row) throws {
        self.init(listingID: row[Columns.listingID], nextPage: row[Columns.nextPage], pages: row[Columns.pages], ids: row[Columns.ids])
    }
}

extension ArchiveStore: ListingStore {
    public func startListing(provider: Provider, baseURL: String, query: String, restart: Bool,
                             at date: Date = Date()) throws -> (progress: ListingProgress, resumed: Bool) {
        let now = Timestamp.format(date)
        return try write { db in
            if restart {
                for statement in ListingStatements.restart(provider: provider, baseURL: baseURL, query: query, at: now) {
                    try Self.execute(db, statement)
                }
            }
            if let progress = try Self.rows(db, ListingStatements.unfinished(provider: provider, baseURL: baseURL, query: query))
                .first.flatMap({ ListingProgress(values: $0) }) {
                return (progress, true)
            }
            let begun = try Self.rows(db, ListingStatements.begin(provider: provider, baseURL: baseURL, query: query, at: now))
            guard case .integer(let id)? = begun.first?.first else { throw PortableWriteError.noRowKey }
            return (ListingProgress(listingID: id, nextPage: nil, pages: 0, ids: 0), false)
        }
    }

    public func listedIDs(_ listingID: Int64, after position: Int, limit: Int) throws -> [(position: Int, id: String)] {
        try read { db in ListingStatements.positions(try Self.rows(db, ListingStatements.listedIDs(listingID, after: position, limit: limit))) }
    }

    public func savePage(_ listingID: Int64, ids: [String], firstPosition: Int, next: String?, pages: Int,
                         at date: Date = Date()) throws {
        let statements = ListingStatements.savePage(listingID, ids: ids, firstPosition: firstPosition, next: next, pages: pages,
                                                    at: Timestamp.format(date))
        try write { db in
            for statement in statements { try Self.execute(db, statement) }
        }
    }
}
