/// A place in a rules file: 1-based line and column (columns count Unicode scalars, as libyaml does).
public struct TextLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

public enum DiagnosticSeverity: String, Sendable, Codable, Comparable {
    case warning
    case error

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs == .warning && rhs == .error }
}

/// One problem found in a rules file, with a stable code and the position of the offending node.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: DiagnosticCode
    public var severity: DiagnosticSeverity
    public var location: TextLocation
    public var message: String

    public init(_ code: DiagnosticCode, _ severity: DiagnosticSeverity = .error, at location: TextLocation, _ message: String) {
        self.code = code
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// By file, line, column, then code.
    public static func positionOrder(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
        (a.location.file, a.location.line, a.location.column, a.code.rawValue) < (b.location.file, b.location.line, b.location.column, b.code.rawValue)
    }

    /// `path:line:col: error[CODE]: message`
    public var description: String {
        "\(location): \(severity.rawValue)[\(code.rawValue)]: \(message)"
    }
}

/// Collects diagnostics while a rules file is loaded and compiled.
final class DiagnosticSink {
    private(set) var diagnostics: [Diagnostic] = []

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    func error(_ code: DiagnosticCode, at location: TextLocation, _ message: String) {
        diagnostics.append(Diagnostic(code, .error, at: location, message))
    }

    func warning(_ code: DiagnosticCode, at location: TextLocation, _ message: String) {
        diagnostics.append(Diagnostic(code, .warning, at: location, message))
    }
}
