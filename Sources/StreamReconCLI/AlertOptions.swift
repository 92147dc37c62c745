import ArgumentParser
import Foundation
import Logging
import ReconAlerts
import ReconEngine
import Reconciliation

/// Where and when `run` and `serve` alert (docs/operations.md, "Alerts").
struct AlertOptions: ParsableArguments {
    @Option(help: "POST an alert here after a recorded run that failed or found new discrepancies at or above --alert-on (http or https). Default: $STREAMRECON_ALERT_URL. Signed with $STREAMRECON_ALERT_SECRET when set.")
    var alertUrl: String?

    @Option(help: "The least severity of a new discrepancy that alerts: info, warning or critical.")
    var alertOn: Severity = .critical

    func validate() throws {
        _ = try alerting()
    }

    /// The run's alerting, or nil when no alert URL is given.
    func alerting(logger: Logger? = nil) throws -> RunService.Alerting? {
        do {
            return try WebhookAlertSender.configured(url: alertUrl, environment: ProcessInfo.processInfo.environment, logger: logger)
                .map { RunService.Alerting(sender: $0, threshold: alertOn) }
        } catch {
            throw ValidationError(error.description)
        }
    }
}
