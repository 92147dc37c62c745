/// A run key (`--run-key`, the `Idempotency-Key` header): 1 to 200 characters, none of them a
/// control character, unique in the store. A trigger that may be retried (a CronJob, a timer)
/// passes the same key on each try, so that it never runs twice. A run that finished (`clean`,
/// `drift`, `failed`) keeps its key; one that was interrupted (`aborted`) hands it to the next
/// run with that key, which runs.
public enum RunKey {
    public static let maxLength = 200

    /// Why `key` cannot be a run key, or nil when it can.
    public static func problem(_ key: String) -> String? {
        if key.isEmpty { return "a run key is empty; give 1 to \(maxLength) characters, such as nightly-2026-12-02" }
        if key.count > maxLength || key.utf8.count > 4 * maxLength {
            return "a run key has at most \(maxLength) characters; this one has \(key.count)"
        }
        if key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
            return "a run key may not hold control characters (a line break, a tab, an escape)"
        }
        return nil
    }

    /// The error an interrupted run's row keeps when a new run takes its key.
    public static func handedOver(_ run: RunRecord, to runId: String) -> String {
        [run.error, "its run key '\(run.runKey ?? "")' was taken by run \(runId)"].compactMap { $0 }.joined(separator: "; ")
    }
}
