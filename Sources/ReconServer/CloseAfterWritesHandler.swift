import Logging
import NIOCore

/// Holds a connection's close until the writes queued before it have gone out. When the server
/// shuts down, Hummingbird closes a connection as soon as it has queued the last part of the
/// response in progress, and a close drops whatever the socket has not taken yet: a large
/// report was cut short. Placed between the HTTP codec and Hummingbird's connection handler,
/// this sees every response write and every close; a client that stops reading is closed on
/// anyway after `limit`.
final class CloseAfterWritesHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    private let limit: TimeAmount
    private let logger: Logger
    private var pendingWrites = 0
    private var heldClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?

    init(limit: TimeAmount, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        pendingWrites += 1
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolated().whenComplete { _ in
            self.pendingWrites -= 1
            if self.pendingWrites == 0 { self.releaseClose(context) }
        }
        context.write(data, promise: written)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard pendingWrites > 0, mode != .input else {
            context.close(mode: mode, promise: promise)
            return
        }
        if let held = heldClose {
            // A second close while one is held is answered when the channel closes; a full close
            // replaces a held half close.
            if mode == .all { heldClose = (.all, held.promise) }
            if let promise { context.channel.closeFuture.cascade(to: promise) }
            return
        }
        heldClose = (mode, promise)
        logger.debug("holding a connection's close until its response is sent", metadata: ["pending_writes": "\(pendingWrites)"])
        context.flush()
        context.eventLoop.assumeIsolated().scheduleTask(in: limit) { self.releaseClose(context) }
    }

    private func releaseClose(_ context: ChannelHandlerContext) {
        guard let held = heldClose else { return }
        heldClose = nil
        context.close(mode: held.mode, promise: held.promise)
    }
}
