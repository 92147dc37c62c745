/// One side's typed values, one slot per field in rules-file order (a temporary buffer: applying
/// a rule set allocates no array per record).
typealias Record = UnsafeMutableBufferPointer<Value>

/// Why an invariant could not be evaluated for a record: an arithmetic overflow, or a null
/// read outside an `is null` test (the invariant then does not apply to the record).
struct EvaluationError: Error {
    var message: String
    var isNull = false
}

typealias Predicate = @Sendable (Record) throws(EvaluationError) -> Bool

/// Type-checks an expression tree and turns it into closures over a record's slots.
struct ExpressionCompiler {
    struct FieldSlot {
        var slot: Int
        var type: FieldType
        var nullable = false
    }

    let fields: [String: FieldSlot]
    let registry: PluginRegistry
    /// Fields whose definitions had errors: expressions naming them report nothing more.
    let broken: Set<String>
    /// The slots the compiled expressions read, in first-use order.
    private(set) var referenced: [Int] = []
    /// Nullable fields whose value is read, with the offset of the first read.
    private(set) var nullableReads: [(name: String, offset: Int)] = []
    /// Fields tested with `is null` / `is not null`.
    private(set) var nullTests: Set<String> = []
    /// Problems that do not stop the rules from compiling.
    private(set) var warnings: [ExpressionError] = []

    /// Starts the next expression of the same invariant: offsets of reads restart.
    mutating func beginExpression() {
        nullableReads = []
        warnings = []
    }

    init(fields: [String: FieldSlot], registry: PluginRegistry, broken: Set<String> = []) {
        self.fields = fields
        self.registry = registry
        self.broken = broken
    }

    /// Compiles an expression that must be true or false.
    mutating func compilePredicate(_ text: String) throws(ExpressionError) -> Predicate {
        let tree = try ExpressionParser.parse(text)
        let operand = try compile(tree)
        guard case .bool(let predicate) = operand.eval else {
            throw ExpressionError(code: .typeMismatch, message: "the expression must be true or false, but it is \(operand.label)", offset: 0)
        }
        return predicate
    }

    struct Operand {
        enum Eval {
            case bool(Predicate)
            case number(@Sendable (Record) throws(EvaluationError) -> Int128)
            case text(@Sendable (Record) throws(EvaluationError) -> String)
        }

        var eval: Eval
        /// The field type the value has; nil for a literal, which takes the other operand's type.
        var type: FieldType?
        var label: String
        var stringLiteral: String?
        var offset: Int

        var typeName: String {
            switch eval {
            case .bool: "bool"
            case .number: type?.identifier ?? "number"
            case .text: type?.identifier ?? "string"
            }
        }
    }

    mutating func compile(_ expression: Expression) throws(ExpressionError) -> Operand {
        switch expression {
        case .integer(let value, let offset):
            return Operand(eval: .number { _ throws(EvaluationError) in value }, label: "the number \(value)", offset: offset)
        case .string(let value, let offset):
            return Operand(eval: .text { _ throws(EvaluationError) in value }, label: "the string \"\(value)\"", stringLiteral: value, offset: offset)
        case .bool(let value, let offset):
            return Operand(eval: .bool { _ throws(EvaluationError) in value }, label: "\(value)", offset: offset)
        case .field(let name, let offset):
            return try field(name, offset: offset)
        case .not(let inner, let offset):
            let operand = try compile(inner)
            guard case .bool(let predicate) = operand.eval else {
                throw mismatch("'not' needs true or false, but \(operand.label) is not", at: offset)
            }
            return Operand(eval: .bool { record throws(EvaluationError) in try !predicate(record) }, label: "a condition", offset: offset)
        case .negate(let inner, let offset):
            let operand = try compile(inner)
            guard case .number(let number) = operand.eval, operand.type?.isArithmetic ?? true else {
                throw mismatch("'-' needs an amount or integer, but \(operand.label) is \(operand.typeName)", at: offset)
            }
            return Operand(eval: .number { record throws(EvaluationError) in
                let value = try number(record)
                guard value != .min else { throw EvaluationError(message: "negating \(value) overflows 128 bits") }
                return -value
            }, type: operand.type, label: Self.article(operand.typeName), offset: offset)
        case .binary(let op, let left, let right, let offset):
            return try binary(op, try compile(left), try compile(right), offset: offset)
        case .call(let name, let arguments, let offset):
            return try call(name, arguments, offset: offset)
        case .isNull(let name, let negated, let fieldOffset, let offset):
            return try nullTest(name, negated: negated, fieldOffset: fieldOffset, offset: offset)
        }
    }

    private mutating func nullTest(_ name: String, negated: Bool, fieldOffset: Int, offset: Int) throws(ExpressionError) -> Operand {
        let field = try lookUp(name, offset: fieldOffset)
        nullTests.insert(name)
        if !field.nullable {
            warnings.append(ExpressionError(code: .nullTestNotNullable, message: "field '\(name)' is not nullable, so 'is \(negated ? "not " : "")null' is always "
                + "\(negated ? "true" : "false"); add 'nullable: true' to the field if its values can be null", offset: fieldOffset))
        }
        let slot = field.slot
        return Operand(eval: .bool { record throws(EvaluationError) in
            if case .null = record[slot] { return !negated }
            return negated
        }, label: "a condition", offset: offset)
    }

    private func mismatch(_ message: String, at offset: Int) -> ExpressionError {
        ExpressionError(code: .typeMismatch, message: message, offset: offset)
    }

    /// The field named `name`, recorded as read; an error (with a hint) when there is none.
    private mutating func lookUp(_ name: String, offset: Int) throws(ExpressionError) -> FieldSlot {
        guard let field = fields[name] else {
            if broken.contains(name) { throw ExpressionError(code: nil, message: "", offset: offset) }
            if let owner = fields.keys.sorted().first(where: { fields[$0]!.type.cases?.contains(name) == true }) {
                throw ExpressionError(code: .unknownField, message: "unknown field '\(name)'; did you mean '\(name)'? "
                    + "A value of enum '\(owner)' is quoted: \(owner) == '\(name)'", offset: offset)
            }
            let known = (Array(fields.keys) + broken).sorted()
            throw ExpressionError(code: .unknownField, message: "unknown field '\(name)'"
                + Suggestion.hintOrList(for: name, in: known, listing: "fields are"), offset: offset)
        }
        if !referenced.contains(field.slot) { referenced.append(field.slot) }
        return field
    }

    private mutating func field(_ name: String, offset: Int) throws(ExpressionError) -> Operand {
        let field = try lookUp(name, offset: offset)
        if field.nullable, !nullableReads.contains(where: { $0.name == name }) { nullableReads.append((name, offset)) }
        let slot = field.slot
        let label = "'\(name)' (\(field.type.identifier))"
        let wrongType = EvaluationError(message: "field '\(name)' does not hold \(field.type.identifier) values")
        let null = EvaluationError(message: "field '\(name)' is null", isNull: true)
        switch field.type.kind {
        case .number:
            return Operand(eval: .number { record throws(EvaluationError) in
                guard case .number(let value) = record[slot] else { throw record[slot] == .null ? null : wrongType }
                return value
            }, type: field.type, label: label, offset: offset)
        case .text:
            return Operand(eval: .text { record throws(EvaluationError) in
                guard case .text(let value) = record[slot] else { throw record[slot] == .null ? null : wrongType }
                return value
            }, type: field.type, label: label, offset: offset)
        case .bool:
            return Operand(eval: .bool { record throws(EvaluationError) in
                guard case .bool(let value) = record[slot] else { throw record[slot] == .null ? null : wrongType }
                return value
            }, type: field.type, label: label, offset: offset)
        }
    }
}
