import Foundation
import Gateway

/// `concord-bench net [--total N] [--connections 1,8,64]`: MLLP echo throughput and ACK latency of
/// the network layer alone. The server's handler hands each frame to a worker thread, which ACKs at
/// once; clients are closed-loop (one message in flight per connection), so latency is a full round
/// trip through the loop, the worker and back.
enum NetBenchmark {
    static func run(_ args: [String]) throws {
        Bench.warnIfDebug()
        var total = 20_000
        var connectionCounts = [1, 8, 64]
        var index = 0
        while index < args.count {
            let value = index + 1 < args.count ? args[index + 1] : ""
            switch args[index] {
            case "--total": total = max(1, Int(value) ?? total)
            case "--connections": connectionCounts = value.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
            default: throw NetError(.io, "unknown argument \(args[index]); usage: net [--total N] [--connections 1,8,64]")
            }
            index += 2
        }

        let loop = try EventLoop(name: "bench-net")
        defer { loop.stop() }
        let worker = DispatchQueue(label: "bench-net-worker")
        let server = MLLPServer(host: "127.0.0.1", port: 0, loop: loop) { frame, _, reply in
            worker.async { reply.send(acknowledgement(of: frame)) }
        }
        try server.start()
        defer { server.stop() }

        // Warm-up: connections, threads and allocator.
        _ = MLLPLoad.run(port: server.boundPort, connections: 4, messagesPerConnection: 200, message: message)

        for connections in connectionCounts {
            let perConnection = max(1, total / connections)
            let result = MLLPLoad.run(port: server.boundPort, connections: connections, messagesPerConnection: perConnection,
                                      message: message) { reply, connection, index in
                reply.count > 20 && reply.suffix(controlID(connection, index).count + 1).elementsEqual(Array((controlID(connection, index) + "\r").utf8))
            }
            guard result.errors.isEmpty else {
                throw NetError(.io, "net benchmark with \(connections) connections failed: \(result.errors.prefix(3).joined(separator: "; "))")
            }
            let extra = ["connections": String(connections), "messages": String(result.messages)]
            Bench.report("net", "mllp_echo_throughput", result.messagesPerSecond, unit: "msg/s", extra: extra)
            Bench.report("net", "mllp_echo_latency_p50", Bench.percentile(result.latencies, 50) * 1000, unit: "ms", extra: extra)
            Bench.report("net", "mllp_echo_latency_p99", Bench.percentile(result.latencies, 99) * 1000, unit: "ms", extra: extra)
        }
    }

    private static func controlID(_ connection: Int, _ index: Int) -> String { "C\(connection)M\(index)" }

    /// An ADT^A01 as Epic-style feeds send it, about 600 bytes, with a unique MSH-10.
    @Sendable private static func message(_ connection: Int, _ index: Int) -> [UInt8] {
        Array(("MSH|^~\\&|EPIC|MERCY_HOSP|CONCORD|HIE|20240311083015||ADT^A01^ADT_A01|\(controlID(connection, index))|P|2.5.1|||AL|NE\r"
            + "EVN|A01|20240311083015|||JSMITH^SMITH^JANE\r"
            + "PID|1||E\(1_000_000 + index)^^^MERCY^MR~999-12-\(1000 + connection)^^^SSA^SS||GARCIA^MARIA^ELENA^^^^L||19790214|F|||"
            + "1420 ELM ST^APT 3B^SPRINGFIELD^IL^62704^USA^H||(217)555-0142^PRN^PH|||M|CAT|\(40_000_000 + index)\r"
            + "NK1|1|GARCIA^LUIS|SPO^SPOUSE|1420 ELM ST^^SPRINGFIELD^IL^62704|(217)555-0143\r"
            + "PV1|1|I|4W^412^A^MERCY_HOSP||||1234567890^CHEN^DAVID^^^^MD|||MED||||1|||1234567890^CHEN^DAVID^^^^MD|IN||BCBS|||||||||||||||||||MERCY_HOSP|||||20240311081500\r"
            + "AL1|1|DA|70618^PENICILLIN^RXNORM|SV|HIVES\r").utf8)
    }

    /// An AA acknowledgement echoing MSH-10 (the 10th field of the first segment).
    private static func acknowledgement(of frame: [UInt8]) -> [UInt8] {
        var field = 0
        var start = 0
        var control: ArraySlice<UInt8> = []
        for (offset, byte) in frame.enumerated() {
            if byte == 0x0D { break }
            if byte == UInt8(ascii: "|") {
                field += 1
                if field == 9 { start = offset + 1 }
                if field == 10 {
                    control = frame[start..<offset]
                    break
                }
            }
        }
        return Array("MSH|^~\\&|CONCORD|HIE|EPIC|MERCY_HOSP|20240311083016||ACK^A01^ACK|A".utf8) + control
            + Array("|P|2.5.1\rMSA|AA|".utf8) + control + [0x0D]
    }
}
