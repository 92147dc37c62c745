import ReconChain
import Testing

struct Int256Tests {
    let minText = "-57896044618658097711785492504343953926634992332820282019728792003956564819968"
    let maxText = "57896044618658097711785492504343953926634992332820282019728792003956564819967"

    @Test func readsTheSignFromTheTopBit() {
        #expect(Int256(bitPattern: .max).description == "-1")
        #expect(Int256(bitPattern: .max).isNegative)
        #expect(Int256(bitPattern: 1).description == "1")
        #expect(Int256.min.description == minText)
        #expect(Int256.max.description == maxText)
        #expect(Int256.zero.description == "0")
        #expect(Int256.min.magnitude == UInt256(high: UInt128(1) << 127, low: 0))
    }

    @Test func signExtendsFrom128Bits() {
        #expect(Int256(-1 as Int128).bitPattern == .max)
        #expect(Int256(Int128.min).description == "-170141183460469231731687303715884105728")
        #expect(Int256(Int128.max).description == "170141183460469231731687303715884105727")
    }

    @Test func parsesSignedDecimal() {
        #expect(Int256(minText) == .min)
        #expect(Int256(maxText) == .max)
        #expect(Int256("-0") == .zero)
        #expect(Int256("-42") == -42)
        #expect(Int256("57896044618658097711785492504343953926634992332820282019728792003956564819968") == nil)
        #expect(Int256("-57896044618658097711785492504343953926634992332820282019728792003956564819969") == nil)
        #expect(Int256("--1") == nil)
        #expect(Int256("-") == nil)
        #expect(Int256("+1") == nil)
        #expect(Int256(negative: true, magnitude: .max) == nil)
    }

    @Test func ordersNegativesFirst() {
        #expect(Int256.min < -1)
        #expect(Int256(-2 as Int128) < -1)
        #expect(Int256(-1 as Int128) < 0)
        #expect(Int256.zero < .max)
        #expect(!(Int256.max < .min))
    }

    @Test func checksRangeBySignExtension() {
        #expect(Int256(127 as Int128).fits(bits: 8))
        #expect(!Int256(128 as Int128).fits(bits: 8))
        #expect(Int256(-128 as Int128).fits(bits: 8))
        #expect(!Int256(-129 as Int128).fits(bits: 8))
        #expect(Int256.min.fits(bits: 256))
        #expect(!Int256.min.fits(bits: 248))
    }

    @Test func convertsWithoutWrapping() {
        #expect(Int128(exactly: Int256(Int128.min)) == .min)
        #expect(Int128(exactly: Int256(Int128.max)) == .max)
        #expect(Int128(exactly: Int256("170141183460469231731687303715884105728")!) == nil)
        #expect(Int128(exactly: Int256("-170141183460469231731687303715884105729")!) == nil)
        #expect(UInt128(exactly: Int256(5 as Int128)) == 5)
        #expect(UInt128(exactly: Int256(-5 as Int128)) == nil)
        #expect(UInt128(exactly: Int256.max) == nil)
    }
}
