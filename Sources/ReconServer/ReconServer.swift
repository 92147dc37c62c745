import Hummingbird
import Logging
import NIOCore
import Reconciliation
import ServiceLifecycle
import UnixSignals

/// `streamrecon serve`: the internal HTTP endpoint (docs/operations.md, "The internal HTTP endpoint") as one service group: the HTTP
/// server, and the run coordinator, which on SIGTERM/SIGINT is shut down first so that a run in
/// progress finishes (or is recorded `aborted`) before the server stops answering.
public struct ReconServer: Sendable {
    public let configuration: ServerConfiguration
    public let metrics: ServerMetrics
    public let coordinator: RunCoordinator
    private let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        metrics = ServerMetrics()
        coordinator = RunCoordinator(configuration: configuration, metrics: metrics, logger: logger)
    }

    /// Serves until one of `signals` arrives or the calling task is cancelled. `onListening`
    /// gets the bound port (useful with port 0).
    public func run(signals: [UnixSignal] = [.sigterm, .sigint], onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        // The last-run metrics start from the run tables, not empty, so that alerts on them survive a restart.
        if let history = try? configuration.runStore(), let latest = try? await history.latest() {
            metrics.restore(latest)
        }
        let router = Router()
        router.middlewares.add(AccessLogMiddleware())
        ReconciliationRoutes(configuration: configuration, coordinator: coordinator, metrics: metrics).add(to: router)
        let logger = logger
        let idleTimeout = TimeAmount.nanoseconds(Int64(configuration.idleTimeout / .nanoseconds(1)))
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [CloseAfterWritesHandler(limit: idleTimeout, logger: logger), UnreadableRequestHandler()],
                                                idleTimeout: idleTimeout)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "streamrecon"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("listening", metadata: ["address": .string("\(channel.localAddress?.ipAddress ?? "?"):\(port)")])
                await onListening(port)
            },
            logger: logger
        )
        var group = ServiceGroupConfiguration(
            services: [.init(service: app), .init(service: RunDrain(coordinator: coordinator, grace: configuration.shutdownGrace, logger: logger))],
            gracefulShutdownSignals: signals,
            logger: logger
        )
        // A last resort: the drain gives up on a run after the grace period and a little more.
        group.maximumGracefulShutdownDuration = configuration.shutdownGrace + .seconds(15)
        try await ServiceGroup(configuration: group).run()
        logger.notice("stopped")
    }
}

/// Waits for the graceful shutdown signal, then drains the run coordinator.
private struct RunDrain: Service {
    let coordinator: RunCoordinator
    let grace: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.notice("shutting down")
        await coordinator.shutdown(grace: grace)
    }
}
