/// Recursive-descent parser. Precedence, loosest first: `or`, `and`, `not`, comparisons
/// (not chainable), `+ -`, unary `-`, then literals, fields, calls and parentheses.
struct ExpressionParser {
    static let maxDepth = 64
    /// Operators and calls per expression: bounds the tree, and so the recursion that compiles it.
    static let maxOperators = 256

    private let tokens: [Token]
    private var position = 0
    private var depth = 0
    private var operators = 0

    static func parse(_ text: String) throws(ExpressionError) -> Expression {
        var parser = ExpressionParser(tokens: try Lexer.tokenize(text))
        guard parser.peek.kind != .end else { throw .syntax("expression is empty", at: 0) }
        let expression = try parser.parseOr()
        guard parser.peek.kind == .end else { throw parser.unexpected("an operator or the end of the expression") }
        return expression
    }

    private init(tokens: [Token]) { self.tokens = tokens }

    private var peek: Token { tokens[position] }

    private mutating func advance() -> Token {
        defer { position += 1 }
        return tokens[position]
    }

    private mutating func accept(_ kind: Token.Kind) -> Token? {
        peek.kind == kind ? advance() : nil
    }

    /// Counts one more operator, refusing expressions too large to check safely.
    private mutating func counted<T>(_ node: T, at offset: Int) throws(ExpressionError) -> T {
        operators += 1
        guard operators <= Self.maxOperators else {
            throw .syntax("expression has more than \(Self.maxOperators) operators; split it into several invariants", at: offset)
        }
        return node
    }

    private func unexpected(_ expected: String) -> ExpressionError {
        let found = switch peek.kind {
        case .end: "the end of the expression"
        case .identifier(let name): "'\(name)'"
        case .integer(let value): "'\(value)'"
        case .string(let value): "'\"\(value)\"'"
        case .keyword(let word), .symbol(let word): "'\(word)'"
        }
        return .syntax("expected \(expected), found \(found)", at: peek.offset)
    }

    private mutating func nested<T>(_ body: (inout ExpressionParser) throws(ExpressionError) -> T) throws(ExpressionError) -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw .syntax("expression is nested more than \(Self.maxDepth) levels deep", at: peek.offset) }
        return try body(&self)
    }

    private mutating func parseOr() throws(ExpressionError) -> Expression {
        var left = try parseAnd()
        while let token = accept(.keyword("or")) {
            left = try counted(.binary(.or, left, try parseAnd(), offset: token.offset), at: token.offset)
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> Expression {
        var left = try parseNot()
        while let token = accept(.keyword("and")) {
            left = try counted(.binary(.and, left, try parseNot(), offset: token.offset), at: token.offset)
        }
        return left
    }

    private mutating func parseNot() throws(ExpressionError) -> Expression {
        if let token = accept(.keyword("not")) {
            return .not(try nested { parser throws(ExpressionError) in try parser.parseNot() }, offset: token.offset)
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(ExpressionError) -> Expression {
        let left = try parseAdditive()
        if let token = accept(.keyword("is")) {
            let negated = accept(.keyword("not")) != nil
            guard accept(.keyword("null")) != nil else { throw unexpected(negated ? "'null'" : "'null' or 'not null'") }
            guard case .field(let name, let fieldOffset) = left else {
                throw ExpressionError(code: .typeMismatch, message: "'is null' tests a field, such as 'cancelled_at is null'; the left side is not a field name",
                                      offset: token.offset)
            }
            return try counted(.isNull(name, negated: negated, fieldOffset: fieldOffset, offset: token.offset), at: token.offset)
        }
        guard case .symbol(let symbol) = peek.kind, let op = Expression.BinaryOperator(rawValue: symbol), op.isComparison else {
            return left
        }
        let token = advance()
        let right = try parseAdditive()
        if case .symbol(let next) = peek.kind, Expression.BinaryOperator(rawValue: next)?.isComparison == true {
            throw .syntax("comparisons cannot be chained; join them with 'and'", at: peek.offset)
        }
        return try counted(.binary(op, left, right, offset: token.offset), at: token.offset)
    }

    private mutating func parseAdditive() throws(ExpressionError) -> Expression {
        var left = try parseUnary()
        while case .symbol(let symbol) = peek.kind, symbol == "+" || symbol == "-" {
            let token = advance()
            left = try counted(.binary(symbol == "+" ? .plus : .minus, left, try parseUnary(), offset: token.offset), at: token.offset)
        }
        return left
    }

    private mutating func parseUnary() throws(ExpressionError) -> Expression {
        if let token = accept(.symbol("-")) {
            if case .integer(let magnitude) = peek.kind, magnitude == UInt128(Int128.max) + 1 {
                position += 1
                return .integer(.min, offset: token.offset)
            }
            return .negate(try nested { parser throws(ExpressionError) in try parser.parseUnary() }, offset: token.offset)
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(ExpressionError) -> Expression {
        let token = peek
        switch token.kind {
        case .integer(let magnitude):
            guard let value = Int128(exactly: magnitude) else {
                throw .syntax("integer literal \(magnitude) does not fit in a signed 128-bit integer", at: token.offset)
            }
            position += 1
            return .integer(value, offset: token.offset)
        case .string(let value):
            position += 1
            return .string(value, offset: token.offset)
        case .keyword("null"):
            throw .syntax("null is tested with 'FIELD is null' or 'FIELD is not null'; it is not a value", at: token.offset)
        case .keyword("true"), .keyword("false"):
            position += 1
            return .bool(token.kind == .keyword("true"), offset: token.offset)
        case .identifier(let name):
            position += 1
            guard accept(.symbol("(")) != nil else { return .field(name, offset: token.offset) }
            return .call(name, try parseArguments(), offset: token.offset)
        case .symbol("("):
            position += 1
            let inner = try nested { parser throws(ExpressionError) in try parser.parseOr() }
            guard accept(.symbol(")")) != nil else { throw unexpected("')'") }
            return inner
        default:
            throw unexpected("a field name, a number or '('")
        }
    }

    private mutating func parseArguments() throws(ExpressionError) -> [Expression] {
        var arguments: [Expression] = []
        if accept(.symbol(")")) != nil { return arguments }
        repeat {
            arguments.append(try nested { parser throws(ExpressionError) in try parser.parseOr() })
        } while accept(.symbol(",")) != nil
        guard accept(.symbol(")")) != nil else { throw unexpected("',' or ')'") }
        return arguments
    }
}
