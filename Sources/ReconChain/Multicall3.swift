/// Multicall3's `aggregate3((address,bool,bytes)[]) returns ((bool,bytes)[])`: many reads in one `eth_call`, all from one block.
public enum Multicall3 {
    /// Where Multicall3 is deployed on most chains.
    public static let address = try! EthereumAddress("0xcA11bde05977b3631167028862bE2a173976CA11")
    /// Where it is deployed on zkSync Era.
    public static let zkSyncEraAddress = try! EthereumAddress("0xF9cda624FBC7e059355ce98a31693d299FACd963")
    /// `aggregate3((address,bool,bytes)[])`.
    public static let aggregate3Selector = ABISelector(0x82AD_56CB)
    /// `getBlockNumber()`, to record which block a batch read.
    public static let getBlockNumberSelector = ABISelector(0x42CB_B15C)

    /// One read in a batch: a call to `target`; with `allowFailure`, a revert does not sink the batch.
    public struct Call: Sendable, Hashable {
        public var target: EthereumAddress
        public var allowFailure: Bool
        public var callData: [UInt8]

        public init(target: EthereumAddress, allowFailure: Bool = true, callData: [UInt8]) {
            self.target = target
            self.allowFailure = allowFailure
            self.callData = callData
        }
    }

    /// One read's outcome: its return data, or its revert data when `success` is false.
    public struct Result: Sendable, Hashable {
        public var success: Bool
        public var returnData: [UInt8]

        public init(success: Bool, returnData: [UInt8]) {
            self.success = success
            self.returnData = returnData
        }
    }

    /// A call to Multicall3's own `getBlockNumber()` at `multicall`, whose result is the block the batch read.
    public static func getBlockNumber(at multicall: EthereumAddress = address) -> Call {
        Call(target: multicall, allowFailure: false, callData: getBlockNumberSelector.bytes)
    }

    /// Calldata for `aggregate3(calls)`.
    public static func encodeAggregate3(_ calls: [Call]) -> [UInt8] {
        let tuples = calls.map { call in
            (head: [UInt256(bigEndianBytes: call.target.bytes)!, call.allowFailure ? 1 : 0], tail: call.callData)
        }
        var writer = ABIWriter(capacity: 4 + encodedSize(of: tuples))
        writer.append(selector: aggregate3Selector)
        appendTupleArray(tuples, to: &writer)
        return writer.data
    }

    /// The results of `aggregate3` from its return data; malformed data is an `ABIError`, never a crash.
    public static func decodeAggregate3(_ returnData: [UInt8]) throws(ABIError) -> [Result] {
        let reader = ABIReader(data: returnData, subject: "aggregate3 result")
        var results: [Result] = []
        var budget = ByteBudget(reader)
        try readTupleArray(reader, headWords: 1) { (start: Int) throws(ABIError) in
            let success = try reader.bool(at: start)
            let data = try reader.bytes(at: reader.offset(at: start + 32, from: start, "returnData"), "returnData")
            try budget.spend(data.count)
            results.append(Result(success: success, returnData: data))
        }
        return results
    }

    /// The calls in `aggregate3` calldata, selector included: what a node or a test double receives.
    public static func decodeAggregate3Call(_ callData: [UInt8]) throws(ABIError) -> [Call] {
        guard ABISelector(prefixOf: callData) == aggregate3Selector else {
            throw ABIError(.malformed, "calldata does not start with the aggregate3 selector \(aggregate3Selector)")
        }
        let reader = ABIReader(data: Array(callData.dropFirst(4)), subject: "aggregate3 calldata")
        var calls: [Call] = []
        var budget = ByteBudget(reader)
        try readTupleArray(reader, headWords: 2) { (start: Int) throws(ABIError) in
            let target = try reader.address(at: start)
            let allowFailure = try reader.bool(at: start + 32)
            let data = try reader.bytes(at: reader.offset(at: start + 64, from: start, "callData"), "callData")
            try budget.spend(data.count)
            calls.append(Call(target: target, allowFailure: allowFailure, callData: data))
        }
        return calls
    }

    /// Return data for `aggregate3`: what a node or a test double answers.
    public static func encodeAggregate3Result(_ results: [Result]) -> [UInt8] {
        let tuples = results.map { (head: [$0.success ? 1 : 0 as UInt256], tail: $0.returnData) }
        var writer = ABIWriter(capacity: encodedSize(of: tuples))
        appendTupleArray(tuples, to: &writer)
        return writer.data
    }

    /// `T[]` as the sole argument, where each T is static head words followed by one `bytes`: offset, count, element offsets, elements.
    private static func appendTupleArray(_ tuples: [(head: [UInt256], tail: [UInt8])], to writer: inout ABIWriter) {
        writer.append(32)
        writer.append(tuples.count)
        var offset = 32 * tuples.count
        for tuple in tuples {
            writer.append(offset)
            offset += tupleSize(tuple)
        }
        for tuple in tuples {
            for word in tuple.head { writer.append(word: word) }
            writer.append(32 * (tuple.head.count + 1))
            writer.append(bytes: tuple.tail)
        }
    }

    /// The bytes of one tuple: its head words, the offset word, the length word, the padded bytes.
    private static func tupleSize(_ tuple: (head: [UInt256], tail: [UInt8])) -> Int {
        32 * (tuple.head.count + 2) + tuple.tail.count + ABIWriter.padding(tuple.tail.count)
    }

    /// The bytes `appendTupleArray` writes.
    private static func encodedSize(of tuples: [(head: [UInt256], tail: [UInt8])]) -> Int {
        64 + tuples.reduce(0) { $0 + 32 + tupleSize($1) }
    }

    /// Walks a `T[]` sole return value, handing `element` the byte position of each tuple.
    private static func readTupleArray(_ reader: ABIReader, headWords: Int, element: (Int) throws(ABIError) -> Void) throws(ABIError) {
        let arrayStart = try reader.offset(at: 0, from: 0, "the array")
        let count = try reader.count(at: arrayStart, "the array")
        let base = arrayStart + 32
        for index in 0..<count {
            let start = try reader.offset(at: base + 32 * index, from: base, "element \(index)")
            guard reader.data.count - start >= 32 * (headWords + 1) else {
                throw ABIError(.malformed, "\(reader.subject): element \(index) at byte \(start) is cut short")
            }
            try element(start)
        }
    }

    /// Caps the bytes decoded from an array at the size of the data: honest elements never share bytes, so more means
    /// offsets that overlap, which could otherwise turn a small answer into a huge allocation.
    private struct ByteBudget {
        let reader: ABIReader
        var left: Int

        init(_ reader: ABIReader) {
            self.reader = reader
            left = reader.data.count
        }

        mutating func spend(_ count: Int) throws(ABIError) {
            left -= count
            guard left >= 0 else {
                throw ABIError(.malformed, "\(reader.subject): elements overlap: they claim more bytes than the \(reader.data.count) there are")
            }
        }
    }
}
