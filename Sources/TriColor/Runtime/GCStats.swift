import CContext
import GMP

/// Collector statistics over the runtime's life.
public struct GCStats: Sendable {
    /// Completed cycles.
    public var cycles: Int
    /// Every stop-the-world pause, in nanoseconds, oldest first.
    public var pauses: [Int64]
    public var totalPauseNS: Int64 { pauses.reduce(0, +) }
    public var maxPauseNS: Int64 { pauses.max() ?? 0 }
    /// Total mark time (ns) and total sweep time (ns, lazy and background).
    public var markNS: Int64
    public var sweepNS: Int64
    /// Bytes allocated since start (settled per span: exact after a cycle).
    public var bytesAllocated: Int
    /// Bytes found live by the last mark.
    public var liveBytes: Int
    /// Bytes of spans in use now, and the most at any moment since the heap was made or
    /// `Heap.resetPeakHeapInUse()` was last called.
    public var heapInUse: Int
    public var peakHeapInUse: Int
    /// (span bytes in use - live bytes) / span bytes in use, at the last mark.
    public var fragmentation: Double
    /// Mark-assist time charged to allocating goroutines (ns); 0 for markSweep.
    public var assistNS: Int64 { cpu.assistNS }
    /// GC processor time by kind, measured (GCCPU.swift).
    public var cpu: GCCPUTime
    /// The current heap goal.
    public var heapGoal: Int
    /// Per-cycle records, oldest first.
    public var records: [GCCycleRecord]
    /// The heap's own counters at the same moment (objects allocated and freed, spans
    /// swept, ...): one statistics view, `rt.stats`, holds both.
    public var heap: HeapStats = .zero
}

extension HeapStats {
    /// All counters zero (a heap before its first allocation).
    static let zero = HeapStats(collections: 0, cycle: 0, bytesAllocated: 0, objectsAllocated: 0, objectsFreed: 0,
                                bytesFreed: 0, liveBytes: 0, liveObjects: 0, heapInUse: 0, heapInUseAtMark: 0,
                                heapFree: 0, spansReleased: 0, spansSwept: 0, lastMarkNanos: 0, totalMarkNanos: 0,
                                totalSweepNanos: 0)
}

/// Collects cycle records; protected by its lock.
final class GCStatsRecorder: @unchecked Sendable {
    private let lock = RuntimeLock()
    private var records: [GCCycleRecord] = []   // lock

    func withLock<R>(_ body: () -> R) -> R { lock.withLock(body) }

    func add(_ r: GCCycleRecord) { withLock { records.append(r) } }

    func snapshot(heap: Heap, goal: Int, cpu: GCCPUCounters) -> GCStats {
        let hs = heap.stats
        return withLock {
            GCStats(cycles: records.count, pauses: records.flatMap(\.pauses),
                    markNS: records.reduce(0) { $0 + $1.markNS }, sweepNS: Int64(hs.totalSweepNanos),
                    bytesAllocated: hs.bytesAllocated, liveBytes: hs.liveBytes, heapInUse: hs.heapInUse,
                    peakHeapInUse: heap.peakHeapInUseBytes, fragmentation: hs.fragmentation,
                    cpu: cpu.snapshot(sweepNS: Int64(hs.totalSweepNanos)), heapGoal: goal, records: records,
                    heap: hs)
        }
    }
}

/// Formats a cycle in Go's gctrace shape (`gcFraction`: measured GC CPU / machine time since
/// the runtime started):
/// `gc 7 @1.234s 3%: 0.015+2.1+0.020 ms clock, 0.015+2.1/0/0+0.020 ms cpu, 4->5->2 MB, 8 MB goal, 2 P`,
/// where the goal is the one this cycle ran against (as Go prints it), not the next one.
func gctraceLine(_ r: GCCycleRecord, sinceStartNS: Int64, gcFraction: Double) -> String {
    func ms(_ ns: Int64) -> String {
        let v = Double(ns) / 1e6
        if ns == 0 { return "0" }
        if v >= 10 { return String(Int(v.rounded())) }
        if v >= 1 { return String((v * 10).rounded() / 10) }
        return String((v * 1000).rounded() / 1000)
    }
    func mb(_ b: Int) -> Int { b >> 20 }
    let at = String(format: "%.3f", Double(sinceStartNS) / 1e9)
    let pct = Int((gcFraction * 100).rounded())
    // cpu: the first and last pauses x GOMAXPROCS, and the measured concurrent time
    // (assist/background/idle) between them, as Go prints it. A cycle with one pause
    // (markSweep) has only the last.
    let procs = Int64(r.procs)
    let firstSTW = r.pauses.count > 1 ? r.pauses[0] * procs : 0
    let lastSTW = (r.pauses.last ?? 0) * procs
    return "gc \(r.cycle) @\(at)s \(pct)%: \(ms(r.sweepTermNS))+\(ms(r.markNS))+\(ms(r.markTermNS)) ms clock, "
        + "\(ms(firstSTW))+\(ms(r.assistCPUNS))/\(ms(r.backgroundCPUNS))/\(ms(r.idleCPUNS))+\(ms(lastSTW)) ms cpu, "
        + "\(mb(r.heapStart))->\(mb(r.heapEnd))->\(mb(r.heapMarked)) MB, \(mb(r.goal)) MB goal, \(r.procs) P"
}
