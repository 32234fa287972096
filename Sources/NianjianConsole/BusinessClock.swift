import Dispatch
import NianjianDomain

/// The one clock that schedules business: retries, polls, review days, what is due (DESIGN.md "Time").
public protocol BusinessClock: Sendable {
    func now() -> Timestamp
}

/// The real time.
public struct SystemBusinessClock: BusinessClock {
    public init() {}
    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }
}

/// `--as-of DATE`: starts at that date's night (China time) and advances with elapsed time, so a
/// sequence of simulated nights behaves like the same nights run for real.
public struct AsOfBusinessClock: BusinessClock {
    public let start: Timestamp
    private let startedAt: UInt64

    public init(date: CivilDate, nightStartHour: Int = 1) {
        self.start = Timestamp(chinaDate: date, hour: nightStartHour)
        self.startedAt = DispatchTime.now().uptimeNanoseconds
    }

    public func now() -> Timestamp {
        let elapsed = DispatchTime.now().uptimeNanoseconds - startedAt
        return Timestamp(microseconds: start.microseconds + Int64(elapsed / 1000))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
