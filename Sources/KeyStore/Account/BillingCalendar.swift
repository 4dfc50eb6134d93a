import FoundationEssentials

/// Calendar months for billing cycles, in UTC, with no Foundation Calendar: cycle `n` starts `n`
/// months after the anchor, on the anchor's day of the month, or on the month's last day when the
/// month is shorter (an anchor on the 31st gives Feb 28 or 29, Apr 30, May 31: the day never
/// drifts), at the anchor's time of day.
public enum BillingCalendar {
    /// The start of the cycle `months` calendar months after `anchor`.
    public static func start(anchor: Date, months: Int) -> Date {
        let seconds = Int64(anchor.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let timeOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let total = Int64(month - 1) + Int64(months)
        let newYear = year + Int64((total >= 0 ? total : total - 11) / 12)
        let newMonth = Int((total % 12 + 12) % 12) + 1
        let newDay = min(day, daysIn(month: newMonth, year: newYear))
        let result = daysFromCivil(year: newYear, month: newMonth, day: newDay) * 86_400 + timeOfDay
        return Date(timeIntervalSince1970: TimeInterval(result))
    }

    static func daysIn(month: Int, year: Int64) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    static func daysFromCivil(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthIndex + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
