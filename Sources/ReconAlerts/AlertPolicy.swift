/// How hard a webhook sender tries to deliver one alert. `.standard` is the spec's: at most 5
/// tries of at most 10 s each, waiting 1 s, 2 s, 4 s, 8 s between them (doubling, at most 30 s),
/// and honouring a 429's `Retry-After` of up to 60 s.
public struct AlertPolicy: Sendable, Equatable {
    /// At most this many requests, the first one included (at least 1).
    public var maxTries: Int
    /// How long one try may take, connecting included: a receiver that hangs costs this much.
    public var timeout: Duration
    /// The wait after the first failed try; it doubles after each later one, up to `maxBackoff`.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// The longest `Retry-After` a 429 may ask for; one asking longer ends delivery as failed.
    public var maxRetryAfter: Duration

    public init(maxTries: Int = 5, timeout: Duration = .seconds(10), initialBackoff: Duration = .seconds(1),
                maxBackoff: Duration = .seconds(30), maxRetryAfter: Duration = .seconds(60)) {
        self.maxTries = max(1, maxTries)
        self.timeout = timeout
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxRetryAfter = maxRetryAfter
    }

    public static let standard = AlertPolicy()

    /// The wait after failed try number `attempt` (1 for the first) before the next one.
    public func backoff(after attempt: Int) -> Duration {
        var wait = initialBackoff
        for _ in 1..<max(1, attempt) where wait < maxBackoff {
            wait *= 2
        }
        return min(wait, maxBackoff)
    }
}

extension Duration {
    /// `10 s`, `0.5 s`: how a detail or an error speaks of a wait.
    var secondsText: String {
        let (seconds, attoseconds) = components
        guard attoseconds != 0 else { return "\(seconds) s" }
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        var text = String(milliseconds / 1000) + "." + String(String(milliseconds % 1000 + 1000).dropFirst())
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text + " s"
    }
}
