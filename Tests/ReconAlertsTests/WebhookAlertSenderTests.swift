import WebhookReceiver
import Foundation
import ReconAlerts
import Reconciliation
import Testing

@Suite("webhook alert sender: configuration")
struct WebhookAlertSenderTests {
    @Test(arguments: [
        ("https://bot:s3cretUser@Hooks.Example.com:8443/services/T0/B0/s3cretPath?token=s3cretQuery#s3cretFragment",
         "https://hooks.example.com:8443"),
        ("HTTPS://alerts.example.com/hook", "https://alerts.example.com"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("http://[::1]:8080/s3cret", "http://[::1]:8080"),
    ])
    func theDisplayNameIsSchemeHostAndPortOnly(url: String, displayName: String) throws {
        #expect(try WebhookAlertSender(url: url, secret: nil).displayName == displayName)
    }

    @Test(arguments: [
        ("ftp://files.example.com/s3cret/path", "--alert-url must be an http or https URL; got a 'ftp' URL"),
        ("hooks.slack.com/services/T0/B0/s3cret", "--alert-url must be an http or https URL; it has no scheme (start it with https://)"),
        ("user:s3cret@hooks.example.com/services", "--alert-url must be an http or https URL"),
        ("https://exa mple.com/s3cret", "--alert-url is not a valid URL; give an http or https URL such as https://alerts.example.com/hook"),
        ("https://[::1/s3cret", "--alert-url is not a valid URL; give an http or https URL such as https://alerts.example.com/hook"),
        ("https://user:s3c/ret@hooks.example.com/", "--alert-url is not a valid URL; give an http or https URL such as https://alerts.example.com/hook"),
        ("https:///s3cret", "--alert-url has no host; give one, as in https://alerts.example.com/hook"),
        ("http://hooks.example.com:99999/s3cret", "--alert-url has a port that is not from 1 to 65535"),
    ])
    func aBadURLIsATypedErrorThatDoesNotRepeatIt(url: String, description: String) {
        #expect {
            _ = try WebhookAlertSender(url: url, secret: nil)
        } throws: { error in
            guard let error = error as? AlertConfigurationError else { return false }
            return error.description == description && !error.description.contains("s3c")
        }
    }

    @Test func theEnvironmentNamesAURLWhenTheOptionDoesNot() throws {
        let environment = ["STREAMRECON_ALERT_URL": "https://env.example.com/s3cret", "STREAMRECON_ALERT_SECRET": "topsecret"]
        #expect(try WebhookAlertSender.configured(url: nil, environment: [:]) == nil)
        #expect(try WebhookAlertSender.configured(url: "", environment: ["STREAMRECON_ALERT_URL": ""]) == nil)
        #expect(try WebhookAlertSender.configured(url: nil, environment: environment)?.displayName == "https://env.example.com")
        #expect(try WebhookAlertSender.configured(url: "http://flag.example.com/x", environment: environment)?.displayName
            == "http://flag.example.com")
        #expect(throws: AlertConfigurationError(.unsupportedScheme("ftp"), option: "STREAMRECON_ALERT_URL")) {
            try WebhookAlertSender.configured(url: nil, environment: ["STREAMRECON_ALERT_URL": "ftp://files.example.com/s3cret"])
        }
        #expect(throws: AlertConfigurationError(.noScheme, option: "--alert-url")) {
            try WebhookAlertSender.configured(url: "files.example.com", environment: environment)
        }
    }

    @Test func theEnvironmentsSecretSignsTheRequests() async throws {
        try await Receiver.with([.status(200)]) { receiver in
            let environment = ["STREAMRECON_ALERT_URL": receiver.url, "STREAMRECON_ALERT_SECRET": "envsecret"]
            let sender = try #require(try WebhookAlertSender.configured(url: nil, environment: environment, policy: quick))
            #expect(await sender.send(message).outcome == .delivered)
            let request = try #require(receiver.received.first)
            #expect(AlertSignature.verify(signature: request.headers["x-streamrecon-signature"] ?? "", body: request.body,
                                          timestamp: request.headers["x-streamrecon-timestamp"] ?? "", secret: "envsecret"))
        }
    }
}
