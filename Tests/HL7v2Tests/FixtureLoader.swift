import Foundation
@testable import HL7v2

/// Loads fixtures from `Fixtures/pass` and `Fixtures/fail` through `Bundle.module`.
enum Fixture {
    static func bytes(_ path: String) throws -> [UInt8] {
        let url = Bundle.module.url(forResource: "Fixtures/" + path, withExtension: nil)
        guard let url else { throw FixtureMissing() }
        return Array(try Data(contentsOf: url))
    }

    static func message(_ path: String) throws -> HL7Message {
        try HL7Message(bytes: bytes(path))
    }
}

struct FixtureMissing: Error {}

func msg(_ text: String) throws(HL7ParseError) -> HL7Message {
    try HL7Message(bytes: Array(text.utf8))
}
