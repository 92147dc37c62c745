/// Why a data source could not be read: what failed, where, in words an operator can act on.
/// Never carries credentials.
public struct SourceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The file or database does not exist.
        case notFound = "not-found"
        /// It exists but cannot be opened or read.
        case unreadable
        /// The app DB has no such table.
        case missingTable = "missing-table"
        /// The table has no such column.
        case missingColumn = "missing-column"
        /// The content is not in the expected format.
        case malformed
        /// The location names a kind of source streamrecon does not support.
        case unsupported
        /// The run was stopped (its task cancelled) before this source was read to the end.
        case cancelled
        /// A record changed under the run: its run row was marked aborted by someone else.
        case superseded
    }

    public var kind: Kind
    /// The file, `file:line:column`, or the source's redacted location.
    public var location: String
    public var message: String
    /// The block the chain source had pinned when it failed, if it had: a failed run still
    /// reports the block its error speaks of.
    public var chainBlock: UInt64?

    public init(_ kind: Kind, at location: String, _ message: String, chainBlock: UInt64? = nil) {
        self.kind = kind
        self.location = location
        self.message = message
        self.chainBlock = chainBlock
    }

    public var description: String { "\(location): \(message)" }

    /// A run stopped (its task cancelled) while reading `location`.
    public static func stopped(at location: String) -> SourceError {
        SourceError(.cancelled, at: location, "the run was stopped before it finished")
    }

    /// Throws `stopped(at:)` when the current task is cancelled: a stopped run ends as stopped,
    /// not as whatever read failure the cancellation would cause next.
    public static func checkStopped(at location: String) throws(SourceError) {
        if Task.isCancelled { throw stopped(at: location) }
    }
}
