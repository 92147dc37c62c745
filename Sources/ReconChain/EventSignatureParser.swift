/// A hand-written parser for `EventSignature` text, tracking columns for its errors.
struct EventSignatureParser: SignatureScanning {
    let characters: [Character]
    var position = 0

    init(_ text: String) {
        characters = Array(text)
    }

    /// At most three indexed parameters: a log has four topics, the first the event's hash.
    static let maximumIndexed = 3

    mutating func parse() throws(SignatureError) -> EventSignature {
        var name = try identifier(expecting: "an event name")
        if name.text == "event" {
            name = try identifier(expecting: "an event name")
        }
        try expect("(")
        var parameters: [EventSignature.Parameter] = []
        skipSpace()
        if peek == ")" {
            position += 1
        } else {
            while true {
                parameters.append(try parameter(indexedSoFar: parameters.count { $0.indexed }))
                skipSpace()
                guard let next = peek, next == "," || next == ")" else { throw unexpected(peek, expecting: "',' or ')'") }
                position += 1
                if next == ")" { break }
            }
        }
        skipSpace()
        if position < characters.count {
            let start = column
            let word = try? identifier(expecting: "the end")
            if word?.text == "anonymous" {
                throw SignatureError(.unsupportedType, column: start, "an anonymous event has no topic to find its logs by")
            }
            throw SignatureError(.syntax, column: start, "unexpected text after the parameter list")
        }
        var names = Set<String>()
        for parameter in parameters where !parameter.name.isEmpty && !names.insert(parameter.name).inserted {
            throw SignatureError(.syntax, column: 1, "two parameters are named '\(parameter.name)'")
        }
        return EventSignature(name: name.text, parameters: parameters)
    }

    /// `type [indexed] [name]`.
    private mutating func parameter(indexedSoFar: Int) throws(SignatureError) -> EventSignature.Parameter {
        skipSpace()
        if peek == "(" {
            throw SignatureError(.unsupportedType, column: column, "tuple parameters are not supported in an event signature")
        }
        let typeName = try identifier(expecting: "a type")
        var canonical: String
        var type: ABIType?
        switch typeName.text {
        case "string", "bytes":
            canonical = typeName.text
        default:
            guard let known = ABIType(name: typeName.text) else {
                let first = typeName.text.first.map(String.init) ?? ""
                let hint = first == first.uppercased() ? "; a contract or interface type (such as IERC20) is 'address' in an event signature" : ""
                throw SignatureError(.unknownType, column: typeName.column, "unknown ABI type '\(typeName.text)'\(hint)")
            }
            type = known
            canonical = known.description
        }
        // Arrays: `T[]`, `T[N]`, possibly nested; a dynamic value for this purpose.
        while peek == "[" {
            let start = position
            position += 1
            while let next = peek, ("0"..."9").contains(next) { position += 1 }
            guard peek == "]" else { throw unexpected(peek, expecting: "']'") }
            position += 1
            canonical += String(characters[start..<position])
            type = nil
        }
        skipSpace()
        var indexed = false
        var name = ""
        if let next = peek, Self.startsIdentifier(next) {
            let start = column
            let word = try identifier(expecting: "a parameter name")
            if word.text == "indexed" {
                indexed = true
                guard indexedSoFar < Self.maximumIndexed else {
                    throw SignatureError(.syntax, column: start, "an event has at most \(Self.maximumIndexed) indexed parameters")
                }
                skipSpace()
                if let next = peek, Self.startsIdentifier(next) { name = try identifier(expecting: "a parameter name").text }
            } else {
                name = word.text
            }
        }
        return EventSignature.Parameter(typeName: canonical, type: type, indexed: indexed, name: name)
    }
}
