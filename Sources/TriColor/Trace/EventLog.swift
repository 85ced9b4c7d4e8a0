// The runtime's event log: GC phases, stop-the-world pauses, mark workers and assists, span
// sweeps and (optionally) every goroutine run slice per P, with nanotime timestamps. gcbench turns it into Chrome
// trace-event JSON (Perfetto, chrome://tracing), MMU curves and pause histograms.
//
// Recording is off unless RuntimeConfig.recordEvents is set; then each event costs one
// lock acquisition (events are rare except span sweeps, one per 8 KiB-or-larger span, and
// run slices, which are only recorded with RuntimeConfig.traceGoroutines).

import CContext
import GMP

/// One timed event.
public struct GCEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A whole GC cycle, from trigger to the start of its sweep.
        case cycle
        /// The world was stopped (request to restart): mutators made no progress.
        case stw
        /// The concurrent mark phase (or the STW mark for markSweep).
        case mark
        /// A mark assist by an allocating goroutine, on its P.
        case assist
        /// A background mark worker's burst (name: dedicated, fractional, idle or
        /// coordinator), on its P.
        case worker
        /// A goroutine ran on a P.
        case run
        /// One span swept (lazily by an allocation, by the background sweeper, or before a
        /// cycle), on the P of the thread that swept it (-1: none).
        case sweep
    }
    public var kind: Kind
    public var name: String
    public var start: Int64
    public var end: Int64
    /// The P, or -1.
    public var p: Int
    /// The goroutine, or 0.
    public var goroutine: Int64

    public init(kind: Kind, name: String, start: Int64, end: Int64, p: Int = -1, goroutine: Int64 = 0) {
        self.kind = kind
        self.name = name
        self.start = start
        self.end = end
        self.p = p
        self.goroutine = goroutine
    }
}

/// Append-only event storage, protected by its lock.
final class EventLog: @unchecked Sendable {
    let enabled: Bool
    private let lock = RuntimeLock()
    private var events: [GCEvent] = []   // lock

    init(enabled: Bool) { self.enabled = enabled }

    @inline(__always)
    func record(_ e: @autoclosure () -> GCEvent) {
        guard enabled else { return }
        let ev = e()
        lock.withLock { events.append(ev) }
    }

    var snapshot: [GCEvent] { lock.withLock { events } }
}
