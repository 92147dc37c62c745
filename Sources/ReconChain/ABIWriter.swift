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
