@testable import ArchiveKit
import Testing

/// The FTS5 subset as PostgreSQL tsquery text: no server needed.
struct TextSearchQueryTests {
    @Test(arguments: [
        ("refund", "'refund'"),
        ("Refund angry", "('refund' & 'angry')"),
        ("refund AND angry", "('refund' & 'angry')"),
        ("\"full refund\"", "('full' <-> 'refund')"),
        ("\"say \"\"hi\"\"\"", "('say' <-> 'hi')"),
        ("refund OR credit card", "('refund' | ('credit' & 'card'))"),
        ("refund NOT angry", "('refund' & !'angry')"),
        ("a NOT b c", "(('a' & !'b') & 'c')"),
        ("refund*", "'refund':*"),
        ("\"full ref\"*", "('full' <-> 'ref':*)"),
        ("NEAR(refund angry, 5)", "('refund' & 'angry')"),
        ("(refund OR credit) AND card", "(('refund' | 'credit') & 'card')"),
        ("don't", "('don' & 't')"),
        ("café", "'café'"),
    ])
    func aQueryBecomesTheTsqueryThatMeansTheSame(_ query: String, _ tsquery: String) throws {
        #expect(try TextSearchQuery(parsing: query).tsquery == tsquery)
    }

    @Test(arguments: ["AND", "refund OR", "NOT refund", "(refund", "refund)", "\"unterminated", "NEAR(refund, x)", "\"\"", "a , b"])
    func aMalformedQueryIsRefusedWithAReason(_ query: String) {
        #expect(throws: QueryError.self) { try TextSearchQuery(parsing: query) }
    }

    /// No character of the user's query reaches the tsquery outside a quoted word of letters and digits.
    @Test func quotesAndOperatorsInTheTextCannotBreakOut() throws {
        let tsquery = try TextSearchQuery(parsing: "it's 'a' & !b | c:* <-> \\d").tsquery
        #expect(tsquery == "('it' & 's' & 'a' & 'b' & 'c' & 'd')")
    }
}
