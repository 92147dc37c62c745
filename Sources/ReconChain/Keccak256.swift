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
        roundConstants.withUnsafeBufferPointer { constants in
            for constant in constants {
                round(a, constant)
            }
        }
    }

    @inline(__always)
    private static func round(_ a: UnsafeMutablePointer<UInt64>, _ constant: UInt64) {
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
        // ρ and π: walk the lanes along π's cycle from lane 1, each moved lane rotated by its ρ offset.
        var carried = a[1]
            (carried, a[10]) = (a[10], rotate(carried, 1))
            (carried, a[7]) = (a[7], rotate(carried, 3))
            (carried, a[11]) = (a[11], rotate(carried, 6))
            (carried, a[17]) = (a[17], rotate(carried, 10))
            (carried, a[18]) = (a[18], rotate(carried, 15))
            (carried, a[3]) = (a[3], rotate(carried, 21))
            (carried, a[5]) = (a[5], rotate(carried, 28))
            (carried, a[16]) = (a[16], rotate(carried, 36))
            (carried, a[8]) = (a[8], rotate(carried, 45))
            (carried, a[21]) = (a[21], rotate(carried, 55))
            (carried, a[24]) = (a[24], rotate(carried, 2))
            (carried, a[4]) = (a[4], rotate(carried, 14))
            (carried, a[15]) = (a[15], rotate(carried, 27))
            (carried, a[23]) = (a[23], rotate(carried, 41))
            (carried, a[19]) = (a[19], rotate(carried, 56))
            (carried, a[13]) = (a[13], rotate(carried, 8))
            (carried, a[12]) = (a[12], rotate(carried, 25))
            (carried, a[2]) = (a[2], rotate(carried, 43))
            (carried, a[20]) = (a[20], rotate(carried, 62))
            (carried, a[14]) = (a[14], rotate(carried, 18))
            (carried, a[22]) = (a[22], rotate(carried, 39))
            (carried, a[9]) = (a[9], rotate(carried, 61))
            (carried, a[6]) = (a[6], rotate(carried, 20))
            (carried, a[1]) = (a[1], rotate(carried, 44))
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
        a[0] ^= constant
    }

    @inline(__always)
    private static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        value &<< count | value &>> (64 &- count)
    }

    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
}
