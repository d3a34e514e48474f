import Foundation
import Synchronization

/// In-process counters and the ACK-latency histogram, rendered as Prometheus text at `GET /metrics`
/// together with gauges read from the store (index size, review backlog, flags).
package final class Metrics: Sendable {
    private struct State {
        var messages: [String: Int] = [:]  // "format|status" → count
        var latencyBuckets: [Int] = Array(repeating: 0, count: Metrics.bucketBounds.count)
        var latencyCount = 0
        var latencySum = 0.0
        var httpRequests: [String: Int] = [:]  // "status" → count
        var discardedBytes = 0
        var connections = 0
    }

    /// ACK latency histogram bounds, seconds.
    static let bucketBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private let state = Mutex(State())

    package init() {}

    /// Counts a message by format (`hl7v2`, `ccda`, `fhir`, `unknown`) and status (`ingested`, `failed`, `duplicate`).
    package func countMessage(format: String, status: String) {
        state.withLock { $0.messages["\(format)|\(status)", default: 0] += 1 }
    }

    /// Records the time from a frame's arrival to its ACK being handed to the network.
    package func observeAckLatency(seconds: Double) {
        state.withLock { s in
            s.latencyCount += 1
            s.latencySum += seconds
            for (i, bound) in Metrics.bucketBounds.enumerated() where seconds <= bound { s.latencyBuckets[i] += 1 }
        }
    }

    package func countHTTP(status: Int) {
        state.withLock { $0.httpRequests[String(status), default: 0] += 1 }
    }

    package func countDiscarded(bytes: Int) {
        state.withLock { $0.discardedBytes += bytes }
    }

    package func connectionOpened() { state.withLock { $0.connections += 1 } }
    package func connectionClosed() { state.withLock { $0.connections -= 1 } }

    /// The number of messages counted with a status (for tests and the demo).
    package func messages(status: String) -> Int {
        state.withLock { s in s.messages.filter { $0.key.hasSuffix("|" + status) }.values.reduce(0, +) }
    }

    /// Prometheus text exposition (version 0.0.4). `gauges` are name → (help, value).
    package func render(gauges: [(name: String, help: String, value: Double)]) -> String {
        let s = state.withLock { $0 }
        var out = ""
        out += "# HELP concord_messages_total Messages received, by format and outcome.\n# TYPE concord_messages_total counter\n"
        for (key, count) in s.messages.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            out += "concord_messages_total{format=\"\(parts.first ?? "")\",status=\"\(parts.count > 1 ? parts[1] : "")\"} \(count)\n"
        }
        out += "# HELP concord_ack_latency_seconds Time from an MLLP frame's arrival to its ACK (after commit).\n# TYPE concord_ack_latency_seconds histogram\n"
        for (i, bound) in Metrics.bucketBounds.enumerated() {
            out += "concord_ack_latency_seconds_bucket{le=\"\(bound)\"} \(s.latencyBuckets[i])\n"
        }
        out += "concord_ack_latency_seconds_bucket{le=\"+Inf\"} \(s.latencyCount)\n"
        out += "concord_ack_latency_seconds_sum \(s.latencySum)\nconcord_ack_latency_seconds_count \(s.latencyCount)\n"
        out += "# HELP concord_http_requests_total HTTP responses by status.\n# TYPE concord_http_requests_total counter\n"
        for (status, count) in s.httpRequests.sorted(by: { $0.key < $1.key }) {
            out += "concord_http_requests_total{status=\"\(status)\"} \(count)\n"
        }
        out += "# HELP concord_mllp_discarded_bytes_total Bytes received outside MLLP frames.\n# TYPE concord_mllp_discarded_bytes_total counter\nconcord_mllp_discarded_bytes_total \(s.discardedBytes)\n"
        out += "# HELP concord_mllp_connections Open MLLP connections.\n# TYPE concord_mllp_connections gauge\nconcord_mllp_connections \(s.connections)\n"
        for gauge in gauges {
            out += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n\(gauge.name) \(gauge.value)\n"
        }
        return out
    }
}
