/// What every plugin says about itself: its YAML identifier, a one-sentence summary, and
/// examples that pass and fail. The examples double as tests.
public struct PluginDescription<Example: Sendable>: Sendable {
    public var identifier: String
    public var summary: String
    public var passing: [Example]
    public var failing: [Example]

    public init(identifier: String, summary: String, passing: [Example], failing: [Example]) {
        self.identifier = identifier
        self.summary = summary
        self.passing = passing
        self.failing = failing
    }
}

/// One or more problems a plugin found in its parameters, reported as lint diagnostics.
public struct PluginError: Error, Sendable {
    public struct Problem: Sendable {
        public var code: DiagnosticCode
        public var message: String
        /// Where the problem is; `nil` means the plugin's own node.
        public var location: TextLocation?
    }

    public var problems: [Problem]

    public init(_ code: DiagnosticCode, _ message: String, at location: TextLocation? = nil) {
        problems = [Problem(code: code, message: message, location: location)]
    }

    public init(problems: [Problem]) {
        self.problems = problems
    }
}
