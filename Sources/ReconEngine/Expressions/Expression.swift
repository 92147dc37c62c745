/// The syntax tree of an `assert` or `when` expression. Offsets point at the token that
/// names the node (the operator of a binary node), in Unicode scalars.
indirect enum Expression {
    enum BinaryOperator: String {
        case or, and
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case plus = "+", minus = "-"

        var isComparison: Bool { [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual].contains(self) }
        var isOrdering: Bool { [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(self) }
    }

    case integer(Int128, offset: Int)
    case string(String, offset: Int)
    case bool(Bool, offset: Int)
    case field(String, offset: Int)
    case not(Expression, offset: Int)
    case negate(Expression, offset: Int)
    case binary(BinaryOperator, Expression, Expression, offset: Int)
    case call(String, [Expression], offset: Int)
    /// `FIELD is null` (`negated`: `is not null`); the offset is that of `is`.
    case isNull(String, negated: Bool, fieldOffset: Int, offset: Int)
}
