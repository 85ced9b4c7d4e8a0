import GMP

/// One garbage-collection algorithm as the runtime drives it.
///
/// The runtime owns the heap, the scheduler, the pacer and the statistics; a collector owns
/// the mark phase: how a cycle is sequenced (what is stopped, when stacks are scanned) and,
/// for concurrent collectors, the write barrier. Every collector, `markSweep` included,
/// implements this protocol; none is a special case of the runtime.
protocol Collector: AnyObject, Sendable {
    var kind: CollectorKind { get }

    /// Runs one complete cycle on the calling goroutine, which holds the runtime's cycle
    /// lock, and returns its record. When it returns, the sweep of the cycle has started.
    func runCycle(reason: GCReason) -> GCCycleRecord

    /// The write barrier's slow path for a store of `new` into `slot` (a heap field or a
    /// global), called only while `TriColorRuntime.barrierEnabled` is set, before the
    /// store. `slot` is the address of the word about to be overwritten.
    func writeBarrier(slot: UnsafeMutablePointer<UInt64>, new: Ref)

    /// Called after every allocation while `TriColorRuntime.marking` is set, with no safe
    /// point allowed: colour the new object (allocate-black).
    func allocatedWhileMarking(_ r: Ref, size: Int)

    /// Called before an allocation of `bytes` while marking: charge the allocating goroutine
    /// a mark assist. May reach safe points (the new object does not exist yet).
    func assist(bytes: Int)

    /// Refs moved between stacks while marking (goroutine creation, channel transfer):
    /// collectors with a barrier shade them.
    func pointersMoved(_ refs: [Ref])
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
    /// Objects marked.
    public var markedObjects: Int
    /// Write-barrier slow-path calls and successful shades (white -> grey) this cycle.
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
