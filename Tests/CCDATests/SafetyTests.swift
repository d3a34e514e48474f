import CCDA
import Clinical
import Foundation
import Testing

/// libxml2 used safely: malformed input, entity attacks, limits, errors with positions, concurrency.
@Suite struct SafetyTests {
    @Test func malformedXMLIsATypedErrorWithLineAndColumn() throws {
        let bytes = try Fixture.bytes("fail/malformed.xml")
        #expect {
            try CCDAReader.read(bytes)
        } throws: { error in
            guard let e = error as? CCDAError else { return false }
            return e.code == .notWellFormed && e.line == 6 && e.column == 49 && e.reason.contains("mismatch")
        }
    }

    @Test(arguments: [
        ("fail/wrong_root.xml", CCDAError.Code.wrongRoot, 2),
        ("fail/missing_record_target.xml", CCDAError.Code.missingRecordTarget, 2),
        ("fail/bad_birth_time.xml", CCDAError.Code.badDate, 11),
        ("fail/xxe.xml", CCDAError.Code.forbiddenDTD, 3),
        ("fail/billion_laughs.xml", CCDAError.Code.forbiddenDTD, 3),
    ])
    func invalidDocumentsAreRefusedWithCodeAndLine(path: String, code: CCDAError.Code, line: Int) throws {
        let bytes = try Fixture.bytes(path)
        do {
            _ = try CCDAReader.read(bytes)
            Issue.record("\(path) was accepted")
        } catch {
            #expect(error.code == code)
            #expect(error.line == line)
        }
    }

    @Test func xxeIsRefusedBeforeAnyFileIsRead() throws {
        let bytes = try Fixture.bytes("fail/xxe.xml")
        do {
            _ = try CCDAXPath(bytes)
            Issue.record("accepted")
        } catch {
            #expect(error == CCDAError(.forbiddenDTD, "", line: 0, column: 0))
            #expect(!error.description.contains("root:"))
            #expect(error.description.contains("forbiddenDTD"))
        }
    }

    @Test func billionLaughsIsRefusedQuickly() throws {
        let bytes = try Fixture.bytes("fail/billion_laughs.xml")
        let start = Date()
        #expect(throws: CCDAError(.forbiddenDTD, "", line: 0, column: 0)) { try CCDAReader.read(bytes) }
        #expect(Date().timeIntervalSince(start) < 1)
    }

    @Test func entityDeclarationsInUTF16AreRefusedToo() throws {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE a [<!ENTITY e \"x\">]><ClinicalDocument xmlns=\"urn:hl7-org:v3\">&e;</ClinicalDocument>"
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in text.utf16 { bytes.append(UInt8(unit & 0xFF)); bytes.append(UInt8(unit >> 8)) }
        #expect(throws: CCDAError(.forbiddenDTD, "", line: 0, column: 0)) { try CCDAReader.read(bytes) }
    }

    @Test func aDoctypeWithoutEntitiesIsAllowed() throws {
        let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE ClinicalDocument>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><recordTarget><patientRole><id root=\"1.2.3\" extension=\"7\"/></patientRole></recordTarget></ClinicalDocument>"
        let doc = try CCDAReader.read(Array(text.utf8))
        #expect(doc.submission.patients.first?.identifiers == [PatientIdentifier(value: "7", authority: AssigningAuthority(universalID: "1.2.3"))])
    }

    @Test func predefinedEntitiesAndCharacterReferencesAreDecoded() throws {
        let text = """
            <ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget><patientRole><id root="1.2.3" extension="A&amp;B&#x31;"/>
            <patient><name><given>Ren&#233;e</given><family>O&apos;Brien &lt;Jr&gt;</family></name></patient></patientRole></recordTarget>
            <custodian><assignedCustodian><representedCustodianOrganization><name>Smith &amp; Jones <![CDATA[Clinic]]></name>
            </representedCustodianOrganization></assignedCustodian></custodian></ClinicalDocument>
            """
        let doc = try CCDAReader.read(Array(text.utf8))
        let p = try #require(doc.submission.patients.first)
        #expect(p.identifiers.map(\.value) == ["A&B1"])
        #expect(p.names == [PersonName(family: "O'Brien <Jr>", given: ["Renée"])])
        #expect(doc.submission.source.facility == "Smith & Jones Clinic")
    }

    static func nested(_ depth: Int) -> [UInt8] {
        var text = "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">"
        text += String(repeating: "<section>", count: depth) + String(repeating: "</section>", count: depth)
        text += "</ClinicalDocument>"
        return Array(text.utf8)
    }

    @Test func deepNestingBeyondLibxml2LimitIsTooDeep() {
        #expect(throws: CCDAError(.tooDeep, "", line: 0, column: 0)) { try CCDAReader.read(Self.nested(5000)) }
    }

    @Test func configurableDepthLimit() {
        #expect(throws: CCDAError(.tooDeep, "", line: 0, column: 0)) { try CCDAReader.read(Self.nested(60), limits: XMLLimits(maxDepth: 32)) }
        // Within the limit the document parses and fails later, for want of a recordTarget.
        #expect(throws: CCDAError(.missingRecordTarget, "", line: 0, column: 0)) { try CCDAReader.read(Self.nested(20), limits: XMLLimits(maxDepth: 32)) }
    }

    @Test func sizeLimit() throws {
        let bytes = try Fixture.bytes("pass/epic_ccd.xml")
        #expect(throws: CCDAError(.tooLarge, "", line: 0, column: 0)) { try CCDAReader.read(bytes, limits: XMLLimits(maxBytes: 1024)) }
        #expect(throws: CCDAError(.notWellFormed, "", line: 0, column: 0)) { try CCDAReader.read([]) }
    }

    @Test func concurrentParsesKeepTheirOwnErrors() async throws {
        let good = try Fixture.bytes("pass/epic_ccd.xml")
        let bad = try Fixture.bytes("fail/malformed.xml")
        let results = await withTaskGroup(of: (Bool, Int).self) { group in
            for i in 0..<16 {
                group.addTask {
                    let isGood = i % 2 == 0
                    do throws(CCDAError) {
                        let doc = try CCDAReader.read(isGood ? good : bad)
                        return (isGood, doc.submission.facts.count)
                    } catch {
                        return (isGood, error.line * 1000 + error.column)
                    }
                }
            }
            var all: [(Bool, Int)] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 16)
        for (isGood, value) in results {
            #expect(value == (isGood ? 11 : 6049))
        }
    }

    @Test func errorsCompareByCodeAndDescribeWithoutValues() {
        let a = CCDAError(.badDate, "patient birthTime is not an HL7 TS", line: 3, column: 0)
        #expect(a == CCDAError(.badDate, "other", line: 9, column: 9))
        #expect(a != CCDAError(.wrongRoot, "patient birthTime is not an HL7 TS", line: 3, column: 0))
        #expect(a.description == "CCDA badDate at 3:0: patient birthTime is not an HL7 TS")
    }
}
