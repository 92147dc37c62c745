/// A problem in an `assert` or `when` expression, at a character offset (Unicode scalars).
struct ExpressionError: Error {
    /// Nil when the cause was already reported (an expression naming a field that failed to compile).
    var code: DiagnosticCode?
    var message: String
    var offset: Int

    static func syntax(_ message: String, at offset: Int) -> ExpressionError {
        ExpressionError(code: .expressionSyntax, message: message, offset: offset)
    }
}
