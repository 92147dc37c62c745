import Yams

/// A value from the rules file with the place it was written.
struct Located<Value> {
    var value: Value
    var location: TextLocation
}

/// How serious a finding is. Ordered: `info < warning < critical`.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case info
    case warning
    case critical

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One side of a reconciliation.
public enum Side: String, Sendable, Codable, CaseIterable {
    case db
    case chain
}

/// A rules file as read from YAML, before compilation: names, positions and raw parameters.
struct RuleModel {
    var file: String
    var name: Located<String>?
    /// Where `key:` is written.
    var keyLocation: TextLocation?
    var keyDB: Located<String>?
    /// `key.db` as a list of columns (`[chain_id, stream_id]`, with `evm.deployments`), and where it is written.
    var keyDBColumns: [Located<String>]?
    var keyDBColumnsLocation: TextLocation?
    var keyChain: Located<String>?
    var table: Located<String>?
    /// The table's schema (PostgreSQL); nil: the source's default (`public`).
    var schema: Located<String>?
    /// The column that holds when the app last changed a row (`db.updated_at`), for incremental runs.
    var updatedAt: Located<String>?
    /// The chain side read from an EVM contract, when the rules bind one.
    var evm: EVMModel?
    var fields: [FieldModel] = []
    var invariants: [InvariantModel] = []
}

struct FieldModel {
    var name: Located<String>
    var type: Located<String>?
    var db: Located<String>
    var chain: Located<String>
    /// Whether `chain` was written quoted (a signature's columns then start one further on).
    var chainQuoted: Bool
    /// One comparator, or several bounds that pass when either holds.
    var comparators: [ComparatorModel] = []
    /// `nullable: true`: null is a value of this field.
    var nullable: Bool
    var severity: Severity
    /// Type parameter keys (such as `values`) by name.
    var parameters: [String: PluginParameter]
}

struct ComparatorModel {
    var name: Located<String>
    var parameter: PluginParameter?
}

struct InvariantModel {
    var name: Located<String>
    var sides: [Side]
    var assert: ExpressionText?
    var when: ExpressionText?
    var severity: Severity
}

/// The text of an `assert` or `when` and how to find each of its characters in the file.
struct ExpressionText {
    var text: String
    var file: String
    var source: String
    var mark: Mark
    var style: Node.Scalar.Style

    /// The file position of the expression's character at `offset` (Unicode scalars), following
    /// the scalar through quotes, escapes and line folding.
    func location(ofOffset offset: Int) -> TextLocation {
        let value = Array(text.unicodeScalars)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        var line = mark.line - 1
        var column = mark.column - 1
        switch style {
        case .singleQuoted, .doubleQuoted: column += 1
        case .literal, .folded: (line, column) = (line + 1, 0)
        default: break
        }
        func at(_ line: Int, _ column: Int) -> TextLocation {
            TextLocation(file: file, line: line + 1, column: column + 1)
        }
        var index = 0
        while index < min(offset, value.count) + (offset < value.count ? 1 : 0) {
            let wanted = value[index]
            while line < lines.count {
                let sourceChar: Unicode.Scalar = column < lines[line].count ? lines[line][column] : "\n"
                if style == .doubleQuoted, sourceChar == "\\" {
                    let (decoded, length) = Self.escape(lines[line], at: column)
                    if decoded == wanted { break }
                    if decoded == nil { (line, column) = (line + 1, 0) } else { column += length }
                    continue
                }
                let matches = sourceChar == wanted || (wanted.properties.isWhitespace && sourceChar.properties.isWhitespace)
                if matches { break }
                if column < lines[line].count { column += 1 } else { (line, column) = (line + 1, 0) }
            }
            guard line < lines.count else { return at(lines.count - 1, 0) }
            if index == offset { return at(line, column) }
            column += style == .doubleQuoted && lines[line].indices.contains(column) && lines[line][column] == "\\"
                ? Self.escape(lines[line], at: column).length : 1
            index += 1
        }
        return at(line, column)
    }

    /// The character a double-quoted escape at `column` stands for and how many source characters
    /// it takes; nil for an escaped line break.
    static func escape(_ line: [Unicode.Scalar], at column: Int) -> (Unicode.Scalar?, length: Int) {
        guard column + 1 < line.count else { return (nil, 1) }
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "0": "\0", "a": "\u{07}", "b": "\u{08}", "t": "\t", "\t": "\t", "n": "\n", "v": "\u{0B}", "f": "\u{0C}", "r": "\r",
            "e": "\u{1B}", " ": " ", "\"": "\"", "/": "/", "\\": "\\", "N": "\u{85}", "_": "\u{A0}", "L": "\u{2028}", "P": "\u{2029}",
        ]
        let kind = line[column + 1]
        if let decoded = simple[kind] { return (decoded, 2) }
        let digits = kind == "x" ? 2 : kind == "u" ? 4 : kind == "U" ? 8 : 0
        guard digits > 0, column + 2 + digits <= line.count,
              let value = UInt32(String(String.UnicodeScalarView(line[(column + 2)..<(column + 2 + digits)])), radix: 16)
        else { return (nil, 2) }
        return (Unicode.Scalar(value), 2 + digits)
    }
}
