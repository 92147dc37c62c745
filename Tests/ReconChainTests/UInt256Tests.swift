import ReconChain
import Testing

struct UInt256Tests {
    let maxText = "115792089237316195423570985008687907853269984665640564039457584007913129639935"

    @Test func printsDecimalAcrossTheHalves() {
        #expect(UInt256.zero.description == "0")
        #expect(UInt256(42 as UInt64).description == "42")
        #expect(UInt256.max.description == maxText)
        #expect(UInt256(high: 1, low: 0).description == "340282366920938463463374607431768211456")
        #expect(UInt256(high: 1, low: 12345).description == "340282366920938463463374607431768223801")
        // Interior 19-digit chunks that need zero padding.
        #expect(UInt256("3402823669209384634633746074317682114560000000000000000000")?.description
            == "3402823669209384634633746074317682114560000000000000000000")
        #expect(UInt256("1606938044258990275541962092341162602522202993782792835313721")?.description
            == "1606938044258990275541962092341162602522202993782792835313721")
    }

    @Test func parsesDecimalStrictly() {
        #expect(UInt256(maxText) == .max)
        #expect(UInt256("0") == .zero)
        #expect(UInt256("000123") == 123)
        #expect(UInt256("115792089237316195423570985008687907853269984665640564039457584007913129639936") == nil)
        #expect(UInt256("1" + String(repeating: "0", count: 78)) == nil)
        #expect(UInt256("") == nil)
        #expect(UInt256("-1") == nil)
        #expect(UInt256("+1") == nil)
        #expect(UInt256("1_000") == nil)
        #expect(UInt256(" 1") == nil)
        #expect(UInt256("0x10") == nil)
    }

    @Test func bigEndianBytesRoundTrip() throws {
        let value = try #require(UInt256("1606938044258990275541962092341162602522202993782792835313721"))
        let bytes = value.bigEndianBytes
        #expect(Hex.encode(bytes) == "0x0000000000000100000000000000000000000000000000000000000000003039")
        #expect(UInt256(bigEndianBytes: bytes) == value)
        #expect(UInt256(bigEndianBytes: [0x01, 0x00]) == 256)
        #expect(UInt256(bigEndianBytes: []) == .zero)
        #expect(UInt256(bigEndianBytes: [UInt8](repeating: 0xFF, count: 32)) == .max)
        #expect(UInt256(bigEndianBytes: [UInt8](repeating: 0, count: 33)) == nil)
    }

    @Test func ordersByValue() {
        #expect(UInt256(high: 0, low: .max) < UInt256(high: 1, low: 0))
        #expect(UInt256(5 as UInt64) < 6)
        #expect(!(UInt256.max < .max))
        #expect([UInt256.max, 0, UInt256(high: 1, low: 0), 7].sorted() == [0, 7, UInt256(high: 1, low: 0), .max])
    }

    @Test func countsBitsForRangeChecks() {
        #expect(UInt256.zero.leadingZeroBitCount == 256)
        #expect(UInt256(1 as UInt64).leadingZeroBitCount == 255)
        #expect(UInt256(high: 1, low: 0).leadingZeroBitCount == 127)
        #expect(UInt256(255 as UInt64).fits(bits: 8))
        #expect(!UInt256(256 as UInt64).fits(bits: 8))
        #expect(UInt256(UInt128.max).fits(bits: 128))
        #expect(!UInt256(high: 1, low: 0).fits(bits: 128))
        #expect(UInt256.max.fits(bits: 256))
    }

    @Test func convertsWithoutWrapping() {
        #expect(UInt128(exactly: UInt256(UInt128.max)) == .max)
        #expect(UInt128(exactly: UInt256(high: 1, low: 0)) == nil)
        #expect(Int128(exactly: UInt256(UInt128(Int128.max))) == .max)
        #expect(Int128(exactly: UInt256(UInt128(Int128.max) + 1)) == nil)
        #expect(Int128(exactly: UInt256(high: 1, low: 1)) == nil)
        #expect(Int(exactly: UInt256(64 as UInt64)) == 64)
        #expect(Int(exactly: UInt256(UInt128(Int.max) + 1)) == nil)
        #expect(Int(exactly: UInt256(high: 1, low: 0)) == nil)
    }

    @Test func arithmeticReportsOverflow() {
        let big = UInt256(high: 0, low: .max)
        #expect(big.addingReportingOverflow(1) == (UInt256(high: 1, low: 0), false))
        #expect(UInt256.max.addingReportingOverflow(1) == (.zero, true))
        #expect(UInt256(high: .max, low: 0).addingReportingOverflow(UInt256(high: 1, low: 0)).overflow)
        #expect(UInt256(high: 1, low: 0).subtractingReportingOverflow(1) == (big, false))
        #expect(UInt256.zero.subtractingReportingOverflow(1) == (.max, true))
        #expect(big.multipliedReportingOverflow(by: 2) == (UInt256(high: 1, low: .max - 1), false))
        #expect(UInt256(high: .max, low: 0).multipliedReportingOverflow(by: 2).overflow)
        #expect(UInt256(high: UInt128(1) << 127, low: 0).multipliedReportingOverflow(by: 2).overflow)
        #expect(UInt256(high: 0, low: .max).multipliedReportingOverflow(by: 0) == (.zero, false))
        #expect(UInt256.max.quotientAndRemainder(dividingBy: 10).remainder == 5)
        #expect(UInt256(high: 1, low: 0).quotientAndRemainder(dividingBy: 2) == (UInt256(UInt128(1) << 127), 0))
        #expect(~UInt256.zero == .max)
    }

    @Test func readsAndWritesJSONRPCQuantities() {
        #expect(UInt256(hexQuantity: "0x0") == .zero)
        #expect(UInt256(hexQuantity: "0x1b4") == 436)
        #expect(UInt256(hexQuantity: "0xFF") == 255)
        #expect(UInt256(hexQuantity: "0x" + String(repeating: "f", count: 64)) == .max)
        #expect(UInt256(hexQuantity: "0x1" + String(repeating: "0", count: 32)) == UInt256(high: 1, low: 0))
        #expect(UInt256.zero.hexQuantity == "0x0")
        #expect(UInt256(436 as UInt64).hexQuantity == "0x1b4")
        #expect(UInt256(high: 1, low: 2).hexQuantity == "0x100000000000000000000000000000002")
        #expect(UInt256.max.hexQuantity == "0x" + String(repeating: "f", count: 64))
    }

    @Test(arguments: ["", "0x", "1b4", "0x01b4", "0x00", "0X1b4", "0x1g", "0x-1", "0x1" + String(repeating: "0", count: 64)])
    func refusesMalformedQuantities(text: String) {
        #expect(UInt256(hexQuantity: text) == nil)
    }
}
