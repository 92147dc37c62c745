import ReconChain
import ReconEngine
import ReconSources
import Synchronization

/// One run's view of several deployments, each at its own pinned block. A key `CHAINID:KEY` is
/// looked up as `KEY` in the deployment on chain `CHAINID`; a deployment that could not be opened
/// answers every key `.failed`, naming it.
final class DeploymentsChainView: ChainView {
    struct Part: Sendable {
        let deployment: EVMBinding.Deployment
        let view: (any ChainView)?
        /// Why it could not be opened.
        let error: SourceError?

        var name: String { "deployment '\(deployment.name)' (chain \(deployment.chainId))" }
    }

    let parts: [Part]
    /// The part of each chain id, as the key's text writes it.
    private let byChain: [Substring: Int]
    private let state = Mutex(State())

    private struct State {
        /// The part `unvisited` is listing.
        var unvisitedPart = 0
        /// Each part's problem from `confirmPinned` (a reorganisation), by index.
        var confirmed: [Int: String] = [:]
        /// How many of each part's lookups failed, by index.
        var failedReads: [Int: Int] = [:]
    }

    init(parts: [Part]) {
        self.parts = parts
        byChain = Dictionary(parts.enumerated().map { (Substring(String($0.element.deployment.chainId)), $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    /// Each deployment pins its own block: there is no one block for the run.
    var block: UInt64? { nil }
    var blockHash: String? { nil }

    var deployments: [DeploymentPin] {
        let (confirmed, failedReads) = state.withLock { ($0.confirmed, $0.failedReads) }
        return parts.enumerated().map { index, part in
            let failed = (failedReads[index] ?? 0) + (part.view?.unreadableKeys.count ?? 0)
            let reads = failed == 0 ? nil : "\(failed) of its records could not be read; see the source_error discrepancies"
            return DeploymentPin(name: part.deployment.name, chainId: part.deployment.chainId, chainBlock: part.view?.block ?? part.error?.chainBlock,
                                 chainBlockHash: part.view?.blockHash, error: part.error?.description ?? confirmed[index] ?? reads)
        }
    }

    var duplicateKeys: [(key: String, count: Int)] {
        parts.flatMap { part in (part.view?.duplicateKeys ?? []).map { ("\(part.deployment.chainId):\($0.key)", $0.count) } }
    }

    var unreadableKeys: [(key: String, reason: String)] {
        parts.flatMap { part in (part.view?.unreadableKeys ?? []).map { ("\(part.deployment.chainId):\($0.key)", "\(part.name): \($0.reason)") } }
    }

    func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] {
        var lookups = [ChainLookup](repeating: .missing, count: keys.count)
        var routed = [[(index: Int, key: String)]](repeating: [], count: parts.count)
        for (index, key) in keys.enumerated() {
            guard let colon = key.firstIndex(of: ":"), let part = byChain[key[..<colon]] else {
                let chains = parts.map { String($0.deployment.chainId) }.joined(separator: ", ")
                lookups[index] = .failed("its chain id is none of the rules' deployments (\(chains)); the key is CHAINID:ID")
                continue
            }
            routed[part].append((index, String(key[key.index(after: colon)...])))
        }
        for (index, (part, entries)) in zip(parts, routed).enumerated() where !entries.isEmpty {
            guard let view = part.view else {
                let reason = "\(part.name) could not be read: \(part.error?.description ?? "not opened")"
                for entry in entries { lookups[entry.index] = .failed(reason) }
                continue
            }
            let read = try await view.records(for: entries.map(\.key))
            var failed = 0
            for (entry, lookup) in zip(entries, read) {
                if case .failed(let reason) = lookup {
                    lookups[entry.index] = .failed("\(part.name): \(reason)")
                    failed += 1
                } else {
                    lookups[entry.index] = lookup
                }
            }
            if failed > 0 { state.withLock { $0.failedReads[index, default: 0] += failed } }
        }
        return lookups
    }

    func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] {
        while true {
            let index = state.withLock { $0.unvisitedPart }
            guard index < parts.count else { return [] }
            let part = parts[index]
            let records = try await part.view?.unvisited(limit: limit) ?? []
            if records.isEmpty {
                state.withLock { $0.unvisitedPart = max($0.unvisitedPart, index + 1) }
                continue
            }
            return records.map { SourceRecord(key: "\(part.deployment.chainId):\($0.key)", values: $0.values) }
        }
    }

    /// Every deployment's pinned block still canonical; a deployment that could not be read is
    /// named here too, so the run fails even when the DB has none of its streams.
    func confirmPinned() async -> String? {
        var problems: [String] = []
        for (index, part) in parts.enumerated() {
            guard let view = part.view else {
                problems.append("\(part.name) could not be read, so none of its streams were reconciled: \(part.error?.description ?? "not opened")")
                continue
            }
            if let problem = await view.confirmPinned() {
                state.withLock { $0.confirmed[index] = problem }
                problems.append("\(part.name): \(problem)")
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}
