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
        guard evm.deployments.isEmpty else {
            throw SourceError(.unsupported, at: displayName, "the rules list 'evm.deployments', each with its node's URL in an environment "
                + "variable: leave out --chain (see docs/operations.md, \"Several deployments\")")
        }
        return (evm, views)
    }

    private var node: NodeReads { NodeReads(client: client) }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
        let (evm, views) = try binding(query)
        if query.changesSince != nil, evm.events.isEmpty {
            throw SourceError(.unsupported, at: displayName, "an incremental run finds changed streams by the contract's events: list them in 'evm.events' (see docs/rules.md)")
        }
        let pin = try await self.pin(evm.finality)
        guard let block = pin.blockNumber else { throw SourceError(.malformed, at: displayName, "the pinned block has no number") }
        do {
            let scope = try await scope(query.changesSince, evm: evm, block: block)
            return try await open(evm: evm, views: views, at: block, hash: pin.hash.lowercased(), scope: scope, carried: query.changesSince?.carried ?? [],
                                  shard: query.shard, shardKeyPrefix: query.shardKeyPrefix)
        } catch {
            // A failure after pinning still names the block, so the failed run reports it.
            var pinned = error
            pinned.chainBlock = block
            throw pinned
        }
    }

    /// The block every read of the run is at: `latest − confirmations`, or the node's finalized block.
    private func pin(_ finality: EVMBinding.Finality) async throws(SourceError) -> NodeReads.Header {
        switch finality {
        case .finalized:
            return try await node.header("finalized", what: "the finalized block")
        case .depth(let confirmations):
            let latest = try await node.quantity(RPCCall("eth_blockNumber"), what: "the latest block number")
            guard latest >= UInt64(confirmations) else {
                throw SourceError(.malformed, at: displayName, "the chain is at block \(latest), fewer than the \(confirmations) confirmations asked for")
            }
            return try await node.header(NodeReads.tag(latest - UInt64(confirmations)), what: "the pinned block")
        }
    }

    /// What an incremental run reads: the streams the contract's events name after the previous
    /// run's block; every stream when that block is no longer on the chain.
    private func scope(_ window: ChangeWindow?, evm: EVMBinding, block: UInt64) async throws(SourceError) -> ChainScope {
        guard let window else { return .everything(reason: nil) }
        guard block >= window.previousBlock else {
            return .everything(reason: "the pinned block \(block) is below the previous run's \(window.previousBlock) (a node that is behind, or another chain)")
        }
        if let previousHash = window.previousHash {
            let now = try await node.hashes(of: [window.previousBlock])[window.previousBlock]
            guard now == previousHash.lowercased() else {
                return .everything(reason: "the previous run's block \(window.previousBlock) is no longer on the chain (hash \(previousHash), now \(now ?? "none")): "
                    + "a reorganisation deeper than the confirmations")
            }
        }
        let scan = try await LogScanner(node: node, contract: evm.contract, events: evm.events).scan(from: window.previousBlock + 1, to: block)
        return .changed(ChainChanges(fromBlock: window.previousBlock + 1, toBlock: block, keys: Set(scan.ids.map { evm.idPrefix + $0.description }),
                                     logs: scan.logs))
    }

    /// The view at a pinned block: the contract (and Multicall3) checked there, and the count read.
    private func open(evm: EVMBinding, views: [ViewSignature], at block: UInt64, hash: String, scope: ChainScope,
                      carried: Set<String>, shard: Shard?, shardKeyPrefix: String) async throws(SourceError) -> any ChainView {
        let tag = NodeReads.tag(block)
        let code = try await node.hex(RPCCall("eth_getCode", [.string(evm.contract.lowercased), .string(tag)]), what: "the contract's code")
        guard code.count > 2 else {
            throw SourceError(.notFound, at: displayName, "no contract at \(evm.contract.checksummed) at block \(block); check 'evm.contract' and the chain")
        }
        var multicall = false
        if evm.multicall {
            let code = try await node.hex(RPCCall("eth_getCode", [.string(Multicall3.address.lowercased), .string(tag)]), what: "Multicall3's code")
            multicall = code.count > 2
        }
        var count: UInt64?
        if let counter = evm.count, case .everything = scope {
            let data = (try? counter.encodeCall([])) ?? []
            let answer = try await node.hex(RPCCall("eth_call", [.call(to: evm.contract.lowercased, data: Hex.encode(data)), .string(tag)]),
                                            what: "\(counter.name)()")
            guard let bytes = try? Hex.decode(answer), let value = try? counter.decodeResult(bytes), case .uint(let number) = value,
                  let total = UInt64(exactly: number.low), number.high == 0, total <= Self.maximumCount else {
                throw SourceError(.malformed, at: displayName, "\(counter.name)() did not return a stream count up to \(Self.maximumCount)")
            }
            count = total
        }
        return EVMChainView(reader: EVMReader(client: client, contract: evm.contract, views: views, block: tag, multicall: multicall,
                                              batchSize: evm.batchSize, concurrency: concurrency),
                            block: block, blockHash: hash, idPrefix: evm.idPrefix, nextId: count, scope: scope, carried: carried, shard: shard,
                            shardKeyPrefix: shardKeyPrefix)
    }
}
