/// Names the rules file may use: SQL identifiers (quoted, never spliced raw) and field names
/// that invariant expressions can refer to.
enum Identifiers {
    static let keywords: Set<String> = Lexer.keywords

    /// `[A-Za-z_][A-Za-z0-9_]*`, at most 63 characters.
    static func isPlain(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return bytes.allSatisfy { isLetter($0) || $0 == UInt8(ascii: "_") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// Reports `name` unless it is a plain SQL identifier.
    static func checkSQL(_ name: Located<String>, what: String, sink: DiagnosticSink) {
        guard !isPlain(name.value) else { return }
        sink.error(.unsafeIdentifier, at: name.location,
                   "\(what) '\(name.value)' is not a plain SQL identifier; use letters, digits and '_', starting with a letter or '_' (at most 63)")
    }
}
