import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program to completion, collecting its output.
enum Subprocess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        /// For an error message: the exit status and what the program said.
        var failure: String {
            let said = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return "exit status \(status)" + (said.isEmpty ? "" : ": \(said)")
        }
    }

    /// The environment the rig's programs get: the tests' own, without `PG*` variables
    /// (`PGHOST`, `PGPASSWORD`, `PGSSLMODE`, … would change what psql connects to).
    static let environment: [String: String] = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }

    /// Runs `command` (a path, then its arguments) and waits for it; status -1 if it cannot start.
    static func run(_ command: [String], environment extra: [String: String] = [:]) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment.merging(extra) { $1 }
        process.standardInput = FileHandle.nullDevice
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { return Output(status: -1, stdout: "", stderr: "cannot run \(command[0]): \(error)") }
        // Both pipes are drained at once, or a program filling one while we wait on the other would hang.
        let errors = Collected(stderr.fileHandleForReading)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self), stderr: errors.wait())
    }

    /// Reads a pipe to its end on a thread of its own.
    private final class Collected: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var data = Data()

        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }

        func wait() -> String {
            done.wait()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bound with port 0, then closed); the
    /// caller retries when someone else takes it first.
    static func freePort() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw PostgresRig.Failure("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw PostgresRig.Failure("bind 127.0.0.1:0: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A `sh` process that cleans up after a test process that dies without stopping its rig
/// (killed, crashed, `exit` without `atexit`): it waits for end-of-file on a pipe only this
/// process holds the write end of, which the kernel closes however the process ends; then it
/// stops the server (SIGQUIT, the immediate shutdown, to the pid in `postmaster.pid`) and removes
/// the directory. `stop()` kills it first and cleans up itself.
final class Watchdog {
    private let process = Process()
    private let lifeline = Pipe()

    private static let script = #"""
        trap '' HUP INT
        while read -r _; do :; done
        dir=$1
        pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
        # Only a process that is a postgres: a crashed server's stale pid may be someone else's now.
        if [ -n "$pid" ] && { [ ! -d /proc ] || [ "$(cat /proc/$pid/comm 2>/dev/null)" = postgres ]; } && kill -QUIT "$pid" 2>/dev/null; then
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
            kill -KILL "$pid" 2>/dev/null
        fi
        rm -rf "$dir"
        """#

    init(guarding directory: URL) throws {
        // Children started with Foundation's Process inherit no descriptors but 0-2; close-on-exec
        // also keeps the write end from anything started otherwise.
        _ = fcntl(lifeline.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", Self.script, "postgres-rig-watchdog", directory.path]
        process.standardInput = lifeline
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Kills the watchdog without letting it clean up.
    func cancel() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? lifeline.fileHandleForWriting.close()
    }
}
