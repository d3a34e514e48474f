import Clinical
import Foundation
import Testing
@testable import HL7v2

@Suite struct SegmentViewTests {
    @Test func orderAndResultViews() throws {
        let m = try Fixture.message("pass/quest_oru_r01_v251.hl7")
        let orc = try #require(m.first(ORCSegment.self))
        #expect(orc.orderControl.text == "RE")
        #expect(orc.placerOrderNumber.component(1).text == "PL1001")
        #expect(orc.fillerOrderNumber.component(2).text == "QUEST")
        #expect(orc.orderStatus.text == "CM")
        let obr = try #require(m.first(OBRSegment.self))
        #expect(obr.universalServiceIdentifier.component(1).text == "24323-8")
        #expect(obr.orderingProvider.component(2).text == "GREY")
        #expect(obr.resultStatus.text == "F")
        #expect(obr.diagnosticServiceSectionID.text == "CH")
        let obx = m.all(OBXSegment.self)
        #expect(obx.count == 10)
        #expect(obx.map { $0.valueType.text ?? "" } == ["SN", "SN", "SN", "NM", "TX", "FT", "CWE", "ST", "DT", "CE"])
        #expect(obx[0].observationValue.components.count == 2)
        #expect(obx[0].observationValue.components[1].text == ">")
        #expect(obx[0].observationValue.components[2].text == "10")
        #expect(obx[0].observationValue.components[3].isEmpty)
        #expect(obx[0].units.component(3).text == "UCUM")
        #expect(obx[0].observationInstanceIdentifier.text == "OBS-1")
        #expect(obx[4].observationValue.repetitions.map(\.raw) == ["Line one", "Line two with \\T\\ and \\S\\"])
    }

    @Test func mergeImmunizationAndEventViews() throws {
        let merge = try Fixture.message("pass/adt_a40_merge_v26.hl7")
        let mrg = try #require(merge.first(MRGSegment.self))
        #expect(mrg.priorPatientIdentifierList.repetitions.map { $0.component(1).text ?? "" } == ["E1111111", "E2222222"])
        #expect(merge.first(EVNSegment.self)?.recordedDateTime.text == "20240702080000")
        let vxu = try Fixture.message("pass/athena_vxu_v04_v251.hl7")
        let rxa = vxu.all(RXASegment.self)
        #expect(rxa.map { $0.administeredCode.component(1).text ?? "" } == ["141", "03"])
        #expect(rxa[0].substanceLotNumber.text == "L123AB")
        #expect(rxa[0].substanceManufacturerName.component(1).text == "SKB")
        #expect(rxa[1].completionStatus.text == "RE")
        #expect(rxa[1].substanceTreatmentRefusalReason.component(2).text == "Parental decision")
        let msh = vxu.msh
        #expect(msh.sendingFacility.component(2).text == "ATHENA")
        #expect(msh.acceptAcknowledgmentType.text == "ER")
        #expect(msh.applicationAcknowledgmentType.text == "AL")
        #expect(msh.fieldSeparator.text == "|")
        #expect(msh.encodingCharacters.text == "^~\\&")
    }

    @Test func patientViewFields() throws {
        let m = try Fixture.message("pass/epic_adt_a01_v251.hl7")
        let pid = try #require(m.pid)
        #expect(pid.patientIdentifierList.repetitions.count == 3)
        #expect(pid.patientName.repetitions[1].component(7).text == "N")
        #expect(pid.dateTimeOfBirth.text == "19800704")
        #expect(pid.administrativeSex.text == "M")
        #expect(pid.patientAddress.component(3).text == "MADISON")
        #expect(pid.phoneNumberHome.repetitions[1].component(4).text == "jose.mueller@example.org")
        #expect(pid.ssnNumber.text == "123-45-6789")
        #expect(pid.multipleBirthIndicator.text == "Y")
        #expect(pid.birthOrder.text == "2")
        let pv1 = try #require(m.first(PV1Segment.self))
        #expect(pv1.patientClass.text == "I")
        #expect(pv1.admitDateTime.text == "20240305141500-0500")
        #expect(pv1.servicingFacility.text == "UH")
        let nk1 = try #require(m.first(NK1Segment.self))
        #expect(nk1.name.component(1).text == "MUELLER")
        #expect(nk1.contactRole.component(1).text == "EC")
        let al1 = m.all(AL1Segment.self)
        #expect(al1[0].allergyReaction.repetitions.compactMap(\.text) == ["Hives", "Anaphylaxis"])
        let dg1 = m.all(DG1Segment.self)
        #expect(dg1[1].diagnosisCode.component(1).text == "E11.9")
    }
}
