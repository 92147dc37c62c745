/// Finds YAML anchors (`&name`) before the YAML is composed. Rules files may not use anchors
/// or aliases: Yams hashes mapping keys recursively, so alias-built keys can make composing
/// take exponential time (a "billion laughs"). Without an anchor no alias can resolve, so
/// refusing anchors is enough.
///
/// The scan is deliberately conservative rather than a YAML lexer: any `&` that starts a
/// token (after a line start, blank, `[`, `{`, `,` or `:`) and is followed by a name counts,
/// even inside quotes or comments. Text can always be reworded; a hang cannot be undone.
enum AnchorGuard {
    struct Anchor: Equatable {
        var name: String
        var line: Int
        var column: Int
    }

    private static let before: Set<Unicode.Scalar> = [" ", "\t", "\n", "[", "{", ",", ":"]
    private static let notName: Set<Unicode.Scalar> = [" ", "\t", "\n", ",", "[", "]", "{", "}"]

    /// `text` must use `\n` line breaks.
    static func firstAnchor(in text: String) -> Anchor? {
        var line = 1, column = 0
        var previous: Unicode.Scalar = "\n"
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = scalars.next()
        while let c = pending {
            pending = scalars.next()
            column += 1
            defer {
                if c == "\n" { (line, column) = (line + 1, 0) }
                previous = c
            }
            guard c == "&", before.contains(previous), let next = pending, !notName.contains(next) else { continue }
            var name = String(next)
            var rest = scalars
            while let more = rest.next(), !notName.contains(more), name.unicodeScalars.count < 64 { name.unicodeScalars.append(more) }
            return Anchor(name: name, line: line, column: column)
        }
        return nil
    }
}
