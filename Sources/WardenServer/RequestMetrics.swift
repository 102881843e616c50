// Prometheus metrics: request count and latency histogram by service, operation and status.
import Metrics
import Prometheus
import Synchronization

public final class RequestMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private let counters = Mutex<[String: (Metrics.Counter, Metrics.Timer)]>([:])

    public init() {
        registry = PrometheusCollectorRegistry()
        var f = PrometheusMetricsFactory(registry: registry)
        f.defaultDurationHistogramBuckets = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                                             .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                             .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)]
        factory = f
    }

    func record(service: String, operation: String, status: Int, duration: Duration) {
        let key = "\(service)\u{0}\(operation)\u{0}\(status)"
        let pair = counters.withLock { cache -> (Metrics.Counter, Metrics.Timer) in
            if let hit = cache[key] { return hit }
            let dims = [("service", service), ("operation", operation), ("status", String(status))]
            let made = (Metrics.Counter(label: "warden_requests_total", dimensions: dims, factory: factory),
                        Metrics.Timer(label: "warden_request_duration_seconds",
                              dimensions: [("service", service), ("operation", operation)], factory: factory))
            cache[key] = made
            return made
        }
        pair.0.increment()
        pair.1.record(duration: duration)
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}
