import Foundation

/// `rules lint`: compiles every rules file under the given paths, touching no data source,
/// and gathers every diagnostic of every file.
public struct Linter: Sendable {
    public var compiler: RulesCompiler

    public init(compiler: RulesCompiler = RulesCompiler()) {
        self.compiler = compiler
    }

    /// A lint path that does not exist: a usage error, not a finding.
    public struct MissingPath: Error, CustomStringConvertible {
        public var path: String
        public init(path: String) { self.path = path }
        public var description: String { "no such file or directory: \(path)" }
    }

    /// Lints the rules files (and rule test files) under `paths`, and the acks file `acks`, if
    /// given, against the fields and rules of every rules file linted.
    public func lint(paths: [String], acks: String? = nil, today: String = AckLoader.today()) throws(MissingPath) -> LintReport {
        var files: [String] = []
        var diagnostics: [Diagnostic] = []
        for path in paths {
            let (found, isDirectory) = try Self.files(at: path)
            if isDirectory, found.isEmpty {
                diagnostics.append(Diagnostic(.noRulesFiles, at: TextLocation(file: path, line: 1, column: 1),
                                              "directory holds no rules files (*.yaml, *.yml)"))
            }
            files += found
        }
        let tests = RuleTestLoader(compiler: compiler)
        var ruleSets: [CompiledRuleSet] = []
        for file in files {
            // A rule test file is checked as one: its keys, its cases, and that its rules compile.
            if RuleTestLoader.isTestFile(file) {
                diagnostics += tests.load(path: file).diagnostics
            } else {
                let compiled = compiler.compile(path: file)
                diagnostics += compiled.diagnostics
                if let ruleSet = compiled.ruleSet { ruleSets.append(ruleSet) }
            }
        }
        if let acks {
            guard FileManager.default.fileExists(atPath: acks) else { throw MissingPath(path: acks) }
            files.append(acks)
            diagnostics += AckLoader().load(path: acks, ruleSets: ruleSets, today: today).diagnostics
        }
        return LintReport(files: files, diagnostics: diagnostics.sorted(by: Diagnostic.positionOrder))
    }

    /// The files a path names: itself, or the `*.yaml` and `*.yml` files below a directory.
    public static func files(at path: String) throws(MissingPath) -> (files: [String], isDirectory: Bool) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw MissingPath(path: path) }
        return isDirectory.boolValue ? (rulesFiles(in: path), true) : ([path], false)
    }

    /// `*.yaml` and `*.yml` files below `directory`, sorted.
    static func rulesFiles(in directory: String) -> [String] {
        let base = URL(fileURLWithPath: directory)
        guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var result: [String] = []
        for case let url as URL in enumerator where ["yaml", "yml"].contains(url.pathExtension) {
            let relative = url.path.hasPrefix(base.path + "/") ? String(url.path.dropFirst(base.path.count + 1)) : url.lastPathComponent
            result.append(directory.hasSuffix("/") ? directory + relative : directory + "/" + relative)
        }
        return result.sorted()
    }
}

/// The outcome of a lint run: the files checked and their diagnostics, sorted by position.
public struct LintReport: Sendable {
    public var files: [String]
    public var diagnostics: [Diagnostic]

    public init(files: [String], diagnostics: [Diagnostic]) {
        self.files = files
        self.diagnostics = diagnostics
    }

    public var errorCount: Int { diagnostics.count { $0.severity == .error } }
    public var warningCount: Int { diagnostics.count { $0.severity == .warning } }
}
