/// One side's typed values, one slot per field in rules-file order (a temporary buffer: applying
/// a rule set allocates no array per record).
typealias Record = UnsafeMutableBufferPointer<Value>

/// Why an invariant could not be evaluated for a record (an arithmetic overflow).
struct EvaluationError: Error {
    var message: String
}

typealias Predicate = @Sendable (Record) throws(EvaluationError) -> Bool

/// Type-checks an expression tree and turns it into closures over a record's slots.
struct ExpressionCompiler {
    struct FieldSlot {
        var slot: Int
        var type: FieldType
    }

    let fields: [String: FieldSlot]
    let registry: PluginRegistry
    /// Fields whose definitions had errors: expressions naming them report nothing more.
    let broken: Set<String>
    /// The slots the compiled expressions read, in first-use order.
    private(set) var referenced: [Int] = []

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
        }
    }

    private func mismatch(_ message: String, at offset: Int) -> ExpressionError {
        ExpressionError(code: .typeMismatch, message: message, offset: offset)
    }

    private mutating func field(_ name: String, offset: Int) throws(ExpressionError) -> Operand {
        guard let field = fields[name] else {
            if broken.contains(name) { throw ExpressionError(code: nil, message: "", offset: offset) }
            let known = (Array(fields.keys) + broken).sorted()
            throw ExpressionError(code: .unknownField, message: "unknown field '\(name)'"
                + Suggestion.hintOrList(for: name, in: known, listing: "fields are"), offset: offset)
        }
        if !referenced.contains(field.slot) { referenced.append(field.slot) }
        let slot = field.slot
        let label = "'\(name)' (\(field.type.identifier))"
        let wrongType = EvaluationError(message: "field '\(name)' does not hold \(field.type.identifier) values")
        switch field.type.kind {
        case .number:
            return Operand(eval: .number { record throws(EvaluationError) in
                guard case .number(let value) = record[slot] else { throw wrongType }
                return value
            }, type: field.type, label: label, offset: offset)
        case .text:
            return Operand(eval: .text { record throws(EvaluationError) in
                guard case .text(let value) = record[slot] else { throw wrongType }
                return value
            }, type: field.type, label: label, offset: offset)
        case .bool:
            return Operand(eval: .bool { record throws(EvaluationError) in
                guard case .bool(let value) = record[slot] else { throw wrongType }
                return value
            }, type: field.type, label: label, offset: offset)
        }
    }
}
