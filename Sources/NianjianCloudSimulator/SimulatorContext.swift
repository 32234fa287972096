import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the connection, so a fault can drop it and the
/// control plane can check that the caller is on loopback.
public struct SimulatorContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }

    /// True for a loopback peer (127.0.0.0/8, ::1), a unix socket, or none (an in-process test).
    public var callerIsLocal: Bool {
        guard let address = channel.remoteAddress else { return true }
        switch address {
        case .unixDomainSocket: return true
        case .v4: return address.ipAddress?.hasPrefix("127.") ?? false
        case .v6: return address.ipAddress == "::1" || (address.ipAddress?.hasPrefix("::ffff:127.") ?? false)
        }
    }

    /// Closes the connection without an answer (a dropped connection, a lost answer).
    func dropConnection() async {
        try? await channel.close()
    }
}
