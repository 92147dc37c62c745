import Foundation

/// Where a report goes: standard output, or a file written atomically (a temporary file in
/// the same directory, renamed over the target when the report is complete).
public final class ReportOutput: Sendable {
    private let handle: FileHandle
    private let target: URL?
    private let temporary: URL?
    /// Whether the output is a terminal that shows colour.
    public let isColorTerminal: Bool

    /// Standard output.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        handle = .standardOutput
        target = nil
        temporary = nil
        isColorTerminal = isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    /// Why an output file cannot be written, checked before any work is done.
    public struct Unwritable: Error, CustomStringConvertible {
        public var description: String
    }

    /// A file, replaced only when `commit()` is called.
    public init(file path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw Unwritable(description: "\(path) is a directory")
        }
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Unwritable(description: "directory \(directory.path) does not exist")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw Unwritable(description: "cannot create a file in \(directory.path) (permission denied?)")
        }
        handle = try FileHandle(forWritingTo: temporary)
        target = url
        self.temporary = temporary
        isColorTerminal = false
    }

    public func write(_ text: String) {
        handle.write(Data(text.utf8))
    }

    public func write(_ data: Data) {
        handle.write(data)
    }

    /// Makes the file appear under its name, whole. Standard output needs nothing.
    public func commit() throws {
        guard let target, let temporary else { return }
        try handle.synchronize()
        try handle.close()
        if rename(temporary.path, target.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    /// Drops a file that will not be completed.
    public func discard() {
        guard let temporary else { return }
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }
}
