import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ReconEngine
import ReconSources
import Reconciliation

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
}

/// The routes of the internal endpoint (docs/operations.md, "The internal HTTP endpoint").
struct ReconciliationRoutes {
    let configuration: ServerConfiguration
    let coordinator: RunCoordinator
    let metrics: ServerMetrics

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("healthz") { _, _ in
            APIResponse.json(.ok, ["status": "ok"])
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        let api = router.group("api/internal/reconciliation").add(middleware: ServiceAuthMiddleware<Context>(tokens: configuration.tokens))
        api.post { request, context in try await startRun(request, context: context) }
        api.get("runs/latest") { _, context in await latestRun(context: context) }
        // Another method on a route that exists is 405 with the one it takes, not 404.
        for method: HTTPRequest.Method in [.get, .put, .patch, .delete] {
            api.on("", method: method) { _, _ in Self.methodNotAllowed(allow: "POST") }
        }
        for method: HTTPRequest.Method in [.post, .put, .patch, .delete] {
            api.on("runs/latest", method: method) { _, _ in Self.methodNotAllowed(allow: "GET") }
        }
    }

    static func methodNotAllowed(allow: String) -> Response {
        var response = APIResponse.error(.methodNotAllowed, "this route takes \(allow) only")
        response.headers[.allow] = allow
        return response
    }

    private func startRun(_ request: Request, context: some RequestContext) async throws -> Response {
        var request = request
        let tooLarge = APIResponse.error(.contentTooLarge, "the request body is over \(configuration.maxBodyBytes / 1024) KiB")
        // A declared length over the limit is refused before any of the body is read.
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > configuration.maxBodyBytes {
            return tooLarge
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return tooLarge
        }
        let runRequest: RunRequest
        do {
            let query = request.uri.queryParameters.map { (key: String($0.key), value: String($0.value)) }
            runRequest = try RunRequest.parse(body: Data(body.readableBytesView), query: query)
        } catch {
            return APIResponse.error(.badRequest, error.description)
        }
        // A retried trigger sends the same Idempotency-Key: a run with it is never run twice.
        let runKey = request.headers[values: .idempotencyKey]
        if runKey.count > 1 { return APIResponse.error(.badRequest, "Idempotency-Key is given more than once") }
        if let key = runKey.first {
            if let problem = RunKey.problem(key) { return APIResponse.error(.badRequest, "Idempotency-Key: \(problem)") }
            if runRequest.dryRun { return APIResponse.error(.badRequest, "Idempotency-Key applies to recorded runs; a dry run records nothing") }
        }
        // A shard's run is recorded under the logical run's key with the shard's suffix, as from the CLI.
        let storedKey = runKey.first.map { RunKey.stored($0, shard: runRequest.shard) }
        switch await coordinator.run(dryRun: runRequest.dryRun, runKey: storedKey, shard: runRequest.shard, incremental: runRequest.incremental,
                                     samplePercent: runRequest.samplePercent, logger: context.logger) {
        case .finished(let report) where report.status == .aborted:
            return APIResponse.error(.serviceUnavailable, "the server is shutting down; the run was stopped and recorded as aborted",
                                     runId: report.runId)
        case .finished(let report):
            return APIResponse.json(.ok, data: report.json())
        case .busy(let running):
            return APIResponse.error(.conflict, running.runId == nil ? running.description : "a reconciliation run is already in progress",
                                     runId: running.runId)
        case .rulesInvalid(let error):
            // The rules, or the acks file read with them.
            let acks = configuration.acksPath.flatMap { path in error.diagnostics.contains { $0.location.file == path } ? path : nil }
            let lint = LintFormat.json.render(LintReport(files: [acks ?? configuration.rulesPath], diagnostics: error.diagnostics))
            let message = acks.map { "the acks file \($0) has errors; nothing was run" }
                ?? "the rules file \(configuration.rulesPath) does not compile; nothing was run"
            let body = "{\"error\":\(String(decoding: (try? JSONEncoder().encode(message)) ?? Data(), as: UTF8.self)),\"lint\":\(lint)}"
            return APIResponse.json(.unprocessableContent, data: Data(body.utf8))
        case .unavailable(let reason):
            return APIResponse.error(.serviceUnavailable, reason)
        case .shuttingDown:
            return APIResponse.error(.serviceUnavailable, "the server is shutting down and starts no new run")
        case .aborted(let runId, recorded: true):
            return APIResponse.error(.serviceUnavailable, "the server is shutting down; the run was stopped and recorded as aborted",
                                     runId: runId)
        case .aborted(let runId, recorded: false):
            return APIResponse.error(.serviceUnavailable,
                                     "the server is shutting down; the run was stopped before it answered; its record says how it ended",
                                     runId: runId)
        }
    }

    struct LatestRun: Encodable {
        var run: RunRecord
        var discrepancies: [DiscrepancyRecord]
    }

    private func latestRun(context: some RequestContext) async -> Response {
        do {
            let history = try configuration.runStore()
            guard let latest = try await history.latest(), let shown = try await history.show(id: latest.id) else {
                return APIResponse.error(.notFound, "no run has been recorded yet")
            }
            return APIResponse.json(.ok, LatestRun(run: shown.run, discrepancies: shown.discrepancies))
        } catch where error.kind == .missingTable {
            return APIResponse.error(.notFound, "no run has been recorded yet")
        } catch {
            context.logger.error("cannot read the run records", metadata: ["error": .string(error.description)])
            return APIResponse.error(.serviceUnavailable, "cannot read the run records: \(error.description)")
        }
    }
}
