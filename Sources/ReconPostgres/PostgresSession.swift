import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import ReconSources

/// Opens connections to a `PostgresLocation`: TLS as its `sslmode` says (as libpq does it),
/// connecting bounded by its `connect_timeout`, and every failure one line that names the
/// location without its password.
enum PostgresSession {
    /// postgres-nio logs nothing through this: errors reach the operator as `SourceError`s.
    static let quiet = Logger(label: "streamrecon.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A connection on `loop` (default: any of the shared group's).
    static func connect(_ location: PostgresLocation, on loop: (any EventLoop)? = nil) async throws(SourceError) -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try tlsMode(location)
        } catch {
            throw SourceError(.unreadable, at: location.displayName, "cannot set up TLS: \(error)")
        }
        var configuration = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                             password: location.password, database: location.database, tls: tls)
        configuration.options.connectTimeout = .nanoseconds(Int64(location.connectTimeout / .nanoseconds(1)))
        configuration.options.additionalStartupParameters = [("application_name", location.applicationName)]
        do {
            return try await PostgresConnection.connect(on: loop ?? MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                                                        id: 1, logger: quiet)
        } catch {
            throw describe(error, at: location.displayName, connecting: true)
        }
    }

    /// A query's rows, all of them (callers keep results small: a page is one `FETCH`). Rows are
    /// collected on the event loop, never through the async row sequence, whose back-pressure
    /// state machine traps when the server closes the connection mid-stream.
    static func rows(_ connection: PostgresConnection, _ query: PostgresQuery, timeout: Duration = .seconds(300),
                     closeOnCancel: Bool = false) async throws -> [PostgresRow] {
        guard !connection.isClosed else { throw ConnectionClosed() }
        return try await bounded(connection, future: connection.query(query, logger: quiet).map(\.rows), timeout: timeout,
                                 closeOnCancel: closeOnCancel)
    }

    /// Runs a statement, discarding any rows.
    static func execute(_ connection: PostgresConnection, _ query: PostgresQuery, timeout: Duration = .seconds(300),
                        closeOnCancel: Bool = false) async throws {
        _ = try await rows(connection, query, timeout: timeout, closeOnCancel: closeOnCancel)
    }

    /// `body`'s result, bounded as `bounded(_:future:…)` bounds a statement's.
    static func bounded<T: Sendable>(_ connection: PostgresConnection, timeout: Duration, closeOnCancel: Bool = false,
                                     _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard !connection.isClosed else { throw ConnectionClosed() }
        let done = connection.eventLoop.makePromise(of: T.self)
        let work = Task {
            do {
                done.succeed(try await body())
            } catch {
                done.fail(error)
            }
        }
        return try await bounded(connection, future: done.futureResult, timeout: timeout, closeOnCancel: closeOnCancel) { work.cancel() }
    }

    /// `future`'s value (a statement sent on `connection`), bounded: past `timeout` the connection
    /// is closed and the call fails; a connection that closes under it fails it (postgres-nio can
    /// leave work on a closed connection waiting for good); with `closeOnCancel`, a cancelled task
    /// closes the connection and fails at once (a source's read; a run store's writes are never
    /// cut short this way). The timeout starts when `start` completes (a statement queued behind
    /// it), else at once. It runs on the connection's event loop, as the statement's completion
    /// does: threads busy elsewhere cannot make a statement look late.
    static func bounded<T: Sendable>(_ connection: PostgresConnection, future: EventLoopFuture<T>, startingAfter start: EventLoopFuture<Void>? = nil,
                                     timeout: Duration, closeOnCancel: Bool = false,
                                     onCancel: @escaping @Sendable () -> Void = {}) async throws -> T {
        let loop = connection.eventLoop
        // The callbacks hold the box, not the promise: a completed promise keeps its value, and a
        // close callback lives as long as the connection.
        let pending = NIOLockedValueBox<EventLoopPromise<T>?>(loop.makePromise(of: T.self))
        let result = pending.withLockedValue { $0!.futureResult }
        /// Settles the call unless it is settled already; whether it did.
        @Sendable func settle(_ outcome: Result<T, any Error>) -> Bool {
            pending.withLockedValue { promise in
                guard let unsettled = promise else { return false }
                promise = nil
                unsettled.completeWith(outcome)
                return true
            }
        }
        let deadline = NIOLockedValueBox<Scheduled<Void>?>(nil)
        @Sendable func arm() {
            let scheduled = loop.scheduleTask(in: .nanoseconds(Int64(timeout / .nanoseconds(1)))) {
                if settle(.failure(TimedOut(limit: timeout))) { connection.close().whenComplete { _ in } }
            }
            deadline.withLockedValue { $0 = scheduled }
            if pending.withLockedValue({ $0 == nil }) { scheduled.cancel() }
        }
        if let start { start.whenComplete { _ in arm() } } else { arm() }
        future.whenComplete { outcome in
            deadline.withLockedValue { $0?.cancel() }
            _ = settle(outcome)
        }
        connection.closeFuture.whenComplete { _ in
            // The call's own error (the server's reason) usually follows at once: give it a moment.
            loop.scheduleTask(in: .seconds(1)) { _ = settle(.failure(ConnectionClosed())) }
        }
        return try await withTaskCancellationHandler {
            try await result.get()
        } onCancel: {
            guard closeOnCancel else { return }
            onCancel()
            _ = settle(.failure(CancellationError()))
            connection.close().whenComplete { _ in }
        }
    }

    struct ConnectionClosed: Error {}

    struct TimedOut: Error {
        var limit: Duration
    }

    /// Closes `connection` unless it is closed already.
    static func close(_ connection: PostgresConnection) async {
        guard !connection.isClosed else { return }
        try? await connection.close()
    }

    /// libpq's modes: `prefer` and `require` encrypt without checking the certificate;
    /// `verify-ca` checks it against the CA; `verify-full` checks the host name too.
    static func tlsMode(_ location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch location.sslMode {
        case .disable: return .disable
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let root = location.sslRootCert {
            tls.trustRoots = .file(root)
            // As libpq: with a root certificate, `require` checks the chain as `verify-ca` does.
            if location.sslMode == .require { tls.certificateVerification = .noHostnameVerification }
        }
        let context = try NIOSSLContext(configuration: tls)
        return location.sslMode == .prefer ? .prefer(context) : .require(context)
    }

    /// One line for a failure: the server's message and SQLSTATE when it sent one, else what
    /// happened to the connection. postgres-nio's own descriptions are generic on purpose.
    static func describe(_ error: any Error, at location: String, connecting: Bool = false) -> SourceError {
        if let error = error as? SourceError { return error }
        if error is ConnectionClosed { return SourceError(.unreadable, at: location, "the connection to the database was lost") }
        if let error = error as? TimedOut {
            return SourceError(.unreadable, at: location, "no answer from the database for \(error.limit.components.seconds) s (read_timeout); the connection was closed")
        }
        if error is CancellationError { return SourceError.stopped(at: location) }
        guard let error = error as? PSQLError else {
            return SourceError(.unreadable, at: location, connecting ? "cannot connect: \(error)" : "\(error)")
        }
        if let server = error.serverInfo, let message = server[.message] {
            let state = server[.sqlState] ?? ""
            let kind: SourceError.Kind = state == "3D000" ? .notFound : state == "42P01" ? .missingTable : .unreadable
            var text = "\(message) (SQLSTATE \(state))"
            switch state {
            case "57014": text += "; a statement_timeout may be set for this role: each statement of a run (a page of the streams table, the duplicate-key scan) must be allowed to finish"
            case "25P03": text += "; an idle_in_transaction_session_timeout ended the run's read transaction"
            case "28P01", "28000": text = "cannot log in: " + text
            case "42501": text += "; docs/operations.md, \"PostgreSQL\", lists the privileges each role needs"
            default: break
            }
            return SourceError(kind, at: location, text)
        }
        switch error.code {
        case .connectionError:
            return SourceError(.unreadable, at: location, "cannot connect: \(error.underlying.map(underlyingText) ?? "connection failed")")
        case .serverClosedConnection, .uncleanShutdown:
            return SourceError(.unreadable, at: location, connecting
                ? "cannot connect: the connection was closed before logging in (is the host reachable, and is it a PostgreSQL server?)"
                : "the connection to the database was lost: the server closed it")
        case .clientClosedConnection:
            // A statement sent while the connection was already closing (the server ended it
            // between statements); streamrecon's own closes (a timeout, a stop) say so first.
            return SourceError(.unreadable, at: location, "the connection to the database was lost")
        case .queryCancelled:
            return SourceError.stopped(at: location)
        case .sslUnsupported:
            return SourceError(.unreadable, at: location, "the server does not support TLS, which sslmode requires")
        case .failedToAddSSLHandler:
            return SourceError(.unreadable, at: location, "cannot start TLS\(error.underlying.map { ": \(underlyingText($0))" } ?? "")")
        case .authMechanismRequiresPassword:
            return SourceError(.unreadable, at: location, "cannot log in: the server asks for a password and none was given (URL or PGPASSWORD)")
        case .unsupportedAuthMechanism:
            return SourceError(.unreadable, at: location, "cannot log in: the server asks for an authentication method streamrecon does not support")
        default:
            return SourceError(.unreadable, at: location, "\(error.code)\(error.underlying.map { ": \(underlyingText($0))" } ?? "")")
        }
    }

    private static func underlyingText(_ error: any Error) -> String {
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        if error is ChannelError, case ChannelError.connectTimeout = error { return "timed out connecting" }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty { return "cannot resolve the host name '\(error.host)'" }
            let reasons = Set(error.connectionErrors.map { failure -> String in
                if let io = failure.error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
                return "\(failure.error)"
            })
            return reasons.isEmpty ? "no address to connect to" : reasons.sorted().joined(separator: "; ")
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return "\(error)"
    }
}
