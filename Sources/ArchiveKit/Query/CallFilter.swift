import GRDB

/// Which calls a query covers: the filters `list`, `stats`, `search` and
/// `export` share.
///
/// It renders to a SQL condition over `calls c LEFT JOIN call_analysis a`;
/// every user value travels as a bound argument, never as SQL text.
public struct CallFilter: Sendable, Equatable {
    public var provider: Provider?
    /// Calls started at or after this instant (stored format).
    public var since: String?
    /// Calls started before this instant (stored format).
    public var until: String?
    /// Any of these statuses (case-insensitive).
    public var statuses: [String] = []
    public var directions: [String] = []
    /// Matches the assistant's ID exactly or its name case-insensitively.
    public var assistants: [String] = []
    public var sentiments: [String] = []
    public var minDurationMs: Int64?
    /// Only calls whose analysis says the task or the call was not `complete`.
    public var failedTask = false

    public init() {}

    /// A SQL condition (`1` when nothing is filtered) and its arguments.
    public func condition() -> (sql: String, arguments: StatementArguments) {
        let condition = condition(.sqlite)
        return (condition.sql, StatementArguments(condition.values.map(\.databaseValue)))
    }

    /// The condition in a store's dialect, with `?` placeholders and each
    /// value's kind (PostgreSQL types them: `$1::timestamptz`). SQLite's
    /// `COLLATE NOCASE` folds ASCII letters; PostgreSQL's `lower()` folds
    /// them by the database's locale.
    public func condition(_ dialect: TransferPlan.Dialect) -> FilterCondition {
        var result = FilterCondition(sql: "", values: [], kinds: [])
        var conditions: [String] = []
        func add(_ sql: String, _ values: [TransferValue], _ kind: ColumnKind) {
            conditions.append(sql)
            result.values += values
            result.kinds += Array(repeating: kind, count: values.count)
        }
        func folded(_ expression: String) -> String {
            dialect == .sqlite ? "\(expression) COLLATE NOCASE" : "lower(\(expression))"
        }
        func foldedIn(_ expression: String, count: Int) -> String {
            let marks = dialect == .sqlite ? Self.placeholders(count)
                : Array(repeating: "lower(?)", count: count).joined(separator: ", ")
            return "\(folded(expression)) IN (\(marks))"
        }
        func anyOf(_ expression: String, _ values: [String]) {
            guard !values.isEmpty else { return }
            add(foldedIn(expression, count: values.count), values.map(TransferValue.text), .text)
        }
        if let provider { add("c.provider = ?", [.text(provider.rawValue)], .text) }
        if let since { add("c.started_at >= ?", [.text(since)], .time) }
        if let until { add("c.started_at < ?", [.text(until)], .time) }
        anyOf("c.status", statuses)
        anyOf("c.direction", directions)
        anyOf("c.sentiment", sentiments)
        if !assistants.isEmpty {
            add("(c.assistant_id IN (\(Self.placeholders(assistants.count))) OR \(foldedIn("c.assistant_name", count: assistants.count)))",
                (assistants + assistants).map(TransferValue.text), .text)
        }
        if let minDurationMs { add("c.duration_ms >= ?", [.integer(minDurationMs)], .integer) }
        if failedTask {
            let notComplete = { (column: String) in
                dialect == .sqlite ? "trim(\(column)) <> 'complete' COLLATE NOCASE" : "lower(trim(\(column))) <> 'complete'"
            }
            conditions.append("(\(notComplete("a.task_completion")) OR \(notComplete("a.call_completion")))")
        }
        result.sql = conditions.isEmpty ? (dialect == .sqlite ? "1" : "true") : conditions.joined(separator: " AND ")
        return result
    }

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// Whether anything narrows the set of calls.
    public var isEmpty: Bool { self == CallFilter() }
}

/// A filter's SQL condition, its arguments and their kinds.
public struct FilterCondition: Sendable {
    public var sql: String
    public var values: [TransferValue]
    public var kinds: [ColumnKind]
}

/// A filter value that cannot be used; the message names the option and a valid form.
public struct FilterError: Error, Sendable, Equatable, CustomStringConvertible, UserFacingError {
    public let description: String
    public var exitStatus: ExitStatus { .usage }
}

extension CallFilter {
    /// The filter that the options of `archive list` (and the same names in
    /// `archive serve`'s query strings) describe: one parser for both, so a
    /// view shared as a link means what the command means.
    public init(provider: Provider?, since: String?, until: String?, statuses: [String], directions: [String],
                assistants: [String], sentiments: [String], minDurationSeconds: Double?, failedTask: Bool) throws(FilterError) {
        self.init()
        self.provider = provider
        if let since {
            guard let bound = TimeBound.since(since) else { throw Self.badTime("--since", since) }
            self.since = bound
        }
        if let until {
            guard let bound = TimeBound.until(until) else { throw Self.badTime("--until", until) }
            self.until = bound
        }
        self.statuses = statuses
        self.directions = directions
        self.assistants = assistants
        self.sentiments = sentiments
        if let minDurationSeconds {
            guard minDurationSeconds >= 0, minDurationSeconds < 1e9 else {
                throw FilterError(description: "--min-duration must be a number of seconds, 0 or more.")
            }
            minDurationMs = Int64((minDurationSeconds * 1000).rounded(.up))
        }
        self.failedTask = failedTask
    }

    private static func badTime(_ option: String, _ value: String) -> FilterError {
        FilterError(description: "\(option) \(value.debugDescription) is not a date or date-time; use 2026-03-01, 2026-03-01T14:00 or 2026-03-01T14:00:00+02:00 (UTC unless an offset is given).")
    }
}

/// Parses `--since`/`--until` values: a date, or a date-time (UTC unless it
/// carries an offset).
public enum TimeBound {
    /// The instant a `--since` value starts at.
    public static func since(_ text: String) -> String? {
        Timestamp.fromISO8601(text)
    }

    /// The instant a `--until` value ends before: a bare date includes that
    /// whole day, so `--until 2026-03-31` means "before April 1st".
    public static func until(_ text: String) -> String? {
        guard let micros = Timestamp.microseconds(fromISO8601: text) else { return nil }
        let isDate = text.utf8.count == 10
        return Timestamp.format(microseconds: isDate ? micros + 86_400_000_000 : micros)
    }
}
