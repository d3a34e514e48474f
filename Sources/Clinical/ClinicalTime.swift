import Foundation

/// A point in clinical time as a source stated it: the fields it gave, how precise they were, and the
/// UTC offset if one was given.
///
/// HL7 v2 `DTM`/`TS` (`YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`, HL7 v2.5.1 §2.A.22), HL7 v3 `TS`
/// (the same shape, used by C-CDA) and FHIR `date`/`dateTime`/`instant` (ISO 8601 subsets) all parse to
/// this one value, so times from all three formats compare correctly.
///
/// A time with less than full precision denotes an interval (`2024-03` is all of March 2024); comparisons
/// use ``interval(assumingOffsetMinutes:)``. A time without an offset is local time at the source; unless
/// told otherwise it is read as UTC.
package struct ClinicalTime: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How much of the time the source stated.
    package enum Precision: Int, Sendable, Codable, Comparable, CaseIterable {
        case year = 0, month, day, hour, minute, second, fraction

        package static func < (lhs: Precision, rhs: Precision) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    package var year: Int
    package var month: Int
    package var day: Int
    package var hour: Int
    package var minute: Int
    package var second: Int
    /// Fractions of a second, in nanoseconds.
    package var nanosecond: Int
    package var precision: Precision
    /// Offset from UTC in minutes (`-0500` is -300), or `nil` when the source gave none.
    package var offsetMinutes: Int?

    /// Creates a time; fields finer than `precision` are ignored (kept at their minimum).
    /// Returns `nil` when a field is out of range (month 13, February 30, hour 24 …).
    package init?(
        year: Int, month: Int = 1, day: Int = 1, hour: Int = 0, minute: Int = 0, second: Int = 0,
        nanosecond: Int = 0, precision: Precision, offsetMinutes: Int? = nil
    ) {
        guard (1...9999).contains(year), (1...12).contains(month), (0...23).contains(hour),
            (0...59).contains(minute), (0...60).contains(second), (0..<1_000_000_000).contains(nanosecond),
            day >= 1, day <= ClinicalTime.daysIn(month: month, year: year)
        else { return nil }
        if let offsetMinutes, abs(offsetMinutes) > 14 * 60 { return nil }
        self.year = year
        self.month = precision >= .month ? month : 1
        self.day = precision >= .day ? day : 1
        self.hour = precision >= .hour ? hour : 0
        self.minute = precision >= .minute ? minute : 0
        self.second = precision >= .second ? second : 0
        self.nanosecond = precision >= .fraction ? nanosecond : 0
        self.precision = precision
        self.offsetMinutes = precision >= .hour ? offsetMinutes : nil
    }

    /// A calendar date (day precision, no offset).
    package init?(year: Int, month: Int, day: Int) {
        self.init(year: year, month: month, day: day, precision: .day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // MARK: Instants and intervals

    /// The interval the stated time covers, as UTC instants: `[start, end)`.
    /// A time without an offset is read with `assumingOffsetMinutes` (UTC by default).
    package func interval(assumingOffsetMinutes assumed: Int = 0) -> (start: Date, end: Date) {
        let offset = offsetMinutes ?? assumed
        let startSeconds = Self.epochSeconds(year: year, month: month, day: day)
            + Int64(hour * 3600 + minute * 60 + second) - Int64(offset * 60)
        let start = Date(timeIntervalSince1970: Double(startSeconds) + Double(nanosecond) / 1e9)
        let end: Date
        switch precision {
        case .year:
            end = Date(timeIntervalSince1970: Double(Self.epochSeconds(year: year + 1, month: 1, day: 1) - Int64(offset * 60)))
        case .month:
            let (ny, nm) = month == 12 ? (year + 1, 1) : (year, month + 1)
            end = Date(timeIntervalSince1970: Double(Self.epochSeconds(year: ny, month: nm, day: 1) - Int64(offset * 60)))
        case .day: end = start.addingTimeInterval(86_400)
        case .hour: end = start.addingTimeInterval(3600)
        case .minute: end = start.addingTimeInterval(60)
        case .second: end = start.addingTimeInterval(1)
        case .fraction: end = start.addingTimeInterval(0.001)
        }
        return (start, end)
    }

    /// The first instant the time covers (its interval's start), read as UTC when no offset was given.
    package var instant: Date { interval().start }

    /// Whether the two stated times can denote the same moment: their intervals overlap, widened by
    /// `tolerance` seconds. `2024-03-05` and `2024-03-05T14:20-05:00` overlap; `2024-03` and `2024-04-01` do not.
    package func overlaps(_ other: ClinicalTime, tolerance: TimeInterval = 0) -> Bool {
        let a = interval(), b = other.interval()
        return a.start < b.end.addingTimeInterval(tolerance) && b.start < a.end.addingTimeInterval(tolerance)
    }

    /// Days from the start of `self` to the start of `later` (negative when `later` is earlier).
    package func days(until later: ClinicalTime) -> Double {
        later.instant.timeIntervalSince(instant) / 86_400
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func epochDays(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func epochSeconds(year: Int, month: Int, day: Int) -> Int64 {
        epochDays(year: year, month: month, day: day) * 86_400
    }

    // MARK: Text forms

    /// Parses the HL7 `DTM`/`TS` form shared by HL7 v2 and HL7 v3 (C-CDA): `YYYY[MM[DD[HH[MM[SS[.S…]]]]]][±ZZZZ]`.
    /// Also accepts the pre-2.6 `TS` trailing degree-of-precision component being absent. Returns `nil` when
    /// the text is not such a time.
    package static func parseHL7(_ text: some StringProtocol) -> ClinicalTime? {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == UInt8(ascii: " ") { bytes.removeLast() }
        var offset: Int?
        if let signIndex = bytes.lastIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) {
            let zone = bytes[(signIndex + 1)...]
            guard zone.count == 4, let value = digits(zone) else { return nil }
            let minutes = (value / 100) * 60 + value % 100
            guard value % 100 < 60 else { return nil }
            offset = bytes[signIndex] == UInt8(ascii: "-") ? -minutes : minutes
            bytes.removeSubrange(signIndex...)
        }
        var fraction = 0
        var hasFraction = false
        if let dot = bytes.firstIndex(of: UInt8(ascii: ".")) {
            let frac = bytes[(dot + 1)...]
            guard !frac.isEmpty, frac.count <= 9, let value = digits(frac) else { return nil }
            var nanos = value
            for _ in 0..<(9 - frac.count) { nanos *= 10 }
            fraction = nanos
            hasFraction = true
            bytes.removeSubrange(dot...)
        }
        let precision: Precision
        switch bytes.count {
        case 4: precision = .year
        case 6: precision = .month
        case 8: precision = .day
        case 10: precision = .hour
        case 12: precision = .minute
        case 14: precision = hasFraction ? .fraction : .second
        default: return nil
        }
        if hasFraction && bytes.count != 14 { return nil }
        guard digits(bytes[...]) != nil else { return nil }
        func field(_ start: Int, _ length: Int, _ fallback: Int) -> Int {
            start + length <= bytes.count ? (digits(bytes[start..<(start + length)]) ?? fallback) : fallback
        }
        return ClinicalTime(
            year: field(0, 4, 1), month: field(4, 2, 1), day: field(6, 2, 1), hour: field(8, 2, 0),
            minute: field(10, 2, 0), second: field(12, 2, 0), nanosecond: fraction, precision: precision,
            offsetMinutes: offset)
    }

    /// Parses FHIR `date`, `dateTime` and `instant` (ISO 8601 subsets): `YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
    /// `YYYY-MM-DDThh:mm[:ss[.fff…]][Z|±hh:mm]`. Returns `nil` for anything else.
    package static func parseISO8601(_ text: some StringProtocol) -> ClinicalTime? {
        let bytes = Array(text.utf8)
        func num(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            return digits(bytes[range])
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < bytes.count && bytes[i] == c.asciiValue }
        guard let year = num(0..<4) else { return nil }
        if bytes.count == 4 { return ClinicalTime(year: year, precision: .year) }
        guard at(4, "-"), let month = num(5..<7) else { return nil }
        if bytes.count == 7 { return ClinicalTime(year: year, month: month, precision: .month) }
        guard at(7, "-"), let day = num(8..<10) else { return nil }
        if bytes.count == 10 { return ClinicalTime(year: year, month: month, day: day, precision: .day) }
        guard at(10, "T") || at(10, " "), let hour = num(11..<13), at(13, ":"), let minute = num(14..<16) else { return nil }
        var i = 16
        var second = 0
        var nanos = 0
        var precision = Precision.minute
        if at(16, ":") {
            guard let s = num(17..<19) else { return nil }
            second = s
            precision = .second
            i = 19
            if at(19, ".") {
                var j = 20
                var value = 0
                var count = 0
                while j < bytes.count, bytes[j] >= 48, bytes[j] <= 57 {
                    if count < 9 { value = value * 10 + Int(bytes[j] - 48); count += 1 }
                    j += 1
                }
                guard count > 0 else { return nil }
                for _ in 0..<(9 - count) { value *= 10 }
                nanos = value
                precision = .fraction
                i = j
            }
        }
        var offset: Int?
        if i < bytes.count {
            if at(i, "Z") && i + 1 == bytes.count {
                offset = 0
            } else if (at(i, "+") || at(i, "-")), i + 6 == bytes.count, at(i + 3, ":"),
                let oh = num((i + 1)..<(i + 3)), let om = num((i + 4)..<(i + 6)), om < 60
            {
                offset = (at(i, "-") ? -1 : 1) * (oh * 60 + om)
            } else {
                return nil
            }
        }
        return ClinicalTime(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanosecond: nanos,
            precision: precision, offsetMinutes: offset)
    }

    private static func digits(_ slice: ArraySlice<UInt8>) -> Int? {
        guard !slice.isEmpty, slice.count <= 18 else { return nil }
        var value = 0
        for byte in slice {
            guard byte >= 48, byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    /// The time in ISO 8601 at its own precision (`2024-03`, `2024-03-05T14:20:00-05:00`), as FHIR writes it.
    /// FHIR has no hour-only or minute-only form, so those are written with seconds (`:00`).
    package var iso8601: String {
        var text = pad(year, 4)
        if precision >= .month { text += "-" + pad(month, 2) }
        if precision >= .day { text += "-" + pad(day, 2) }
        guard precision >= .hour else { return text }
        text += "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2)
        if precision == .fraction { text += "." + pad(nanosecond / 1_000_000, 3) }
        if let offsetMinutes {
            if offsetMinutes == 0 { text += "Z" } else {
                let sign = offsetMinutes < 0 ? "-" : "+"
                text += sign + pad(abs(offsetMinutes) / 60, 2) + ":" + pad(abs(offsetMinutes) % 60, 2)
            }
        }
        return text
    }

    /// The time in the HL7 `DTM` form at its own precision (`20240305142000-0500`).
    package var hl7: String {
        var text = pad(year, 4)
        if precision >= .month { text += pad(month, 2) }
        if precision >= .day { text += pad(day, 2) }
        if precision >= .hour { text += pad(hour, 2) }
        if precision >= .minute { text += pad(minute, 2) }
        if precision >= .second { text += pad(second, 2) }
        if precision == .fraction { text += "." + pad(nanosecond / 100_000, 4) }
        if let offsetMinutes, precision >= .hour {
            text += (offsetMinutes < 0 ? "-" : "+") + pad(abs(offsetMinutes) / 60, 2) + pad(abs(offsetMinutes) % 60, 2)
        }
        return text
    }

    package var description: String { iso8601 }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// The calendar date part (day precision, offset dropped), or `nil` when less precise than a day.
    package var date: ClinicalTime? {
        precision >= .day ? ClinicalTime(year: year, month: month, day: day) : nil
    }

    /// The current time in UTC at second precision (for the read side; parsers never call clocks).
    package static func now() -> ClinicalTime {
        from(Date())
    }

    /// A UTC time at second precision for an instant.
    package static func from(_ date: Date) -> ClinicalTime {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rem = Int(seconds - days * 86_400)
        // Civil-from-days (Hinnant).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        let y = Int(yoe + era * 400) + (m <= 2 ? 1 : 0)
        return ClinicalTime(
            year: y, month: m, day: d, hour: rem / 3600, minute: (rem / 60) % 60, second: rem % 60,
            precision: .second, offsetMinutes: 0) ?? ClinicalTime(year: 1970, precision: .year)!
    }
}

extension ClinicalTime: Comparable {
    /// Orders by the start of the stated interval, then by precision (coarser first).
    package static func < (lhs: ClinicalTime, rhs: ClinicalTime) -> Bool {
        let a = lhs.instant, b = rhs.instant
        return a != b ? a < b : lhs.precision < rhs.precision
    }
}
