/// A run key (`--run-key`, the `Idempotency-Key` header): 1 to 200 characters, none of them a
/// control character, unique in the store. A trigger that may be retried (a CronJob, a timer)
/// passes the same key on each try, so that it never runs twice.
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
}
