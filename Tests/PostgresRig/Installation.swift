import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the PostgreSQL binaries are, and how to run the server's own programs (`initdb`,
/// `postgres`): directly, or — when the tests run as root, which `initdb` and `postgres` refuse —
/// as an unprivileged user through `setpriv` (or `runuser`).
struct Installation: Sendable {
    /// The directory holding `initdb` and `postgres`.
    let bin: String
    let psql: String
    /// Put before `initdb`'s and `postgres`'s command lines: empty unless root.
    let asServerUser: [String]
    /// The user the server runs as, when root: the owner of the rig's directory.
    let serverUser: (name: String, uid: uid_t, gid: gid_t)?

    /// Looked for once per process.
    static let found: Result<Installation, PostgresRig.Unavailable> = find()

    private static func find() -> Result<Installation, PostgresRig.Unavailable> {
        let bin: String
        switch binDirectory() {
        case .success(let directory): bin = directory
        case .failure(let unavailable): return .failure(unavailable)
        }
        let psql = [bin + "/psql"].first(where: isExecutable) ?? executableInPath("psql") ?? ""
        guard !psql.isEmpty else { return .failure(.init("no psql next to initdb in \(bin) nor in PATH")) }
        guard geteuid() == 0 else { return .success(Installation(bin: bin, psql: psql, asServerUser: [], serverUser: nil)) }

        guard let user = ["postgres", "nobody"].lazy.compactMap(lookUpUser).first else {
            return .failure(.init("running as root, and there is neither a postgres nor a nobody user to run the server as"))
        }
        var tried: [String] = []
        var candidates: [[String]] = []
        if let setpriv = executableInPath("setpriv") { candidates.append([setpriv, "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups"]) }
        if let runuser = executableInPath("runuser") { candidates.append([runuser, "-u", user.name, "--"]) }
        for prefix in candidates {
            // Proves both that the tool can switch user and that the user can run initdb.
            let probe = Subprocess.run(prefix + [bin + "/initdb", "--version"])
            if probe.status == 0 { return .success(Installation(bin: bin, psql: psql, asServerUser: prefix, serverUser: user)) }
            tried.append("\(prefix[0]): \(probe.failure)")
        }
        return .failure(.init("running as root, and cannot run initdb as user \(user.name) "
            + (tried.isEmpty ? "(neither setpriv nor runuser is installed)" : "(\(tried.joined(separator: "; ")))")))
    }

    /// `$STREAMRECON_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin` holding `initdb`, else `initdb`'s directory in `PATH`.
    private static func binDirectory() -> Result<String, PostgresRig.Unavailable> {
        if let named = ProcessInfo.processInfo.environment["STREAMRECON_PG_BIN"], !named.isEmpty {
            return isExecutable(named + "/initdb") ? .success(named) : .failure(.init("STREAMRECON_PG_BIN=\(named) holds no executable initdb"))
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { isExecutable("\(root)/\($0)/bin/initdb") }
        func key(_ version: String) -> [Int] { version.split(separator: ".").map { Int($0) ?? 0 } }
        if let newest = versions.max(by: { key($0).lexicographicallyPrecedes(key($1)) }) { return .success("\(root)/\(newest)/bin") }
        if let initdb = executableInPath("initdb") { return .success((initdb as NSString).deletingLastPathComponent) }
        return .failure(.init("no PostgreSQL server binaries: no initdb in $STREAMRECON_PG_BIN, /usr/lib/postgresql/*/bin or PATH"))
    }

    private static func isExecutable(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    private static func executableInPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        return directories.map { $0 + "/" + name }.first(where: isExecutable)
    }

    private static func lookUpUser(_ name: String) -> (name: String, uid: uid_t, gid: gid_t)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return (name, entry.pw_uid, entry.pw_gid)
    }
}
