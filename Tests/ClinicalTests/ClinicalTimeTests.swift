import Foundation
import Testing

@testable import Clinical

@Suite struct ClinicalTimeTests {
    @Test(arguments: [
        ("2024", ClinicalTime.Precision.year, "2024"),
        ("202403", .month, "2024-03"),
        ("20240305", .day, "2024-03-05"),
        ("2024030514", .hour, "2024-03-05T14:00:00"),
        ("202403051420", .minute, "2024-03-05T14:20:00"),
        ("20240305142033", .second, "2024-03-05T14:20:33"),
        ("20240305142033.1234", .fraction, "2024-03-05T14:20:33.123"),
        ("20240305142033-0500", .second, "2024-03-05T14:20:33-05:00"),
        ("202403051420+0530", .minute, "2024-03-05T14:20:00+05:30"),
        ("20240305142033.5+0000", .fraction, "2024-03-05T14:20:33.500Z"),
    ])
    func hl7TimesParseAtTheirPrecision(text: String, precision: ClinicalTime.Precision, iso: String) throws {
        let time = try #require(ClinicalTime.parseHL7(text))
        #expect(time.precision == precision)
        #expect(time.iso8601 == iso)
    }

    @Test(arguments: ["", "20", "202", "20241", "20241301", "20240230", "2024030525", "20240305-05", "20240305.5", "2024ab05", "20240305142033+05", "20240305142061x"])
    func malformedHL7TimesAreRejected(text: String) {
        #expect(ClinicalTime.parseHL7(text) == nil)
    }

    @Test func hl7FormRoundTrips() throws {
        for text in ["2024", "202403", "20240305", "202403051420", "20240305142033-0500", "20240305142033.1230+0100"] {
            let time = try #require(ClinicalTime.parseHL7(text))
            #expect(time.hl7 == text)
        }
    }

    @Test(arguments: [
        ("1962", ClinicalTime.Precision.year),
        ("1962-03", .month),
        ("1962-03-14", .day),
        ("2025-01-02T08:30:00Z", .second),
        ("2025-01-02T08:30:00.250-07:00", .fraction),
        ("2025-01-02T08:30-07:00", .minute),
    ])
    func iso8601TimesParse(text: String, precision: ClinicalTime.Precision) throws {
        let time = try #require(ClinicalTime.parseISO8601(text))
        #expect(time.precision == precision)
    }

    @Test(arguments: ["1962-3-14", "1962-03-14T", "2025-01-02T25:00:00Z", "2025-01-02T08:30:00+0700", "2025-02-29", "x"])
    func malformedISOTimesAreRejected(text: String) {
        #expect(ClinicalTime.parseISO8601(text) == nil)
    }

    @Test func sameInstantAcrossOffsetsAndFormatsIsEqualInTime() throws {
        let hl7 = try #require(ClinicalTime.parseHL7("20250102083000-0500"))
        let fhir = try #require(ClinicalTime.parseISO8601("2025-01-02T13:30:00Z"))
        #expect(hl7.instant == fhir.instant)
        #expect(hl7.overlaps(fhir))
        #expect(!(hl7 < fhir) && !(fhir < hl7))
    }

    @Test func lessPreciseTimesCoverTheirWholeInterval() throws {
        let march = try #require(ClinicalTime.parseISO8601("2024-03"))
        let inMarch = try #require(ClinicalTime.parseHL7("20240331235959+0000"))
        let april = try #require(ClinicalTime.parseISO8601("2024-04-01"))
        #expect(march.overlaps(inMarch))
        #expect(!march.overlaps(april))
        let leapYear = try #require(ClinicalTime.parseHL7("2024"))
        let interval = leapYear.interval()
        #expect(interval.end.timeIntervalSince(interval.start) == 366 * 86_400)
    }

    @Test func toleranceWidensOverlap() throws {
        let a = try #require(ClinicalTime.parseISO8601("2025-01-02T08:00:00Z"))
        let b = try #require(ClinicalTime.parseISO8601("2025-01-02T08:20:00Z"))
        #expect(!a.overlaps(b))
        #expect(a.overlaps(b, tolerance: 30 * 60))
    }

    @Test func daysBetweenDates() throws {
        let a = try #require(ClinicalTime(year: 2026, month: 1, day: 10))
        let b = try #require(ClinicalTime(year: 2026, month: 4, day: 20))
        #expect(a.days(until: b) == 100)
        #expect(b.days(until: a) == -100)
    }

    @Test func finerFieldsAreDroppedBelowPrecision() throws {
        let time = try #require(ClinicalTime(year: 1980, month: 7, day: 9, hour: 5, precision: .month, offsetMinutes: 60))
        #expect(time.day == 1 && time.hour == 0 && time.offsetMinutes == nil)
        #expect(time.iso8601 == "1980-07")
        #expect(time.date == nil)
    }

    @Test func invalidCalendarDatesAreRejected() {
        #expect(ClinicalTime(year: 2023, month: 2, day: 29) == nil)
        #expect(ClinicalTime(year: 2000, month: 2, day: 29) != nil)
        #expect(ClinicalTime(year: 1900, month: 2, day: 29) == nil)
        #expect(ClinicalTime(year: 2024, month: 4, day: 31) == nil)
    }

    @Test func fromDateIsUTC() {
        let time = ClinicalTime.from(Date(timeIntervalSince1970: 1_700_000_000))
        #expect(time.iso8601 == "2023-11-14T22:13:20Z")
        #expect(time.instant == Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test func codableRoundTrip() throws {
        let time = try #require(ClinicalTime.parseHL7("20240305142033.1234-0330"))
        let data = try JSONEncoder().encode(time)
        #expect(try JSONDecoder().decode(ClinicalTime.self, from: data) == time)
    }
}
