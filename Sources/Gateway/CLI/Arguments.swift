/// A parsed command line: positional words, `--option value` pairs and `--flag`s.
///
/// Options may come anywhere (`concord --db x.sqlite patients list --json` and
/// `concord patients list --json --db x.sqlite` are the same); `--option=value` works too; `--` ends
/// option parsing.
package struct Arguments: Sendable, Equatable {
    /// Options that take a value.
    package static let valued: Set<String> = [
        "db", "config", "name", "birth-date", "identifier", "kind", "from", "to", "reason", "actor", "limit",
        "status", "patient", "out", "format", "port", "host",
    ]
    /// Options that take no value.
    package static let flags: Set<String> = ["json", "help", "verbose", "fhir", "quiet"]

    package var positionals: [String] = []
    package var options: [String: String] = [:]
    package var setFlags: Set<String> = []

    package init(_ words: [String]) throws(GatewayError) {
        var i = 0
        var onlyPositionals = false
        while i < words.count {
            let word = words[i]
            i += 1
            if onlyPositionals || !word.hasPrefix("-") || word == "-" {
                positionals.append(word)
                continue
            }
            if word == "--" { onlyPositionals = true; continue }
            if word == "-h" { setFlags.insert("help"); continue }
            var name = String(word.drop(while: { $0 == "-" }))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if Self.flags.contains(name) {
                guard inlineValue == nil else { throw GatewayError(.usage, "--\(name) takes no value") }
                setFlags.insert(name)
            } else if Self.valued.contains(name) {
                if let inlineValue {
                    options[name] = inlineValue
                } else {
                    guard i < words.count else { throw GatewayError(.usage, "--\(name) needs a value") }
                    options[name] = words[i]
                    i += 1
                }
            } else {
                throw GatewayError(.usage, "unknown option --\(name)")
            }
        }
    }

    package func has(_ flag: String) -> Bool { setFlags.contains(flag) }
    package subscript(option name: String) -> String? { options[name] }

    /// The positional at `index`, or a usage error naming what is missing.
    package func positional(_ index: Int, _ what: String) throws(GatewayError) -> String {
        guard index < positionals.count else { throw GatewayError(.usage, "missing \(what)") }
        return positionals[index]
    }

    /// An integer option, or a usage error.
    package func int(_ name: String, default value: Int) throws(GatewayError) -> Int {
        guard let text = options[name] else { return value }
        guard let number = Int(text), number >= 0 else { throw GatewayError(.usage, "--\(name) must be a non-negative whole number") }
        return number
    }
}
