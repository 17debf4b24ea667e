import ArchiveKit
import Foundation

/// A listing's progress in the PostgreSQL archive, in the statements the
/// SQLite store runs. Two listings of the same filters started at once each
/// begin their own (as on SQLite); either resumes the newest next time.
extension PostgresArchive: ListingStore {
    public func startListing(provider: Provider, baseURL: String, query: String, restart: Bool,
                             at date: Date) async throws -> (progress: ListingProgress, resumed: Bool) {
        let now = Timestamp.format(date)
        return try await transaction { connection in
            if restart {
                for statement in ListingStatements.restart(provider: provider, baseURL: baseURL, query: query, at: now) {
                    _ = try await self.run(statement, on: connection)
                }
            }
            if let progress = try await self.run(ListingStatements.unfinished(provider: provider, baseURL: baseURL, query: query),
                                                 on: connection).first.flatMap({ ListingProgress(values: $0) }) {
                return (progress, true)
            }
            let begun = try await self.run(ListingStatements.begin(provider: provider, baseURL: baseURL, query: query, at: now), on: connection)
            guard case .integer(let id)? = begun.first?.first else { throw PortableWriteError.noRowKey }
            return (ListingProgress(listingID: id, nextPage: nil, pages: 0, ids: 0), false)
        }
    }

    public func listedIDs(_ listingID: Int64, after position: Int, limit: Int) async throws -> [(position: Int, id: String)] {
        ListingStatements.positions(try await run(ListingStatements.listedIDs(listingID, after: position, limit: limit)))
    }

    public func savePage(_ listingID: Int64, ids: [String], firstPosition: Int, next: String?, pages: Int, at date: Date) async throws {
        let statements = ListingStatements.savePage(listingID, ids: ids, firstPosition: firstPosition, next: next, pages: pages,
                                                    at: Timestamp.format(date))
        try await transaction { connection in
            for statement in statements { _ = try await self.run(statement, on: connection) }
        }
    }
}
