import Foundation
import ReconSources

/// The node calls a run makes besides the views: block numbers, headers and code, each failure a
/// `SourceError` that names what was being read.
struct NodeReads: Sendable {
    let client: JSONRPCClient

    var displayName: String { client.endpoint.displayName }

    /// A block's number and hash.
    struct Header: Sendable, Equatable, Decodable {
        let number: String
        let hash: String

        var blockNumber: UInt64? { NodeReads.quantity(number) }
    }

    func outcome(_ call: RPCCall, what: String) async throws(SourceError) -> RPCOutcome {
        let outcome: RPCOutcome
        do {
            outcome = try await client.send(call)
        } catch {
            throw SourceError(.unreadable, at: displayName, "cannot read \(what): \(error.description)")
        }
        if case .error(let code, let message, _) = outcome {
            throw SourceError(.unreadable, at: displayName, "cannot read \(what): the node answered error \(code): \(message.prefix(120))")
        }
        return outcome
    }

    func hex(_ call: RPCCall, what: String) async throws(SourceError) -> String {
        guard case .result(let value) = try await outcome(call, what: what) else {
            throw SourceError(.malformed, at: displayName, "cannot read \(what): the answer is not a hex string")
        }
        return value
    }

    func quantity(_ call: RPCCall, what: String) async throws(SourceError) -> UInt64 {
        let text = try await hex(call, what: what)
        guard let value = Self.quantity(text) else {
            throw SourceError(.malformed, at: displayName, "\(what) is not a hex quantity: '\(text.prefix(40))'")
        }
        return value
    }

    /// The header of the block a tag or number names (`finalized`, `0x1f`); an error when the node has none.
    func header(_ tag: String, what: String) async throws(SourceError) -> Header {
        let answer = try await outcome(RPCCall("eth_getBlockByNumber", [.string(tag), .bool(false)]), what: what)
        guard case .structured(let data) = answer, let decoded = Self.header(data) else {
            throw SourceError(.malformed, at: displayName, "cannot read \(what): the answer is not a block")
        }
        guard let header = decoded, header.blockNumber != nil, Self.isHash(header.hash) else {
            throw SourceError(.notFound, at: displayName, "cannot read \(what): the node has no such block")
        }
        return header
    }

    /// The canonical hash of each block, a JSON-RPC batch of up to 100 headers at a time.
    func hashes(of blocks: [UInt64]) async throws(SourceError) -> [UInt64: String] {
        var hashes: [UInt64: String] = [:]
        for start in stride(from: 0, to: blocks.count, by: 100) {
            let chunk = Array(blocks[start..<min(start + 100, blocks.count)])
            let outcomes: [RPCOutcome]
            do {
                outcomes = try await client.send(chunk.map { RPCCall("eth_getBlockByNumber", [.string(Self.tag($0)), .bool(false)]) })
            } catch {
                throw SourceError(.unreadable, at: displayName, "cannot read the headers of the blocks with logs: \(error.description)")
            }
            for (block, outcome) in zip(chunk, outcomes) {
                guard case .structured(let data) = outcome, let decoded = Self.header(data), let header = decoded,
                      header.blockNumber == block, Self.isHash(header.hash) else {
                    throw SourceError(.malformed, at: displayName, "cannot read the header of block \(block), which has logs")
                }
                hashes[block] = header.hash.lowercased()
            }
        }
        return hashes
    }

    /// A block object, `.some(nil)` for JSON null (no such block), nil when the JSON is neither.
    static func header(_ data: Data) -> Header?? {
        do {
            return .some(try JSONDecoder().decode(Header?.self, from: data))
        } catch {
            return nil
        }
    }

    static func tag(_ block: UInt64) -> String { "0x" + String(block, radix: 16) }

    static func quantity(_ text: String) -> UInt64? {
        guard text.hasPrefix("0x") else { return nil }
        return UInt64(text.dropFirst(2), radix: 16)
    }

    /// `0x` and 64 hex digits.
    static func isHash(_ text: String) -> Bool {
        text.count == 66 && text.hasPrefix("0x") && text.dropFirst(2).allSatisfy(\.isHexDigit)
    }
}
