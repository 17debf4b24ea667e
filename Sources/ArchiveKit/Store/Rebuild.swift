import Foundation

/// What a rebuild did.
public struct RebuildReport: Sendable {
    public var calls = 0
    /// Calls whose stored body no longer decodes, or does not name the call; their rows were left as they were.
    public var failed: [(provider: String, callID: String, error: String)] = []

    public init() {}

    /// What a stored body derives, for either store's rebuild; nil, and the
    /// call in `failed`, when its rows must be left as they are.
    public mutating func derive(_ stored: RebuildStatements.StoredCall) -> NormalizedCall? {
        let providerName = stored.provider, callID = stored.callID
        guard let provider = Provider(rawValue: providerName) else { return nil }
        do {
            let call = try provider.adapter.decode(body: stored.rawJSON, requestedID: callID)
            // A placeholder body (`{}`) decodes to an empty call: it must not wipe the rows.
            guard call.bodyNamesCall else {
                failed.append((providerName, callID, "the stored body does not name this call, so there is nothing to derive from it"))
                return nil
            }
            return call
        } catch {
            failed.append((providerName, callID, error.description))
            return nil
        }
    }
}

/// A rebuild's statements, written once for both stores.
public enum RebuildStatements {
    /// A `calls` row as a rebuild reads it.
    public struct StoredCall: Sendable {
        public var id: Int64
        public var provider: String
        public var callID: String
        public var rawJSON: String
        /// The archive's UTC text, as both stores give it back (`TransferPlan.readExpression`).
        public var fetchedAt: String

        public init?(values row: [TransferValue]) {
            guard row.count == 5, case .integer(let id) = row[0], case .text(let provider) = row[1], case .text(let callID) = row[2],
                  case .text(let rawJSON) = row[3], case .text(let fetchedAt) = row[4] else { return nil }
            (self.id, self.provider, self.callID, self.rawJSON, self.fetchedAt) = (id, provider, callID, rawJSON, fetchedAt)
        }
    }

    /// The next `limit` calls after local `id`, in `id` order: `StoredCall` rows.
    public static func page(after id: Int64, limit: Int, in plan: TransferPlan) -> TransferQuery {
        TransferQuery(sql: """
            SELECT id, provider, call_id, raw_json, \(plan.readExpression("fetched_at", .time))
            FROM calls WHERE id > ? ORDER BY id LIMIT ?
            """, arguments: [.integer(id), .integer(Int64(limit))], argumentKinds: [.integer, .integer],
            resultKinds: [.integer, .text, .text, .text, .text])
    }

    /// A row if a migration asked for a rebuild.
    public static let pending = TransferQuery(sql: "SELECT 1 FROM pending_work WHERE task = 'rebuild'", arguments: [],
                                              argumentKinds: [], resultKinds: [.integer])

    /// Done: nothing is pending any more.
    public static let finished = TransferQuery(sql: "DELETE FROM pending_work WHERE task = 'rebuild'", arguments: [],
                                               argumentKinds: [], resultKinds: [])
}
