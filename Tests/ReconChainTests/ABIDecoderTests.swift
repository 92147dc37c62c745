import ReconChain
import Testing

struct ABIDecoderTests {
    /// A word from up to 64 hex digits, left-padded with zeros.
    func word(_ hex: String) -> [UInt8] { Hex.bytes(String(repeating: "0", count: 64 - hex.count) + hex) }

    /// A word from up to 64 hex digits, left-padded with `f`.
    func negativeWord(_ hex: String) -> [UInt8] { Hex.bytes(String(repeating: "f", count: 64 - hex.count) + hex) }

    func decoded(_ data: [UInt8], as type: ABIType) -> ABIValue? { try? ABIDecoder.decodeSingle(data, as: type) }

    func failure(_ data: [UInt8], as type: ABIType) -> ABIError? {
        do {
            _ = try ABIDecoder.decodeSingle(data, as: type)
            return nil
        } catch {
            return error
        }
    }

    @Test func decodesUnsignedIntegersUpToTheirWidth() {
        #expect(decoded(word("2a"), as: .uint128) == .uint(42))
        #expect(decoded(word(String(repeating: "f", count: 32)), as: .uint128) == .uint(UInt256(UInt128.max)))
        #expect(decoded(word("ff"), as: .uint8) == .uint(255))
        #expect(decoded(word(String(repeating: "f", count: 64)), as: .uint256) == .uint(.max))
    }

    @Test func refusesAUint256ThatDoesNotFitTheDeclaredType() {
        // One bit above uint128: an invalid value, never the wrapped-around low half.
        #expect(failure(word("1" + String(repeating: "0", count: 32)), as: .uint128)
            == ABIError(.invalidValue, "value 340282366920938463463374607431768211456 does not fit in uint128"))
        #expect(failure(word("100"), as: .uint8)?.description == "value 256 does not fit in uint8")
        #expect(failure(word("1" + String(repeating: "0", count: 63)), as: .uint(bits: 248))?.kind == .invalidValue)
    }

    @Test func decodesSignedIntegersBySignExtension() {
        #expect(decoded(negativeWord("80"), as: .int(bits: 8)) == .int(-128))
        #expect(decoded(word("7f"), as: .int(bits: 8)) == .int(127))
        #expect(decoded(negativeWord(""), as: .int256) == .int(-1))
        #expect(decoded(negativeWord("8" + String(repeating: "0", count: 31)), as: .int(bits: 128)) == .int(Int256(Int128.min)))
    }

    @Test func refusesSignedWordsThatAreNotSignExtended() {
        #expect(failure(word("80"), as: .int(bits: 8)) == ABIError(.invalidValue, "value 128 does not fit in int8"))
        #expect(failure(negativeWord("7f"), as: .int(bits: 8))?.description == "value -129 does not fit in int8")
        #expect(failure(word("ff"), as: .int(bits: 8))?.description == "value 255 does not fit in int8")
    }

    @Test func decodesAddressesFromTheLow20Bytes() throws {
        #expect(decoded(word("ca11bde05977b3631167028862be2a173976ca11"), as: .address) == .address(knownContract))
        #expect(failure(word("1" + String(repeating: "0", count: 40)), as: .address) == ABIError(.invalidValue,
            "word 0x0000000000000000000000010000000000000000000000000000000000000000 is not an address: its top 12 bytes are not zero"))
    }

    @Test func decodesBoolsAsZeroOrOneOnly() {
        #expect(decoded(word("0"), as: .bool) == .bool(false))
        #expect(decoded(word("1"), as: .bool) == .bool(true))
        #expect(failure(word("2"), as: .bool) == ABIError(.invalidValue, "value 2 is not a bool: it must be 0 or 1"))
        #expect(failure(negativeWord(""), as: .bool)?.kind == .invalidValue)
    }

    @Test func decodesFixedBytesLeftAligned() {
        let data = Hex.bytes("deadbeef" + String(repeating: "0", count: 56))
        #expect(decoded(data, as: .fixedBytes(count: 4)) == .fixedBytes([0xDE, 0xAD, 0xBE, 0xEF]))
        #expect(decoded(data, as: .bytes32) == .fixedBytes(data))
        #expect(failure(data, as: .fixedBytes(count: 3)) == ABIError(.invalidValue,
            "word 0xdeadbeef00000000000000000000000000000000000000000000000000000000 is not a bytes3: its last 29 bytes are not zero"))
    }

    @Test func refusesReturnDataThatIsNotOneWord() {
        #expect(failure([], as: .uint128) == ABIError(.malformed, "return data is 0 bytes; one uint128 takes exactly 32 (is there a contract at that address?)"))
        #expect(failure([UInt8](repeating: 0, count: 31), as: .bool)?.description == "return data is 31 bytes; one bool takes exactly 32")
        #expect(failure([UInt8](repeating: 0, count: 64), as: .uint256)?.description == "return data is 64 bytes; one uint256 takes exactly 32")
    }

    @Test func decodesASingleWordFromAnyCollection() throws {
        #expect(try ABIDecoder.decode(word: word("7")[...], as: .uint8) == .uint(7))
        #expect(throws: ABIError(.malformed, "a word is 32 bytes; got 31")) { try ABIDecoder.decode(word: word("7").dropFirst(), as: .uint8) }
    }

    @Test func viewSignatureNamesItselfInErrors() throws {
        let withdrawn = try ViewSignature(parsing: "getWithdrawnAmount(uint256) returns (uint128)")
        #expect(try withdrawn.decodeResult(word("64")) == .uint(100))
        #expect(throws: ABIError(.invalidValue, "getWithdrawnAmount(uint256): value 340282366920938463463374607431768211456 does not fit in uint128")) {
            try withdrawn.decodeResult(word("1" + String(repeating: "0", count: 32)))
        }
        #expect(throws: ABIError(.malformed, "getWithdrawnAmount(uint256): return data is 0 bytes; one uint128 takes exactly 32 (is there a contract at that address?)")) {
            try withdrawn.decodeResult([])
        }
    }

    @Test func roundTripsEveryStaticTypeThroughTheEncoder() throws {
        let cases: [(ABIValue, ABIType)] = [
            (.uint(.max), .uint256), (.uint(0), .uint8), (.int(.min), .int256), (.int(-1), .int(bits: 16)),
            (.address(otherContract), .address), (.bool(true), .bool), (.fixedBytes([9]), .fixedBytes(count: 1)),
        ]
        for (value, type) in cases {
            #expect(try ABIDecoder.decodeSingle(ABIEncoder.encode(value, as: type), as: type) == value)
        }
    }
}
