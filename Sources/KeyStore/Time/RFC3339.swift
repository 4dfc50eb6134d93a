import FoundationEssentials

/// RFC 3339 timestamps, parsed strictly and written as `2026-11-27T00:22:09Z` (UTC, whole seconds).
///
/// Hand-written rather than `ISO8601DateFormatter`, whose accepted forms differ between platforms.
public enum RFC3339 {
    /// `date` in UTC, seconds rounded down.
    public static func string(from date: Date) -> String {
        guard (earliest.unixSeconds...latest.unixSeconds).contains(date.unixSeconds) else { return paddedString(from: date) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `string(from:)` appended to `bytes` as its 20 ASCII bytes, digit by digit: a usage answer
    /// writes one per bucket, and building each from a dozen small strings was a tenth of its time.
    /// `date` must have a four-digit year (`earliest`...`latest`).
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        let (days, secondOfDay) = floorDivide(date.unixSeconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        func put(_ value: Int, _ width: Int) {
            var scale = 1
            for _ in 1..<width { scale *= 10 }
            while scale > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / scale % 10))
                scale /= 10
            }
        }
        put(year, 4)
        bytes.append(UInt8(ascii: "-"))
        put(month, 2)
        bytes.append(UInt8(ascii: "-"))
        put(day, 2)
        bytes.append(UInt8(ascii: "T"))
        put(Int(secondOfDay / 3600), 2)
        bytes.append(UInt8(ascii: ":"))
        put(Int(secondOfDay / 60 % 60), 2)
        bytes.append(UInt8(ascii: ":"))
        put(Int(secondOfDay % 60), 2)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Any year, as many digits as it takes (outside the four-digit years only).
    private static func paddedString(from date: Date) -> String {
        let seconds = date.unixSeconds
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(Int(secondOfDay / 3600), 2)):\(pad(Int(secondOfDay / 60 % 60), 2)):\(pad(Int(secondOfDay % 60), 2))Z"
    }

    /// Parses an RFC 3339 §5.6 `date-time`: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
    public static func date(from string: String) -> Date? {
        var scanner = TimestampScanner(string)
        guard let day = scanner.fullDate(), scanner.take(oneOf: "Tt") != nil,
              let hour = scanner.number(2), hour <= 23, scanner.take(":"),
              let minute = scanner.number(2), minute <= 59, scanner.take(":"),
              let second = scanner.number(2), second <= 60  // 60: RFC 3339 §5.7 allows a leap second
        else { return nil }
        var fraction = 0.0
        if scanner.take(".") {
            let digits = scanner.digits()
            guard !digits.isEmpty else { return nil }
            fraction = Double("0." + digits) ?? 0
        }
        guard let designator = scanner.take(oneOf: "Zz+-") else { return nil }
        var offset = 0
        if designator == UInt8(ascii: "+") || designator == UInt8(ascii: "-") {
            guard let hours = scanner.number(2), hours <= 23, scanner.take(":"),
                  let minutes = scanner.number(2), minutes <= 59
            else { return nil }
            offset = (designator == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
        }
        guard scanner.isAtEnd else { return nil }
        let seconds = day * 86_400 + hour * 3600 + minute * 60 + second - offset
        // An offset can carry 0000-01-01 or 9999-12-31 out of the four-digit years this writes back.
        guard (Int(earliest.unixSeconds)...Int(latest.unixSeconds)).contains(seconds) else { return nil }
        // A fraction can round up into the next second in Double (ulp ~3e-5 s near year 9999).
        let date = Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
        return date.unixSeconds <= latest.unixSeconds ? date : nil
    }

    /// The range of instants with a four-digit UTC year, which is all `string(from:)` can write.
    public static let earliest = Date(unixSeconds: -62_167_219_200)  // 0000-01-01T00:00:00Z
    public static let latest = Date(unixSeconds: 253_402_300_799)    // 9999-12-31T23:59:59Z

    /// Parses an RFC 3339 `full-date`, `YYYY-MM-DD`, as 00:00:00Z of that day.
    public static func startOfDay(from string: String) -> Date? {
        var scanner = TimestampScanner(string)
        guard let day = scanner.fullDate(), scanner.isAtEnd else { return nil }
        return Date(unixSeconds: Int64(day) * 86_400)
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, H. Hinnant's days-from-civil algorithms)

    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = (value % divisor + divisor) % divisor
        return ((value - remainder) / divisor, remainder)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// Reads ASCII fields from the UTF-8 bytes of a timestamp.
private struct TimestampScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ string: String) {
        bytes = Array(string.utf8)
    }

    var isAtEnd: Bool { index == bytes.count }

    /// `YYYY-MM-DD`, checked against the calendar, as days since 1970-01-01.
    mutating func fullDate() -> Int? {
        guard let year = number(4), take("-"), let month = number(2), (1...12).contains(month), take("-"),
              let day = number(2), (1...RFC3339.daysInMonth(year, month)).contains(day)
        else { return nil }
        return RFC3339.days(fromCivil: year, month, day)
    }

    /// Exactly `count` decimal digits.
    mutating func number(_ count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<index + count] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        index += count
        return value
    }

    /// The run of decimal digits at the cursor, possibly empty.
    mutating func digits() -> String {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        take(oneOf: String(character)) != nil
    }

    /// Consumes and returns the next byte if it is one of `characters` (ASCII).
    mutating func take(oneOf characters: String) -> UInt8? {
        guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return nil }
        defer { index += 1 }
        return bytes[index]
    }
}
