/// Compiles rules files, once, into a `CompiledRuleSet` through a plugin registry, or into
/// diagnostics saying exactly what to fix.
public struct RulesCompiler: Sendable {
    public var registry: PluginRegistry

    public init(registry: PluginRegistry = .builtIn) {
        self.registry = registry
    }

    /// The rule set (nil when any diagnostic is an error) and every diagnostic.
    public struct Result: Sendable {
        public var ruleSet: CompiledRuleSet?
        public var diagnostics: [Diagnostic]
        /// The text that was compiled, when the file could be read.
        public var source: String?
    }

    /// Reads and compiles the rules file at `path`.
    public func compile(path: String) -> Result {
        let sink = DiagnosticSink()
        guard let text = RulesDocument.read(path: path, sink: sink) else { return Result(ruleSet: nil, diagnostics: sink.diagnostics, source: nil) }
        return compile(yaml: text, file: path, sink: sink)
    }

    /// Compiles rules from YAML text; `file` names it in diagnostics.
    public func compile(yaml: String, file: String) -> Result {
        compile(yaml: yaml, file: file, sink: DiagnosticSink())
    }

    /// Compiles the rules file at `path`, throwing its diagnostics when it has errors.
    public func load(path: String) throws(RulesError) -> CompiledRuleSet {
        let result = compile(path: path)
        guard let ruleSet = result.ruleSet else { throw RulesError(diagnostics: result.diagnostics) }
        return ruleSet
    }

    private func compile(yaml original: String, file: String, sink: DiagnosticSink) -> Result {
        let yaml = RulesDocument.normalized(original)
        guard let (root, parsed) = RulesDocument.parse(yaml, file: file, sink: sink) else {
            return Result(ruleSet: nil, diagnostics: sink.diagnostics, source: original)
        }
        let model = RuleLoader(file: file, source: parsed, registry: registry, sink: sink).load(root)
        let ruleSet = RuleSetBuilder(registry: registry, sink: sink).build(model)
        return Result(ruleSet: sink.hasErrors ? nil : ruleSet, diagnostics: sink.diagnostics.sorted(by: Diagnostic.positionOrder), source: original)
    }
}

/// A rules file that does not compile, with all its diagnostics.
public struct RulesError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
