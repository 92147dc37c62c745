/// Bounds-checked reads of dynamic ABI data (offsets, lengths, byte strings): every read past the end is a `malformed` error.
struct ABIReader {
    let data: [UInt8]
    /// What the data is, for messages: `aggregate3 result`.
    let subject: String

    /// The 32 bytes at `position`.
    func word(at position: Int) throws(ABIError) -> ArraySlice<UInt8> {
        guard position >= 0, data.count - position >= 32 else {
            throw ABIError(.malformed, "\(subject) is \(data.count) bytes; a word at byte \(position) runs past its end")
        }
        return data[position..<(position + 32)]
    }

    /// A bool word at `position`.
    func bool(at position: Int) throws(ABIError) -> Bool {
        guard case .bool(let flag) = try ABIDecoder.decode(word: word(at: position), as: .bool) else { preconditionFailure() }
        return flag
    }

    /// An offset or length word at `position`; it must not exceed the data's size (which also keeps it far from overflow).
    func size(at position: Int, _ what: @autoclosure () -> String) throws(ABIError) -> Int {
        let value = UInt256(bigEndianBytes: try word(at: position))!
        guard let size = Int(exactly: value), size <= data.count else {
            throw ABIError(.malformed, "\(subject): \(what()) \(value) at byte \(position) is past the end of its \(data.count) bytes")
        }
        return size
    }

    /// The start of a dynamic value whose offset, relative to `base`, is the word at `position`.
    func offset(at position: Int, from base: Int, _ what: @autoclosure () -> String) throws(ABIError) -> Int {
        let target = base + (try size(at: position, "offset of \(what())"))
        guard target <= data.count - 32 else {
            throw ABIError(.malformed, "\(subject): \(what()) at byte \(target) (offset word at byte \(position)) is past the end of its \(data.count) bytes")
        }
        return target
    }

    /// An array length at `position`, checked against the room left for one word per element after it.
    func count(at position: Int, _ what: String) throws(ABIError) -> Int {
        let count = try size(at: position, "length of \(what)")
        let room = (data.count - position - 32) / 32
        guard count <= room else {
            throw ABIError(.malformed, "\(subject): \(what) at byte \(position) claims \(count) elements; there is room for \(room)")
        }
        return count
    }

    /// The `bytes` whose length word is at `position`, its content following.
    func bytes(at position: Int, _ what: String) throws(ABIError) -> [UInt8] {
        let length = try size(at: position, "length of \(what)")
        let start = position + 32
        guard length <= data.count - start else {
            throw ABIError(.malformed, "\(subject): \(what) at byte \(position) claims \(length) bytes; \(data.count - start) follow")
        }
        return Array(data[start..<(start + length)])
    }
}

/// Builds ABI data word by word.
struct ABIWriter {
    private(set) var data: [UInt8] = []

    init(capacity: Int) { data.reserveCapacity(capacity) }

    mutating func append(selector: ABISelector) { data += selector.bytes }

    mutating func append(_ value: Int) { append(word: UInt256(UInt64(value))) }

    /// The 32 big-endian bytes of `word`.
    mutating func append(word: UInt256) {
        append(half: word.high)
        append(half: word.low)
    }

    private mutating func append(half: UInt128) {
        withUnsafeBytes(of: UInt64(truncatingIfNeeded: half &>> 64).bigEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(truncatingIfNeeded: half).bigEndian) { data.append(contentsOf: $0) }
    }

    /// A length word, the bytes, then zeros up to a whole word.
    mutating func append(bytes: [UInt8]) {
        append(bytes.count)
        data += bytes
        data.append(contentsOf: repeatElement(0, count: ABIWriter.padding(bytes.count)))
    }

    /// Zero bytes that round `count` up to a multiple of 32.
    static func padding(_ count: Int) -> Int { (32 - count % 32) % 32 }
}
