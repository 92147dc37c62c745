/// Integer-only conversions between Unix seconds and the proleptic Gregorian calendar
/// (Howard Hinnant's days-from-civil algorithms), so no timestamp passes through a Double.
enum CivilTime {
    static func daysFromCivil(year: Int128, month: Int128, day: Int128) -> Int128 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int128) -> (year: Int128, month: Int128, day: Int128) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM:SS`, then optionally `Z` or `±HH:MM`.
    static func parseISO8601(_ text: String) -> Int128? {
        let chars = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int128? {
            guard start + count <= chars.count else { return nil }
            var value: Int128 = 0
            for byte in chars[start..<start + count] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int128(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func char(_ index: Int) -> UInt8? { index < chars.count ? chars[index] : nil }
        guard let year = number(0, 4), char(4) == UInt8(ascii: "-"), let month = number(5, 2), char(7) == UInt8(ascii: "-"),
            let day = number(8, 2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard civilFromDays(days) == (year, month, day) else { return nil }
        var seconds = days * 86_400
        var index = 10
        if index < chars.count {
            guard char(index) == UInt8(ascii: "T") || char(index) == UInt8(ascii: " "), let hour = number(11, 2),
                char(13) == UInt8(ascii: ":"), let minute = number(14, 2), char(16) == UInt8(ascii: ":"),
                let second = number(17, 2), hour < 24, minute < 60, second < 60
            else { return nil }
            seconds += hour * 3600 + minute * 60 + second
            index = 19
        }
        if char(index) == UInt8(ascii: "Z") {
            index += 1
        } else if let sign = char(index), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            guard let hours = number(index + 1, 2), char(index + 3) == UInt8(ascii: ":"), let minutes = number(index + 4, 2),
                hours < 24, minutes < 60
            else { return nil }
            let offset = hours * 3600 + minutes * 60
            seconds += sign == UInt8(ascii: "+") ? -offset : offset
            index += 6
        }
        return index == chars.count ? seconds : nil
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for years 0 through 9999, otherwise nil.
    static func iso8601(_ seconds: Int128) -> String? {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        guard (0...9999).contains(year) else { return nil }
        func pad(_ value: Int128, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }
}
