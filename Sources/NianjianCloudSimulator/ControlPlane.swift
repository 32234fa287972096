import Foundation
import Hummingbird
import NianjianDomain

/// `/_simulator/…`: unsigned, answered only to loopback callers. The business clock the reviews run on,
/// counters, and instances loaded from an agency's services.csv.
struct ControlPlane: Sendable {
    let state: CloudState
    let stats: SimulatorStats

    func register(on router: Router<SimulatorContext>) {
        router.get("/_simulator/clock") { _, context in try await self.local(context) { try await self.clock() } }
        router.post("/_simulator/clock") { request, context in
            try await self.local(context) {
                let body = try await request.body.collect(upTo: 64 * 1024)
                return try await self.setClock(Array(buffer: body))
            }
        }
        router.get("/_simulator/stats") { _, context in try await self.local(context) { try await self.statistics() } }
        router.get("/_simulator/instances") { _, context in try await self.local(context) { try await self.listInstances() } }
        router.post("/_simulator/instances") { request, context in
            try await self.local(context) {
                let body = try await request.body.collect(upTo: 64 << 20)
                let replace = request.uri.queryParameters["replace"].map { $0 != "false" } ?? true
                return try await self.loadInstances(Array(buffer: body), replace: replace)
            }
        }
    }

    private func local(_ context: SimulatorContext, _ work: () async throws -> Response) async throws -> Response {
        guard context.callerIsLocal else { return RPCResponder.error(.notFound, requestId: UUID().uuidString, host: "") }
        await stats.add("control_requests")
        do {
            return try await work()
        } catch let error as CloudError {
            return RPCResponder.error(error, requestId: UUID().uuidString, host: "")
        }
    }

    private func clock() async throws -> Response {
        let date = await state.businessDate()
        return RPCResponder.json(.object([("business_date", .string(date.description))]), status: .ok, requestId: nil)
    }

    /// `{"business_date": "2026-12-03"}`; an empty body or `{}` means today in China time (the real clock).
    private func setClock(_ body: [UInt8]) async throws -> Response {
        var date = RealClock.now().chinaDate
        if !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw CloudError.invalid("body", "a JSON object like {\"business_date\": \"2026-12-03\"}")
            }
            if let text = object["business_date"] as? String {
                guard let parsed = CivilDate(iso: text) else { throw CloudError.invalid("business_date", "YYYY-MM-DD") }
                date = parsed
            } else if object["business_date"] != nil {
                throw CloudError.invalid("business_date", "YYYY-MM-DD")
            }
        }
        try await state.setBusinessDate(date)
        return try await clock()
    }

    private func statistics() async throws -> Response {
        let counts = await stats.snapshot()
        var fields: [(String, JSONValue)] = SimulatorStats.names.map { ($0, .int(counts[$0] ?? 0)) }
        let totals = try await state.totals()
        fields += [
            ("instances", .int(totals.instances)), ("orders_total", .int(totals.orders)),
            ("orders_unpaid", .int(totals.unpaid)), ("orders_paid", .int(totals.paid)),
            ("orders_cancelled", .int(totals.cancelled)),
            ("business_date", .string(await state.businessDate().description)),
        ]
        return RPCResponder.json(.object(fields), status: .ok, requestId: nil)
    }

    private func listInstances() async throws -> Response {
        var items: [JSONValue] = []
        for instance in try await state.allInstances() {
            items.append(.object([
                ("instance_id", .string(instance.instanceId)), ("product", .string(instance.product)),
                ("region", .string(instance.region)), ("expires_on", .string(instance.expiresOn.description)),
                ("renewal", .string(instance.renewal.rawValue)),
                ("status", .string(await state.condition(of: instance).bss)),
            ]))
        }
        return RPCResponder.json(.object([("instances", .array(items))]), status: .ok, requestId: nil)
    }

    private func loadInstances(_ body: [UInt8], replace: Bool) async throws -> Response {
        let loaded: [CloudInstance]
        do {
            loaded = try InstanceLoader.instances(fromServicesCSV: body)
        } catch let error as InstanceLoader.LoadError {
            return RPCResponder.json(.object([
                ("Code", .string("InvalidParameter")), ("Message", .string("services.csv was refused")),
                ("problems", .array(error.problems.prefix(100).map { .string($0) })),
            ]), status: .badRequest, requestId: nil)
        }
        let result = try await state.load(loaded, replace: replace)
        let total = try await state.totals().instances
        return RPCResponder.json(.object([("added", .int(result.added)), ("replaced", .int(result.replaced)),
                                          ("instances", .int(total))]), status: .ok, requestId: nil)
    }
}
