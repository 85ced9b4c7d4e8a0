import GMP

/// One garbage-collection algorithm as the runtime drives it.
///
/// The runtime owns the heap, the scheduler, the pacer and the statistics; a collector owns
/// the mark phase: how a cycle is sequenced (what is stopped, when stacks are scanned) and
/// which write barrier it needs (its kind's BarrierPlan; the runtime owns the barrier itself,
/// so a store never goes through the collector). Every collector, `markSweep` included, implements this protocol. A
/// concurrent collector is also reached while its mark runs (allocate-black, assists,
/// pointers moved between stacks) through `TriColorRuntime.concurrent`.
protocol Collector: AnyObject, Sendable {
    var kind: CollectorKind { get }

    /// Runs one complete cycle on the calling goroutine, which holds the runtime's cycle
    /// lock, and returns its record. When it returns, the sweep of the cycle has started.
    func runCycle(reason: GCReason) -> GCCycleRecord
}

/// Why a cycle started.
public enum GCReason: String, Sendable {
    /// The heap reached the pacer's trigger.
    case heap
    /// `TriColorRuntime.collect()`.
    case explicit
    /// No cycle ran for `RuntimeConfig.forcedGCPeriodNS` (Go's forced GC, 2 minutes).
    case forced
    /// An allocation hit the heap limit.
    case limit
}

/// What one cycle did (the source of gctrace lines and statistics).
public struct GCCycleRecord: Sendable {
    public var cycle: Int
    public var reason: GCReason
    public var collector: CollectorKind
    /// nanotime at the start of the cycle.
    public var start: Int64
    /// Clock time of the three phases (ns): the sweep-termination STW, the mark (inside the
    /// STW for markSweep; concurrent otherwise), the mark-termination STW.
    public var sweepTermNS: Int64
    public var markNS: Int64
    public var markTermNS: Int64
    /// Every stop-the-world pause of the cycle (ns), request to restart.
    public var pauses: [Int64]
    /// heapLive at the start, at the end of mark, and bytes marked live.
    public var heapStart: Int
    public var heapEnd: Int
    public var heapMarked: Int
    /// The heap goal set for the next cycle.
    public var nextGoal: Int
    public var procs: Int
    /// The heap goal in effect when this cycle started (what Go's gctrace prints as "MB goal").
    public var goal: Int = 0
    /// Objects marked.
    public var markedObjects: Int
    /// Write-barrier slow-path calls this cycle, and the objects the barrier turned grey.
    public var barrierCalls: Int = 0
    public var shades: Int = 0
    /// Bytes marked by this cycle but unreachable at its end (nil unless measured).
    public var floatingGarbageBytes: Int? = nil
    /// Concurrent GC processor time measured during the cycle (ns of CPU): assists,
    /// background workers (dedicated + fractional + coordinator) and idle workers. Zero for
    /// markSweep, whose whole mark is inside its pause.
    public var assistCPUNS: Int64 = 0
    public var backgroundCPUNS: Int64 = 0
    public var idleCPUNS: Int64 = 0
}
