import Foundation

/// A pull tokenizer over a JSON file read in 1 MiB chunks, so a snapshot of millions of
/// records is never held whole in memory (Foundation's JSON APIs need the whole document).
/// Numbers keep their exact text; every token knows its line and column.
///
/// A value type whose hot loops work on local copies of the buffer position, so scanning pays
/// no per-byte exclusivity or retain/release cost.
struct JSONTokenizer {
    enum Token: Equatable {
        case beginObject, endObject, beginArray, endArray, colon, comma
        case string(String)
        case number(String)
        case bool(Bool)
        case null
        case end
    }

    struct Failure: Error {
        var message: String
        var line: Int
        var column: Int
    }

    private let handle: FileHandle
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var index = 0
    private var atEnd = false
    private(set) var line = 1
    private(set) var column = 1
    private var peeked: (token: Token, line: Int, column: Int)?
    private var last: (line: Int, column: Int) = (1, 1)

    init(handle: FileHandle, chunkSize: Int = 1 << 20) {
        self.handle = handle
        self.chunkSize = chunkSize
    }

    /// Reads the next chunk, keeping the bytes from `keep` (default: the unread ones) and
    /// moving them to the front. Returns how far they moved, or nil at the end of the file.
    private mutating func refill(keeping keep: Int? = nil) throws(Failure) -> Int? {
        let keep = keep ?? index
        guard !atEnd else { return nil }
        let data: Data?
        do {
            data = try handle.read(upToCount: chunkSize)
        } catch {
            throw Failure(message: "cannot read the file: \(error.localizedDescription)", line: line, column: column)
        }
        guard let data, !data.isEmpty else {
            atEnd = true
            return nil
        }
        buffer.removeSubrange(0..<keep)
        buffer.append(contentsOf: data)
        index -= keep
        return keep
    }

    private mutating func peekByte() throws(Failure) -> UInt8? {
        if index < buffer.count { return buffer[index] }
        return try refill() != nil ? buffer[index] : nil
    }

    /// Consumes one byte, keeping line and column.
    private mutating func nextByte() throws(Failure) -> UInt8? {
        guard let byte = try peekByte() else { return nil }
        index += 1
        if byte == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
        return byte
    }

    /// Skips a UTF-8 byte order mark at the start of the file (editors on Windows write one).
    mutating func skipByteOrderMark() throws(Failure) {
        while buffer.count - index < 3, try refill() != nil {}
        if buffer[index...].starts(with: [0xEF, 0xBB, 0xBF]) { index += 3 }
    }

    /// A failure at the next token when one was peeked, else at the token just read.
    func fail(_ message: String) -> Failure {
        Failure(message: message, line: peeked?.line ?? last.line, column: peeked?.column ?? last.column)
    }

    /// The next token without consuming it, and its position.
    mutating func peek() throws(Failure) -> (token: Token, line: Int, column: Int) {
        if let peeked { return peeked }
        let token = try scan()
        peeked = token
        return token
    }

    mutating func next() throws(Failure) -> Token {
        let token = try peek()
        peeked = nil
        last = (token.line, token.column)
        return token.token
    }

    private mutating func skipWhitespace() throws(Failure) {
        while true {
            var position = index, lines = 0, lastBreak = -1
            let count = buffer.count
            buffer.withUnsafeBufferPointer { bytes in
                while position < count {
                    let byte = bytes[position]
                    if byte == 0x0A {
                        lines += 1
                        lastBreak = position
                    } else if byte != 0x20 && byte != 0x0D && byte != 0x09 {
                        break
                    }
                    position += 1
                }
            }
            if lines > 0 {
                line += lines
                column = position - lastBreak
            } else {
                column += position - index
            }
            index = position
            guard index == buffer.count, try refill() != nil else { return }
        }
    }

    private mutating func scan() throws(Failure) -> (token: Token, line: Int, column: Int) {
        try skipWhitespace()
        let (startLine, startColumn) = (line, column)
        guard let byte = try nextByte() else { return (.end, startLine, startColumn) }
        let token: Token
        switch byte {
        case UInt8(ascii: "{"): token = .beginObject
        case UInt8(ascii: "}"): token = .endObject
        case UInt8(ascii: "["): token = .beginArray
        case UInt8(ascii: "]"): token = .endArray
        case UInt8(ascii: ":"): token = .colon
        case UInt8(ascii: ","): token = .comma
        case UInt8(ascii: "\""): token = .string(try scanString(startLine, startColumn))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): token = .number(try scanNumber(startLine, startColumn))
        case UInt8(ascii: "t"): try expectWord("rue", startLine, startColumn); token = .bool(true)
        case UInt8(ascii: "f"): try expectWord("alse", startLine, startColumn); token = .bool(false)
        case UInt8(ascii: "n"): try expectWord("ull", startLine, startColumn); token = .null
        default:
            throw Failure(message: "unexpected character '\(Unicode.Scalar(byte).escaped(asASCII: true))'", line: startLine, column: startColumn)
        }
        return (token, startLine, startColumn)
    }

    private mutating func expectWord(_ rest: String, _ startLine: Int, _ startColumn: Int) throws(Failure) {
        for expected in rest.utf8 where try nextByte() != expected {
            throw Failure(message: "invalid literal; expected true, false or null", line: startLine, column: startColumn)
        }
    }

    /// Scans a number whose first byte was just read.
    private mutating func scanNumber(_ startLine: Int, _ startColumn: Int) throws(Failure) -> String {
        var start = index - 1
        while true {
            var position = index
            let count = buffer.count
            buffer.withUnsafeBufferPointer { bytes in
                while position < count, Self.isNumberByte(bytes[position]) { position += 1 }
            }
            column += position - index
            index = position
            guard index == buffer.count, let shift = try refill(keeping: start) else { break }
            start -= shift
        }
        let bytes = Array(buffer[start..<index])
        let text = String(decoding: bytes, as: UTF8.self)
        guard Self.isJSONNumber(bytes) else { throw Failure(message: "malformed number '\(text)'", line: startLine, column: startColumn) }
        return text
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    static func isJSONNumber<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> Bool where Bytes.Index == Int {
        let bytes = ZeroBasedBytes(bytes)
        var i = 0
        func digits() -> Int {
            let start = i
            while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
            return i - start
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let start = i
        let integerDigits = digits()
        guard integerDigits > 0, integerDigits == 1 || bytes[start] != UInt8(ascii: "0") else { return false }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return false }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == bytes.count
    }

    /// Zero-based indexing over any of the byte collections `isJSONNumber` takes.
    private struct ZeroBasedBytes<Bytes: RandomAccessCollection<UInt8>> where Bytes.Index == Int {
        let base: Bytes
        init(_ base: Bytes) { self.base = base }
        var count: Int { base.count }
        subscript(index: Int) -> UInt8 { base[base.startIndex + index] }
    }

    /// Scans a string whose opening quote was just read. Plain strings (no escapes) are
    /// decoded straight from the buffer.
    private mutating func scanString(_ startLine: Int, _ startColumn: Int) throws(Failure) -> String {
        var start = index
        var searched = index
        while true {
            var position = searched, stop: UInt8 = 0, characters = 0
            let count = buffer.count
            var text: String?
            buffer.withUnsafeBufferPointer { bytes in
                var high: UInt8 = 0
                while position < count {
                    let byte = bytes[position]
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                        stop = byte
                        break
                    }
                    high |= byte
                    if byte & 0xC0 != 0x80 { characters += 1 }
                    position += 1
                }
                guard position < count, stop == UInt8(ascii: "\"") else { return }
                let span = UnsafeBufferPointer(rebasing: bytes[start..<position])
                // ASCII needs no validation; anything else must be valid UTF-8.
                text = high < 0x80 ? String(decoding: span, as: UTF8.self) : String(validating: span, as: UTF8.self)
            }
            column += characters
            if position < count {
                index = position
                if stop == UInt8(ascii: "\"") {
                    index += 1
                    column += 1
                    guard let text else { throw Failure(message: "string is not valid UTF-8", line: startLine, column: startColumn) }
                    return text
                }
                return try scanEscapedString(prefix: Array(buffer[start..<position]), startLine, startColumn)
            }
            index = position
            guard let shift = try refill(keeping: start) else { throw Failure(message: "unterminated string", line: startLine, column: startColumn) }
            start -= shift
            searched = index
        }
    }

    /// The slow path: a string with escapes or control characters, byte by byte.
    private mutating func scanEscapedString(prefix: [UInt8], _ startLine: Int, _ startColumn: Int) throws(Failure) -> String {
        var scratch = prefix
        while true {
            let (byteLine, byteColumn) = (line, column)
            guard let byte = try nextByte() else { throw Failure(message: "unterminated string", line: startLine, column: startColumn) }
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: scratch, as: UTF8.self) else {
                    throw Failure(message: "string is not valid UTF-8", line: startLine, column: startColumn)
                }
                return text
            case UInt8(ascii: "\\"):
                try scanEscape(into: &scratch, at: byteLine, byteColumn)
            case 0..<0x20:
                throw Failure(message: "control character in string; escape it", line: byteLine, column: byteColumn)
            default:
                scratch.append(byte)
            }
        }
    }

    private mutating func scanEscape(into scratch: inout [UInt8], at escapeLine: Int, _ escapeColumn: Int) throws(Failure) {
        func fail(_ message: String) -> Failure { Failure(message: message, line: escapeLine, column: escapeColumn) }
        guard let byte = try nextByte() else { throw fail("unterminated escape") }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(byte)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(fail)
            if (0xD800..<0xDC00).contains(scalar) {
                guard try nextByte() == UInt8(ascii: "\\"), try nextByte() == UInt8(ascii: "u") else { throw fail("unpaired surrogate in \\u escape") }
                let low = try hex4(fail)
                guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
            scratch.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw fail("invalid escape '\\\(Unicode.Scalar(byte))'")
        }
    }

    private mutating func hex4(_ fail: (String) -> Failure) throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = try nextByte(), let digit = Int(String(Unicode.Scalar(byte)), radix: 16) else { throw fail("invalid \\u escape") }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
