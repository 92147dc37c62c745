import ReconChain
import Yams

extension RuleLoader {
    static let deploymentKeys = ["name", "chain_id", "contract", "rpc", "confirmations", "description"]

    /// `deployments:`, a list of `{ name, chain_id, contract, rpc, confirmations? }`: names and chain
    /// ids unique, `rpc` an environment variable's name. `confirmations` is the section's default.
    func loadDeployments(_ node: Node, confirmations: EVMBinding.Finality?, defaultGiven: Bool) -> [EVMBinding.Deployment] {
        let location = PluginParameter.location(of: node, in: file)
        guard case .sequence(let sequence) = node else {
            sink.error(.wrongNodeKind, at: location, "'deployments' of 'evm' must be a list of "
                + "'{ name, chain_id, contract, rpc }' entries, not \(node.kindName)")
            return []
        }
        if sequence.isEmpty {
            sink.error(.invalidValue, at: location, "'deployments' of 'evm' is empty; list at least one, or give one 'contract' instead")
        }
        var deployments: [EVMBinding.Deployment] = []
        var names: [String: TextLocation] = [:]
        var chains: [UInt64: (name: String, location: TextLocation)] = [:]
        for item in sequence {
            guard let entry = MappingReader(item, what: "an entry of 'deployments'", allowed: Self.deploymentKeys, file: file, sink: sink) else { continue }
            _ = entry.scalar("description")
            let name = entry.requiredScalar("name", hint: "name the deployment, such as 'name: mainnet'")
            let what = name.map { "deployment '\($0.value)'" } ?? "an entry of 'deployments'"
            if let name {
                if let first = names[name.value] {
                    sink.error(.duplicateValue, at: name.location, "deployment name '\(name.value)' is used twice (first at line \(first.line)); give each its own")
                } else {
                    names[name.value] = name.location
                }
            }
            var chainId: UInt64?
            if let text = entry.requiredScalar("chain_id", hint: "give the chain's id (eth_chainId), such as 'chain_id: 1'") {
                if let id = UInt64(text.value), id > 0 {
                    chainId = id
                    if let first = chains[id] {
                        sink.error(.duplicateValue, at: text.location, "\(what) has chain id \(id), as deployment '\(first.name)' (line \(first.location.line)) "
                            + "has: the DB key (chain id, stream id) could not tell their streams apart; give one deployment per chain")
                    } else {
                        chains[id] = (name?.value ?? "", text.location)
                    }
                } else {
                    sink.error(.invalidValue, at: text.location, "'chain_id' of \(what) is the chain's id, a whole number from 1 up, not '\(text.value)'")
                }
            }
            let contract = entry.requiredScalar("contract", hint: "give the stream contract's address on that chain, such as 'contract: \"0xAfb9…\"'")
                .flatMap { address($0, what: "'contract' of \(what)") }
            let rpc = entry.requiredScalar("rpc", hint: "name the environment variable that holds the node's URL, such as 'rpc: MAINNET_RPC_URL'")
                .flatMap { checkVariable($0, what: what) }
            var finality = confirmations
            if let own = entry.scalar("confirmations") {
                finality = self.finality(own, what: "'confirmations' of \(what)")
            } else if !defaultGiven {
                sink.error(.missingKey, at: entry.location, "\(what) is missing 'confirmations', and 'evm' gives none; "
                    + "say how many blocks behind the latest to read on that chain, such as 'confirmations: 12', or 'confirmations: finalized'")
            }
            if let name, let chainId, let contract, let rpc, let finality {
                deployments.append(EVMBinding.Deployment(name: name.value, chainId: chainId, contract: contract, rpcVariable: rpc, finality: finality))
            }
        }
        return deployments
    }

    /// The environment variable `rpc` names; nil after reporting a URL or a name no shell could set.
    private func checkVariable(_ rpc: Located<String>, what: String) -> String? {
        let value = rpc.value
        if value.contains("://") || value.contains("/") || value.contains(":") {
            sink.error(.invalidValue, at: rpc.location, "'rpc' of \(what) looks like a URL; it names the environment variable that holds "
                + "the node's URL (node URLs carry API keys, which do not belong in a rules file), such as 'rpc: MAINNET_RPC_URL'")
            return nil
        }
        let isName = value.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } ?? false
            && value.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        guard isName else {
            sink.error(.invalidValue, at: rpc.location, "'rpc' of \(what) names an environment variable: letters, digits and '_', "
                + "not starting with a digit, such as 'rpc: MAINNET_RPC_URL'; not '\(value)'")
            return nil
        }
        return value
    }
}
