import Foundation

/// Where a report goes: standard output, or a file written atomically (a temporary file in
/// the same directory, renamed over the target when the report is complete). Every write
/// error (a full disk, a closed pipe) is thrown as a `WriteFailure`, never a crash.
public final class ReportOutput: Sendable {
    private let handle: FileHandle
    private let target: URL?
    private let temporary: URL?
    private let inputs: [Input]
    /// Whether the output is a terminal that shows colour.
    public let isColorTerminal: Bool

    /// Standard output.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        handle = .standardOutput
        target = nil
        temporary = nil
        inputs = []
        isColorTerminal = isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    /// Why an output file cannot be written, checked before any work is done.
    public struct Unwritable: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A write that failed: where, and the system's reason.
    public struct WriteFailure: Error, Sendable, CustomStringConvertible {
        public var target: String
        public var reason: String
        public var description: String { "cannot write the report to \(target): \(reason)" }
    }

    /// A file the run reads, which the report must never replace: `option` names it to the operator.
    public struct Input: Sendable {
        public var option: String
        public var path: String

        public init(option: String, path: String) {
            self.option = option
            self.path = path
        }
    }

    /// A file, replaced only when `commit()` is called. Refused when it is a symbolic link, exists
    /// and is not a regular file, or is the same file as any of `inputs` (however spelt: another
    /// path, a symbolic or a hard link), or names the place of an input that does not exist yet
    /// (a DB's WAL, a demo DB built later). Checked again just before the rename. A replaced
    /// report keeps its permission bits.
    public init(file path: String, inputs: [Input] = []) throws(Unwritable) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let existing = try Self.refuse(path, inputs: inputs)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Unwritable(description: "directory \(directory.path) does not exist")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o666))
        guard descriptor >= 0 else {
            throw Unwritable(description: "cannot create a file in \(directory.path): \(String(cString: strerror(errno)))")
        }
        // A new report gets the umask's bits; a replaced one keeps its own, whatever the umask.
        if let existing { fchmod(descriptor, existing.st_mode & 0o7777) }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        target = url
        self.temporary = temporary
        self.inputs = inputs
        isColorTerminal = false
    }

    /// `path` with its directory resolved (symbolic links, `.` and `..`), or nil when the directory
    /// does not exist: where a file of that name is or would be.
    private static func place(_ path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        guard let directory = realpath(url.deletingLastPathComponent().path, nil) else { return nil }
        defer { free(directory) }
        return String(cString: directory) + "/" + url.lastPathComponent
    }

    /// Refuses a target at the same place as an input (whether or not either exists yet), or
    /// one that exists and is not a plain file of its own. Returns the existing file's status.
    private static func refuse(_ path: String, inputs: [Input]) throws(Unwritable) -> stat? {
        func clash(_ input: Input) -> Unwritable {
            Unwritable(description: "\(path) is the \(input.option) file \(input.path); the report would replace it")
        }
        if let target = place(path), let input = inputs.first(where: { place($0.path) == target }) { throw clash(input) }
        var existing = stat()
        guard lstat(path, &existing) == 0 else { return nil }
        switch existing.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: throw Unwritable(description: "\(path) is a symbolic link; give the path of the report file itself")
        case S_IFDIR: throw Unwritable(description: "\(path) is a directory")
        case S_IFIFO: throw Unwritable(description: "\(path) is a FIFO, not a regular file; refusing to replace it")
        case S_IFCHR, S_IFBLK: throw Unwritable(description: "\(path) is a device, not a regular file; refusing to replace it")
        default: throw Unwritable(description: "\(path) is not a regular file; refusing to replace it")
        }
        for input in inputs {
            var other = stat()
            if stat(input.path, &other) == 0, other.st_dev == existing.st_dev, other.st_ino == existing.st_ino { throw clash(input) }
        }
        return existing
    }

    private var name: String { target?.path ?? "standard output" }

    public func write(_ text: String) throws(WriteFailure) {
        try write(Data(text.utf8))
    }

    public func write(_ data: Data) throws(WriteFailure) {
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw WriteFailure(target: name, reason: Self.reason(error))
        }
    }

    /// Makes the file appear under its name, whole. Standard output needs nothing.
    public func commit() throws(WriteFailure) {
        guard let target, let temporary else { return }
        // Again just before the rename: an input may have appeared there during the run.
        do throws(Unwritable) {
            _ = try Self.refuse(target.path, inputs: inputs)
        } catch {
            discard()
            throw WriteFailure(target: name, reason: error.description)
        }
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            discard()
            throw WriteFailure(target: name, reason: Self.reason(error))
        }
        if rename(temporary.path, target.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw WriteFailure(target: name, reason: reason)
        }
    }

    /// Drops a file that will not be completed.
    public func discard() {
        guard let temporary else { return }
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }

    /// The system's words for an I/O error ("No space left on device", "Broken pipe").
    public static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}
