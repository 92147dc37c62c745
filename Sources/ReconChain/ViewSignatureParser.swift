/// A hand-written recursive-descent parser for `ViewSignature` text, tracking columns for its errors.
struct ViewSignatureParser: SignatureScanning {
    let characters: [Character]
    var position = 0

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
}
