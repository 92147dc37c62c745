/// Keccak-256 as Ethereum uses it: the original Keccak padding (0x01), not SHA3-256's (0x06).
public enum Keccak256 {
    /// Bytes absorbed per permutation: 1600 bits of state minus twice the 256-bit capacity.
    static let rate = 136

    /// The 32-byte Keccak-256 digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(bytes).withUnsafeBytes { hash($0) }
    }

    /// The Keccak-256 digest of `bytes` as `0x`-prefixed lowercase hex.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        Hex.encode(hash(bytes))
    }

    /// The digest of a contiguous buffer; the state lives on the stack, the only allocation is the result.
    static func hash(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 25) { state in
            let lanes = state.baseAddress!
            lanes.initialize(repeating: 0, count: 25)
            var offset = 0
            while input.count - offset >= rate {
                absorb(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + rate)]), into: lanes)
                offset += rate
            }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: rate) { block in
                let tail = input.count - offset
                block.initialize(repeating: 0)
                if tail > 0 {
                    UnsafeMutableRawBufferPointer(block).copyMemory(from: UnsafeRawBufferPointer(rebasing: input[offset...]))
                }
                block[tail] ^= 0x01
                block[rate - 1] ^= 0x80
                absorb(UnsafeRawBufferPointer(block), into: lanes)
            }
            return [UInt8](unsafeUninitializedCapacity: 32) { output, initialized in
                for lane in 0..<4 {
                    let value = lanes[lane]
                    for byte in 0..<8 {
                        output[lane * 8 + byte] = UInt8(truncatingIfNeeded: value &>> (8 * byte))
                    }
                }
                initialized = 32
            }
        }
    }

    /// XORs one `rate`-byte block into the state, little-endian lanes, then permutes.
    @inline(__always)
    private static func absorb(_ block: UnsafeRawBufferPointer, into lanes: UnsafeMutablePointer<UInt64>) {
        for lane in 0..<(rate / 8) {
            lanes[lane] ^= UInt64(littleEndian: block.loadUnaligned(fromByteOffset: lane * 8, as: UInt64.self))
        }
        permute(lanes)
    }

    /// Keccak-f[1600]: 24 rounds of θ, ρ and π, χ, ι over the 25 lanes.
    static func permute(_ a: UnsafeMutablePointer<UInt64>) {
        for round in 0..<24 {
            // θ
            let c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]
            let c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]
            let c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]
            let c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]
            let c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]
            let d0 = c4 ^ rotate(c1, 1), d1 = c0 ^ rotate(c2, 1), d2 = c1 ^ rotate(c3, 1)
            let d3 = c2 ^ rotate(c4, 1), d4 = c3 ^ rotate(c0, 1)
            for row in stride(from: 0, to: 25, by: 5) {
                a[row] ^= d0
                a[row + 1] ^= d1
                a[row + 2] ^= d2
                a[row + 3] ^= d3
                a[row + 4] ^= d4
            }
            // ρ and π: walk the lanes along π's cycle, rotating each by its offset.
            var carried = a[1]
            for step in 0..<24 {
                let target = piLane[step]
                let next = a[target]
                a[target] = rotate(carried, rhoOffset[step])
                carried = next
            }
            // χ
            for row in stride(from: 0, to: 25, by: 5) {
                let b0 = a[row], b1 = a[row + 1], b2 = a[row + 2], b3 = a[row + 3], b4 = a[row + 4]
                a[row] = b0 ^ (~b1 & b2)
                a[row + 1] = b1 ^ (~b2 & b3)
                a[row + 2] = b2 ^ (~b3 & b4)
                a[row + 3] = b3 ^ (~b4 & b0)
                a[row + 4] = b4 ^ (~b0 & b1)
            }
            // ι
            a[0] ^= roundConstants[round]
        }
    }

    @inline(__always)
    private static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        value &<< count | value &>> (64 &- count)
    }

    private static let piLane: [Int] = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1]

    private static let rhoOffset: [UInt64] = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44]

    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
}
