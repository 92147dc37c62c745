extension ExpressionCompiler {
    /// "an amount", "a timestamp".
    static func article(_ noun: String) -> String {
        ("aeiou".contains(noun.first ?? "x") ? "an " : "a ") + noun
    }

    /// The common type of two operands of one kind: a literal takes the other side's type.
    private func unify(_ left: Operand, _ right: Operand, _ op: String, offset: Int) throws(ExpressionError) -> FieldType? {
        guard let leftType = left.type else { return right.type }
        guard let rightType = right.type else { return leftType }
        guard leftType.identifier == rightType.identifier, leftType.cases == rightType.cases else {
            throw ExpressionError(code: .typeMismatch,
                                  message: "'\(op)' cannot combine \(left.label) with \(right.label); use values of one type", offset: offset)
        }
        return leftType
    }

    mutating func binary(_ op: Expression.BinaryOperator, _ left: Operand, _ right: Operand, offset: Int) throws(ExpressionError) -> Operand {
        let symbol = op.rawValue
        switch (op, left.eval, right.eval) {
        case (.and, .bool(let l), .bool(let r)):
            return Operand(eval: .bool { record throws(EvaluationError) in
                guard try l(record) else { return false }
                return try r(record)
            }, label: "a condition", offset: offset)
        case (.or, .bool(let l), .bool(let r)):
            return Operand(eval: .bool { record throws(EvaluationError) in
                if try l(record) { return true }
                return try r(record)
            }, label: "a condition", offset: offset)
        case (.and, _, _), (.or, _, _):
            let culprit = if case .bool = left.eval { right } else { left }
            throw ExpressionError(code: .typeMismatch,
                                  message: "'\(symbol)' joins conditions, but \(culprit.label) is \(culprit.typeName); compare it with something", offset: offset)
        case (.plus, .number(let l), .number(let r)), (.minus, .number(let l), .number(let r)):
            let type = try unify(left, right, symbol, offset: offset)
            guard type?.isArithmetic ?? true else {
                throw ExpressionError(code: .typeMismatch, message: "'\(symbol)' needs amounts or integers, not \(type!.identifier) values", offset: offset)
            }
            let isPlus = op == .plus
            return Operand(eval: .number { record throws(EvaluationError) in
                let (a, b) = (try l(record), try r(record))
                let (result, overflow) = isPlus ? a.addingReportingOverflow(b) : a.subtractingReportingOverflow(b)
                guard !overflow else { throw EvaluationError(message: "\(a) \(symbol) \(b) overflows 128 bits") }
                return result
            }, type: type, label: Self.article(type?.identifier ?? "number"), offset: offset)
        case (.plus, _, _), (.minus, _, _):
            let culprit = if case .number = left.eval { right } else { left }
            throw ExpressionError(code: .typeMismatch, message: "'\(symbol)' needs numbers, but \(culprit.label) is \(culprit.typeName)", offset: offset)
        default:
            return try comparison(op, left, right, offset: offset)
        }
    }

    private func comparison(_ op: Expression.BinaryOperator, _ left: Operand, _ right: Operand, offset: Int) throws(ExpressionError) -> Operand {
        let symbol = op.rawValue
        switch (left.eval, right.eval) {
        case (.number(let l), .number(let r)):
            _ = try unify(left, right, symbol, offset: offset)
            let test: @Sendable (Int128, Int128) -> Bool = switch op {
            case .equal: { $0 == $1 }
            case .notEqual: { $0 != $1 }
            case .less: { $0 < $1 }
            case .lessOrEqual: { $0 <= $1 }
            case .greater: { $0 > $1 }
            default: { $0 >= $1 }
            }
            return Operand(eval: .bool { record throws(EvaluationError) in test(try l(record), try r(record)) }, label: "a condition", offset: offset)
        case (.text(let l), .text(let r)) where !op.isOrdering:
            _ = try unify(left, right, symbol, offset: offset)
            try checkEnumLiteral(left, right)
            try checkEnumLiteral(right, left)
            let equal = op == .equal
            return Operand(eval: .bool { record throws(EvaluationError) in (try l(record) == r(record)) == equal }, label: "a condition", offset: offset)
        case (.bool(let l), .bool(let r)) where !op.isOrdering:
            let equal = op == .equal
            return Operand(eval: .bool { record throws(EvaluationError) in (try l(record) == r(record)) == equal }, label: "a condition", offset: offset)
        case (.text, .text), (.bool, .bool):
            throw ExpressionError(code: .typeMismatch,
                                  message: "'\(symbol)' orders numbers and timestamps only; \(left.label) can be compared with == or !=", offset: offset)
        default:
            throw ExpressionError(code: .typeMismatch,
                                  message: "cannot compare \(left.label) with \(right.label); compare values of one type",
                                  offset: offset)
        }
    }

    /// A string literal compared with an enum field must be one of the enum's values.
    private func checkEnumLiteral(_ field: Operand, _ literal: Operand) throws(ExpressionError) {
        guard let cases = field.type?.cases, let text = literal.stringLiteral, !cases.contains(text) else { return }
        throw ExpressionError(code: .unknownEnumValue,
                              message: "'\(text)' is not one of the values of \(field.label)" + Suggestion.hintOrList(for: text, in: cases), offset: literal.offset)
    }

    mutating func call(_ name: String, _ arguments: [Expression], offset: Int) throws(ExpressionError) -> Operand {
        guard let function = registry.function(name) else {
            throw ExpressionError(code: .unknownFunction, message: "unknown function '\(name)'"
                + Suggestion.hintOrList(for: name, in: registry.functionNames, listing: "functions are"), offset: offset)
        }
        guard function.arity.contains(arguments.count) else {
            let expected = function.arity.count == 1 ? "\(function.arity.lowerBound)" : "\(function.arity.lowerBound) to \(function.arity.upperBound)"
            throw ExpressionError(code: .unknownFunction,
                                  message: "'\(name)' takes \(expected) argument\(function.arity.upperBound == 1 ? "" : "s"), not \(arguments.count)", offset: offset)
        }
        var evaluators: [@Sendable (Record) throws(EvaluationError) -> Int128] = []
        var type: FieldType?
        var first: Operand?
        for argument in arguments {
            let operand = try compile(argument)
            guard case .number(let evaluate) = operand.eval, operand.type?.isArithmetic ?? true else {
                throw ExpressionError(code: .typeMismatch, message: "'\(name)' takes amounts or integers, but \(operand.label) is \(operand.typeName)",
                                      offset: operand.offset)
            }
            if let previous = first { type = try unify(previous, operand, name, offset: operand.offset) } else { type = operand.type }
            first = Operand(eval: operand.eval, type: type, label: operand.label, offset: operand.offset)
            evaluators.append(evaluate)
        }
        let all = evaluators
        return Operand(eval: .number { record throws(EvaluationError) in
            var values: [Int128] = []
            values.reserveCapacity(all.count)
            for evaluate in all { values.append(try evaluate(record)) }
            guard let result = function.evaluate(values) else { throw EvaluationError(message: "\(name)(...) overflows 128 bits") }
            return result
        }, type: type, label: "the result of '\(name)'", offset: offset)
    }
}
