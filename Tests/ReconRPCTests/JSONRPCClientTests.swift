import Foundation
import ReconChain
import ReconEngine
@testable import ReconRPC
import Testing

@Suite("JSON-RPC client parsing")
struct JSONRPCClientTests {
    @Test func retryAfterIsWholeSecondsOrAnHTTPDate() {
        #expect(JSONRPCClient.retryAfter("2") == 2)
        #expect(JSONRPCClient.retryAfter(" 0 ") == 0)
        #expect(JSONRPCClient.retryAfter("nan") == nil)
        #expect(JSONRPCClient.retryAfter("-5") == nil)
        #expect(JSONRPCClient.retryAfter("1.5") == nil)
        #expect(JSONRPCClient.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == 0, "a date in the past means now")
        let soon = Date().addingTimeInterval(30)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let wait = JSONRPCClient.retryAfter(formatter.string(from: soon)) ?? -1
        #expect(wait > 25 && wait <= 31)
    }

    @Test func answersAreMatchedByIdNumberOrString() throws {
        let data = Data(#"[{"jsonrpc":"2.0","id":"1","result":"0x01"},{"jsonrpc":"2.0","id":0,"error":{"code":3,"message":"execution reverted","data":"0x171cfce0"}}]"#.utf8)
        let outcomes = try JSONRPCClient.decode(data, count: 2).get()
        #expect(outcomes == [.error(code: 3, message: "execution reverted", data: "0x171cfce0"), .result("0x01")])
        #expect(outcomes[0].isRevert && !outcomes[0].isTransient)
    }

    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":0,"result":"0x1"}"#, 2, "the answer lacks 1 of 2 ids"),
        ("<html>busy</html>", 1, "the answer is not valid JSON"),
        ("[1, 2]", 1, "the answer is not a JSON-RPC response"),
        (#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request"}}"#, 1, "the node answered an error: invalid request"),
    ])
    func unusableAnswersAreProblems(body: String, count: Int, problem: String) {
        guard case .failure(let failure) = JSONRPCClient.decode(Data(body.utf8), count: count) else {
            Issue.record("accepted: \(body)")
            return
        }
        #expect(failure.description == problem)
    }

    @Test func transientNodeErrorsAreToldFromReverts() {
        #expect(RPCOutcome.error(code: -32005, message: "limit exceeded", data: nil).isTransient)
        #expect(RPCOutcome.error(code: -32000, message: "header not found", data: nil).isTransient)
        #expect(RPCOutcome.error(code: -32000, message: "VM execution error.", data: "0x").isRevert)
        #expect(!RPCOutcome.error(code: -32602, message: "invalid argument", data: nil).isTransient)
        #expect(!RPCOutcome.result("0x").isRevert)
    }
}

@Suite("EVM return values")
struct EVMReturnValueTests {
    static let amountRules = """
        version: 1
        name: t
        key: { db: id, chain: id }
        db: { table: streams }
        evm: { contract: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", confirmations: 0 }
        fields:
          deposited: { type: amount, chain: getDepositedAmount(uint256) returns (uint256) }
          small: { type: amount, chain: getSmall(uint256) returns (uint128) }
        """

    @Test func aUint256ThatAnAmountCannotHoldIsAnInvalidValueNeverWrapped() throws {
        let ruleSet = try #require(RulesCompiler().compile(yaml: Self.amountRules, file: "r.yaml").ruleSet)
        let views = ruleSet.fields.compactMap(\.view)
        let huge = UInt256(high: 1, low: 5) // 2^128 + 5
        let raw = EVMReader.raw(huge.bigEndianBytes, as: views[0])
        #expect(raw == .text("340282366920938463463374607431768211461"))
        guard case .failure = ruleSet.fields[0].parseChain(raw) else {
            Issue.record("an amount took 2^128 + 5")
            return
        }
        // Declared uint128 but with high bits set: handed on whole, refused the same way.
        let dirty = EVMReader.raw(huge.bigEndianBytes, as: views[1])
        #expect(dirty == .text("340282366920938463463374607431768211461"))
        // What fits is read exactly, beyond 64 bits.
        let fits = EVMReader.raw(UInt256(UInt128(10) << 70).bigEndianBytes, as: views[0])
        #expect(fits == .text((UInt128(10) << 70).description))
        guard case .success = ruleSet.fields[0].parseChain(fits) else {
            Issue.record("an amount refused 10 << 70")
            return
        }
        var findings: [Finding] = []
        ruleSet.reconcile(streamId: "1", db: [.text("5"), .text("5")], chain: [raw, .text("5")], into: &findings)
        #expect(findings.map(\.kind) == [.invalidValue])
        #expect(findings.first?.side == .chain)
    }
}
