import ReconChain
import Testing

struct Multicall3Tests {
    let stream = try! EthereumAddress("0x00000000000000000000000000000000000000aa")
    let withdrawnOf7 = Hex.bytes("d511609f0000000000000000000000000000000000000000000000000000000000000007")

    var calls: [Multicall3.Call] {
        [Multicall3.getBlockNumber(), Multicall3.Call(target: stream, callData: withdrawnOf7)]
    }

    let results = [
        Multicall3.Result(success: true, returnData: UInt256(123 as UInt64).bigEndianBytes),
        Multicall3.Result(success: false, returnData: Hex.bytes("171cfce0") + UInt256(9 as UInt64).bigEndianBytes),
        Multicall3.Result(success: true, returnData: []),
    ]

    func resultFailure(_ data: [UInt8]) -> String? {
        do {
            _ = try Multicall3.decodeAggregate3(data)
            return nil
        } catch {
            #expect(error.kind == .malformed)
            return error.message
        }
    }

    /// `data` with the 32-byte word at `index` replaced by `value`.
    func replacing(word index: Int, in data: [UInt8], with value: UInt256) -> [UInt8] {
        var copy = data
        copy.replaceSubrange((32 * index)..<(32 * index + 32), with: value.bigEndianBytes)
        return copy
    }

    @Test func knowsItsDeployment() {
        #expect(Multicall3.address.checksummed == "0xcA11bde05977b3631167028862bE2a173976CA11")
        #expect(Multicall3.zkSyncEraAddress.checksummed == "0xF9cda624FBC7e059355ce98a31693d299FACd963")
        #expect(Multicall3.aggregate3Selector == ABISelector(signature: "aggregate3((address,bool,bytes)[])"))
        #expect(Multicall3.getBlockNumberSelector == ABISelector(signature: "getBlockNumber()"))
        #expect(Multicall3.getBlockNumber(at: stream).target == stream)
        #expect(!Multicall3.getBlockNumber().allowFailure)
    }

    @Test func encodesCallsAsEthAbiDoes() {
        let calldata = Multicall3.encodeAggregate3(calls)
        #expect(Array(calldata.prefix(4)) == Multicall3.aggregate3Selector.bytes)
        #expect(Array(calldata.dropFirst(4)) == ABIFixtures.aggregate3Arguments)
    }

    @Test func decodesResultsAsEthAbiEncodesThem() throws {
        #expect(try Multicall3.decodeAggregate3(ABIFixtures.aggregate3Result) == results)
        #expect(Multicall3.encodeAggregate3Result(results) == ABIFixtures.aggregate3Result)
    }

    @Test func roundTrips() throws {
        #expect(try Multicall3.decodeAggregate3Call(Multicall3.encodeAggregate3(calls)) == calls)
        #expect(try Multicall3.decodeAggregate3(Multicall3.encodeAggregate3Result(results)) == results)
        #expect(try Multicall3.decodeAggregate3Call(Multicall3.encodeAggregate3([])) == [])
        #expect(try Multicall3.decodeAggregate3(Multicall3.encodeAggregate3Result([])) == [])
        let odd = [Multicall3.Result(success: true, returnData: [UInt8](repeating: 7, count: 33))]
        #expect(try Multicall3.decodeAggregate3(Multicall3.encodeAggregate3Result(odd)) == odd)
    }

    @Test func refusesTruncatedResults() {
        let data = ABIFixtures.aggregate3Result
        #expect(resultFailure([]) == "aggregate3 result is 0 bytes; a word at byte 0 runs past its end")
        #expect(resultFailure(Array(data.prefix(40))) == "aggregate3 result: the array at byte 32 (offset word at byte 0) is past the end of its 40 bytes")
        #expect(resultFailure(Array(data.prefix(64))) == "aggregate3 result: the array at byte 32 claims 3 elements; there is room for 0")
        #expect(resultFailure(Array(data.dropLast(32))) == "aggregate3 result: returnData at byte 512 (offset word at byte 480) is past the end of its 512 bytes")
        #expect(resultFailure(Array(data.dropLast(64))) == "aggregate3 result: element 2 at byte 448 is cut short")
        // Every cut of the data is an error, never a crash.
        for length in 0..<data.count {
            #expect(resultFailure(Array(data.prefix(length))) != nil, "prefix \(length)")
        }
    }

    @Test func refusesOffsetsAndLengthsOutOfRange() {
        let data = ABIFixtures.aggregate3Result
        #expect(resultFailure(replacing(word: 0, in: data, with: .max))
            == "aggregate3 result: offset of the array 115792089237316195423570985008687907853269984665640564039457584007913129639935 at byte 0 is past the end of its 544 bytes")
        #expect(resultFailure(replacing(word: 1, in: data, with: UInt256(high: 1, low: 0)))?.hasPrefix("aggregate3 result: length of the array 3402823") == true)
        #expect(resultFailure(replacing(word: 1, in: data, with: 100)) == "aggregate3 result: the array at byte 32 claims 100 elements; there is room for 15")
        #expect(resultFailure(replacing(word: 2, in: data, with: 480)) == "aggregate3 result: element 0 at byte 544 (offset word at byte 64) is past the end of its 544 bytes")
        #expect(resultFailure(replacing(word: 6, in: data, with: 1000)) == "aggregate3 result: offset of returnData 1000 at byte 192 is past the end of its 544 bytes")
        #expect(resultFailure(replacing(word: 16, in: data, with: 1)) == "aggregate3 result: returnData at byte 512 claims 1 bytes; 0 follow")
    }

    @Test func refusesABoolThatIsNotZeroOrOne() {
        let data = replacing(word: 5, in: ABIFixtures.aggregate3Result, with: 2)
        #expect(throws: ABIError(.invalidValue, "value 2 is not a bool: it must be 0 or 1")) { try Multicall3.decodeAggregate3(data) }
    }

    @Test func refusesElementsThatShareBytes() {
        // 13 elements all pointing at one 416-byte returnData: each is in range, together they claim 13 × 416 bytes.
        var writer = [UInt8]()
        let count = 13
        writer += UInt256(32 as UInt64).bigEndianBytes + UInt256(UInt64(count)).bigEndianBytes
        for _ in 0..<count { writer += UInt256(UInt64(32 * count)).bigEndianBytes }
        writer += UInt256(1 as UInt64).bigEndianBytes + UInt256(64 as UInt64).bigEndianBytes + UInt256(416 as UInt64).bigEndianBytes
        writer += [UInt8](repeating: 0xAA, count: 416)
        #expect(resultFailure(writer) == "aggregate3 result: elements overlap: they claim more bytes than the \(writer.count) there are")
    }

    @Test func refusesMalformedCalldata() throws {
        let calldata = Multicall3.encodeAggregate3(calls)
        #expect(throws: ABIError(.malformed, "calldata does not start with the aggregate3 selector 0x82ad56cb")) {
            try Multicall3.decodeAggregate3Call(Array(calldata.dropFirst()))
        }
        #expect(throws: ABIError.self) { try Multicall3.decodeAggregate3Call(Array(calldata.dropLast(40))) }
        var dirty = calldata
        dirty[4 + 32 * 4] = 1  // the first target's top bytes
        let error = try #require(throws: ABIError.self) { try Multicall3.decodeAggregate3Call(dirty) }
        #expect(error.kind == .invalidValue)
        #expect(error.message.hasSuffix("is not an address: its top 12 bytes are not zero"))
        for length in 4..<(calldata.count - 28) {
            #expect(throws: ABIError.self, "prefix \(length)") { try Multicall3.decodeAggregate3Call(Array(calldata.prefix(length))) }
        }
    }
}
