// libFuzzer target: the C-CDA reader (libxml2 with entities off, DOCTYPE screen, depth limit, mapping).
import CCDA
import Clinical

@_cdecl("LLVMFuzzerTestOneInput")
public func ccdaFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let document = try? CCDAReader.read(bytes, limits: XMLLimits(maxBytes: 1 << 20, maxDepth: 256)) {
        _ = (document.submission.patients.count, document.submission.facts.count, document.report)
    }
    return 0
}
