// Errors the heap reports to its caller.

/// A failed heap operation. Allocation throws these; misuse does not throw: on a
/// goroutine it panics it and the run throws `SchedulerError.panic` (see `heapMisuse`).
public enum HeapError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Allocating would take the bytes of spans in use past the heap limit,
    /// even after every unswept span was swept. The caller should run a
    /// collection and retry once (`MarkSweep.allocate` does); a second
    /// failure means the live data does not fit.
    /// - limit: the configured limit in bytes.
    /// - live: bytes of objects found live by the last mark (0 before the first GC).
    /// - inUse: bytes of spans in use at the failure.
    /// - requested: bytes of span the allocation needed.
    case limitExceeded(limit: Int, live: Int, inUse: Int, requested: Int)
    /// The arena reservation has no free run of pages long enough.
    case arenaExhausted(arenaBytes: Int, requested: Int)
    /// The OS refused to reserve the arena.
    case reservationFailed(bytes: Int)
    /// The configuration asks for something the runtime cannot do correctly; the message
    /// says why and what to use instead.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case let .limitExceeded(limit, live, inUse, requested):
            "heap limit exceeded: limit \(limit) bytes, live \(live) bytes after the last GC, "
                + "\(inUse) bytes of spans in use, \(requested) more requested"
        case let .arenaExhausted(arenaBytes, requested):
            "heap arena exhausted: \(arenaBytes) bytes reserved, no free run of \(requested) bytes"
        case let .reservationFailed(bytes):
            "could not reserve a heap arena of \(bytes) bytes"
        case let .invalidConfiguration(message):
            "invalid runtime configuration: \(message)"
        }
    }
}
