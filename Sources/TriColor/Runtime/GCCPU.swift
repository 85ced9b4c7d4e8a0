// GC processor time, measured where it is spent (Go's gcController.*Time and the
// gcCPULimiter, mgclimit.go).
//
// Every piece of collector work is timed on the goroutine that does it and added here by
// kind: background workers (dedicated, fractional, idle), mark assists, the coordinator's
// own work (stack scans), sweeping (the heap's lazy and background sweep clocks), and
// stop-the-world pauses, which take every P (pause x GOMAXPROCS). `gc_cpu_pct`, gctrace's
// cpu fields and the CPU limiter are computed from these measurements; none of them is
// derived from a configured utilization.
//
// The CPU limiter (Go 1.19): a leaky bucket of capacity 1 s x GOMAXPROCS that fills with
// GC time and drains with mutator time over each update window, so it fills exactly when
// GC takes more than half of the machine. While it is full, assists are off: allocation
// proceeds without paying for marking and the heap may pass its goal (and the soft memory
// limit) rather than the program thrashing in GC.

import CContext
import GMP
import Synchronization

/// What a piece of GC processor time was spent on.
public enum GCCPUKind: String, Sendable, CaseIterable {
    case dedicated, fractional, idle, assist, coordinator
}

/// GC processor time over a runtime's life, nanoseconds of CPU (a P busy for 1 ms = 1 ms).
public struct GCCPUTime: Sendable, Equatable {
    /// Stop-the-world pauses x GOMAXPROCS.
    public var stwNS: Int64 = 0
    public var dedicatedNS: Int64 = 0
    public var fractionalNS: Int64 = 0
    public var idleNS: Int64 = 0
    public var assistNS: Int64 = 0
    /// The cycle coordinator's own work (stack scans).
    public var coordinatorNS: Int64 = 0
    /// Lazy and background sweeping.
    public var sweepNS: Int64 = 0
    public init() {}
    /// Background marking: dedicated + fractional + coordinator.
    public var backgroundNS: Int64 { dedicatedNS + fractionalNS + coordinatorNS }
    public var totalNS: Int64 { stwNS + backgroundNS + idleNS + assistNS + sweepNS }
}

/// The running counters behind `GCCPUTime` (relaxed atomics: each is a sum).
final class GCCPUCounters: Sendable {
    let dedicated = Atomic<Int64>(0)
    let fractional = Atomic<Int64>(0)
    let idle = Atomic<Int64>(0)
    let assist = Atomic<Int64>(0)
    let coordinator = Atomic<Int64>(0)
    let stw = Atomic<Int64>(0)

    func add(_ kind: GCCPUKind, _ ns: Int64) {
        switch kind {
        case .dedicated: dedicated.add(ns, ordering: .relaxed)
        case .fractional: fractional.add(ns, ordering: .relaxed)
        case .idle: idle.add(ns, ordering: .relaxed)
        case .assist: assist.add(ns, ordering: .relaxed)
        case .coordinator: coordinator.add(ns, ordering: .relaxed)
        }
    }

    /// Concurrent GC time so far (every kind but STW and sweeping).
    var concurrentNS: Int64 {
        dedicated.load(ordering: .relaxed) + fractional.load(ordering: .relaxed) + idle.load(ordering: .relaxed)
            + assist.load(ordering: .relaxed) + coordinator.load(ordering: .relaxed)
    }

    func snapshot(sweepNS: Int64) -> GCCPUTime {
        var t = GCCPUTime()
        t.stwNS = stw.load(ordering: .relaxed)
        t.dedicatedNS = dedicated.load(ordering: .relaxed)
        t.fractionalNS = fractional.load(ordering: .relaxed)
        t.idleNS = idle.load(ordering: .relaxed)
        t.assistNS = assist.load(ordering: .relaxed)
        t.coordinatorNS = coordinator.load(ordering: .relaxed)
        t.sweepNS = sweepNS
        return t
    }
}

/// Go's GC CPU limiter (see the essay). `update` is called from sysmon's tick and at mark
/// termination; `limiting` is read by every assist.
final class GCCPULimiter: @unchecked Sendable {
    private let lock = RuntimeLock()
    private let procs: Int
    private let capacity: Int64
    private var fill: Int64 = 0            // lock
    private var lastTime: Int64            // lock
    /// GC time accounted into the bucket so far (at most `gcTotalNS`).
    private var lastGC: Int64 = 0          // lock
    private let full = Atomic<Bool>(false)
    /// Times the bucket was found full (relaxed).
    let overflows = Atomic<Int>(0)

    init(procs: Int, now: Int64) {
        self.procs = procs
        capacity = 1_000_000_000 * Int64(procs)
        lastTime = now
    }

    /// True while GC has taken more than half the CPU for long enough to fill the bucket.
    var limiting: Bool { full.load(ordering: .relaxed) }

    /// Accounts the window since the last update: `gcTotalNS` is the cumulative GC CPU time.
    func update(now: Int64, gcTotalNS: Int64) {
        lock.withLock {
            let window = max(0, now - lastTime) * Int64(procs)
            // GC time is charged when a piece of work ends (a worker burst, an assist), so one
            // window may receive more than it lasted: the excess carries into later windows.
            let gc = min(window, max(0, gcTotalNS - lastGC))
            lastTime = now
            lastGC += gc
            fill = min(capacity, max(0, fill + gc - (window - gc)))
            let isFull = fill == capacity
            if isFull && !full.load(ordering: .relaxed) { overflows.add(1, ordering: .relaxed) }
            full.store(isFull, ordering: .relaxed)
        }
    }
}
