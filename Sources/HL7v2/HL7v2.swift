// HL7 v2 for Concord: syntax, acknowledgements and the mapping to the clinical model.
//
// Entry points:
// - `HL7Message` — `try HL7Message(bytes:)` indexes a message once (flat offset arrays) and decodes values
//   on access: `message["PID-3[2].1"]`, `message.value(at: "OBX[3]-5.2")`, `segments(named:)`, typed views
//   (`message.msh`, `message.pid`, `message.all(OBXSegment.self)` …); `serialize()` gives the bytes back;
//   `set(_:to:)`, `appendSegment(_:values:)` and `removeSegment(at:)` edit (Syntax/).
// - `HL7Batch` — `split(_:)` / `parse(_:)` for files with many messages and FHS/BHS/BTS/FTS wrappers.
// - `HL7ParseError` — every syntax failure, with segment index, name, field, repetition and component.
// - `HL7Acknowledgement` — original (AA/AE/AR) and enhanced (CA/CE/CR) ACKs with ERR segments (table 0357
//   codes, `HL7ErrorCode`), also for input so broken that no MSH could be parsed (ACK/).
// - `HL7v2Mapper.submission(from:)` — ADT, ORU^R01, ORM^O01, OML^O21 and VXU^V04 to `Clinical.Submission`;
//   failures are `HL7MappingError`s that carry the ACK's ERR (Mapping/).
// MLLP framing lives in MLLP/.
