import Foundation
import GRDB

/// Which streams change between the incremental benchmark's runs, and what the runs must find:
/// of every 10 changed streams, 9 change on chain (a cancellation or 8 withdrawals), of which
/// the app recorded one in its DB too (caught up: no finding); the 10th changes in the DB only.
struct ChangePlan {
    var onChain: [SyntheticChain.Change] = []
    /// Changed on chain, and updated and stamped in the DB to match.
    var caughtUp: [UInt64] = []
    /// Changed and stamped in the DB only (a deposit the chain never saw).
    var inDBOnly: [UInt64] = []
    /// `stream id:rule` of each mismatch a run that checks every changed stream finds.
    var expectedFindings: Set<String> = []

    var total: Int { onChain.count + inDBOnly.count }

    init(streams: Int, percent: Double, random: inout some RandomNumberGenerator) {
        let count = min(streams, Int((Double(streams) * percent / 100).rounded()))
        var ids = Set<UInt64>()
        while ids.count < count { ids.insert(UInt64.random(in: 1...UInt64(streams), using: &random)) }
        for (index, id) in ids.sorted().shuffled(using: &random).enumerated() {
            switch index % 10 {
            case 9:
                inDBOnly.append(id)
                expectedFindings.insert("\(id):deposited")
            case 8:
                onChain.append(.withdrawal(id: id, amount: 1 + id % 997))
                caughtUp.append(id)
            case 0:
                onChain.append(.cancellation(id: id))
                expectedFindings.insert("\(id):state")
            default:
                onChain.append(.withdrawal(id: id, amount: 1 + id % 997))
                expectedFindings.insert("\(id):withdrawn")
            }
        }
    }

    /// Updates and stamps the DB rows the app changed: the caught-up ones to the chain's values, the others' deposits.
    func writeDatabase(_ path: String, chain: SyntheticChain) throws {
        let now = ISO8601DateFormatter().string(from: Date())
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            let caught = try db.makeStatement(sql: "UPDATE streams SET deposited = ?, withdrawn = ?, state = ?, updated_at = ? WHERE id = ?")
            for id in caughtUp {
                let values = chain.values(id, at: chain.head)
                try caught.execute(arguments: [String(values[0]), String(values[1]), Int(values[2]), now, String(id)])
            }
            let deposit = try db.makeStatement(sql: "UPDATE streams SET deposited = ?, updated_at = ? WHERE id = ?")
            for id in inDBOnly {
                try deposit.execute(arguments: [String(SyntheticChain.initialValues(id)[0] + 1), now, String(id)])
            }
        }
        try queue.close()
    }
}

/// A seeded random number generator (SplitMix64): the same changes every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
