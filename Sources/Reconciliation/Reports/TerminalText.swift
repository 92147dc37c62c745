/// Text from the data (stream ids, raw values, messages, errors) made safe to print on an
/// operator's terminal: a hostile stream id must not be able to move the cursor, clear the
/// screen, rewrite a line or set the window title. Control characters (C0, DEL, C1) and the
/// bidirectional overrides that reorder what is shown are written as visible escapes (`\n`,
/// `\r`, `\t`, `\x1B`, `\u{202E}`); everything else passes unchanged.
public enum TerminalText {
    /// `text` with every control character escaped; `keepingLineBreaks` leaves `\n` and `\t`
    /// as they are, for messages that are meant to span lines.
    public static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingLineBreaks) }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingLineBreaks) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value <= 0xFF: result += "\\x" + hex(scalar.value, digits: 2)
            default: result += "\\u{" + hex(scalar.value, digits: 4) + "}"
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar, _ keepingLineBreaks: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: !keepingLineBreaks
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069: true // bidirectional embeddings, overrides and isolates
        default: false
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
