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

    static func connect(_ location: PostgresLocation) async throws(SourceError) -> PostgresConnection {
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
            return try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                                                        id: 1, logger: quiet)
        } catch {
            throw describe(error, at: location.displayName, connecting: true)
        }
    }

    /// A query's rows, all of them (callers keep results small: a page is one `FETCH`). Each
    /// query is bounded: past `timeout` the connection is closed and the query fails, and a
    /// connection that closes under a query fails it (postgres-nio can leave such a query
    /// waiting for good). Rows are collected on the event loop, never through the async row
    /// sequence, whose back-pressure state machine traps when the server closes the connection
    /// mid-stream.
    static func rows(_ connection: PostgresConnection, _ query: PostgresQuery, timeout: Duration = .seconds(300)) async throws -> [PostgresRow] {
        guard !connection.isClosed else { throw ConnectionClosed() }
        let loop = connection.eventLoop
        let promise = loop.makePromise(of: [PostgresRow].self)
        let settled = NIOLockedValueBox(false)
        @Sendable func settle(_ result: Result<[PostgresRow], any Error>) {
            guard settled.withLockedValue({ done in defer { done = true }; return !done }) else { return }
            promise.completeWith(result)
        }
        let deadline = loop.scheduleTask(in: .nanoseconds(Int64(timeout / .nanoseconds(1)))) {
            settle(.failure(TimedOut(limit: timeout)))
            connection.close().whenComplete { _ in }
        }
        connection.closeFuture.whenComplete { _ in
            // The query's own error (the server's reason) usually follows at once: give it a moment.
            loop.scheduleTask(in: .seconds(1)) { settle(.failure(ConnectionClosed())) }
        }
        connection.query(query, logger: quiet).whenComplete { result in
            deadline.cancel()
            settle(result.map(\.rows))
        }
        return try await promise.futureResult.get()
    }

    /// Runs a statement, discarding any rows.
    static func execute(_ connection: PostgresConnection, _ query: PostgresQuery) async throws {
        _ = try await rows(connection, query)
    }

    struct ConnectionClosed: Error {}

    struct TimedOut: Error {
        var limit: Duration
    }

    /// Closes `connection` unless it is closed already (closing a closed connection can wait for
    /// good in postgres-nio, as a query on one does).
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
        if let root = location.sslRootCert, location.sslMode == .verifyCA || location.sslMode == .verifyFull {
            tls.trustRoots = .file(root)
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
                : "the server closed the connection")
        case .clientClosedConnection:
            return SourceError(.unreadable, at: location, "the connection was closed")
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
