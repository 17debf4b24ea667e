@testable import ArchiveKit
import Testing

/// The PostgreSQL store's one statement for a new call, without a server:
/// its text is fixed, and each call's values fill it exactly. The
/// PostgreSQL suites run it against a real server.
struct NewCallStatementTests {
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
    func everyPlaceholderIsOneParameterInOrder(clearing: Bool) {
        let sql = NewCallStatement.sql(clearing: clearing)
        let parameters = NewCallStatement.parameters(clearing: clearing)
        #expect(placeholders(sql) == Array(1...parameters.count))
        #expect(sql.contains("DELETE FROM sync_failures") == clearing)
        // One array a child column, after the `calls` row (and the clearing's two values).
        let children = [ChildRows.turnShape, ChildRows.latencyShape, ChildRows.analysisShape, ChildRows.fieldShape, ChildRows.sampleShape]
        #expect(parameters.filter(\.isArray).count == children.map(\.kinds.count).reduce(0, +))
        #expect(parameters.prefix { !$0.isArray }.count == NormalizedCall.writtenColumns.count + (clearing ? 2 : 0))
    }

    @Test(arguments: Provider.allCases)
    func eachVendorsCallFillsTheStatementWithItsRows(_ provider: Provider) throws {
        let call = try call(provider)
        let children = ChildRows(call)
        let statement = try #require(NewCallStatement(call, children, clearing: true), "every value of the vendor's call has its column's kind")
        let parameters = NewCallStatement.parameters(clearing: true)
        #expect(statement.arguments.count == parameters.count)
        let columns = statement.arguments.compactMap { argument -> [TransferValue]? in
            if case .column(let values) = argument { values } else { nil }
        }
        let turnColumns = ChildRows.turnShape.kinds.count
        #expect(columns.count == parameters.filter(\.isArray).count)
        #expect(columns.prefix(turnColumns).allSatisfy { $0.count == call.turns.count })
        #expect(columns.dropFirst(turnColumns).prefix(ChildRows.latencyShape.kinds.count)
            .allSatisfy { $0.count == call.turns.filter { $0.latency != nil }.count })
        // The first turn column is its provider, the third its index, as the rows hold them.
        #expect(columns[0].allSatisfy { $0 == .text(provider.rawValue) })
        #expect(columns[2] == call.turns.map { .integer(Int64($0.index)) })
        if case .value(let first) = statement.arguments[NormalizedCall.writtenColumns.firstIndex(of: "call_id")!] {
            #expect(first == .text(call.callID))
        } else {
            Issue.record("call_id is not a scalar")
        }
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
