import Foundation

/// Tests that run the real binary against their own copy of the demo app DB.
protocol DemoAppRuns {
    var scratch: RunCommandTests { get }
    /// The app DB, built from Fixtures/demo.sql in the scratch directory.
    var app: String { get }
}

extension RunCommandTests {
    /// A scratch directory and the demo app DB in it.
    static func demoApp() throws -> (scratch: RunCommandTests, app: String) {
        let scratch = try RunCommandTests()
        let sql = try String(contentsOf: scratch.directory.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8)
        return (scratch, try scratch.sqlite("app.sqlite", sql))
    }
}

extension DemoAppRuns {
    /// `streamrecon run --db APP --format json ARGUMENTS`: its exit status, report and standard error.
    func run(_ arguments: [String]) throws -> (status: Int32, report: [String: Any], stderr: String) {
        let output = try scratch.run(["run", "--db", app, "--format", "json"] + arguments)
        return (output.status, try scratch.json(output.stdout), output.stderr)
    }
}
