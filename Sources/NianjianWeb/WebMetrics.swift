import Metrics
import NianjianDomain
import NianjianStore
import Prometheus

/// `/metrics`: swift-metrics handles backed by a Prometheus registry of the console's own (no global
/// bootstrap, so several consoles, as in tests, keep apart).
public final class WebMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    init() {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Every console call (HTTP request) by method and status class; errors (4xx/5xx) apart.
    func countRequest(method: String, status: Int) {
        Counter(label: "nianjian_console_requests_total", dimensions: [("method", method), ("status", String(status))],
                factory: factory).increment()
        if status >= 400 {
            Counter(label: "nianjian_console_errors_total", dimensions: [("status", String(status))], factory: factory).increment()
        }
    }

    /// Reads inspections by tenant and state and runs by status, then renders the registry.
    func render(database: Database) async throws -> String {
        let snapshot = try await database.run { try WebQueries.selectMetrics($0) }
        var byTenant: [String: [String: Int]] = [:]
        for row in snapshot.inspections { byTenant[row.tenant, default: [:]][row.state] = row.count }
        for (tenant, states) in byTenant {
            for state in InspectionState.allCases {
                Meter(label: "nianjian_inspections", dimensions: [("tenant", tenant), ("state", state.rawValue)], factory: factory)
                    .set(states[state.rawValue] ?? 0)
            }
        }
        for status in ["running", "completed", "interrupted", "failed"] {
            Meter(label: "nianjian_runs", dimensions: [("status", status)], factory: factory)
                .set(snapshot.runs.first { $0.status == status }?.count ?? 0)
        }
        return registry.emitToString()
    }
}
