import Foundation

/// The fast path of the snapshot reader: parses the common shape of a snapshot straight from
/// its bytes (no token values, no strings but the keys), writing values into a `RecordArena`.
/// It accepts a subset of what `SnapshotReader` accepts and gives the same result for it:
/// anything else (an escape, a non-ASCII name or key, an error of any kind) throws `Bail`,
/// and the caller reads the file again with `SnapshotReader`, which reports errors with positions.
struct SnapshotScanner {
    struct Bail: Error {}

    /// What to keep from each record: the key field and the mapped fields' slots, as bytes.
    struct Layout: Sendable {
        let key: [UInt8]
        let names: [(name: [UInt8], slots: [Int])]
        let fieldCount: Int
        let matcher: NameMatcher

        /// Nil when a name is not ASCII (byte comparison would not be String comparison).
        init?(keyField: String, fields: [String]) {
            guard keyField.utf8.allSatisfy({ $0 < 0x80 }), fields.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) else { return nil }
            key = Array(keyField.utf8)
            var names: [(name: [UInt8], slots: [Int])] = []
            for (slot, field) in fields.enumerated() {
                let bytes = Array(field.utf8)
                if let index = names.firstIndex(where: { $0.name == bytes }) { names[index].slots.append(slot) } else { names.append((bytes, [slot])) }
            }
            self.names = names
            fieldCount = fields.count
            matcher = NameMatcher(key: key, names: names)
        }
    }

    /// One member value before it is written to the arena.
    private struct Pending {
        var tag: RecordArena.Tag = .null
        var start = 0
        var count = 0
        var integer: Int64 = 0
    }

    private(set) var base: UnsafePointer<UInt8>
    private(set) var end: Int
    var position: Int
    /// Set when a read found no more bytes: a step that failed with it set may succeed with more.
    var hitEnd = false
    let layout: Layout
    var arena = RecordArena()
    private var pending: [Pending]
    /// The member names of the record being read, to find one named twice.
    private var memberNames: [(start: Int, count: Int)] = []

    init(base: UnsafePointer<UInt8>, end: Int, position: Int, layout: Layout) {
        self.base = base
        self.end = end
        self.position = position
        self.layout = layout
        pending = Array(repeating: Pending(), count: layout.fieldCount)
    }

    /// Points the scanner at the bytes in a moved or refilled buffer.
    mutating func rebase(base: UnsafePointer<UInt8>, end: Int, position: Int) {
        self.base = base
        self.end = end
        self.position = position
    }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    mutating func skipWhitespace() {
        while position < end {
            let byte = base[position]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            position += 1
        }
    }

    /// The next non-whitespace byte, not consumed; 0 at the end.
    mutating func peek() -> UInt8 {
        skipWhitespace()
        guard position < end else {
            hitEnd = true
            return 0
        }
        return base[position]
    }

    /// Skips a UTF-8 byte order mark at `position` (editors on Windows write one).
    mutating func skipByteOrderMark() {
        if end - position >= 3, base[position] == 0xEF, base[position + 1] == 0xBB, base[position + 2] == 0xBF { position += 3 }
    }

    mutating func expect(_ byte: UInt8) throws(Bail) {
        guard peek() == byte else { throw Bail() }
        position += 1
    }

    /// A string without escapes at `position`: where its content starts, its length, and
    /// whether it is ASCII. Non-ASCII content must be valid UTF-8.
    mutating func string() throws(Bail) -> (start: Int, count: Int, ascii: Bool) {
        guard peek() == Self.quote else { throw Bail() }
        let start = position + 1
        var index = start, high: UInt8 = 0
        while index < end {
            let byte = base[index]
            if byte == Self.quote { break }
            if byte == Self.backslash || byte < 0x20 { throw Bail() }
            high |= byte
            index += 1
        }
        guard index < end else {
            hitEnd = true
            throw Bail()
        }
        position = index + 1
        let count = index - start
        if high >= 0x80, String(validating: UnsafeBufferPointer(start: base + start, count: count), as: UTF8.self) == nil { throw Bail() }
        return (start, count, high < 0x80)
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// A JSON number at `position` as a raw value: Int64 when it fits, exact digits when
    /// larger, decimal text otherwise (as `SnapshotReader.number`).
    private mutating func number() throws(Bail) -> Pending {
        let start = position
        while position < end, Self.isNumberByte(base[position]) { position += 1 }
        // The number may go on in the bytes not read yet (a snapshot never ends in a number).
        guard position < end else {
            hitEnd = true
            throw Bail()
        }
        let bytes = UnsafeBufferPointer(start: base + start, count: position - start)
        guard JSONTokenizer.isJSONNumber(bytes) else { throw Bail() }
        var value = Pending(tag: .text, start: start, count: bytes.count)
        if bytes.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            value.tag = .decimal
        } else if let integer = Self.int64(bytes) {
            value.tag = .integer
            value.integer = integer
        }
        return value
    }

    /// Digits with an optional `-` as Int64, nil when they do not fit.
    private static func int64(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        let negative = bytes.first == UInt8(ascii: "-")
        let digits = negative ? UnsafeBufferPointer(rebasing: bytes.dropFirst()) : bytes
        guard digits.count <= 18 else { return Int64(String(decoding: bytes, as: UTF8.self)) }
        var value: Int64 = 0
        for byte in digits { value = value &* 10 &+ Int64(byte &- UInt8(ascii: "0")) }
        return negative ? -value : value
    }

    /// `blockNumber`: a whole number from 0 to `Int64.max`.
    mutating func blockNumber() throws(Bail) -> UInt64 {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(peek()) else { throw Bail() }
        let value = try number()
        guard value.tag == .integer, value.integer >= 0 else { throw Bail() }
        return UInt64(value.integer)
    }

    private mutating func literal(_ word: StaticString) throws(Bail) {
        let count = word.utf8CodeUnitCount
        guard end - position >= count else {
            hitEnd = true
            throw Bail()
        }
        guard memcmp(base + position, word.utf8Start, count) == 0 else { throw Bail() }
        position += count
    }

    /// A scalar member value.
    private mutating func scalar() throws(Bail) -> Pending {
        switch peek() {
        case Self.quote:
            let text = try string()
            return Pending(tag: .text, start: text.start, count: text.count)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "t"): try literal("true"); return Pending(tag: .trueValue)
        case UInt8(ascii: "f"): try literal("false"); return Pending(tag: .falseValue)
        case UInt8(ascii: "n"): try literal("null"); return Pending(tag: .null)
        default: throw Bail()
        }
    }

    /// Skips one value of any shape, brackets matched, as `SnapshotReader.skipValue` does.
    mutating func skipValue() throws(Bail) {
        var open: [UInt8] = []
        repeat {
            switch peek() {
            case UInt8(ascii: "{"): open.append(UInt8(ascii: "}")); position += 1
            case UInt8(ascii: "["): open.append(UInt8(ascii: "]")); position += 1
            case let close where close == UInt8(ascii: "}") || close == UInt8(ascii: "]"):
                guard open.popLast() == close else { throw Bail() }
                position += 1
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                guard !open.isEmpty else { throw Bail() }
                position += 1
            default:
                _ = try scalar()
            }
        } while !open.isEmpty
    }

    /// Reads `,` (false) or `closing` (true) after a member or an element.
    mutating func separator(closing: UInt8) throws(Bail) -> Bool {
        switch peek() {
        case UInt8(ascii: ","): position += 1; return false
        case closing: position += 1; return true
        default: throw Bail()
        }
    }

    /// One record object at `position`, appended to the arena; returns where it starts.
    mutating func record() throws(Bail) -> Int {
        try expect(UInt8(ascii: "{"))
        for slot in pending.indices { pending[slot] = Pending() }
        var key: Pending?
        memberNames.removeAll(keepingCapacity: true)
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            members: while true {
                let name = try string()
                guard name.ascii else { throw Bail() }
                // A member named twice is an error, which the reader reports with its position. The
                // check compares every pair: a record of more than 32 members goes to the reader.
                guard memberNames.count < 32 else { throw Bail() }
                for seen in memberNames where seen.count == name.count && memcmp(base + seen.start, base + name.start, name.count) == 0 {
                    throw Bail()
                }
                memberNames.append((name.start, name.count))
                try expect(UInt8(ascii: ":"))
                let (isKey, mapped) = layout.matcher.match(base + name.start, name.count)
                if isKey || mapped != nil {
                    let value = try scalar()
                    if isKey { key = try checkedKey(value) }
                    if let mapped { for slot in layout.matcher.slots(of: mapped) { pending[slot] = value } }
                } else {
                    try skipValue()
                }
                switch peek() {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"): position += 1; break members
                default: throw Bail()
                }
            }
        }
        guard let key else { throw Bail() }
        let offset: Int
        if key.tag == .integer {
            var text = String(key.integer)
            offset = text.withUTF8 { arena.appendKey($0) }
        } else {
            offset = arena.appendKey(UnsafeBufferPointer(start: base + key.start, count: key.count))
        }
        for value in pending {
            switch value.tag {
            case .integer: arena.append(integer: value.integer)
            case .text, .decimal: arena.append(value.tag, UnsafeBufferPointer(start: base + value.start, count: value.count))
            default: arena.append(value.tag)
            }
        }
        return offset
    }

    /// A key value of the common forms (non-empty ASCII text, an Int64); the others bail.
    private func checkedKey(_ value: Pending) throws(Bail) -> Pending {
        switch value.tag {
        case .text:
            let bytes = UnsafeBufferPointer(start: base + value.start, count: value.count)
            guard !bytes.isEmpty, bytes.allSatisfy({ $0 < 0x80 }) else { throw Bail() }
            return value
        case .integer: return value
        default: throw Bail()
        }
    }
}
