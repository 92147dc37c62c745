import Foundation
import ReconChain
import ReconEngine
import ReconSources

/// The chain read from an EVM contract over JSON-RPC, as the rules' `evm:` section binds it:
/// every read of a run at one pinned block (latest − confirmations), in JSON-RPC batches or
/// Multicall3 `aggregate3` calls of `batch_size` reads, a few batches at a time.
public struct EVMChainSource: ChainSource {
    public let client: JSONRPCClient
    /// Batches in flight at once.
    public let concurrency: Int

    public init(endpoint: RPCEndpoint, policy: RPCPolicy = RPCPolicy(), concurrency: Int = 4) {
        client = JSONRPCClient(endpoint: endpoint, policy: policy)
        self.concurrency = max(1, concurrency)
    }

    public var displayName: String { client.endpoint.displayName }

    /// The most streams a count call may announce: more is a wrong call, not a contract.
    static let maximumCount: UInt64 = 100_000_000

    public func check(_ query: SourceQuery) throws(SourceError) {
        _ = try binding(query)
    }

    /// The rules' `evm` section and every field's view; refused when the rules have none.
    private func binding(_ query: SourceQuery) throws(SourceError) -> (evm: EVMBinding, views: [ViewSignature]) {
        let views = query.views.compactMap { $0 }
        guard let evm = query.evm, views.count == query.views.count else {
            throw SourceError(.unsupported, at: displayName, "reading the chain over JSON-RPC needs an 'evm' section in the rules (see docs/rules.md)")
        }
        return (evm, views)
    }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
        let (evm, views) = try binding(query)
        let latest = try await quantity(RPCCall("eth_blockNumber"), what: "the latest block number")
        guard latest >= UInt64(evm.confirmations) else {
            throw SourceError(.malformed, at: displayName, "the chain is at block \(latest), fewer than the \(evm.confirmations) confirmations asked for")
        }
        let block = latest - UInt64(evm.confirmations)
        do {
            return try await open(evm: evm, views: views, at: block, query: query)
        } catch {
            // A failure after pinning still names the block, so the failed run reports it.
            var pinned = error
            pinned.chainBlock = block
            throw pinned
        }
    }

    /// The view at a pinned block: the contract (and Multicall3) checked there, and the count read.
    private func open(evm: EVMBinding, views: [ViewSignature], at block: UInt64, query: SourceQuery) async throws(SourceError) -> any ChainView {
        let tag = "0x" + String(block, radix: 16)
        let code = try await hex(RPCCall("eth_getCode", [.string(evm.contract.lowercased), .string(tag)]), what: "the contract's code")
        guard code.count > 2 else {
            throw SourceError(.notFound, at: displayName, "no contract at \(evm.contract.checksummed) at block \(block); check 'evm.contract' and the chain")
        }
        var multicall = false
        if evm.multicall {
            let code = try await hex(RPCCall("eth_getCode", [.string(Multicall3.address.lowercased), .string(tag)]), what: "Multicall3's code")
            multicall = code.count > 2
        }
        var count: UInt64?
        if let counter = evm.count {
            let data = (try? counter.encodeCall([])) ?? []
            let answer = try await hex(RPCCall("eth_call", [.call(to: evm.contract.lowercased, data: Hex.encode(data)), .string(tag)]),
                                       what: "\(counter.name)()")
            guard let bytes = try? Hex.decode(answer), let value = try? counter.decodeResult(bytes), case .uint(let number) = value,
                  let total = UInt64(exactly: number.low), number.high == 0, total <= Self.maximumCount else {
                throw SourceError(.malformed, at: displayName, "\(counter.name)() did not return a stream count up to \(Self.maximumCount)")
            }
            count = total
        }
        return EVMChainView(reader: EVMReader(client: client, contract: evm.contract, views: views, block: tag, multicall: multicall,
                                              batchSize: evm.batchSize, concurrency: concurrency),
                            block: block, idPrefix: evm.idPrefix, nextId: count, shard: query.shard)
    }

    private func hex(_ call: RPCCall, what: String) async throws(SourceError) -> String {
        let outcome: RPCOutcome
        do {
            outcome = try await client.send(call)
        } catch {
            throw SourceError(.unreadable, at: displayName, "cannot read \(what): \(error.description)")
        }
        guard case .result(let value) = outcome else {
            if case .error(let code, let message, _) = outcome {
                throw SourceError(.unreadable, at: displayName, "cannot read \(what): the node answered error \(code): \(message.prefix(120))")
            }
            throw SourceError(.unreadable, at: displayName, "cannot read \(what)")
        }
        return value
    }

    private func quantity(_ call: RPCCall, what: String) async throws(SourceError) -> UInt64 {
        let text = try await hex(call, what: what)
        guard text.hasPrefix("0x"), let value = UInt64(text.dropFirst(2), radix: 16) else {
            throw SourceError(.malformed, at: displayName, "\(what) is not a hex quantity: '\(text.prefix(40))'")
        }
        return value
    }
}
