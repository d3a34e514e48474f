import Foundation
import Synchronization

/// The gateway's log: one line per event on standard error, `time level message`.
///
/// Rule: nothing that identifies a patient (names, MRNs, birth dates, message content) is logged at
/// `info` or above. Messages are referred to by their log id, sender and control id; patients by their
/// enterprise id. Patient detail goes through ``debug(_:)`` only.
package enum Log {
    package enum Level: Int, Sendable, Comparable {
        case debug = 0, info, warning, error
        package static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        package init?(name: String) {
            switch name.lowercased() {
            case "debug": self = .debug
            case "info": self = .info
            case "warning", "warn": self = .warning
            case "error": self = .error
            default: return nil
            }
        }
    }

    private static let threshold = Atomic<Int>(Level.info.rawValue)

    package static var level: Level {
        get { Level(rawValue: threshold.load(ordering: .relaxed)) ?? .info }
        set { threshold.store(newValue.rawValue, ordering: .relaxed) }
    }

    package static func debug(_ message: @autoclosure () -> String) { write(.debug, message) }
    package static func info(_ message: @autoclosure () -> String) { write(.info, message) }
    package static func warning(_ message: @autoclosure () -> String) { write(.warning, message) }
    package static func error(_ message: @autoclosure () -> String) { write(.error, message) }

    private static func write(_ lineLevel: Level, _ message: () -> String) {
        guard lineLevel >= level else { return }
        let name: String
        switch lineLevel {
        case .debug: name = "DEBUG"
        case .info: name = "INFO"
        case .warning: name = "WARN"
        case .error: name = "ERROR"
        }
        let line = "\(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])) \(name) \(message())\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
