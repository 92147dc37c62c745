import Foundation
import TestSupport
import Testing

@Suite("serve: shutdown")
struct ServerShutdownTests {
    @Test func aRunInProgressFinishesWithinTheGracePeriod() async throws {
        let gate = Gate()
        try await ServerHarness.with(gate: gate) { server in
            async let answer = server.post()
            let runId = try await server.runInProgress()
            async let drained: Void = server.server.coordinator.shutdown(grace: .seconds(30))
            // While it drains, a new run is refused.
            try await server.logged("shutting down: waiting for the run in progress")
            let refused = try await server.post(json: #"{"dryRun":true}"#)
            #expect(refused.status == 503)
            #expect(try refused.json()["error"] as? String == "the server is shutting down and starts no new run")
            await gate.open()
            await drained
            let response = try await answer
            #expect(response.status == 200)
            #expect(try response.json()["runId"] as? String == runId)
            #expect(try server.recordedRuns() == [runId: "drift"])
        }
    }

    @Test func aRunThatOutlastsTheGracePeriodIsRecordedAbortedNeverLeftRunning() async throws {
        let gate = Gate() // never opened: the run is stuck before it reads the chain
        try await ServerHarness.with(gate: gate) { server in
            async let answer = server.post()
            let runId = try await server.runRecorded()
            #expect(try await server.runInProgress() == runId)
            await server.server.coordinator.shutdown(grace: .milliseconds(100), stopWait: .milliseconds(100))
            let response = try await answer
            #expect(response.status == 503)
            let body = try response.json()
            #expect(body["runId"] as? String == runId)
            #expect(body["error"] as? String == "the server is shutting down; the run was stopped and recorded as aborted")
            #expect(try server.recordedRuns() == [runId: "aborted"])
            #expect(server.logs.entries.contains { $0["message"] == "run aborted at shutdown" && $0["run_id"] == runId })
            #expect(await server.server.coordinator.runningId == nil)
        }
    }

    @Test func aCancelledDrainGivesUpOnTheRunAtOnce() async throws {
        let gate = Gate()
        try await ServerHarness.with(gate: gate) { server in
            async let answer = server.post()
            let runId = try await server.runRecorded()
            let start = ContinuousClock.now
            let drain = Task { await server.server.coordinator.shutdown(grace: .seconds(60), stopWait: .seconds(60)) }
            drain.cancel()
            await drain.value
            #expect(ContinuousClock.now - start < .seconds(30), "well under the 60 s grace")
            let response = try await answer
            #expect(response.status == 503)
            #expect(try server.recordedRuns() == [runId: "aborted"])
        }
    }

    @Test func aCancelledRunStopsBetweenPagesAndRecordsItselfAborted() async throws {
        let gate = Gate()
        try await ServerHarness.with(gate: gate) { server in
            async let answer = server.post()
            let runId = try await server.runRecorded()
            try await Poll.until("the run at the gate") { await gate.arrivals > 0 }
            #expect(await gate.arrivals == 1)
            // The run is stopped while it waits at the gate; let it go on, and it stops at its first read.
            async let drained: Void = server.server.coordinator.shutdown(grace: .zero, stopWait: .seconds(30))
            try await server.logged("the run did not finish in the grace period; stopping it")
            await gate.open()
            await drained
            let response = try await answer
            #expect(response.status == 503)
            #expect(try response.json()["runId"] as? String == runId)
            #expect(try server.recordedRuns() == [runId: "aborted"])
            #expect(server.logs.entries.contains { $0["message"] == "run finished" && $0["status"] == "aborted" && $0["run_id"] == runId })
        }
    }
}
