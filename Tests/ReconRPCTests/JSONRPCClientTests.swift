import Foundation
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
