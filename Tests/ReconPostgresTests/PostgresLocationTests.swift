import ReconPostgres
import ReconSources
import Testing

/// libpq's URL and environment conventions, without a server.
struct PostgresLocationTests {
    @Test func theURLThenTheEnvironmentThenLibpqsDefaults() throws {
        let full = try PostgresLocation("postgresql://ann:p%40ss%3Aword@db.internal:6543/ledger?sslmode=verify-full&sslrootcert=/etc/ca.pem&connect_timeout=3&read_timeout=60&application_name=nightly",
                                        environment: ["PGPASSWORD": "ignored", "PGHOST": "ignored"])
        #expect(full.host == "db.internal" && full.port == 6543 && full.user == "ann" && full.password == "p@ss:word" && full.database == "ledger")
        #expect(full.sslMode == .verifyFull && full.sslRootCert == "/etc/ca.pem" && full.connectTimeout == .seconds(3) && full.readTimeout == .seconds(60))
        #expect(full.applicationName == "nightly")
        #expect(full.displayName == "postgres://ann@db.internal:6543/ledger?sslmode=verify-full")

        let environment = ["PGHOST": "10.0.0.5", "PGPORT": "5433", "PGUSER": "svc", "PGPASSWORD": "env-secret", "PGDATABASE": "app",
                           "PGSSLMODE": "require", "PGCONNECT_TIMEOUT": "7"]
        let bare = try PostgresLocation("postgres://", environment: environment)
        #expect(bare.host == "10.0.0.5" && bare.port == 5433 && bare.user == "svc" && bare.password == "env-secret" && bare.database == "app")
        #expect(bare.sslMode == .require && bare.connectTimeout == .seconds(7) && bare.readTimeout == .seconds(300))
        #expect(!bare.displayName.contains("env-secret"))

        let defaults = try PostgresLocation("postgres://bob@/", environment: [:])
        #expect(defaults.host == "localhost" && defaults.port == 5432 && defaults.database == "bob" && defaults.password == nil)
        #expect(defaults.sslMode == .prefer && defaults.applicationName == "streamrecon")

        let ipv6 = try PostgresLocation("postgres://u:pw@[::1]:5555/d?schema=recon", environment: [:])
        #expect(ipv6.host == "::1" && ipv6.port == 5555 && ipv6.schema == "recon")
        #expect(ipv6.displayName == "postgres://u@[::1]:5555/d?schema=recon")
    }

    @Test(arguments: [
        ("postgres://u@h:0/d", "the port is not a whole number from 1 to 65535"),
        ("postgres://u@h:65536/d", "the port is not a whole number from 1 to 65535"),
        ("postgres://u@h:abc/d", "the port is not a whole number from 1 to 65535"),
        ("postgres://alice:s3cr/et@db/app", "the URL has an '@' after a '/' or '?': percent-encode '/', '?', '#', '@' and ':' in the user name and password (%2F, %3F, %23, %40, %3A)"),
        ("postgres://alice:ss?x@db/app", "the URL has an '@' after a '/' or '?': percent-encode '/', '?', '#', '@' and ':' in the user name and password (%2F, %3F, %23, %40, %3A)"),
        ("postgres://u@h/d?sslmode=allow", "sslmode 'allow' is not supported; use disable, prefer, require, verify-ca, verify-full"),
        ("postgres://u@h/d?sslcert=x", "unknown URL parameter 'sslcert'; streamrecon reads sslmode, sslrootcert, connect_timeout, read_timeout, schema, application_name"),
        ("postgres://u@h/d?connect_timeout=0", "connect_timeout '0' is not a whole number of seconds from 1 to 3600"),
        ("postgres://u@h/d?read_timeout=-1", "read_timeout '-1' is not a whole number of seconds from 1 to 86400"),
        ("postgres://u@h1,h2/d", "several hosts in one URL are not supported; give one host"),
        ("postgres://u@%2Fvar%2Frun/d", "Unix-domain socket hosts are not supported; give a host name or address"),
        ("postgres://u@h/d?schema=a;drop", "schema 'a;drop' is not a plain SQL identifier; use letters, digits and '_', starting with a letter or '_'"),
        ("postgres://u:pw%zz@h/d", "the password has a bad %-escape"),
        ("postgres://u@[::1/d", "the host's '[' has no closing ']'"),
        ("mysql://u@h/d", "not a postgres:// URL"),
    ])
    func badURLsAreRefusedSaying(url: String, message: String) {
        #expect(throws: SourceError(.unsupported, at: "--db", message)) { try PostgresLocation(url, environment: [:]) }
    }

    @Test func theSecretIsInNoRefusal() {
        for url in ["postgres://u:TopSecret@h:99999/d", "postgres://u:TopSecret@h/d?bogus=1", "postgres://u:TopSecret@h/d?sslmode=nah",
                    "postgres://alice:Top/Secret@h/d", "postgres://alice:TopSecret/x", "postgres://alice:Top?Secret@h/d"] {
            do {
                _ = try PostgresLocation(url, environment: [:])
                Issue.record("\(url) was accepted")
            } catch {
                #expect(!error.description.contains("TopSecret"))
            }
        }
    }
}
