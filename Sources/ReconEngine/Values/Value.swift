/// A typed value: what a field's type made of a raw value. Amounts, integers and timestamps
/// are numbers (exact, 128-bit); strings, addresses and enum cases are text. `null` only
/// for a field declared `nullable: true`.
public enum Value: Sendable, Hashable {
    case number(Int128)
    case text(String)
    case bool(Bool)
    case null
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
    /// Parses the DB side's raw values.
    public var parse: ValueParser
    /// Parses the chain side's raw values: `parse` unless the type reads the sides differently
    /// (an amount with `decimals` on one side only).
    public var chainParse: ValueParser
    public var render: @Sendable (Value) -> String
    /// The unit a difference is counted in, for messages (`seconds`); nil when it has none.
    public var unit: String?

    public init(
        identifier: String,
        kind: ValueKind,
        cases: [String]? = nil,
        defaultComparator: String = "exact",
        unit: String? = nil,
        parse: @escaping ValueParser,
        chainParse: ValueParser? = nil,
        render: @escaping @Sendable (Value) -> String
    ) {
        self.identifier = identifier
        self.kind = kind
        self.cases = cases
        self.defaultComparator = defaultComparator
        self.unit = unit
        self.parse = parse
        // Not `??`: through its generic operands the parser would come back wrapped in a thunk.
        if let chainParse { self.chainParse = chainParse } else { self.chainParse = parse }
        self.render = render
    }

    var isNumber: Bool { if case .number = kind { true } else { false } }
    var isArithmetic: Bool { kind == .number(arithmetic: true) }
}
