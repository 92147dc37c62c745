/// Splits an expression into tokens, each with its offset in Unicode scalars.
struct Token: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        /// A literal's magnitude; the parser applies a leading `-`.
        case integer(UInt128)
        case string(String)
        case keyword(String)
        case symbol(String)
        case end
    }

    var kind: Kind
    var offset: Int
}

enum Lexer {
    static let keywords: Set<String> = ["and", "or", "not", "true", "false", "is", "null"]
    private static let twoCharSymbols: Set<String> = ["==", "!=", "<=", ">="]
    private static let oneCharSymbols: Set<Unicode.Scalar> = ["<", ">", "+", "-", "(", ")", ","]

    static func tokenize(_ text: String) throws(ExpressionError) -> [Token] {
        let chars = Array(text.unicodeScalars)
        var tokens: [Token] = []
        var index = 0
        func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c.isASCII && c.properties.isAlphabetic) }
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        while index < chars.count {
            let c = chars[index]
            let start = index
            if c.properties.isWhitespace {
                index += 1
            } else if isIdentifierStart(c) {
                while index < chars.count, isIdentifierStart(chars[index]) || isDigit(chars[index]) { index += 1 }
                let word = String(String.UnicodeScalarView(chars[start..<index]))
                tokens.append(Token(kind: keywords.contains(word) ? .keyword(word) : .identifier(word), offset: start))
            } else if isDigit(c) {
                while index < chars.count, isDigit(chars[index]) { index += 1 }
                if index < chars.count, isIdentifierStart(chars[index]) || chars[index] == "." {
                    throw .syntax("malformed number; integer literals are decimal digits only", at: start)
                }
                let digits = String(String.UnicodeScalarView(chars[start..<index]))
                guard let value = UInt128(digits) else {
                    throw .syntax("integer literal \(digits) does not fit in a signed 128-bit integer", at: start)
                }
                tokens.append(Token(kind: .integer(value), offset: start))
            } else if c == "'" || c == "\"" {
                index += 1
                while index < chars.count, chars[index] != c { index += 1 }
                guard index < chars.count else { throw .syntax("string literal is not closed; add \(c)", at: start) }
                tokens.append(Token(kind: .string(String(String.UnicodeScalarView(chars[start + 1..<index]))), offset: start))
                index += 1
            } else if index + 1 < chars.count, twoCharSymbols.contains(String(c) + String(chars[index + 1])) {
                tokens.append(Token(kind: .symbol(String(c) + String(chars[index + 1])), offset: start))
                index += 2
            } else if oneCharSymbols.contains(c) {
                tokens.append(Token(kind: .symbol(String(c)), offset: start))
                index += 1
            } else {
                throw .syntax(unexpected(c, next: index + 1 < chars.count ? chars[index + 1] : nil), at: start)
            }
        }
        tokens.append(Token(kind: .end, offset: chars.count))
        return tokens
    }

    private static func unexpected(_ c: Unicode.Scalar, next: Unicode.Scalar?) -> String {
        switch (c, next) {
        case ("=", _): "unexpected '='; compare with '=='"
        case ("&", "&"): "unexpected '&&'; write 'and'"
        case ("|", "|"): "unexpected '||'; write 'or'"
        case ("!", _): "unexpected '!'; write 'not'"
        case ("*", _), ("/", _), ("%", _): "operator '\(c)' is not supported; expressions use + and - only"
        default: "unexpected character '\(c)'"
        }
    }
}
