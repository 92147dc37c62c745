import ReconChain
import Testing

struct HexTests {
    func failure(_ text: String, requirePrefix: Bool = true) -> HexError? {
        do {
            _ = try Hex.decode(text, requirePrefix: requirePrefix)
            return nil
        } catch {
            return error
        }
    }

    @Test func encodesLowercaseWithOrWithoutPrefix() {
        #expect(Hex.encode([0x00, 0x0F, 0xA0, 0xFF]) == "0x000fa0ff")
        #expect(Hex.encode([0xDE, 0xAD], prefix: false) == "dead")
        #expect(Hex.encode([]) == "0x")
        #expect(Hex.encode([UInt8]()[...], prefix: false) == "")
    }

    @Test func decodesEitherCase() throws {
        #expect(try Hex.decode("0x000fA0fF") == [0x00, 0x0F, 0xA0, 0xFF])
        #expect(try Hex.decode("0x") == [])
        #expect(try Hex.decode("dead", requirePrefix: false) == [0xDE, 0xAD])
        #expect(try Hex.decode("0xdead", requirePrefix: false) == [0xDE, 0xAD])
        #expect(try Hex.decode("", requirePrefix: false) == [])
    }

    @Test func roundTripsEveryByte() throws {
        let all = (0...255).map { UInt8($0) }
        #expect(try Hex.decode(Hex.encode(all)) == all)
    }

    @Test func refusesAMissingPrefix() {
        #expect(failure("dead") == HexError(.missingPrefix, column: 1, "'dead' does not start with '0x'"))
        #expect(failure("0Xdead")?.kind == .missingPrefix)
    }

    @Test func refusesAnOddLength() {
        #expect(failure("0xabc") == HexError(.oddLength, column: 6, "'0xabc' has an odd number of hex digits (3)"))
        #expect(failure("abc", requirePrefix: false)?.description == "column 4: 'abc' has an odd number of hex digits (3)")
    }

    @Test func refusesANonHexCharacterAtItsColumn() {
        #expect(failure("0xabzd") == HexError(.invalidCharacter, column: 5, "'z' is not a hex digit"))
        #expect(failure("0x ab")?.column == 3)
        #expect(failure("0xab ")?.column == 5)
        #expect(failure("0x0x12")?.description == "column 4: 'x' is not a hex digit")
        #expect(failure("0xéa")?.description == "column 3: 'é' is not a hex digit")
        #expect(failure("0xＡＢ")?.kind == .invalidCharacter)
        #expect(failure("0xab\u{301}c")?.kind == .invalidCharacter)
        // A combining mark on the prefix's 'x' is still not a digit, and its column is the next character's.
        #expect(failure("0x\u{301}ab") == HexError(.invalidCharacter, column: 3, "'\u{301}' is not a hex digit"))
        #expect(failure("zz", requirePrefix: false) == HexError(.invalidCharacter, column: 1, "'z' is not a hex digit"))
    }
}
