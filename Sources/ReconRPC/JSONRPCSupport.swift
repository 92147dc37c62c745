import ReconSources

/// The JSON-RPC chain: `--chain http://…` or `https://…` reads the contract the rules' `evm:` section names.
public enum JSONRPCSupport {
    public static func register(in sources: inout SourceRegistry) {
        @Sendable func node(_ location: String) throws(SourceError) -> any ChainSource {
            guard let endpoint = RPCEndpoint(location) else {
                throw SourceError(.unsupported, at: "--chain", "not a usable http(s) URL for a JSON-RPC node")
            }
            return EVMChainSource(endpoint: endpoint)
        }
        sources.register(chains: ["http", "https"], node)
        // Rules with `evm.deployments` name each node's URL in an environment variable: no --chain.
        sources.deployments = { DeploymentsChainSource() }
    }
}
