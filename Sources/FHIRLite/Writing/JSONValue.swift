/// A JSON value to write, with members in the order given (FHIR's JSON examples order elements as the
/// specification lists them, which makes output easy to read and diff).
indirect enum JSONValue {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    /// A number already in JSON number syntax.
    case number(String)
    case bool(Bool)

    /// An object of the members that are present: `nil` values and empty arrays/objects are left out,
    /// as FHIR forbids empty elements.
    static func obj(_ members: (String, JSONValue?)...) -> JSONValue {
        .object(members.compactMap { key, value in
            guard let value, !value.isEmpty else { return nil }
            return (key, value)
        })
    }

    /// An array without its empty elements, or `nil` when nothing is left.
    static func list(_ values: [JSONValue?]) -> JSONValue? {
        let kept = values.compactMap { $0 }.filter { !$0.isEmpty }
        return kept.isEmpty ? nil : .array(kept)
    }

    static func text(_ value: String?) -> JSONValue? {
        guard let value, !value.isEmpty else { return nil }
        return .string(value)
    }

    static func integer(_ value: Int) -> JSONValue { .number(String(value)) }

    /// A decimal: the source's text when it is a JSON number, else the value (`nil` for NaN/∞).
    static func decimal(_ value: Double, text: String?) -> JSONValue? {
        if let text, isJSONNumber(text) { return .number(text) }
        guard value.isFinite else { return nil }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int(value))) }
        return .number(String(value))
    }

    var isEmpty: Bool {
        switch self {
        case .object(let members): return members.isEmpty
        case .array(let values): return values.isEmpty
        case .string(let s): return s.isEmpty
        default: return false
        }
    }

    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty else { return false }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digits() -> Int {
            var n = 0
            while let b = bytes.first, b >= 48, b <= 57 { bytes = bytes.dropFirst(); n += 1 }
            return n
        }
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else if digits() == 0 {
            return false
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    /// The value as UTF-8 JSON text (compact).
    func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(into: &out)
        return out
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (i, value) in values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let s): Self.writeString(s, into: &out)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
