import Foundation
import ReconChain
import ReconEngine
import ReconSources

/// Reads every view of a set of stream ids at one block, in batches.
struct EVMReader: Sendable {
    let client: JSONRPCClient
    let contract: EthereumAddress
    let views: [ViewSignature]
    let block: String
    let multicall: Bool
    let batchSize: Int
    let concurrency: Int

    /// One view call's answer.
    enum Answer: Sendable {
        case returned([UInt8])
        case reverted
        case failed(String)
    }

    /// The record of each id: its raw values, `.missing` when every view reverted (an id that
    /// does not exist), `.failed` when a read got no answer after the retries.
    func read(_ ids: [UInt256]) async -> [ChainLookup] {
        let calls: [[UInt8]] = ids.flatMap { id in views.map { (try? $0.encodeCall([.uint(id)])) ?? [] } }
        let answers = await answer(calls)
        return ids.indices.map { index in
            let own = answers[(index * views.count)..<((index + 1) * views.count)]
            if let failure = own.lazy.compactMap({ if case .failed(let reason) = $0 { reason } else { nil } }).first {
                return .failed(failure)
            }
            let reverted = zip(views, own).filter { if case .reverted = $1 { true } else { false } }.map(\.0.name)
            if reverted.count == views.count { return .missing }
            // Some views answered and some reverted: not an id that does not exist; say which.
            if !reverted.isEmpty { return .failed("\(reverted.joined(separator: ", ")) reverted while the other views answered") }
            var values: [RawValue] = []
            for (view, answer) in zip(views, own) {
                guard case .returned(let data) = answer, data.count == 32 else {
                    let count = if case .returned(let data) = answer { data.count } else { 0 }
                    return .failed("\(view.name) returned \(count) bytes, not one 32-byte word (is the contract address right?)")
                }
                values.append(Self.raw(data, as: view))
            }
            return .record(values)
        }
    }

    /// A returned value as the engine reads it; a value that does not fit the declared type is
    /// handed on as its full number, for the field's type to refuse (never wrapped).
    static func raw(_ data: [UInt8], as view: ViewSignature) -> RawValue {
        do {
            switch try view.decodeResult(data) {
            case .uint(let value): return .text(value.description)
            case .int(let value): return .text(value.description)
            case .address(let address): return .text(address.checksummed)
            case .bool(let value): return .bool(value)
            case .fixedBytes(let bytes): return .text(Hex.encode(bytes))
            }
        } catch {
            guard data.count == 32, let word = UInt256(bigEndianBytes: data) else { return .null }
            return .text(word.description)
        }
    }

    /// Answers every call, a batch at a time, at most `concurrency` batches in flight.
    private func answer(_ calls: [[UInt8]]) async -> [Answer] {
        let chunks = stride(from: 0, to: calls.count, by: batchSize).map { $0..<min($0 + batchSize, calls.count) }
        var answers = [Answer](repeating: .failed("not read"), count: calls.count)
        await withTaskGroup(of: (Range<Int>, [Answer]).self) { group in
            var next = 0
            func start() {
                guard next < chunks.count else { return }
                let range = chunks[next]
                next += 1
                let slice = Array(calls[range])
                group.addTask { (range, await batch(slice)) }
            }
            for _ in 0..<concurrency { start() }
            for await (range, result) in group {
                answers.replaceSubrange(range, with: result)
                start()
            }
        }
        return answers
    }

    private func batch(_ calls: [[UInt8]]) async -> [Answer] {
        let to = contract.lowercased
        if multicall {
            let data = Multicall3.encodeAggregate3(calls.map { Multicall3.Call(target: contract, allowFailure: true, callData: $0) })
            let outcome: RPCOutcome
            do {
                outcome = try await client.send(RPCCall("eth_call", [.call(to: Multicall3.address.lowercased, data: Hex.encode(data)), .string(block)]))
            } catch {
                return Array(repeating: .failed(error.description), count: calls.count)
            }
            guard case .result(let hex) = outcome, let bytes = try? Hex.decode(hex), let results = try? Multicall3.decodeAggregate3(bytes),
                  results.count == calls.count else {
                return Array(repeating: .failed("Multicall3 aggregate3 gave no usable answer"), count: calls.count)
            }
            return results.map { $0.success ? .returned($0.returnData) : .reverted }
        }
        let outcomes: [RPCOutcome]
        do {
            outcomes = try await client.send(calls.map { RPCCall("eth_call", [.call(to: to, data: Hex.encode($0)), .string(block)]) })
        } catch {
            return Array(repeating: .failed(error.description), count: calls.count)
        }
        return outcomes.map { outcome in
            switch outcome {
            case .result(let hex): (try? Hex.decode(hex)).map { .returned($0) } ?? .failed("an eth_call result is not hex")
            case .structured: .failed("an eth_call result is not hex")
            case .error where outcome.isRevert: .reverted
            case .error(let code, let message, _): .failed("the node answered error \(code): \(message.prefix(120))")
            }
        }
    }
}
