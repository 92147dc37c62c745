/// What the signature parsers share: a position in the text, 1-based columns for errors, and
/// the Solidity tokens they read (spaces, punctuation, identifiers).
protocol SignatureScanning {
    var characters: [Character] { get }
    var position: Int { get set }
}

extension SignatureScanning {
    /// 1-based column of the current position.
    var column: Int { position + 1 }

    var peek: Character? { position < characters.count ? characters[position] : nil }

    mutating func skipSpace() {
        while let next = peek, next.isWhitespace { position += 1 }
    }

    mutating func expect(_ character: Character) throws(SignatureError) {
        skipSpace()
        guard peek == character else { throw unexpected(peek, expecting: "'\(character)'") }
        position += 1
    }

    /// A Solidity identifier: ASCII letters, digits, `_` and `$`, not starting with a digit.
    mutating func identifier(expecting what: String) throws(SignatureError) -> (text: String, column: Int) {
        skipSpace()
        let start = position
        guard let first = peek, Self.startsIdentifier(first) else { throw unexpected(peek, expecting: what) }
        while let next = peek, Self.continuesIdentifier(next) { position += 1 }
        return (String(characters[start..<position]), start + 1)
    }

    func unexpected(_ found: Character?, expecting what: String) -> SignatureError {
        SignatureError(.syntax, column: column, "expected \(what); found \(found.map { "'\($0)'" } ?? "the end")")
    }

    static func startsIdentifier(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character == "_" || character == "$")
    }

    static func continuesIdentifier(_ character: Character) -> Bool {
        startsIdentifier(character) || ("0"..."9").contains(character)
    }
}
