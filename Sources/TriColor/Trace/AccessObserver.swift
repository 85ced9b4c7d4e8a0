// What the collector touches, step by step, for partial-order reduction.
//
// TriColorLab's DPOR search (Property/Exploration/Footprint.swift, essay) needs, for every
// step of a deterministic run, the parts of the state the step read and wrote. The mutator
// program declares its own operations; the collector's goroutines (coordinator, workers,
// sweeper) and the collector work done on a mutator's behalf (write barriers, assists, lazy
// sweeps) report theirs here, at the few places that read or change shared collector state:
//
//   shade(r)            MarkEngine: r's colour read; if it turned grey, written, and r pushed
//                       on the current P's grey stack
//   scan(o)             MarkEngine's drain: o's fields read, o's colour written (black)
//   queue(pool:written:) a grey queue popped, pushed or found empty (the P's or the pool)
//   allQueuesRead       the coordinator's idle test (every queue's size, the counters)
//   stackScanned(g)     a goroutine's slots read, its stack colour written
//   heapChecked         the invariant checker walked the heap (every colour, field, header)
//   sweptSpan, freed(o) a span swept (the allocator's state), object o freed (its header)
//   bookkeeping         background credit, the assist queue, the fractional worker's hints
//   transition          start of mark, a mark-completion flush, mark termination: the
//                       barrier-enabled state every store reads, and much more, changes
//
// Off (nil) except in DPOR runs, where it is set before the runtime starts and called only
// on the run's single M; each hook costs a load and a branch otherwise.

/// Receives the collector's accesses during a deterministic run (see the essay above).
/// Called on the run's single M only.
package protocol AccessObserver: AnyObject {
    func shade(_ object: UInt64, greyed: Bool)
    func scan(_ object: UInt64)
    func queue(pool: Bool, written: Bool)
    func allQueuesRead()
    func stackScanned(_ goroutine: Int64)
    func heapChecked()
    func sweptSpan()
    func freed(_ object: UInt64)
    func bookkeeping()
    func transition()
}
