import Foundation

/// Runs the built `streamrecon` binary, as an operator would, and captures its output.
struct CLIRunner {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The package root: where `Rules/` lives.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    /// The binary beside the test bundle in the build directory.
    static let binary: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("streamrecon").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("streamrecon")
    }()

    /// A started process whose output goes to files in a scratch directory of its own.
    struct Launched {
        var process: Process
        var scratch: URL
        var out: URL
        var err: URL

        /// What it printed, once it has exited; the scratch directory is removed.
        func output() throws -> Output {
            defer { try? FileManager.default.removeItem(at: scratch) }
            return Output(status: process.terminationStatus,
                          stdout: try String(contentsOf: out, encoding: .utf8),
                          stderr: try String(contentsOf: err, encoding: .utf8))
        }
    }

    static func launch(_ arguments: [String], in directory: URL, environment: [String: String]?, standardOutput: FileHandle? = nil) throws -> Launched {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        do {
            process.standardOutput = try standardOutput ?? FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            process.standardInput = FileHandle.nullDevice
            try process.run()
        } catch {
            try? FileManager.default.removeItem(at: scratch)
            throw error
        }
        return Launched(process: process, scratch: scratch, out: out, err: err)
    }

    /// `standardOutput` replaces the captured file (a pipe, `/dev/full`); `stdout` is then empty.
    static func run(_ arguments: [String], in directory: URL = packageRoot, environment: [String: String]? = nil,
                    standardOutput: FileHandle? = nil) throws -> Output {
        let launched = try launch(arguments, in: directory, environment: environment, standardOutput: standardOutput)
        launched.process.waitUntilExit()
        return try launched.output()
    }

    /// `run`, without blocking a thread of the concurrency pool while the process runs: for tests
    /// whose other side (a webhook receiver) runs in this process on that pool.
    static func runAsync(_ arguments: [String], in directory: URL = packageRoot, environment: [String: String]? = nil,
                         started: @escaping @Sendable (Int32) -> Void = { _ in }) async throws -> Output {
        let launched = try launch(arguments, in: directory, environment: environment)
        let process = launched.process
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                try? FileManager.default.removeItem(at: launched.scratch)
            }
        }
        started(process.processIdentifier)
        let deadline = ContinuousClock.now + .seconds(600)
        while process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard !process.isRunning else { throw CLIRunnerTimeout() }
        return try launched.output()
    }
}

struct CLIRunnerTimeout: Error {}
