/// A typed value: what a field's type made of a raw value. Amounts, integers and timestamps
/// are numbers (exact, 128-bit); strings, addresses and enum cases are text.
public enum Value: Sendable, Hashable {
    case number(Int128)
    case text(String)
    case bool(Bool)
}

/// How expressions may use the values of a type.
public enum ValueKind: Sendable, Hashable {
    /// Ordered numbers; `arithmetic` allows `+`, `-` and numeric functions.
    case number(arithmetic: Bool)
    case text
    case bool
}

/// Why a raw value is not a value of its field's type.
public struct InvalidValue: Error, Sendable, Hashable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// Parses one raw value into a typed value.
public typealias ValueParser = @Sendable (RawValue) -> Result<Value, InvalidValue>

/// The compiled type of one field: how to parse, show and use its values.
public struct FieldType: Sendable {
    /// The type's YAML identifier, such as `amount`.
    public var identifier: String
    public var kind: ValueKind
    /// For enumerations: the accepted values, in declaration order.
    public var cases: [String]?
    /// The comparator used when a field names none.
    public var defaultComparator: String
    public var parse: ValueParser
    public var render: @Sendable (Value) -> String

    public init(
        identifier: String,
        kind: ValueKind,
        cases: [String]? = nil,
        defaultComparator: String = "exact",
        parse: @escaping ValueParser,
        render: @escaping @Sendable (Value) -> String
    ) {
        self.identifier = identifier
        self.kind = kind
        self.cases = cases
        self.defaultComparator = defaultComparator
        self.parse = parse
        self.render = render
    }

    var isNumber: Bool { if case .number = kind { true } else { false } }
    var isArithmetic: Bool { kind == .number(arithmetic: true) }
}
