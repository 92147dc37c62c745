/// A value as a data source read it, before its field's type parses it.
///
/// There is deliberately no floating-point case: a source hands a non-integer number over
/// as its decimal text (`.decimal`), which no exact type accepts.
public enum RawValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case bool(Bool)
    /// A number that is not an integer (an SQLite REAL, a JSON `1.5` or `1e6`), as text.
    case decimal(String)

    /// The value as a report shows it: text as is, numbers in decimal, `nil` for null.
    public var displayText: String? {
        switch self {
        case .null: nil
        case .integer(let value): String(value)
        case .text(let value): value
        case .bool(let value): value ? "true" : "false"
        case .decimal(let value): value
        }
    }
}

extension RawValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}
