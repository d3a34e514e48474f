// libFuzzer target: the FHIR JSON reader (resources, Bundles) and the streaming NDJSON reader.
import Clinical
import FHIRLite

@_cdecl("LLVMFuzzerTestOneInput")
public func fhirFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? FHIRReader.read(bytes)
    _ = try? FHIRReader.scanOnly(bytes)
    var ndjson = NDJSONReader()
    let half = bytes.count / 2
    _ = ndjson.feed(bytes[..<half])
    _ = ndjson.feed(bytes[half...])
    _ = ndjson.finish()
    return 0
}
