import ReconChain
import Yams

/// The `evm:` section: the chain side is read from a contract's view calls over JSON-RPC.
struct EVMModel {
    var contract: EthereumAddress?
    var finality: EVMBinding.Finality?
    /// A DB key is this prefix and the decimal on-chain id (`stream_` for `stream_12`); empty by default.
    var idPrefix: String
    /// The call that counts streams, when on-chain ids run from 1 up to its result minus one.
    var count: ViewSignature?
    var batchSize: Int
    var multicall: Bool
    /// The events that name a changed stream (incremental runs).
    var events: [EVMBinding.Event] = []
    /// `deployments:`, when the section lists them instead of one `contract`; nil otherwise.
    var deployments: [EVMBinding.Deployment]?
    var location: TextLocation
}

extension RuleLoader {
    static let evmKeys = ["contract", "deployments", "confirmations", "id_prefix", "count", "batch_size", "multicall", "events", "description"]

    func loadEVM(_ node: Node) -> EVMModel? {
        guard let evm = MappingReader(node, what: "'evm'", allowed: Self.evmKeys, file: file, sink: sink) else { return nil }
        _ = evm.scalar("description")
        var model = EVMModel(idPrefix: evm.scalar("id_prefix")?.value ?? "", batchSize: 100, multicall: true, location: evm.location)
        let deployments = evm.node("deployments")
        if deployments == nil, let contract = evm.requiredScalar("contract", hint: "give the stream contract's address, such as "
            + "'contract: \"0xAfb9…\"', or list the chains it is on in 'deployments'") {
            model.contract = address(contract, what: "'contract' of 'evm'")
        } else if deployments != nil, let contract = evm.location(ofKey: "contract") {
            sink.error(.invalidValue, at: contract, "'contract' and 'deployments' of 'evm' exclude each other: "
                + "give one contract, or list each chain in 'deployments' with its own 'contract'")
        }
        let confirmations = deployments == nil
            ? evm.requiredScalar("confirmations", hint: "say how many blocks behind the latest to read, such as 'confirmations: 12', or 'confirmations: finalized'")
            : evm.scalar("confirmations")
        if let confirmations { model.finality = finality(confirmations, what: "'confirmations' of 'evm'") }
        if let deployments {
            model.deployments = loadDeployments(deployments, confirmations: model.finality, defaultGiven: confirmations != nil)
        }
        model.batchSize = integer(evm, "batch_size", in: 1...512, required: nil) ?? 100
        if let multicall = evm.scalar("multicall") {
            switch multicall.value {
            case "auto": model.multicall = true
            case "off": model.multicall = false
            default: sink.error(.invalidValue, at: multicall.location, "'multicall' of 'evm' is 'auto' (use Multicall3 when the chain has it) or 'off'")
            }
        }
        if let count = evm.scalar("count"), let quoted = evm.node("count").map(Self.isQuoted) {
            if let signature = Self.view(count, quoted: quoted, what: "'count' of 'evm'", sink: sink) {
                if !signature.arguments.isEmpty {
                    sink.error(.invalidView, at: count.location, "'count' of 'evm' must take no arguments, such as 'nextStreamId() returns (uint256)'")
                } else if case .uint = signature.returnType {
                    model.count = signature
                } else {
                    sink.error(.viewTypeMismatch, at: count.location, "'count' of 'evm' returns \(signature.returnType); it must return an unsigned integer (uintN)")
                }
            }
        }
        if let events = evm.node("events") {
            model.events = loadEvents(events)
        }
        return model
    }

    /// `events:`, a list of `{ event: "Name(type indexed name, …)", id: name }`.
    private func loadEvents(_ node: Node) -> [EVMBinding.Event] {
        guard case .sequence(let sequence) = node else {
            sink.error(.wrongNodeKind, at: PluginParameter.location(of: node, in: file),
                       "'events' of 'evm' must be a list of '{ event: Signature(…), id: parameter }' entries, not \(node.kindName)")
            return []
        }
        var events: [EVMBinding.Event] = []
        for item in sequence {
            guard let entry = MappingReader(item, what: "an entry of 'events'", allowed: ["event", "id"], file: file, sink: sink),
                  let text = entry.requiredScalar("event", hint: "give the event's Solidity signature, such as 'event: RenounceLockupStream(uint256 indexed streamId)'"),
                  let id = entry.requiredScalar("id", hint: "name the parameter that holds the stream id, such as 'id: streamId'"),
                  let quoted = entry.node("event").map(Self.isQuoted) else { continue }
            let signature: EventSignature
            do {
                signature = try EventSignature(parsing: text.value)
            } catch {
                var location = text.location
                if !text.value.contains("\n") { location.column += error.column - 1 + (quoted ? 1 : 0) }
                sink.error(.invalidEvent, at: location, "'event' of an 'events' entry: \(error.message)")
                continue
            }
            guard let position = signature.position(of: id.value) else {
                let names = signature.parameters.map(\.name).filter { !$0.isEmpty }
                sink.error(.invalidEvent, at: id.location, "'\(id.value)' is not a parameter of \(signature.name); "
                    + (names.isEmpty ? "name the parameters in the signature" : "its parameters are \(names.joined(separator: ", "))"))
                continue
            }
            guard case .uint = signature.parameters.first(where: { $0.name == id.value })?.type else {
                sink.error(.invalidEvent, at: id.location, "'\(id.value)' of \(signature.name) is not an unsigned integer (uintN), so it cannot hold a stream id")
                continue
            }
            if let first = events.first(where: { $0.signature.topic0 == signature.topic0 }) {
                sink.error(.duplicateKey, at: text.location, "\(signature.canonical) is listed twice in 'events' (as \(first.signature.name) too); keep one")
                continue
            }
            events.append(EVMBinding.Event(signature: signature, id: position))
        }
        if events.isEmpty, sequence.isEmpty {
            sink.error(.invalidValue, at: PluginParameter.location(of: node, in: file), "'events' of 'evm' is empty; list the events that change a stream, or leave 'events' out")
        }
        return events
    }

    func address(_ text: Located<String>, what: String) -> EthereumAddress? {
        do {
            return try EthereumAddress(text.value)
        } catch {
            sink.error(.invalidContract, at: text.location, "\(what): \(error.message)")
            return nil
        }
    }

    /// `confirmations: 12` or `confirmations: finalized`; nil after reporting.
    func finality(_ text: Located<String>, what: String) -> EVMBinding.Finality? {
        if text.value == "finalized" { return .finalized }
        if let depth = Int(text.value), (0...100_000).contains(depth) { return .depth(depth) }
        sink.error(.invalidValue, at: text.location, "\(what) is a whole number of blocks from 0 to 100000, or 'finalized', not '\(text.value)'")
        return nil
    }

    /// Parses a view signature, reporting a parse error at its own column in the file.
    static func view(_ text: Located<String>, quoted: Bool, what: String, sink: DiagnosticSink) -> ViewSignature? {
        do {
            return try ViewSignature(parsing: text.value)
        } catch {
            var location = text.location
            if !text.value.contains("\n") { location.column += error.column - 1 + (quoted ? 1 : 0) }
            sink.error(.invalidView, at: location, "\(what): \(error.message)")
            return nil
        }
    }

    private func integer(_ reader: MappingReader, _ key: String, in range: ClosedRange<Int>, required hint: String?) -> Int? {
        let text = hint.map { reader.requiredScalar(key, hint: $0) } ?? reader.scalar(key)
        guard let text else { return nil }
        guard let value = Int(text.value), range.contains(value) else {
            sink.error(.invalidValue, at: text.location, "'\(key)' of 'evm' must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text.value)'")
            return nil
        }
        return value
    }
}
