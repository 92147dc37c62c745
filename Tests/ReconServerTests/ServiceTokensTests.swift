import Foundation
import ReconServer
import Testing

@Suite("serve: service tokens")
struct ServiceTokensTests {
    @Test func commaSeparatedTokensFromTheEnvironmentAreAllAccepted() throws {
        let tokens = try ServiceTokens.fromEnvironment(["STREAMRECON_INTERNAL_TOKEN": " \(tokenA) ,\(tokenB),"])
        #expect(tokens.count == 2)
        #expect(tokens.accepts(tokenA) && tokens.accepts(tokenB))
        #expect(!tokens.accepts(" \(tokenA)"))
        #expect(!tokens.accepts(""))
        #expect(!tokens.accepts(tokenA.uppercased()))
    }

    @Test func aTokenFileHoldsOneTokenPerLineAndComments() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "# rotated 2026-11-25, old one goes next week\n  # indented, too\n\(tokenA)\r\n\n\(tokenB)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let tokens = try ServiceTokens.fromEnvironment(["STREAMRECON_INTERNAL_TOKEN_FILE": path])
        #expect(tokens.count == 2)
        #expect(tokens.accepts(tokenA) && tokens.accepts(tokenB))
        #expect(!tokens.accepts("# rotated 2026-11-25"))
    }

    @Test(arguments: [
        ([:], ServiceTokenError.notConfigured),
        (["STREAMRECON_INTERNAL_TOKEN": ""], .notConfigured),
        (["STREAMRECON_INTERNAL_TOKEN": " , ,"], .none(origin: "STREAMRECON_INTERNAL_TOKEN")),
        (["STREAMRECON_INTERNAL_TOKEN": tokenA, "STREAMRECON_INTERNAL_TOKEN_FILE": "/etc/x"], .ambiguous),
        (["STREAMRECON_INTERNAL_TOKEN_FILE": "/nonexistent/tokens"], .unreadableFile(path: "/nonexistent/tokens")),
        (["STREAMRECON_INTERNAL_TOKEN": "\(tokenA),short"],
         .invalid(origin: "STREAMRECON_INTERNAL_TOKEN", position: 2, reason: "is 5 characters long; at least 32 are required")),
        (["STREAMRECON_INTERNAL_TOKEN": "0123456789abcdefghijklmnopqrstu"],
         .invalid(origin: "STREAMRECON_INTERNAL_TOKEN", position: 1, reason: "is 31 characters long; at least 32 are required")),
        (["STREAMRECON_INTERNAL_TOKEN": ",\(String(repeating: "abcdefghijklmno", count: 3))"],
         .invalid(origin: "STREAMRECON_INTERNAL_TOKEN", position: 2, reason: "has only 15 different characters; at least 16 are required "
                  + "(use a random token: openssl rand -base64 33)")),
        (["STREAMRECON_INTERNAL_TOKEN": "token with spaces inside it"],
         .invalid(origin: "STREAMRECON_INTERNAL_TOKEN", position: 1, reason: "holds a character other than printable ASCII")),
        (["STREAMRECON_INTERNAL_TOKEN": "tökenwithumlaut0123456789"],
         .invalid(origin: "STREAMRECON_INTERNAL_TOKEN", position: 1, reason: "holds a character other than printable ASCII")),
    ])
    func aMissingOrUnusableTokenConfigurationIsRefused(environment: [String: String], expected: ServiceTokenError) {
        #expect(throws: expected) { try ServiceTokens.fromEnvironment(environment) }
    }

    @Test func theShortestAcceptedTokenHasThirtyTwoCharactersOfWhichSixteenDiffer() throws {
        let tokens = try ServiceTokens(["0123456789abcdef0123456789abcdef"])
        #expect(tokens.accepts("0123456789abcdef0123456789abcdef"))
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o620, 0o602, 0o660])
    func aTokenFileOthersCanReadOrWriteIsRefused(mode: Int) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "\(tokenA)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        let error = #expect(throws: ServiceTokenError.self) { try ServiceTokens.fromEnvironment(["STREAMRECON_INTERNAL_TOKEN_FILE": path]) }
        #expect(error == .fileOpenToOthers(path: path, mode: String(mode, radix: 8)))
        #expect(error?.description.contains("chmod 600 \(path)") == true)
        #expect(error?.description.contains(tokenA) == false)
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        #expect(try ServiceTokens.fromEnvironment(["STREAMRECON_INTERNAL_TOKEN_FILE": path]).accepts(tokenA))
    }

    @Test func errorsNameTheVariablesAndNeverATokensText() {
        #expect(ServiceTokenError.notConfigured.description.contains("STREAMRECON_INTERNAL_TOKEN_FILE"))
        #expect(ServiceTokenError.ambiguous.description == "both STREAMRECON_INTERNAL_TOKEN and STREAMRECON_INTERNAL_TOKEN_FILE are set; set only one")
        #expect(ServiceTokenError.unreadableFile(path: "/x").description.contains("/x"))
        #expect(ServiceTokenError.none(origin: "/x").description == "/x holds no token; the server does not start without one")
        do {
            _ = try ServiceTokens.fromEnvironment(["STREAMRECON_INTERNAL_TOKEN": "secretvalue"])
            Issue.record("a short token was accepted")
        } catch {
            #expect(error.description == "token 1 in STREAMRECON_INTERNAL_TOKEN is 11 characters long; at least 32 are required")
            #expect(!error.description.contains("secretvalue"))
        }
    }
}
