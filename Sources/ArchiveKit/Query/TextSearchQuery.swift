/// The FTS5 query subset the README documents, parsed and written as a
/// PostgreSQL `tsquery` (for `to_tsquery`), so `archive search` takes the same
/// queries on both stores.
///
/// | FTS5 | tsquery |
/// |---|---|
/// | `refund angry` (all words), `refund AND angry` | `refund & angry` |
/// | `"full refund"` (a phrase) | `(full <-> refund)` |
/// | `refund OR credit` | `refund \| credit` |
/// | `refund NOT angry` | `refund & !angry` |
/// | `refund*` (a prefix) | `refund:*` |
/// | `NEAR(refund angry, 5)` | `refund & angry`: both words in the same text, at any distance |
///
/// Precedence is FTS5's: NOT binds tightest, then AND, then OR. A word is a
/// run of letters and digits, as FTS5's tokenizer splits text; any other
/// character separates words.
public struct TextSearchQuery: Sendable, Equatable {
    public let tsquery: String

    public init(parsing query: String) throws(QueryError) {
        var parser = Parser(tokens: try Self.tokens(query), query: query)
        let expression = try parser.orExpression()
        guard parser.atEnd else { throw parser.error("unexpected \(parser.peekDescription)") }
        tsquery = expression
    }

    enum Token: Equatable {
        case word(String, prefix: Bool)
        case phrase([String], prefix: Bool)
        case open, close, comma
    }

    static func tokens(_ query: String) throws(QueryError) -> [Token] {
        var tokens: [Token] = []
        var chars = Array(query.unicodeScalars)[...]
        func words(_ text: some Sequence<Unicode.Scalar>) -> [String] {
            var words: [String] = [], current = String.UnicodeScalarView()
            for scalar in text {
                if isWordScalar(scalar) {
                    current.append(scalar)
                } else if !current.isEmpty {
                    words.append(String(current)); current = .init()
                }
            }
            if !current.isEmpty { words.append(String(current)) }
            return words
        }
        func takePrefixStar() -> Bool {
            guard chars.first == "*" else { return false }
            chars.removeFirst()
            return true
        }
        while let scalar = chars.first {
            switch scalar {
            case "(": chars.removeFirst(); tokens.append(.open)
            case ")": chars.removeFirst(); tokens.append(.close)
            case ",": chars.removeFirst(); tokens.append(.comma)
            case "\"":
                chars.removeFirst()
                var text = String.UnicodeScalarView()
                var closed = false
                while let next = chars.first {
                    chars.removeFirst()
                    if next == "\"" {
                        if chars.first == "\"" { chars.removeFirst(); text.append("\""); continue }
                        closed = true
                        break
                    }
                    text.append(next)
                }
                guard closed else { throw QueryError.invalidSearch(query: query, reason: "unterminated string") }
                tokens.append(.phrase(words(text), prefix: takePrefixStar()))
            case _ where isWordScalar(scalar):
                var text = String.UnicodeScalarView()
                while let next = chars.first, isWordScalar(next) { text.append(next); chars.removeFirst() }
                tokens.append(.word(String(text), prefix: takePrefixStar()))
            default:
                chars.removeFirst()
            }
        }
        return tokens
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "_"
    }

    private struct Parser {
        var tokens: [Token]
        let query: String
        var position = 0

        var atEnd: Bool { position == tokens.count }
        var peek: Token? { atEnd ? nil : tokens[position] }
        var peekDescription: String {
            switch peek {
            case .word(let w, _)?: "\"\(w)\""
            case .phrase?: "a phrase"
            case .open?: "\"(\""
            case .close?: "\")\""
            case .comma?: "\",\""
            case nil: "end of query"
            }
        }

        func error(_ reason: String) -> QueryError { .invalidSearch(query: query, reason: reason) }

        func isKeyword(_ keyword: String) -> Bool {
            if case .word(keyword, prefix: false)? = peek { return true }
            return false
        }

        mutating func orExpression() throws(QueryError) -> String {
            var terms = [try andExpression()]
            while isKeyword("OR") { position += 1; terms.append(try andExpression()) }
            return terms.count == 1 ? terms[0] : "(" + terms.joined(separator: " | ") + ")"
        }

        mutating func andExpression() throws(QueryError) -> String {
            var terms = [try notExpression()]
            while let token = peek, token != .close, token != .comma, !isKeyword("OR") {
                if isKeyword("AND") { position += 1 }
                terms.append(try notExpression())
            }
            return terms.count == 1 ? terms[0] : "(" + terms.joined(separator: " & ") + ")"
        }

        mutating func notExpression() throws(QueryError) -> String {
            var expression = try primary()
            while isKeyword("NOT") {
                position += 1
                expression = "(\(expression) & !\(try primary()))"
            }
            return expression
        }

        mutating func primary() throws(QueryError) -> String {
            guard let token = peek else { throw error("the query ends where a word was expected") }
            position += 1
            switch token {
            case .open:
                let inner = try orExpression()
                guard peek == .close else { throw error("expected \")\" but found \(peekDescription)") }
                position += 1
                return inner
            case .word("NEAR", prefix: false) where peek == .open:
                position += 1
                var terms: [String] = []
                while let next = peek, next != .close, next != .comma { terms.append(try primary()) }
                if peek == .comma {
                    position += 1
                    guard case .word(let distance, _)? = peek, Int(distance) != nil else { throw error("NEAR's distance must be a number") }
                    position += 1
                }
                guard peek == .close, !terms.isEmpty else { throw error("NEAR(…) needs words and a closing \")\"") }
                position += 1
                return terms.count == 1 ? terms[0] : "(" + terms.joined(separator: " & ") + ")"
            case .word(let word, let prefix):
                guard !["AND", "OR", "NOT"].contains(word) || prefix else { throw error("\(word) needs a word before and after it") }
                return Self.lexeme(word, prefix: prefix)
            case .phrase(let words, let prefix):
                guard !words.isEmpty else { throw error("an empty phrase") }
                let lexemes = words.enumerated().map { i, word in Self.lexeme(word, prefix: prefix && i == words.count - 1) }
                return lexemes.count == 1 ? lexemes[0] : "(" + lexemes.joined(separator: " <-> ") + ")"
            case .close, .comma:
                throw error("unexpected \(token == .close ? "\")\"" : "\",\"")")
            }
        }

        /// A word as a quoted tsquery operand: `to_tsquery` still stems it.
        static func lexeme(_ word: String, prefix: Bool) -> String {
            "'" + word.lowercased() + "'" + (prefix ? ":*" : "")
        }
    }
}
