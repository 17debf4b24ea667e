/// One side of `archive copy`: an archive that rows are read from or written to.
/// Both stores implement it; `ArchiveCopy` decides what to read and write.
public protocol TransferEndpoint: Sendable {
    var dialect: TransferPlan.Dialect { get }
    /// Runs `queries` in one read transaction, so that they see one snapshot.
    func readRows(_ queries: [TransferQuery]) async throws -> [[[TransferValue]]]
    /// In one write transaction: runs `check`, then the statements `build`
    /// makes from its rows, and returns what `build` said. A failure rolls back everything.
    func writeRows<T: Sendable>(check: TransferQuery,
                            _ build: @escaping @Sendable ([[TransferValue]]) throws -> (statements: [TransferQuery], result: T)) async throws -> T
    /// Runs `statements` in one write transaction.
    func writeRows(_ statements: [TransferQuery]) async throws
}

/// Copies every table of one archive into another (SQLite or PostgreSQL, either
/// way). Idempotent and resumable: a row the target has already (by its
/// natural key: a call's provider and ID) is left as it is, and a call moves
/// with all its rows in one transaction, so a copy stopped at any point leaves
/// whole calls only, and running it again finishes the job.
public struct ArchiveCopy: Sendable {
    public struct Progress: Sendable, Equatable {
        /// Calls written by this copy.
        public var copied = 0
        /// Calls the target held already, left as they were.
        public var present = 0
        /// Rows of the sync's own tables (runs, failures, listings) read from the source.
        public var logRows = 0
    }

    public var batchSize = 200

    public init(batchSize: Int = 200) { self.batchSize = batchSize }

    public func run(from source: any TransferEndpoint, to target: any TransferEndpoint,
                    progress: @Sendable (Progress) -> Void = { _ in }) async throws -> Progress {
        let read = TransferPlan(source.dialect), write = TransferPlan(target.dialect)
        var done = Progress()
        for table in ArchiveTable.logTables {
            var after: [TransferValue]? = nil
            while true {
                let rows = try await source.readRows([read.pageRows(table, after: after, limit: batchSize * 5)])[0]
                guard let last = rows.last else { break }
                try await target.writeRows(write.insert(table, rows: rows))
                done.logRows += rows.count
                after = Array(last.prefix(table.readOrder.count))
            }
        }
        progress(done)
        var after: Int64 = 0
        while true {
            let keys = try await source.readRows([read.nextCallKeys(after: after, limit: batchSize)])[0]
            guard case .integer(let through)? = keys.last?.first else { break }
            let tables = ArchiveTable.callTables
            let rows = try await source.readRows(tables.map { read.callRows($0, after: after, through: through) })
            let calls = rows[0]
            let provider = TransferPlan.index(of: "provider", in: .calls), callID = TransferPlan.index(of: "call_id", in: .calls)
            let keysOfBatch = calls.map { (provider: $0[provider].text, callID: $0[callID].text) }
            let copied = try await target.writeRows(check: write.presentCalls(keysOfBatch)) { present in
                let held = Set(present.map { CallKey($0[0].text, $0[1].text) }).intersection(keysOfBatch.map { CallKey($0.provider, $0.callID) })
                let statements = zip(tables, rows).flatMap { table, tableRows in
                    let p = TransferPlan.index(of: "provider", in: table), c = TransferPlan.index(of: "call_id", in: table)
                    return write.insert(table, rows: tableRows.filter { !held.contains(CallKey($0[p].text, $0[c].text)) })
                }
                return (statements, keysOfBatch.count - held.count)
            }
            done.copied += copied
            done.present += calls.count - copied
            after = through
            progress(done)
        }
        return done
    }

    private struct CallKey: Hashable {
        var provider: String, callID: String
        init(_ provider: String, _ callID: String) { self.provider = provider; self.callID = callID }
    }
}

extension TransferValue {
    /// The text of a column the schema makes NOT NULL text (a provider, a call ID).
    var text: String {
        if case .text(let s) = self { return s }
        return ""
    }
}
