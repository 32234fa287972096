/// Where the real (or simulated) cloud is: the job file's `console.region`, `console.endpoints`,
/// `console.timeout_seconds`. The `aliyun` adapter uses the public endpoints unless told otherwise; the
/// `simulator` adapter points every API at `nianjian cloud serve`.
public struct CloudSettings: Sendable, Hashable {
    /// The default region (a service's own `region` column wins for region-specific APIs).
    public var region: String = "cn-hangzhou"
    /// Endpoint overrides by API name (`bss`, `ecs`, `rds`), e.g. `https://business.aliyuncs.com`.
    public var endpoints: [String: String] = ["bss": "https://business.aliyuncs.com"]
    /// One call's deadline.
    public var timeoutSeconds: Double = 10
    /// The simulator's address for `console.adapter: simulator` (every API goes there).
    public var simulatorURL: String = "http://127.0.0.1:8930"

    public init() {}
}
