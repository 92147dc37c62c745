/// A hand-written recursive-descent parser for `ViewSignature` text, tracking columns for its errors.
struct ViewSignatureParser {
    private let characters: [Character]
    private var position = 0

    private static let modifiers: Set<String> = ["external", "public", "view", "pure"]
    private static let supported = "only static types are supported (uintN, intN, address, bool, bytesN)"

    init(_ text: String) {
        characters = Array(text)
    }

    mutating func parse() throws(SignatureError) -> ViewSignature {
        var name = try identifier(expecting: "a function name")
        if name.text == "function" {
            name = try identifier(expecting: "a function name")
        }
        let arguments = try parameterList()
        try returnsKeyword()
        skipSpace()
        let returnsColumn = column
        let returns = try parameterList()
        guard returns.count == 1 else {
            throw SignatureError(.syntax, column: returnsColumn, "a view call returns exactly one value; found \(returns.count)")
        }
        skipSpace()
        if position < characters.count {
            throw SignatureError(.syntax, column: column, "unexpected '\(characters[position])' after the return type")
        }
        return ViewSignature(name: name.text, arguments: arguments, returns: returns[0])
    }

    /// 1-based column of the current position.
    private var column: Int { position + 1 }

    /// Skips modifiers up to `returns`, or says what was found instead.
    private mutating func returnsKeyword() throws(SignatureError) {
        while true {
            skipSpace()
            let start = column
            guard position < characters.count else {
                throw SignatureError(.syntax, column: start, "expected 'returns (type)': a view call needs its return type")
            }
            let word = try identifier(expecting: "'returns'")
            if word.text == "returns" { return }
            guard ViewSignatureParser.modifiers.contains(word.text) else {
                throw SignatureError(.syntax, column: start, "expected 'returns'; found '\(word.text)'")
            }
        }
    }

    /// `( [parameter {, parameter}] )`
    private mutating func parameterList() throws(SignatureError) -> [ABIType] {
        try expect("(")
        var types: [ABIType] = []
        skipSpace()
        if peek == ")" {
            position += 1
            return types
        }
        while true {
            types.append(try parameter())
            skipSpace()
            switch peek {
            case ",": position += 1
            case ")":
                position += 1
                return types
            case let other: throw unexpected(other, expecting: "',' or ')'")
            }
        }
    }

    /// `type [name]`, where type must be static.
    private mutating func parameter() throws(SignatureError) -> ABIType {
        skipSpace()
        if peek == "(" {
            throw SignatureError(.unsupportedType, column: column, "tuple types are not supported; \(ViewSignatureParser.supported)")
        }
        let name = try identifier(expecting: "a type")
        skipSpace()
        if peek == "[" {
            throw SignatureError(.unsupportedType, column: name.column, "array type '\(name.text)[]' is not supported; \(ViewSignatureParser.supported)")
        }
        let type = try ViewSignatureParser.resolve(name)
        if let next = peek, ViewSignatureParser.startsIdentifier(next) {
            _ = try identifier(expecting: "a parameter name")
        }
        return type
    }

    /// The static type a type name denotes, or an error that says why not.
    private static func resolve(_ name: (text: String, column: Int)) throws(SignatureError) -> ABIType {
        if let type = ABIType(name: name.text) { return type }
        let text = name.text
        switch text {
        case "string", "bytes":
            throw SignatureError(.unsupportedType, column: name.column, "ABI type '\(text)' is dynamic; \(supported)")
        case _ where text.hasPrefix("fixed") || text.hasPrefix("ufixed"):
            throw SignatureError(.unsupportedType, column: name.column, "ABI type '\(text)' is not supported; \(supported)")
        case _ where ABIType.size(in: text, after: "uint") != nil || ABIType.size(in: text, after: "int") != nil:
            let family = text.hasPrefix("u") ? "uintN" : "intN"
            throw SignatureError(.unknownType, column: name.column, "unknown ABI type '\(text)'; \(family) takes N from 8 to 256 in steps of 8")
        case _ where ABIType.size(in: text, after: "bytes") != nil:
            throw SignatureError(.unknownType, column: name.column, "unknown ABI type '\(text)'; bytesN takes N from 1 to 32")
        default:
            throw SignatureError(.unknownType, column: name.column, "unknown ABI type '\(text)'")
        }
    }

    private var peek: Character? { position < characters.count ? characters[position] : nil }

    private mutating func skipSpace() {
        while let next = peek, next.isWhitespace { position += 1 }
    }

    private mutating func expect(_ character: Character) throws(SignatureError) {
        skipSpace()
        guard peek == character else { throw unexpected(peek, expecting: "'\(character)'") }
        position += 1
    }

    /// A Solidity identifier: ASCII letters, digits, `_` and `$`, not starting with a digit.
    private mutating func identifier(expecting what: String) throws(SignatureError) -> (text: String, column: Int) {
        skipSpace()
        let start = position
        guard let first = peek, ViewSignatureParser.startsIdentifier(first) else { throw unexpected(peek, expecting: what) }
        while let next = peek, ViewSignatureParser.continuesIdentifier(next) { position += 1 }
        return (String(characters[start..<position]), start + 1)
    }

    private func unexpected(_ found: Character?, expecting what: String) -> SignatureError {
        let foundText = found.map { "'\($0)'" } ?? "the end"
        return SignatureError(.syntax, column: column, "expected \(what); found \(foundText)")
    }

    private static func startsIdentifier(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character == "_" || character == "$")
    }

    private static func continuesIdentifier(_ character: Character) -> Bool {
        startsIdentifier(character) || ("0"..."9").contains(character)
    }
}
