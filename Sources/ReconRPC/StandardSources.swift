import ReconSources

extension SourceRegistry {
    /// The built-in sources and the JSON-RPC chain: `--chain http://…` or `https://…` reads the
    /// contract the rules' `evm:` section names.
    public static let standard: SourceRegistry = {
        var registry = SourceRegistry.builtIn
        @Sendable func node(_ location: String) throws(SourceError) -> any ChainSource {
            guard let endpoint = RPCEndpoint(location) else {
                throw SourceError(.unsupported, at: "--chain", "not a usable http(s) URL for a JSON-RPC node")
            }
            return EVMChainSource(endpoint: endpoint)
        }
        registry.chains["http"] = node
        registry.chains["https"] = node
        return registry
    }()
}
