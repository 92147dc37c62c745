import EVMRigSupport
import Foundation
import TestSupport
import Testing

/// `streamrecon run` stopped by a signal at many points of a run against a slow node: it is
/// never left `running`; a stopped run is recorded `aborted` and says so, with exit 3.
@Suite("streamrecon run, stopped by signals")
struct RunSignalTests {
    /// A `run` process against `data`; killed when released, whatever the test's outcome.
    final class RunProcess {
        let process = Process()
        let stderrPath: String

        init(data: RigDemo) throws {
            stderrPath = data.directory.appendingPathComponent("run-\(UUID().uuidString).err").path
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = CLIRunner.binary
            process.arguments = ["run", "--db", data.dbPath, "--chain", data.chain, "--rules", data.rulesPath, "--format", "json"]
            process.currentDirectoryURL = data.directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
            try process.run()
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        func stderr() throws -> String { try String(contentsOfFile: stderrPath, encoding: .utf8) }

        /// Waits until the run is recorded `running`, then sends `signal` after `delay` (from the
        /// watching thread, so the timing does not depend on the test's scheduling); fails at once
        /// if the process ended first. Returns the run's id.
        func signal(_ signal: Int32, whenRecordedIn data: RigDemo, after delay: Duration = .zero) async throws -> String {
            nonisolated(unsafe) let process = process
            let pid = process.processIdentifier, stderrPath = stderrPath
            return try await RunTables.runningRun(at: data.dbPath, abandon: {
                process.isRunning ? nil : "the run ended (status \(process.terminationStatus)) before it was seen running: "
                    + ((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
            }, then: { _ in
                if delay > .zero { Thread.sleep(forTimeInterval: delay / .seconds(1)) }
                kill(pid, signal)
            })
        }

        func waitForExit() async throws {
            let pid = process.processIdentifier
            try await Poll.until("the run (pid \(pid), \(Self.state(pid)), stderr '\((try? stderr()) ?? "")') exiting") { !process.isRunning }
        }

        /// What the kernel says of a process, for a failure message: R, S, Z (exited, not reaped), ….
        static func state(_ pid: Int32) -> String {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return "no such process" }
            return "state " + String(stat[stat.index(close, offsetBy: 2)])
        }
    }

    /// Whatever the point, the process ends and the run table agrees with what it said.
    func expectConsistentEnd(_ run: RunProcess, _ data: RigDemo, signal name: String, point: String) async throws {
        try await run.waitForExit()
        let statuses = try data.runStatuses()
        #expect(!statuses.values.contains("running"), "\(point): a run was left running")
        let stderr = try run.stderr()
        switch (run.process.terminationReason, run.process.terminationStatus) {
        case (.uncaughtSignal, _):
            // Before the handler was installed: nothing had been recorded yet.
            #expect(statuses.isEmpty, "\(point): killed by the signal after recording a run")
        case (.exit, 3) where stderr.contains("before the run started"):
            #expect(stderr == "error: stopped by \(name) before the run started; nothing was recorded\n", "\(point)")
            #expect(statuses.isEmpty, "\(point)")
        case (.exit, 3):
            #expect(stderr.contains("error: stopped by \(name); the run was recorded as aborted (run "), "\(point): \(stderr)")
            #expect(statuses.values.sorted() == ["aborted"], "\(point)")
        case (.exit, let status):
            // The signal came after the run was complete.
            #expect(status == 1, "\(point): \(stderr)")
            #expect(statuses.values.sorted() == ["drift"], "\(point)")
        @unknown default:
            Issue.record("\(point): unknown termination")
        }
    }

    /// Ten points, one after another against one slow node: at once, as soon as the run is
    /// recorded, and every 150 ms after that (a run takes about 1.5 s).
    @Test func sigtermAtTenPointsLeavesNoRunRunning() async throws {
        let rig = try await EVMRig.start(["--delay-ms", "150"])
        var stopped = 0
        for point in 0..<10 {
            let data = try RigDemo(rig: rig)
            let run = try RunProcess(data: data)
            if point == 0 {
                kill(run.process.processIdentifier, SIGTERM)
            } else {
                // Where in the run the signal lands: the time after the run was recorded.
                _ = try await run.signal(SIGTERM, whenRecordedIn: data, after: .milliseconds(150 * (point - 1)))
            }
            do {
                try await expectConsistentEnd(run, data, signal: "SIGTERM", point: "point \(point)")
            } catch {
                Issue.record("point \(point): \(error)")
                throw error
            }
            if run.process.terminationReason == .exit && run.process.terminationStatus == 3 { stopped += 1 }
        }
        #expect(stopped >= 1, "at least the signal right after the run was recorded stopped it")
    }

    /// Two signals in a row (an impatient Ctrl-C Ctrl-C): the process ends at once or after the
    /// first stop is recorded, and either way the run is `aborted`, never `running`, and exit 3.
    @Test func aSecondSignalEndsTheProcessAndTheRunIsAborted() async throws {
        let rig = try await EVMRig.start(["--delay-ms", "400"])
        let data = try RigDemo(rig: rig)
        let run = try RunProcess(data: data)
        let runId = try await run.signal(SIGINT, whenRecordedIn: data)
        kill(run.process.processIdentifier, SIGINT)
        try await run.waitForExit()
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 3)
        let stderr = try run.stderr()
        // Which one depends on where the second signal lands: while the first stop is recorded,
        // while the report is written, or after.
        #expect(stderr == "error: stopped by SIGINT; the run was recorded as aborted (run \(runId))\n"
                || stderr == "error: stopped by a second SIGINT before the run's record was completed; the run was marked aborted\n"
                || stderr == "error: stopped by SIGINT while the report was written; the run was recorded as aborted (run \(runId))\n",
                "\(stderr)")
        #expect(try data.runStatuses() == [runId: "aborted"])
    }

    @Test func sigintSighupAndSigtermDuringARunRecordItAborted() async throws {
        let rig = try await EVMRig.start(["--delay-ms", "400"])
        for (signal, name) in [(SIGINT, "SIGINT"), (SIGHUP, "SIGHUP"), (SIGTERM, "SIGTERM")] {
            let data = try RigDemo(rig: rig)
            let run = try RunProcess(data: data)
            let runId = try await run.signal(signal, whenRecordedIn: data)
            try await run.waitForExit()
            #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 3, "\(name)")
            #expect(try run.stderr() == "error: stopped by \(name); the run was recorded as aborted (run \(runId))\n")
            #expect(try data.runStatuses() == [runId: "aborted"])
        }
    }
}
