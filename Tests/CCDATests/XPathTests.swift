import CCDA
import Testing

/// XPath over a parsed document with the C-CDA namespaces registered.
@Suite struct XPathTests {
    let xpath: CCDAXPath

    init() throws { xpath = try CCDAXPath(Fixture.bytes("pass/epic_ccd.xml")) }

    @Test func stringsWithV3AndHL7Prefixes() throws {
        #expect(try xpath.string("/v3:ClinicalDocument/v3:code/@code") == "34133-9")
        #expect(try xpath.string("/hl7:ClinicalDocument/hl7:recordTarget/hl7:patientRole/hl7:patient/hl7:birthTime/@value") == "19750501")
        #expect(try xpath.string("/v3:ClinicalDocument/v3:missing") == nil)
    }

    @Test func attributeNodeSets() throws {
        #expect(try xpath.strings("/v3:ClinicalDocument/v3:recordTarget/v3:patientRole/v3:id/@extension") == ["E4411201", "123-45-6789"])
        #expect(try xpath.strings("//v3:patient/v3:name[@use='L']/v3:given") == ["Isabella", "Isa"])
    }

    @Test func sdtcAndXsiNamespaces() throws {
        #expect(try xpath.strings("//v3:patient/sdtc:raceCode/@code") == ["2076-8"])
        #expect(try xpath.count("//v3:value[@xsi:type='PQ']") == 4)
        #expect(try xpath.exists("//v3:value[@xsi:type='CD']"))
        #expect(try !xpath.exists("//v3:value[@xsi:type='RTO']"))
    }

    @Test func countsAndLines() throws {
        #expect(try xpath.count("//v3:section") == 10)
        #expect(try xpath.count("//v3:entry") == 9)
        #expect(try xpath.lines("//v3:section/v3:code[@code='30954-2']") == [89])
    }

    @Test func malformedInputIsATypedErrorWithPosition() throws {
        let bytes = try Fixture.bytes("fail/malformed.xml")
        do {
            _ = try CCDAXPath(bytes)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .notWellFormed)
            #expect(error.line == 6)
            #expect(error.column == 49)
        }
    }

    @Test func invalidExpressionIsATypedError() {
        #expect(throws: CCDAError(.xpath, "", line: 0, column: 0)) { try xpath.strings("//v3:[") }
        #expect(throws: CCDAError(.xpath, "", line: 0, column: 0)) { try xpath.strings("//nope:section") }
    }
}

/// The reader's SAX-built document and libxml2's tree (through XPath) see the same structure.
@Suite struct ReaderAgreesWithXPathTests {
    @Test(arguments: RobustnessTests.fixtures)
    func sectionAndEntryCountsMatch(path: String) throws {
        let bytes = try Fixture.bytes(path)
        let doc = try CCDAReader.read(bytes)
        let xpath = try CCDAXPath(bytes)
        #expect(doc.report.sections.count == (try xpath.count("//v3:structuredBody//v3:section")))
        #expect(doc.report.sections.reduce(0) { $0 + $1.entries } == (try xpath.count("//v3:section/v3:entry")))
        #expect(doc.report.sections.map(\.line) == (try xpath.lines("//v3:structuredBody//v3:section")))
        #expect(doc.submission.patients.first?.identifiers.map(\.value)
            == (try xpath.strings("/v3:ClinicalDocument/v3:recordTarget/v3:patientRole/v3:id[@extension and @root!='2.16.840.1.113883.4.1']/@extension")))
    }
}
