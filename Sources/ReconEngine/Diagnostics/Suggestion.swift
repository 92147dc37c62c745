/// "did you mean" support: the closest candidate within a small edit distance.
enum Suggestion {
    /// The candidate nearest to `name`, if it is close enough to be a plausible typo.
    /// Names longer than this get no suggestion, and at most `maxCandidates` are compared,
    /// so suggesting stays cheap however large a rules file is.
    static let maxLength = 64
    static let maxCandidates = 2000

    static func closest(to name: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(name.lowercased().unicodeScalars)
        guard target.count <= maxLength else { return nil }
        let limit = max(1, target.count / 3)
        var best: (name: String, distance: Int)?
        for candidate in candidates.prefix(maxCandidates) {
            let other = Array(candidate.lowercased().unicodeScalars)
            guard abs(other.count - target.count) <= limit else { continue }
            let distance = editDistance(target, other)
            if distance <= limit, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// `; did you mean 'x'?` when a candidate is close, otherwise `; expected one of a, b, c`.
    static func hintOrList(for name: String, in candidates: [String], listing what: String = "expected one of") -> String {
        if let suggestion = closest(to: name, in: candidates) { return "; did you mean '\(suggestion)'?" }
        let shown = candidates.prefix(12).joined(separator: ", ")
        return "; \(what) \(shown)" + (candidates.count > 12 ? ", … (\(candidates.count) in all)" : "")
    }

    /// `; did you mean 'x'?` or the empty string.
    static func hint(for name: String, in candidates: some Sequence<String>) -> String {
        closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
