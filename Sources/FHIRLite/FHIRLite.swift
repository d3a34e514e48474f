/// FHIRLite: the FHIR R4 JSON the gateway reads and writes.
///
/// Entry points:
/// - ``FHIRReader/read(_:defaultSource:limits:)`` — a Bundle of any type or a single resource → one
///   ``Clinical/Submission`` (every patient of the Bundle; facts' `subject` indexes them), skipped
///   resource counts, and the problems of entries that could not be mapped.
/// - ``NDJSONReader`` — FHIR bulk-data NDJSON, streamed in batches of lines.
/// - ``FHIRWriter`` — a unified record as a `Patient/$everything` Bundle, searchsets, `$match` results,
///   a lone Patient, `OperationOutcome`s.
/// - ``FHIRError`` — invalid JSON with line, column and byte offset; wrong types with the JSON path.
///
/// JSON is read by the module's own scanner (`JSONDocument`): one pass over the bytes records the
/// structure as offsets on a flat tape, with a nesting and a size limit, and values are decoded only
/// when a mapping asks for them (swift-foundation's JSON scanner and simdjson's tape work the same way).
enum FHIRLite {}
