// swift-tools-version:6.0
// Concord — a clinical interoperability gateway. See README.md and docs/DESIGN.md.
import PackageDescription

let package = Package(
    name: "Concord",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "concord", targets: ["concord"]),
        .executable(name: "concord-bench", targets: ["ConcordBench"]),
    ],
    targets: [
        // The normalized clinical model every parser produces and the index consumes.
        .target(name: "Clinical"),

        // Formats.
        .target(name: "HL7v2", dependencies: ["Clinical"]),
        .systemLibrary(
            name: "CLibXML", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]),
        .target(name: "CCDA", dependencies: ["Clinical", "CLibXML"]),
        .target(name: "FHIRLite", dependencies: ["Clinical"]),

        // Storage and the master patient index.
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(name: "PatientIndex", dependencies: ["Clinical", "SQLite"]),

        // Network I/O and the running product.
        .systemLibrary(
            name: "CLibEvent", pkgConfig: "libevent_openssl",
            providers: [.apt(["libevent-dev", "libssl-dev"])]),
        .target(
            name: "Gateway",
            dependencies: ["Clinical", "HL7v2", "CCDA", "FHIRLite", "PatientIndex", "SQLite", "CLibEvent"]),
        .executableTarget(name: "concord", dependencies: ["Gateway"]),
        .executableTarget(
            name: "ConcordBench",
            dependencies: ["Clinical", "HL7v2", "CCDA", "FHIRLite", "PatientIndex", "SQLite", "Gateway"]),

        // Tests.
        .testTarget(name: "ClinicalTests", dependencies: ["Clinical"]),
        .testTarget(name: "HL7v2Tests", dependencies: ["HL7v2", "Clinical"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CCDATests", dependencies: ["CCDA", "Clinical"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FHIRLiteTests", dependencies: ["FHIRLite", "Clinical"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PatientIndexTests", dependencies: ["PatientIndex", "SQLite", "Clinical"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "HL7v2", "PatientIndex", "Clinical"]),
    ]
)
