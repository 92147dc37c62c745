import Foundation

/// A 429's `Retry-After` (RFC 9110, 10.2.3): whole seconds, or an HTTP-date.
enum RetryAfter {
    /// How long `value` asks to wait from `now`; nil when it is neither form. A date in the past
    /// asks for no wait.
    static func wait(_ value: String, now: Date = Date()) -> Duration? {
        let value = value.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if !value.isEmpty, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
            // Over a million seconds is as good as forever here, and cannot overflow.
            return .seconds(value.count > 6 ? 1_000_000 : Int(value) ?? 0)
        }
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: value) {
                return .milliseconds(max(0, Int((date.timeIntervalSince(now) * 1000).rounded(.up))))
            }
        }
        return nil
    }

    /// IMF-fixdate, then the obsolete RFC 850 and asctime forms a recipient must also read.
    private static let formats = ["EEE, dd MMM yyyy HH:mm:ss 'GMT'", "EEEE, dd-MMM-yy HH:mm:ss 'GMT'", "EEE MMM d HH:mm:ss yyyy"]
}
