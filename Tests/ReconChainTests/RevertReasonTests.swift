import ReconChain
import Testing

struct RevertReasonTests {
    func failure(_ data: [UInt8]) -> String? {
        do {
            _ = try RevertReason(decoding: data)
            return nil
        } catch {
            #expect(error.kind == .malformed)
            return error.message
        }
    }

    @Test func readsAnErrorString() throws {
        let reason = try RevertReason(decoding: RevertReason.errorSelector.bytes + ABIFixtures.errorStringArguments)
        #expect(reason == .error("Stream does not exist"))
        #expect(reason.description == "Error(\"Stream does not exist\")")
        #expect(reason.selector == ABISelector(0x08C3_79A0))
    }

    @Test func readsACustomErrorBySelector() throws {
        let data = Hex.bytes("171cfce0") + UInt256(9 as UInt64).bigEndianBytes
        let reason = try RevertReason(decoding: data)
        #expect(reason == .custom(ABISelector(signature: "SablierV2Lockup_Null(uint256)"), arguments: UInt256(9 as UInt64).bigEndianBytes))
        #expect(reason.description == "custom error 0x171cfce0")
        #expect(reason.selector?.description == "0x171cfce0")
        #expect(try RevertReason(decoding: Hex.bytes("ec74b600")) == .custom(ABISelector(0xEC74_B600), arguments: []))
    }

    @Test func readsAPanicCode() throws {
        let reason = try RevertReason(decoding: RevertReason.panicSelector.bytes + UInt256(0x11 as UInt64).bigEndianBytes)
        #expect(reason == .panic(0x11))
        #expect(reason.description == "Panic(0x11)")
        #expect(reason.selector == ABISelector(signature: "Panic(uint256)"))
        #expect(RevertReason.panic(UInt256(high: 1, low: 2)).description == "Panic(0x100000000000000000000000000000002)")
    }

    @Test func readsNoDataAsAnEmptyRevert() throws {
        #expect(try RevertReason(decoding: []) == .empty)
        #expect(RevertReason.empty.description == "reverted without data")
        #expect(RevertReason.empty.selector == nil)
    }

    @Test func refusesMalformedRevertData() {
        #expect(failure([0x08, 0xC3]) == "revert data is 2 bytes; an error selector takes 4")
        #expect(failure(RevertReason.errorSelector.bytes) == "Error(string) revert data is 0 bytes; a word at byte 0 runs past its end")
        #expect(failure(RevertReason.errorSelector.bytes + ABIFixtures.errorStringArguments.dropLast(32))
            == "Error(string) revert data: the message at byte 32 claims 21 bytes; 0 follow")
        #expect(failure(RevertReason.panicSelector.bytes + [0x11]) == "Panic(uint256) revert data is 1 bytes; a word at byte 0 runs past its end")
        var badUTF8 = ABIFixtures.errorStringArguments
        badUTF8[64] = 0xFF
        #expect(failure(RevertReason.errorSelector.bytes + badUTF8)?.hasPrefix("Error(string) revert message is not valid UTF-8: 0xff74") == true)
    }
}
