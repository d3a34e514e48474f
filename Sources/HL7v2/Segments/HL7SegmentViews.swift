import Clinical

/// Typed views of the segments the gateway reads, named after the HL7 v2.5.1 field names. Each view is a
/// thin wrapper over ``HL7Segment``: fields come back as ``HL7Value``s to be drilled into or decoded.
package protocol HL7SegmentView {
    static var segmentName: String { get }
    var segment: HL7Segment { get }
    init(unchecked segment: HL7Segment)
}

extension HL7SegmentView {
    /// The view of a segment, or `nil` when the segment has another name.
    package init?(_ segment: HL7Segment) {
        guard segment.name == Self.segmentName else { return nil }
        self.init(unchecked: segment)
    }

    package func field(_ n: Int) -> HL7Value { segment.field(n) }
}

extension HL7Message {
    /// Every segment of a view's type, as views (`message.all(OBXSegment.self)`).
    package func all<V: HL7SegmentView>(_ type: V.Type) -> [V] {
        segments(named: V.segmentName).map(V.init(unchecked:))
    }

    /// The first segment of a view's type.
    package func first<V: HL7SegmentView>(_ type: V.Type) -> V? {
        firstSegment(named: V.segmentName).map(V.init(unchecked:))
    }

    /// The MSH segment (always present in a parsed message).
    package var msh: MSHSegment { MSHSegment(unchecked: HL7Segment(message: self, index: 0)) }

    /// The first PID segment.
    package var pid: PIDSegment? { first(PIDSegment.self) }
}

/// MSH, the message header (HL7 v2.5.1 §2.14.9).
package struct MSHSegment: HL7SegmentView {
    package static let segmentName = "MSH"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var fieldSeparator: HL7Value { field(1) }
    package var encodingCharacters: HL7Value { field(2) }
    package var sendingApplication: HL7Value { field(3) }
    package var sendingFacility: HL7Value { field(4) }
    package var receivingApplication: HL7Value { field(5) }
    package var receivingFacility: HL7Value { field(6) }
    package var dateTimeOfMessage: HL7Value { field(7) }
    package var security: HL7Value { field(8) }
    /// MSG: message code ^ trigger event ^ message structure.
    package var messageType: HL7Value { field(9) }
    package var messageControlID: HL7Value { field(10) }
    package var processingID: HL7Value { field(11) }
    package var versionID: HL7Value { field(12) }
    package var acceptAcknowledgmentType: HL7Value { field(15) }
    package var applicationAcknowledgmentType: HL7Value { field(16) }
    package var characterSet: HL7Value { field(18) }

    /// MSH-9.1 (`ADT`), upper-cased.
    package var messageCode: String? { messageType.component(1).trimmed?.uppercased() }
    /// MSH-9.2 (`A01`), upper-cased.
    package var triggerEvent: String? { messageType.component(2).trimmed?.uppercased() }
    /// MSH-12.1 (`2.5.1`).
    package var version: String? { versionID.component(1).trimmed }
}

/// EVN, the event type.
package struct EVNSegment: HL7SegmentView {
    package static let segmentName = "EVN"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var eventTypeCode: HL7Value { field(1) }
    package var recordedDateTime: HL7Value { field(2) }
    package var dateTimePlannedEvent: HL7Value { field(3) }
    package var eventReasonCode: HL7Value { field(4) }
    package var operatorID: HL7Value { field(5) }
    package var eventOccurred: HL7Value { field(6) }
}

/// PID, patient identification.
package struct PIDSegment: HL7SegmentView {
    package static let segmentName = "PID"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var setID: HL7Value { field(1) }
    /// PID-2, the v2.3 external id (CX), still sent by some systems.
    package var patientID: HL7Value { field(2) }
    package var patientIdentifierList: HL7Value { field(3) }
    package var alternatePatientID: HL7Value { field(4) }
    package var patientName: HL7Value { field(5) }
    package var mothersMaidenName: HL7Value { field(6) }
    package var dateTimeOfBirth: HL7Value { field(7) }
    package var administrativeSex: HL7Value { field(8) }
    package var patientAlias: HL7Value { field(9) }
    package var race: HL7Value { field(10) }
    package var patientAddress: HL7Value { field(11) }
    package var phoneNumberHome: HL7Value { field(13) }
    package var phoneNumberBusiness: HL7Value { field(14) }
    package var primaryLanguage: HL7Value { field(15) }
    package var maritalStatus: HL7Value { field(16) }
    package var patientAccountNumber: HL7Value { field(18) }
    package var ssnNumber: HL7Value { field(19) }
    package var ethnicGroup: HL7Value { field(22) }
    package var multipleBirthIndicator: HL7Value { field(24) }
    package var birthOrder: HL7Value { field(25) }
    package var patientDeathDateTime: HL7Value { field(29) }
    package var patientDeathIndicator: HL7Value { field(30) }
}

/// PV1, patient visit.
package struct PV1Segment: HL7SegmentView {
    package static let segmentName = "PV1"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var patientClass: HL7Value { field(2) }
    package var assignedPatientLocation: HL7Value { field(3) }
    package var admissionType: HL7Value { field(4) }
    package var attendingDoctor: HL7Value { field(7) }
    package var referringDoctor: HL7Value { field(8) }
    package var hospitalService: HL7Value { field(10) }
    package var admitSource: HL7Value { field(14) }
    package var admittingDoctor: HL7Value { field(17) }
    package var patientType: HL7Value { field(18) }
    package var visitNumber: HL7Value { field(19) }
    package var dischargeDisposition: HL7Value { field(36) }
    package var servicingFacility: HL7Value { field(39) }
    package var admitDateTime: HL7Value { field(44) }
    package var dischargeDateTime: HL7Value { field(45) }
}

/// NK1, next of kin / associated parties.
package struct NK1Segment: HL7SegmentView {
    package static let segmentName = "NK1"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var name: HL7Value { field(2) }
    package var relationship: HL7Value { field(3) }
    package var address: HL7Value { field(4) }
    package var phoneNumber: HL7Value { field(5) }
    package var businessPhoneNumber: HL7Value { field(6) }
    package var contactRole: HL7Value { field(7) }
}

/// AL1, patient allergy information.
package struct AL1Segment: HL7SegmentView {
    package static let segmentName = "AL1"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var allergenTypeCode: HL7Value { field(2) }
    package var allergenCode: HL7Value { field(3) }
    package var allergySeverityCode: HL7Value { field(4) }
    package var allergyReaction: HL7Value { field(5) }
    package var identificationDate: HL7Value { field(6) }
}

/// DG1, diagnosis.
package struct DG1Segment: HL7SegmentView {
    package static let segmentName = "DG1"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var setID: HL7Value { field(1) }
    /// DG1-2, the coding method (pre-2.5 senders put the system here).
    package var codingMethod: HL7Value { field(2) }
    package var diagnosisCode: HL7Value { field(3) }
    /// DG1-4, free-text description (pre-2.5 senders).
    package var description: HL7Value { field(4) }
    package var diagnosisDateTime: HL7Value { field(5) }
    /// DG1-6 (table 0052): A admitting, W working, F final.
    package var diagnosisType: HL7Value { field(6) }
    package var diagnosisIdentifier: HL7Value { field(20) }
}

/// MRG, merge patient information.
package struct MRGSegment: HL7SegmentView {
    package static let segmentName = "MRG"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var priorPatientIdentifierList: HL7Value { field(1) }
    package var priorAlternatePatientID: HL7Value { field(2) }
    package var priorPatientAccountNumber: HL7Value { field(3) }
    package var priorPatientID: HL7Value { field(4) }
    package var priorVisitNumber: HL7Value { field(5) }
    package var priorPatientName: HL7Value { field(7) }
}

/// ORC, common order.
package struct ORCSegment: HL7SegmentView {
    package static let segmentName = "ORC"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var orderControl: HL7Value { field(1) }
    package var placerOrderNumber: HL7Value { field(2) }
    package var fillerOrderNumber: HL7Value { field(3) }
    package var orderStatus: HL7Value { field(5) }
    package var quantityTiming: HL7Value { field(7) }
    package var dateTimeOfTransaction: HL7Value { field(9) }
    package var orderingProvider: HL7Value { field(12) }
}

/// OBR, observation request.
package struct OBRSegment: HL7SegmentView {
    package static let segmentName = "OBR"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var placerOrderNumber: HL7Value { field(2) }
    package var fillerOrderNumber: HL7Value { field(3) }
    package var universalServiceIdentifier: HL7Value { field(4) }
    package var priority: HL7Value { field(5) }
    package var requestedDateTime: HL7Value { field(6) }
    package var observationDateTime: HL7Value { field(7) }
    package var specimenReceivedDateTime: HL7Value { field(14) }
    package var orderingProvider: HL7Value { field(16) }
    package var resultsReportedDateTime: HL7Value { field(22) }
    package var diagnosticServiceSectionID: HL7Value { field(24) }
    package var resultStatus: HL7Value { field(25) }
    package var quantityTiming: HL7Value { field(27) }
    package var reasonForStudy: HL7Value { field(31) }
}

/// OBX, observation / result.
package struct OBXSegment: HL7SegmentView {
    package static let segmentName = "OBX"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var setID: HL7Value { field(1) }
    /// OBX-2: the data type of OBX-5 (NM, SN, ST, TX, FT, CE, CWE, CNE, DT, TS …).
    package var valueType: HL7Value { field(2) }
    package var observationIdentifier: HL7Value { field(3) }
    package var observationSubID: HL7Value { field(4) }
    package var observationValue: HL7Value { field(5) }
    package var units: HL7Value { field(6) }
    package var referencesRange: HL7Value { field(7) }
    package var abnormalFlags: HL7Value { field(8) }
    package var observationResultStatus: HL7Value { field(11) }
    package var dateTimeOfObservation: HL7Value { field(14) }
    package var producersID: HL7Value { field(15) }
    package var responsibleObserver: HL7Value { field(16) }
    package var dateTimeOfAnalysis: HL7Value { field(19) }
    /// OBX-21 (v2.7+ observation instance identifier), used as the source's id.
    package var observationInstanceIdentifier: HL7Value { field(21) }
    package var performingOrganizationName: HL7Value { field(23) }
}

/// RXA, pharmacy/treatment administration (immunizations in VXU).
package struct RXASegment: HL7SegmentView {
    package static let segmentName = "RXA"
    package let segment: HL7Segment
    package init(unchecked segment: HL7Segment) { self.segment = segment }

    package var administrationSubIDCounter: HL7Value { field(2) }
    package var dateTimeStartOfAdministration: HL7Value { field(3) }
    package var dateTimeEndOfAdministration: HL7Value { field(4) }
    package var administeredCode: HL7Value { field(5) }
    package var administeredAmount: HL7Value { field(6) }
    package var administeredUnits: HL7Value { field(7) }
    package var administeringProvider: HL7Value { field(10) }
    package var substanceLotNumber: HL7Value { field(15) }
    package var substanceManufacturerName: HL7Value { field(17) }
    package var substanceTreatmentRefusalReason: HL7Value { field(18) }
    package var completionStatus: HL7Value { field(20) }
    package var actionCode: HL7Value { field(21) }
}
