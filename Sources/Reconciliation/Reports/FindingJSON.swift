import ReconEngine

/// Writes findings as JSON exactly as `JSONEncoder` does with sorted keys (pretty or compact),
/// an order of magnitude faster: a run with many discrepancies spent most of its report time
/// in the generic encoder. Writes UTF-8 bytes: appending many short strings to a `String`
/// was most of the time left.
enum FindingJSON {
    /// Appends `finding` as a JSON object; `indent` is the number of spaces before its opening brace.
    static func append(_ finding: Finding, pretty: Bool, indent: Int, to out: inout [UInt8]) {
        let inner = pretty ? indent + 2 : 0
        func spaces(_ count: Int) { for _ in 0..<count { out.append(UInt8(ascii: " ")) } }
        func name(_ key: StaticString) { appendName(key, pretty: pretty, indent: inner, to: &out) }
        func member(_ key: StaticString, _ value: String?) {
            name(key)
            appendValue(value, to: &out)
            out.append(contentsOf: pretty ? ",\n".utf8 : ",".utf8)
        }
        out.append(contentsOf: pretty ? "{\n".utf8 : "{".utf8)
        let tracking = finding.tracking
        if let tracking {
            name("acknowledged")
            if let note = tracking.acknowledged {
                // Its keys, sorted: expires, owner, reason.
                out.append(contentsOf: pretty ? "{\n".utf8 : "{".utf8)
                for (index, (key, value)) in [("expires", note.expires), ("owner", note.owner), ("reason", note.reason)].enumerated() {
                    spaces(pretty ? inner + 2 : 0)
                    appendString(key, to: &out)
                    out.append(contentsOf: pretty ? " : ".utf8 : ":".utf8)
                    appendString(value, to: &out)
                    out.append(contentsOf: index < 2 ? (pretty ? ",\n".utf8 : ",".utf8) : (pretty ? "\n".utf8 : "".utf8))
                }
                spaces(inner)
                out.append(UInt8(ascii: "}"))
            } else {
                out.append(contentsOf: "null".utf8)
            }
            out.append(contentsOf: pretty ? ",\n".utf8 : ",".utf8)
        }
        member("dbValue", finding.dbValue)
        member("field", finding.field)
        if let tracking {
            member("fingerprint", tracking.fingerprint)
            member("firstSeenAt", tracking.firstSeenAt)
            member("firstSeenRunId", tracking.firstSeenRunId)
        }
        member("kind", finding.kind.rawValue)
        member("message", finding.message)
        member("onChainValue", finding.onChainValue)
        member("rule", finding.rule)
        member("severity", finding.severity.rawValue)
        member("side", finding.side?.rawValue)
        if let tracking { member("status", tracking.status.rawValue) }
        member("streamId", finding.streamId)
        name("values")
        if let values = finding.values {
            if values.isEmpty {
                if pretty {
                    out.append(contentsOf: "{\n\n".utf8)
                    spaces(inner)
                    out.append(UInt8(ascii: "}"))
                } else {
                    out.append(contentsOf: "{}".utf8)
                }
            } else {
                out.append(contentsOf: pretty ? "{\n".utf8 : "{".utf8)
                let sorted = values.sorted { $0.key < $1.key }
                for (index, (key, value)) in sorted.enumerated() {
                    spaces(pretty ? inner + 2 : 0)
                    appendString(key, to: &out)
                    out.append(contentsOf: pretty ? " : ".utf8 : ":".utf8)
                    appendString(value, to: &out)
                    if index < sorted.count - 1 { out.append(contentsOf: pretty ? ",\n".utf8 : ",".utf8) } else if pretty { out.append(UInt8(ascii: "\n")) }
                }
                spaces(inner)
                out.append(UInt8(ascii: "}"))
            }
        } else {
            out.append(contentsOf: "null".utf8)
        }
        if pretty {
            out.append(UInt8(ascii: "\n"))
            spaces(indent)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends a resolved discrepancy (`RunBaseline.Entry`) as a JSON object, every key written
    /// (absent ones as null), as `JSONEncoder` writes it with sorted keys.
    static func append(_ entry: RunBaseline.Entry, pretty: Bool, indent: Int, to out: inout [UInt8]) {
        out.append(contentsOf: pretty ? "{\n".utf8 : "{".utf8)
        let members: [(StaticString, String?)] = [
            ("field", entry.field), ("fingerprint", entry.fingerprint), ("firstSeenAt", entry.firstSeenAt),
            ("firstSeenRunId", entry.firstSeenRunId), ("kind", entry.kind), ("rule", entry.rule), ("severity", entry.severity),
            ("side", entry.side), ("streamId", entry.streamId),
        ]
        for (index, (key, value)) in members.enumerated() {
            appendName(key, pretty: pretty, indent: pretty ? indent + 2 : 0, to: &out)
            appendValue(value, to: &out)
            if index < members.count - 1 { out.append(contentsOf: pretty ? ",\n".utf8 : ",".utf8) }
        }
        if pretty {
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A member's name, `indent` spaces in, and what separates it from its value.
    private static func appendName(_ key: StaticString, pretty: Bool, indent: Int, to out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        out.append(contentsOf: pretty ? #"" : "#.utf8 : #"":"#.utf8)
    }

    /// A string value, or `null`.
    private static func appendValue(_ value: String?, to out: inout [UInt8]) {
        if let value { appendString(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    /// A JSON string literal, escaped as `JSONEncoder` escapes it (slashes left as they are).
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most texts need no escaping: scanned and copied as one buffer.
        var text = text
        let plain = text.withUTF8 { bytes in
            for byte in bytes where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if !plain {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out.append(contentsOf: #"\""#.utf8)
                case "\\": out.append(contentsOf: #"\\"#.utf8)
                case "\n": out.append(contentsOf: #"\n"#.utf8)
                case "\r": out.append(contentsOf: #"\r"#.utf8)
                case "\t": out.append(contentsOf: #"\t"#.utf8)
                case "\u{08}": out.append(contentsOf: #"\b"#.utf8)
                case "\u{0C}": out.append(contentsOf: #"\f"#.utf8)
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                default:
                    out.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
