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

    /// A bool word at `position`: 0 or 1, anything else is an `invalidValue`.
    func bool(at position: Int) throws(ABIError) -> Bool {
        try ABIDecoder.decode(word: word(at: position), as: .bool) == .bool(true)
    }

    /// An address word at `position`: its top 12 bytes must be zero.
    func address(at position: Int) throws(ABIError) -> EthereumAddress {
        let word = try word(at: position)
        _ = try ABIDecoder.decode(word: word, as: .address)
        return EthereumAddress(bytes: word.suffix(20))!
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
