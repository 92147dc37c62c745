import Foundation
import ReconChain
import ReconEngine
import ReconSources

/// The chain as the rules' `evm.deployments` lay it out: one contract per chain, each read from
/// the node whose URL is in its environment variable, each pinned on its own. DB keys are
/// `CHAINID:KEY` (`key.db: [chain_id, stream_id]`); `KEY` is read as one `evm.contract` reads it.
///
/// A deployment that cannot be read (its node down, another chain behind it, a read failing) does
/// not stop the others: its streams become `source_error` findings naming it, and the run fails.
public struct DeploymentsChainSource: ChainSource {
    public let environment: [String: String]
    public let policy: RPCPolicy
    /// Batches in flight at once, per deployment.
    public let concurrency: Int

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, policy: RPCPolicy = RPCPolicy(), concurrency: Int = 4) {
        self.environment = environment
        self.policy = policy
        self.concurrency = max(1, concurrency)
    }

    public var displayName: String { "evm.deployments" }

    /// Every deployment's node URL is set: a missing one stops the run before it starts.
    public func check(_ query: SourceQuery) throws(SourceError) {
        _ = try nodes(query)
    }

    /// Each deployment with its node, from the environment.
    func nodes(_ query: SourceQuery) throws(SourceError) -> [(deployment: EVMBinding.Deployment, endpoint: RPCEndpoint)] {
        guard let evm = query.evm, !evm.deployments.isEmpty, query.views.allSatisfy({ $0 != nil }) else {
            throw SourceError(.unsupported, at: displayName, "the rules list no 'evm.deployments'; give the chain with --chain (see docs/rules.md)")
        }
        guard query.keyColumns.count == 2 else {
            throw SourceError(.unsupported, at: displayName, "with 'evm.deployments', 'key.db' is two columns, the chain id's and the stream id's")
        }
        if query.changesSince != nil {
            throw SourceError(.unsupported, at: displayName, "an incremental run does not read several deployments yet; run in full")
        }
        var nodes: [(EVMBinding.Deployment, RPCEndpoint)] = []
        for deployment in evm.deployments {
            let variable = deployment.rpcVariable
            let what = "deployment '\(deployment.name)' (chain \(deployment.chainId))"
            guard let url = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !url.isEmpty else {
                throw SourceError(.unsupported, at: displayName, "the environment variable \(variable), which holds the node URL of \(what), "
                    + "is not set or empty; set it (from a secret) to that node's http(s) URL")
            }
            // Never the value: a node URL carries its API key.
            guard let endpoint = RPCEndpoint(url) else {
                throw SourceError(.unsupported, at: displayName, "the environment variable \(variable) of \(what) does not hold an http(s) URL")
            }
            nodes.append((deployment, endpoint))
        }
        return nodes
    }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
        let nodes = try nodes(query)
        let evm = query.evm!
        let parts = await withTaskGroup(of: (Int, DeploymentsChainView.Part).self) { group in
            for (index, node) in nodes.enumerated() {
                var own = query
                own.evm = evm.binding(for: node.deployment)
                own.keyColumns = [query.keyColumns[1]]
                // The run's keys are CHAINID:ID: the deployment's view picks its shard's ids by those.
                own.shardKeyPrefix = "\(node.deployment.chainId):"
                let source = EVMChainSource(endpoint: node.endpoint, policy: policy, concurrency: concurrency)
                group.addTask { (index, await Self.open(node.deployment, source: source, query: own)) }
            }
            var parts: [(Int, DeploymentsChainView.Part)] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.map(\.1)
        }
        // A stopped run ends as stopped, not as deployments that failed.
        try SourceError.checkStopped(at: displayName)
        return DeploymentsChainView(parts: parts)
    }

    /// One deployment's view: its node checked to be on its chain, then pinned; or why not.
    static func open(_ deployment: EVMBinding.Deployment, source: EVMChainSource, query: SourceQuery) async -> DeploymentsChainView.Part {
        let node = NodeReads(client: source.client)
        do throws(SourceError) {
            let chainId = try await node.quantity(RPCCall("eth_chainId"), what: "the chain id")
            guard chainId == deployment.chainId else {
                throw SourceError(.malformed, at: source.displayName, "deployment '\(deployment.name)' is chain \(deployment.chainId) ('chain_id' "
                    + "in the rules), and the node in \(deployment.rpcVariable) answers chain id \(chainId): a node of another chain, or a wrong 'chain_id'")
            }
            return DeploymentsChainView.Part(deployment: deployment, view: try await source.open(query), error: nil)
        } catch {
            return DeploymentsChainView.Part(deployment: deployment, view: nil, error: error)
        }
    }
}
