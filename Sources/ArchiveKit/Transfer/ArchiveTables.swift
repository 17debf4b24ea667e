/// Every table an archive holds, as both stores lay it out: what `archive copy`
/// moves, column by column. Tests check it against each store's real schema
/// (SQLite's `PRAGMA table_info`, PostgreSQL's `information_schema`), so it
/// cannot drift from the migrations.
///
/// Row keys (`calls.id`, `transcript_turns.id`, `sync_runs.run_id`,
/// `listings.listing_id`) are each store's own. A copy never carries them:
/// a row that points at another (`call_ref`, `turn_ref`, `run_id`,
/// `listing_id`) finds its parent in the target by the parent's natural key
/// (a call's provider and ID, a turn's index in it, a run's start), so one
/// archive can be copied into another that already holds calls.
public struct ArchiveTable: Sendable {
    public var name: String
    /// Every column, in the table's order, row keys and references included.
    public var columns: [TableColumn]
    /// The row key no copy carries (`id`), if the table has one.
    public var rowKey: String?
    /// The column that points at a parent row, found again in the target.
    public var reference: Reference?
    /// What makes a row the same row in another archive; a copy skips a row whose key the target has.
    public var naturalKey: [String]
    /// The order a copy reads the table in (its primary key), for keyset paging.
    public var readOrder: [String]

    public struct Reference: Sendable {
        /// The column in this table (`call_ref`).
        public var column: String
        public var parent: String
        /// The parent's row key (`id`).
        public var parentKey: String
        /// Parent column ← this row's value: the parent's natural key.
        public var match: [(parent: String, value: String)]
        /// True when this table carries the matched values itself (a turn's
        /// provider and call ID); false when a copy reads them from the parent
        /// (a failure's run, by the run's start), as extra columns.
        public var carried: Bool
        public var nullable: Bool
    }

    /// Columns a copy writes: all but the row key and the reference.
    public var copiedColumns: [TableColumn] {
        columns.filter { $0.name != rowKey && $0.name != reference?.column }
    }

    public func column(_ name: String) -> TableColumn { columns.first { $0.name == name }! }
}

public struct TableColumn: Sendable, Equatable {
    public var name: String
    public var kind: ColumnKind
}

/// What a column holds, which decides its type in each store: SQLite keeps
/// flags as 0/1, times as UTC text and JSON as text; PostgreSQL uses boolean,
/// timestamptz and json.
public enum ColumnKind: Sendable, Equatable {
    case integer, real, text, boolean, json, time
}

/// One value as SQLite stores it (flags 0/1, times and JSON as text): the
/// common currency between the two stores.
public enum TransferValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

extension ArchiveTable {
    /// `"name name:i name:r name:b name:j name:t"`: text, integer, real, boolean, JSON, time.
    static func columns(_ spec: String) -> [TableColumn] {
        spec.split(whereSeparator: \.isWhitespace).map { item in
            let parts = item.split(separator: ":")
            let kind: ColumnKind = switch parts.count > 1 ? parts[1] : "" {
            case "i": .integer
            case "r": .real
            case "b": .boolean
            case "j": .json
            case "t": .time
            default: .text
            }
            return TableColumn(name: String(parts[0]), kind: kind)
        }
    }

    private static func byCall(_ column: String = "call_ref", nullable: Bool = false) -> Reference {
        Reference(column: column, parent: "calls", parentKey: "id",
                  match: [("provider", "provider"), ("call_id", "call_id")], carried: true, nullable: nullable)
    }

    private static let byRun = Reference(
        column: "run_id", parent: "sync_runs", parentKey: "run_id",
        match: [("provider", "run_provider"), ("base_url", "run_base_url"), ("source", "run_source"), ("started_at", "run_started_at")],
        carried: false, nullable: true)

    public static let calls = ArchiveTable(
        name: "calls",
        columns: columns("""
            id:i provider call_id status direction call_type from_number to_number
            started_at:t ended_at:t created_at:t scheduled_for:t duration_ms:i
            assistant_id assistant_name voice_id voice_name thread_id conversation_id provider_call_id campaign_id
            answered_by sentiment disconnection_reason transcript recording_url recording_enabled:b is_billed:b
            metadata:j variables:j is_final:b raw_json fetched_at:t cost_usd:r
            """),
        rowKey: "id", reference: nil, naturalKey: ["provider", "call_id"], readOrder: ["id"])

    public static let transcriptTurns = ArchiveTable(
        name: "transcript_turns",
        columns: columns("""
            id:i call_ref:i provider call_id turn_index:i role content function_name function_args interrupted:b
            tool_calls:j words:j extra:j
            """),
        rowKey: "id", reference: byCall(), naturalKey: ["provider", "call_id", "turn_index"], readOrder: ["id"])

    public static let turnLatencies = ArchiveTable(
        name: "turn_latencies",
        columns: columns("turn_ref:i provider call_id turn_index:i latency:r eou_delay:r llm_latency:r tts_latency:r"),
        rowKey: nil,
        reference: Reference(column: "turn_ref", parent: "transcript_turns", parentKey: "id",
                             match: [("provider", "provider"), ("call_id", "call_id"), ("turn_index", "turn_index")],
                             carried: true, nullable: false),
        naturalKey: ["provider", "call_id", "turn_index"], readOrder: ["turn_ref"])

    public static let callAnalysis = ArchiveTable(
        name: "call_analysis",
        columns: columns("call_ref:i provider call_id summary call_completion call_completion_summary task_completion task_completion_summary"),
        rowKey: nil, reference: byCall(), naturalKey: ["provider", "call_id"], readOrder: ["call_ref"])

    public static let postAnalysisFields = ArchiveTable(
        name: "post_analysis_fields",
        columns: columns("call_ref:i provider call_id position:i name value"),
        rowKey: nil, reference: byCall(), naturalKey: ["provider", "call_id", "position"], readOrder: ["provider", "call_id", "position"])

    public static let callLatencySamples = ArchiveTable(
        name: "call_latency_samples",
        columns: columns("call_ref:i provider call_id metric position:i seconds:r"),
        rowKey: nil, reference: byCall(), naturalKey: ["provider", "call_id", "metric", "position"], readOrder: ["call_ref", "metric", "position"])

    public static let recordings = ArchiveTable(
        name: "recordings",
        columns: columns("call_ref:i provider call_id variant sha256 size_bytes:i content_type file source_url fetched_at:t"),
        rowKey: nil, reference: byCall(), naturalKey: ["provider", "call_id", "variant"], readOrder: ["call_ref", "variant"])

    public static let syncRuns = ArchiveTable(
        name: "sync_runs",
        columns: columns("""
            run_id:i provider base_url source started_at:t finished_at:t outcome ids_read:i fetched:i skipped:i failed:i
            invalid_lines:i requests:i recordings:i recording_failures:i recording_bytes:i
            """),
        rowKey: "run_id", reference: nil, naturalKey: ["provider", "base_url", "source", "started_at"], readOrder: ["run_id"])

    public static let syncFailures = ArchiveTable(
        name: "sync_failures",
        columns: columns("provider call_id http_status:i error attempts:i last_attempt_at:t run_id:i response_body"),
        rowKey: nil, reference: byRun, naturalKey: ["provider", "call_id"], readOrder: ["provider", "call_id"])

    public static let recordingFailures = ArchiveTable(
        name: "recording_failures",
        columns: columns("provider call_id variant http_status:i error attempts:i last_attempt_at:t run_id:i"),
        rowKey: nil, reference: byRun, naturalKey: ["provider", "call_id", "variant"], readOrder: ["provider", "call_id", "variant"])

    public static let listings = ArchiveTable(
        name: "listings",
        columns: columns("listing_id:i provider base_url query next_page pages:i ids:i started_at:t updated_at:t finished_at:t"),
        rowKey: "listing_id", reference: nil, naturalKey: ["provider", "base_url", "query", "started_at"], readOrder: ["listing_id"])

    public static let listingIDs = ArchiveTable(
        name: "listing_ids",
        columns: columns("listing_id:i position:i call_id"),
        rowKey: nil,
        reference: Reference(column: "listing_id", parent: "listings", parentKey: "listing_id",
                             match: [("provider", "listing_provider"), ("base_url", "listing_base_url"),
                                     ("query", "listing_query"), ("started_at", "listing_started_at")],
                             carried: false, nullable: false),
        naturalKey: ["listing_id", "position"], readOrder: ["listing_id", "position"])

    /// A call's own rows, parents before children: copied together, in one transaction per batch of calls.
    public static let callTables = [calls, transcriptTurns, turnLatencies, callAnalysis, postAnalysisFields, callLatencySamples, recordings]
    /// The sync's own records, parents before children.
    public static let logTables = [syncRuns, syncFailures, recordingFailures, listings, listingIDs]
    /// Every table `archive copy` moves. `pending_work` (a store's own queue of
    /// work a migration asked for) and the migrations' own tables stay behind.
    public static let all = logTables + callTables
}
