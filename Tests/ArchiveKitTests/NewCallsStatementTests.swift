@testable import ArchiveKit
import Testing

/// The PostgreSQL store's one statement for new calls, without a server:
/// its text is fixed, and each call's values fill it exactly. The
/// PostgreSQL suites run it against a real server.
struct NewCallsStatementTests {
    func call(_ provider: Provider) throws -> NormalizedCall {
        let (body, id) = try referenceBody(provider)
        return ArchiveStore.stamped(try provider.adapter.decode(body: body, requestedID: id), fetchedAt: "2026-12-04T00:00:00Z")
    }

    /// The placeholders `$1 … $n` of a statement, in order of first use.
    func placeholders(_ sql: String) -> [Int] {
        var found: [Int] = []
        var rest = Substring(sql)
        while let dollar = rest.firstIndex(of: "$") {
            rest = rest[rest.index(after: dollar)...]
            let digits = rest.prefix { $0.isNumber }
            if let n = Int(digits), !found.contains(n) { found.append(n) }
            rest = rest[digits.endIndex...]
        }
        return found
    }

    @Test(arguments: [true, false])
    func everyPlaceholderIsOneColumnInOrder(clearing: Bool) {
        let sql = NewCallsStatement.sql(clearing: clearing)
        let parameters = NewCallsStatement.parameters
        #expect(placeholders(sql) == Array(1...parameters.count))
        #expect(sql.contains("DELETE FROM sync_failures") == clearing)
        // One array a `calls` column, then one a child column.
        let children = [ChildRows.turnShape, ChildRows.latencyShape, ChildRows.analysisShape, ChildRows.fieldShape, ChildRows.sampleShape]
        #expect(parameters.count == NormalizedCall.writtenColumns.count + children.map(\.kinds.count).reduce(0, +))
        #expect(sql.components(separatedBy: "[]").count - 1 == parameters.count)
    }

    @Test(arguments: Provider.allCases)
    func eachVendorsCallFillsTheStatementWithItsRows(_ provider: Provider) throws {
        let call = try call(provider)
        let children = ChildRows(call)
        var statement = NewCallsStatement(clearing: true)
        let added = statement.append(call, children)
        #expect(added, "every value of the vendor's call has its column's kind")
        #expect(statement.count == 1 && statement.holds(call))
        let columns = statement.columns
        #expect(columns.count == NewCallsStatement.parameters.count)
        let callColumns = NormalizedCall.writtenColumns.count
        #expect(columns.prefix(callColumns).allSatisfy { $0.count == 1 })
        #expect(columns[NormalizedCall.writtenColumns.firstIndex(of: "call_id")!] == [.text(call.callID)])
        let turns = columns.dropFirst(callColumns)
        let turnColumns = ChildRows.turnShape.kinds.count
        #expect(turns.prefix(turnColumns).allSatisfy { $0.count == call.turns.count })
        #expect(turns.dropFirst(turnColumns).prefix(ChildRows.latencyShape.kinds.count)
            .allSatisfy { $0.count == call.turns.filter { $0.latency != nil }.count })
        // The first turn column is its provider, the third its index, as the rows hold them.
        #expect(turns.first!.allSatisfy { $0 == .text(provider.rawValue) })
        #expect(turns.dropFirst(2).first! == call.turns.map { .integer(Int64($0.index)) })
    }

    /// The statement joins each child row to its call by the row's first two
    /// values, and a latency to its turn by its turn index as well.
    @Test(arguments: Provider.allCases)
    func everyChildRowStartsWithItsCallsProviderAndID(_ provider: Provider) throws {
        let call = try call(provider)
        let children = ChildRows(call)
        for rows in [children.turns, children.latencies, children.analysis, children.fields, children.samples] {
            #expect(rows.columns.dropFirst().prefix(2) == ["provider", "call_id"], "\(rows.table.name)")
            #expect(rows.rows.allSatisfy { $0.prefix(2) == [provider.databaseValue, call.callID.databaseValue] }, "\(rows.table.name)")
        }
        #expect(children.latencies.columns[ChildRows.latencyTurnIndex + 1] == "turn_index")
    }

    @Test func callsOfEveryVendorShareOneStatementEachOnce() throws {
        let calls = try Provider.allCases.map(call)
        var statement = NewCallsStatement(clearing: false)
        for call in calls {
            let added = statement.append(call, ChildRows(call))
            #expect(added)
        }
        #expect(statement.count == calls.count)
        #expect(calls.allSatisfy(statement.holds))
        let callIDs = statement.columns[NormalizedCall.writtenColumns.firstIndex(of: "call_id")!]
        #expect(callIDs == calls.map { .text($0.callID) })
        let turnProviders = statement.columns[NormalizedCall.writtenColumns.count]
        #expect(turnProviders == calls.flatMap { call in call.turns.map { _ in .text(call.provider.rawValue) } })
        #expect(!statement.isFull)
    }

    @Test func aValueOfAnotherKindIsRefusedNotCoerced() {
        #expect(TransferValue.integer(3).typed(as: .real) == .real(3))
        #expect(TransferValue.integer(7).typed(as: .boolean) == .integer(1))
        #expect(TransferValue.null.typed(as: .time) == .null)
        #expect(TransferValue.text("x").typed(as: .json) == .text("x"))
        #expect(TransferValue.integer(3).typed(as: .text) == nil)
        #expect(TransferValue.real(1.5).typed(as: .integer) == nil)
        #expect(TransferValue.text("1").typed(as: .integer) == nil)
    }
}

/// How `PortableWrites.upsert` cuts calls into statements, without a server:
/// a runner that answers as PostgreSQL would (a call it has seen before comes
/// back not inserted) and keeps what it was asked.
struct PortableUpsertTests {
    final class Runner: StatementRunner {
        var statements: [[String]] = []  // each new-calls statement's call IDs
        var others: [String] = []  // every other statement's SQL
        var archived: Set<String> = []

        func run(_ statement: TransferQuery) async throws -> [[TransferValue]] {
            others.append(statement.sql)
            return statement.sql == NormalizedCall.upsertSQL ? [[.integer(1)]] : []
        }

        func runNewCalls(_ statement: NewCallsStatement) async throws -> [NewCallsStatement.Written] {
            let column = NormalizedCall.writtenColumns.firstIndex(of: "call_id")!
            let ids = statement.columns[column].map { value -> String in if case .text(let id) = value { id } else { "" } }
            statements.append(ids)
            return ids.enumerated().map { index, id in
                NewCallsStatement.Written(provider: "puretalk", callID: id, callRef: Int64(index), inserted: archived.insert(id).inserted)
            }
        }
    }

    func call(_ id: String) throws -> NormalizedCall {
        let (body, requested) = try referenceBody(.puretalk)
        var call = try Provider.puretalk.adapter.decode(body: body, requestedID: requested)
        call.callID = id
        return call
    }

    @Test func newCallsShareAStatementAndACallTwiceStartsAnother() async throws {
        let runner = Runner()
        try await PortableWrites.upsert(try ["a", "b", "a", "c"].map(call), fetchedAt: "2026-12-04T00:00:00Z", on: runner)
        #expect(runner.statements == [["a", "b"], ["a", "c"]])
        // The second "a" was archived already: its old children are deleted and its new ones inserted.
        #expect(runner.others.filter { $0.hasPrefix("DELETE FROM transcript_turns") }.count == 1)
        #expect(runner.others.contains { $0.hasPrefix("INSERT INTO transcript_turns") })
    }

    @Test func aStatementHoldsAtMostItsMaximum() async throws {
        let runner = Runner()
        let ids = (0..<(NewCallsStatement.maximumCalls + 3)).map { "call-\($0)" }
        try await PortableWrites.upsert(try ids.map(call), fetchedAt: "2026-12-04T00:00:00Z", on: runner)
        #expect(runner.statements.map(\.count) == [NewCallsStatement.maximumCalls, 3])
        #expect(runner.statements.joined().map { $0 } == ids)
        #expect(runner.others.isEmpty, "new calls need no statement but their one")
    }
}
