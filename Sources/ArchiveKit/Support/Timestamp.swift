import Foundation

/// UTC instants rendered in the archive's one fixed text format,
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, so that text order is time order in SQL.
public enum Timestamp {
    /// Renders microseconds since the Unix epoch.
    public static func format(microseconds: Int64) -> String {
        let (secondsTotal, micros) = microseconds.floorDivided(by: 1_000_000)
        let (days, secondOfDay) = secondsTotal.floorDivided(by: 86_400)
        let (year, month, day) = civil(fromDays: days)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
            + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
            + "." + pad(micros, 6) + "Z"
    }

    public static func format(_ date: Date) -> String {
        format(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// Unix seconds as the vendor sent them. Values beyond the year 5000 in
    /// seconds are read as milliseconds, the one unit mix-up vendors make.
    public static func fromUnix(_ seconds: Double) -> String? {
        guard seconds.isFinite else { return nil }
        let micros = abs(seconds) > 1e11 ? seconds * 1_000 : seconds * 1_000_000
        guard abs(micros) < 9.0e18 else { return nil }
        return format(microseconds: Int64(micros.rounded()))
    }

    /// Parses ISO 8601 date-times: `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]`,
    /// or a bare date. No offset means UTC. Returns nil for anything else.
    public static func fromISO8601(_ text: String) -> String? {
        microseconds(fromISO8601: text).map { format(microseconds: $0) }
    }

    public static func microseconds(fromISO8601 text: String) -> Int64? {
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take("-"),
              let month = scanner.number(digits: 2), scanner.take("-"),
              let day = scanner.number(digits: 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var seconds = days(fromCivil: year, month, day) * 86_400
        var micros: Int64 = 0
        if scanner.atEnd { return seconds * 1_000_000 }
        guard scanner.take("T") || scanner.take("t") || scanner.take(" "),
              let hour = scanner.number(digits: 2), scanner.take(":"),
              let minute = scanner.number(digits: 2), hour < 24, minute < 60
        else { return nil }
        seconds += Int64(hour * 3600 + minute * 60)
        if scanner.take(":") {
            guard let second = scanner.number(digits: 2), second <= 60 else { return nil }
            seconds += Int64(second)
            if scanner.take(".") || scanner.take(",") {
                var digits = 0
                var scale: Int64 = 100_000
                while let d = scanner.digit() {
                    digits += 1
                    micros += Int64(d) * scale
                    scale /= 10
                }
                guard digits > 0 else { return nil }
            }
        }
        if scanner.take("Z") || scanner.take("z") || scanner.atEnd {
            // UTC
        } else {
            let sign: Int64
            if scanner.take("+") { sign = 1 } else if scanner.take("-") { sign = -1 } else { return nil }
            guard let offsetHours = scanner.number(digits: 2), offsetHours < 24 else { return nil }
            var offsetMinutes = 0
            if !scanner.atEnd {
                _ = scanner.take(":")
                guard let m = scanner.number(digits: 2), m < 60 else { return nil }
                offsetMinutes = m
            }
            seconds -= sign * Int64(offsetHours * 3600 + offsetMinutes * 60)
        }
        guard scanner.atEnd else { return nil }
        return seconds * 1_000_000 + micros
    }

    // Howard Hinnant's days-from-civil algorithms, exact for the proleptic Gregorian calendar.
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func pad<T: BinaryInteger>(_ value: T, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

private struct DigitScanner {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(character.value) else { return false }
        index += 1
        return true
    }

    mutating func digit() -> Int? {
        guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { return nil }
        defer { index += 1 }
        return Int(bytes[index] - 0x30)
    }

    mutating func number(digits: Int) -> Int? {
        var value = 0
        for _ in 0..<digits {
            guard let d = digit() else { return nil }
            value = value * 10 + d
        }
        return value
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, with a non-negative remainder.
    func floorDivided(by divisor: Int64) -> (Int64, Int64) {
        let q = self / divisor, r = self % divisor
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}
