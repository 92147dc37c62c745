/// A member a value carries for its own code but never writes, reads back or compares: its
/// synthesized `Codable` and `Equatable` leave it out (it decodes as the default, and any two
/// compare equal). `RunReport.ruleLocations` is one: the report formats that point back at the
/// rules file need it, and the JSON report must not change.
@propertyWrapper
public struct NotEncoded<Value: Sendable>: Sendable, Codable, Equatable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        wrappedValue = nil
    }

    /// Never called by a synthesized `encode(to:)`, which uses the container overload below.
    public func encode(to encoder: any Encoder) throws {}

    public static func == (lhs: Self, rhs: Self) -> Bool { true }
}

extension KeyedEncodingContainer {
    /// Writes nothing: not even the key.
    public mutating func encode<Value>(_ value: NotEncoded<Value>, forKey key: Key) throws {}
}

extension KeyedDecodingContainer {
    /// Reads nothing: the key may be absent.
    public func decode<Value>(_ type: NotEncoded<Value>.Type, forKey key: Key) throws -> NotEncoded<Value> {
        NotEncoded(wrappedValue: nil)
    }
}
