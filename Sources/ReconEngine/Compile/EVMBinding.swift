import ReconChain

/// How the chain side of a rule set is read from an EVM contract: where, at what depth, and
/// (in each field's `view`) with which call. Checked by `rules lint`; read by the JSON-RPC source.
public struct EVMBinding: Sendable {
    /// The contract; with `deployments`, the first deployment's.
    public let contract: EthereumAddress
    /// Which block every read of a run is at; with `deployments`, the first deployment's.
    public let finality: Finality
    /// A DB key is this prefix and the decimal on-chain id.
    public let idPrefix: String
    /// The call that counts streams (ids 1 ..< its result), to find streams missing from the DB.
    public let count: ViewSignature?
    /// Reads per JSON-RPC batch or Multicall3 call.
    public let batchSize: Int
    /// Whether to use Multicall3 when the chain has it.
    public let multicall: Bool
    /// The events whose logs name a changed stream, for incremental runs; empty: none declared.
    public let events: [Event]
    /// `evm.deployments`: the same contract on several chains, each read from its own node; empty
    /// for one `evm.contract`. DB keys are then `CHAINID:KEY` (`key.db` is two columns).
    public let deployments: [Deployment]

    /// One chain the contract is deployed on (an entry of `evm.deployments`).
    public struct Deployment: Sendable, Equatable {
        public let name: String
        public let chainId: UInt64
        public let contract: EthereumAddress
        /// The environment variable that holds the node's URL (never the URL itself).
        public let rpcVariable: String
        /// Its own `confirmations`, else the section's.
        public let finality: Finality

        public init(name: String, chainId: UInt64, contract: EthereumAddress, rpcVariable: String, finality: Finality) {
            self.name = name
            self.chainId = chainId
            self.contract = contract
            self.rpcVariable = rpcVariable
            self.finality = finality
        }
    }

    /// The binding one deployment is read with: its contract and finality, the other settings shared.
    public func binding(for deployment: Deployment) -> EVMBinding {
        EVMBinding(contract: deployment.contract, finality: deployment.finality, idPrefix: idPrefix, count: count, batchSize: batchSize,
                   multicall: multicall, events: events)
    }

    /// The block a run pins.
    public enum Finality: Sendable, Equatable, CustomStringConvertible {
        /// `latest − n`.
        case depth(Int)
        /// The node's finalized block (`eth_getBlockByNumber("finalized")`).
        case finalized

        public var description: String {
            switch self {
            case .depth(let depth): "\(depth) confirmations"
            case .finalized: "the finalized block"
            }
        }
    }

    /// An event that names a stream whose state changed, and where its logs carry the stream id.
    public struct Event: Sendable, Equatable {
        public let signature: EventSignature
        public let id: EventSignature.Position

        public init(signature: EventSignature, id: EventSignature.Position) {
            self.signature = signature
            self.id = id
        }
    }

    public init(contract: EthereumAddress, finality: Finality, idPrefix: String, count: ViewSignature?, batchSize: Int, multicall: Bool,
                events: [Event] = [], deployments: [Deployment] = []) {
        self.deployments = deployments
        self.contract = contract
        self.finality = finality
        self.idPrefix = idPrefix
        self.count = count
        self.batchSize = batchSize
        self.multicall = multicall
        self.events = events
    }
}

/// Which ABI return types can hold each built-in value type. A type not listed (a plugin's own)
/// takes any, read as its text.
enum ViewReturnTypes {
    static func accepts(_ type: ABIType, for valueType: String) -> Bool {
        switch (valueType, type) {
        case ("amount", .uint), ("amount", .int), ("integer", .uint), ("integer", .int), ("timestamp", .uint), ("enum", .uint),
             ("bool", .bool), ("address", .address):
            true
        case ("amount", _), ("integer", _), ("timestamp", _), ("enum", _), ("bool", _), ("address", _):
            false
        default:
            true
        }
    }
}

extension RuleSetBuilder {
    /// The view that reads `field` on chain, checked against the field's type; nil after reporting.
    func compileView(_ field: FieldModel, type: FieldType) -> ViewSignature? {
        guard field.chain.value.contains("(") else {
            sink.error(.invalidView, at: field.chain.location, "field '\(field.name.value)' reads the chain through 'evm': its 'chain' must be "
                + "the view call that reads it, such as 'chain: getWithdrawnAmount(uint256) returns (uint128)'")
            return nil
        }
        guard let view = RuleLoader.view(field.chain, quoted: field.chainQuoted, what: "'chain' of field '\(field.name.value)'", sink: sink) else { return nil }
        guard view.arguments == [.uint256] else {
            sink.error(.invalidView, at: field.chain.location, "'chain' of field '\(field.name.value)' must take the stream id alone, "
                + "as '\(view.name)(uint256)', not '\(view.canonical)'")
            return nil
        }
        guard ViewReturnTypes.accepts(view.returnType, for: type.identifier) else {
            sink.error(.viewTypeMismatch, at: field.chain.location, "'\(view.name)' returns \(view.returnType), which cannot hold "
                + "field '\(field.name.value)' of type '\(type.identifier)'")
            return nil
        }
        return view
    }
}
