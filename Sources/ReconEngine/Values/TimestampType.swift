/// `timestamp`: a point in time, held as whole seconds since 1970-01-01T00:00:00Z.
public enum TimestampType: ValueTypePlugin {
    public static let description = PluginDescription<ValueTypeExample>(
        identifier: "timestamp",
        summary: "A point in time to the second: Unix seconds, or ISO-8601 'YYYY-MM-DDTHH:MM:SS' with 'Z' or an offset (none means UTC).",
        passing: [
            ValueTypeExample(1_700_000_000, rendered: "2023-11-14T22:13:20Z"),
            ValueTypeExample("1700000000", rendered: "2023-11-14T22:13:20Z"),
            ValueTypeExample("2024-02-29T12:00:00Z", rendered: "2024-02-29T12:00:00Z"),
            ValueTypeExample("2024-03-01 02:00:00+02:00", rendered: "2024-03-01T00:00:00Z"),
            ValueTypeExample("2024-01-01", rendered: "2024-01-01T00:00:00Z"),
        ],
        failing: [
            ValueTypeExample("2023-02-29T00:00:00Z"), ValueTypeExample("2024-01-01T24:00:00Z"),
            ValueTypeExample("2024-01-01T00:00:00.5Z"), ValueTypeExample("yesterday"), ValueTypeExample(.decimal("1.5")),
        ]
    )

    public static func makeType(_ context: ValueTypeContext) throws(PluginError) -> FieldType {
        FieldType(
            identifier: description.identifier,
            kind: .number(arithmetic: false),
            unit: "seconds",
            parse: parse,
            render: { value in
                guard case .number(let seconds) = value else { return AmountParsing.render(value) }
                return CivilTime.iso8601(seconds) ?? String(seconds)
            }
        )
    }

    static func parse(_ raw: RawValue) -> Result<Value, InvalidValue> {
        let range = Int128(Int64.min)...Int128(Int64.max)
        guard case .text(let text) = raw, text.dropFirst().contains("-") || text.contains(":") else {
            return AmountParsing.parse(raw, range: range, typeName: "a timestamp")
        }
        guard let seconds = CivilTime.parseISO8601(text) else {
            return .failure(InvalidValue("'\(text)' is not a timestamp (Unix seconds or YYYY-MM-DDTHH:MM:SSZ)"))
        }
        return .success(.number(seconds))
    }
}

extension TimestampType {
    /// A stored point in time as Unix seconds (a fraction of a second dropped): how a run reads a
    /// row's `db.updated_at`. Nil when the value is null or not a timestamp.
    public static func seconds(of raw: RawValue) -> Int64? {
        var value = raw
        // `2026-12-07 19:07:17.123456+00`: the fraction is dropped, the offset kept.
        if case .text(let text) = raw, let dot = text.firstIndex(of: "."), text[..<dot].contains(":") {
            let rest = text[text.index(after: dot)...].drop { $0.isNumber }
            value = .text(String(text[..<dot]) + rest)
        }
        guard case .success(.number(let seconds)) = parse(value) else { return nil }
        return Int64(exactly: seconds)
    }
}
