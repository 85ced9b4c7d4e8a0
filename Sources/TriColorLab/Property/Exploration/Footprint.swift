// Footprints: what one step of a deterministic run touched, and when two steps commute.
//
// A step is what one goroutine executes between two scheduling decisions of the
// deterministic scheduler (Deterministic.swift: safe points, yields, blocks and exits,
// forced decisions included). Partial-order reduction (DPORExplorer.swift) needs a
// dependency relation on steps: two steps of different goroutines are *independent* when
// running them in either order from the same state gives the same state, and neither
// enables or disables the other. Swapping adjacent independent steps then yields an
// equivalent run (the same Mazurkiewicz trace), which the search need not try again.
//
// We do not instrument the runtime. A step's footprint is a set of abstract resources,
// each read or written, recorded by the mutator program's own goroutines
// (ProgramExecution) before each operation, from the objects their slots hold at that
// moment:
//
//   object field (o, f)   load, store, clearField, take, put, allocInto (read or write)
//   object header (o)     the root check before each operation validates every object a
//                         slot or global holds (freed or not): a read
//   global g              loadGlobal (read), setGlobal / clearGlobal (write); the root check
//                         reads every global
//   stack slot (k, s)     goroutine k's slot s (its own operations read and write them)
//   channel c             send, receive (write: the buffer and the waiters)
//   collector state       the mark phase, the work queue, stack colours, the sweeper: a
//                         pointer write reads it outside a cycle (the barrier looks at the
//                         phase and does nothing) and writes it while marking (the barrier
//                         shades and queues objects; check level full then checks the
//                         tri-colour invariant over the whole heap)
//
// The collector's goroutines declare nothing; their steps are judged by what they changed,
// from a probe of the collector taken at every step boundary (the mark phase, the cycle
// number, and which of the program's goroutines have black stacks):
//   - a step that runs wholly inside one mark phase writes the collector state, reads
//     every object field (a drain round scans objects, shades, blackens), and reads every
//     slot of each goroutine whose stack turned black during it (a stack scan). It does
//     not free objects (only sweeping does) and writes no field or slot, so it commutes
//     with a mutator's loads and slot moves on goroutines it did not scan; every pointer
//     write while marking conflicts with it through the collector state;
//   - any other collector step (a cycle or mark phase begins or ends: pauses, stack scans
//     of the first or last pause, mark termination, sweeping) is dependent on every step.
// Dependent on every step ("all") as well:
//   - main's steps (it builds the heap, starts goroutines and cycles, runs the final
//     collection and the end check);
//   - alloc, allocInto, spawn and startGC (an allocation may start a cycle, assist the mark,
//     sweep spans and so free objects; a spawn creates a goroutine and shades what it
//     carries);
//   - a goroutine's steps after its last operation (wait group, release channel);
//   - a mutator step during which the probe changed (collector work run on its behalf);
//   - any step after which a goroutine is runnable that was not before (a wake-up: a
//     channel hand-off, a timer, a spawn), so that no independent step ever enables
//     another.
// Where we were unsure we were conservative, except in one place: virtual time. Every
// decision advances the clock by 1 us, and the collector's workers read it (a fractional
// worker's share, a dedicated worker's burst length), so swapping a mutator step with a
// collector step moves the collector's clock by one decision. We treat that as
// independent; if a worker's threshold fell exactly there, the reordered run could differ.
// DPORTests measures coverage against the plain search rather than assuming it. Precise
// footprints for drains (the objects each round blackened) would let pointer writes
// commute with drains of other objects; we did not go that far.
// Two footprints conflict when either is "all", or one writes a resource the other reads
// or writes (a field wildcard covers every field, a stack key every slot of one goroutine).
//
// A goroutine's footprint for operation j is declared with `begin` and stays in force
// (the "ambient" footprint) until its next `begin`: an operation with a safe point inside
// (alloc) spans several steps, and each of them is charged the whole operation.

import GMP

/// The resources one step read and wrote (see the essay above).
struct Footprint: Sendable, Equatable {
    /// Dependent on every step.
    var all = false
    var reads: [UInt64] = []
    var writes: [UInt64] = []

    static let everything = Footprint(all: true)

    enum Kind: UInt64 { case field = 1, header, global, slot, channel, collector }

    static func key(_ kind: Kind, _ payload: UInt64) -> UInt64 { kind.rawValue << 58 | payload }
    static func field(_ object: UInt64, _ f: Int) -> UInt64 { key(.field, object << 2 | UInt64(f)) }
    static func header(_ object: UInt64) -> UInt64 { key(.header, object) }
    static func global(_ g: Int) -> UInt64 { key(.global, UInt64(g)) }
    static func slot(_ thread: Int, _ s: Int) -> UInt64 { key(.slot, UInt64(thread) << 8 | UInt64(s)) }
    static func channel(_ c: Int) -> UInt64 { key(.channel, UInt64(c)) }
    static let collector = key(.collector, 0)
    /// Every field of every object.
    static let allFields = key(.field, (1 << 58) - 1)
    /// Every slot of goroutine `thread`.
    static func stack(_ thread: Int) -> UInt64 { key(.slot, UInt64(thread) << 8 | 0xFF) }

    /// Whether two keys name overlapping resources (equal, or a wildcard covers the other).
    static func overlap(_ a: UInt64, _ b: UInt64) -> Bool {
        if a == b { return true }
        if a >> 58 != b >> 58 { return false }
        if a == allFields || b == allFields { return true }
        if a >> 58 == Kind.slot.rawValue, a >> 8 == b >> 8 { return a & 0xFF == 0xFF || b & 0xFF == 0xFF }
        return false
    }

    var isEmpty: Bool { !all && reads.isEmpty && writes.isEmpty }

    mutating func read(_ k: UInt64) { if !reads.contains(k) { reads.append(k) } }
    mutating func write(_ k: UInt64) { if !writes.contains(k) { writes.append(k) } }

    mutating func formUnion(_ o: Footprint) {
        if o.all { all = true }
        if all { reads = []; writes = []; return }
        for k in o.reads { read(k) }
        for k in o.writes { write(k) }
    }

    /// The dependency relation: either is "all", or a write meets a read or write.
    func conflicts(with o: Footprint) -> Bool {
        if all || o.all { return true }
        for k in writes {
            for m in o.writes where Self.overlap(k, m) { return true }
            for m in o.reads where Self.overlap(k, m) { return true }
        }
        for k in o.writes {
            for m in reads where Self.overlap(k, m) { return true }
        }
        return false
    }
}

/// What the collector looks like at a step boundary (FootprintLog.probe).
struct CollectorProbe: Equatable {
    var marking: Bool
    var cycle: UInt32
    /// Bit k: goroutine k of the program has a black stack.
    var blackStacks: UInt64
}

/// Collects the footprint of the step in progress during one run; the DPOR strategy
/// closes a step at every decision (`close`). One per run; touched only by that run's
/// single M.
final class FootprintLog: @unchecked Sendable {
    /// What the step in progress declared so far.
    private var open = Footprint()
    /// Each goroutine's last declared footprint, charged to every step it runs until it
    /// declares the next one.
    private var ambient: [Int64: Footprint] = [:]
    /// Reads the collector (set by the run's ProgramExecution before it starts goroutines).
    var probe: (() -> CollectorProbe)?
    private var last: CollectorProbe?

    /// Goroutine `g` starts an operation touching `fp`.
    func begin(_ g: Int64, _ fp: Footprint) {
        open.formUnion(fp)
        ambient[g] = fp
    }

    /// Ends the step goroutine `g` ran: its footprint (see the essay above).
    func close(ranBy g: Int64) -> Footprint {
        var fp = open
        open = Footprint()
        let before = last
        let now = probe?()
        last = now
        guard let before, let now else { return .everything }
        if let a = ambient[g] {
            if before != now { return .everything }
            fp.formUnion(a)
            return fp
        }
        guard before.marking && now.marking && before.cycle == now.cycle else { return .everything }
        var c = Footprint()
        c.write(Footprint.collector)
        c.read(Footprint.allFields)
        let scanned = now.blackStacks & ~before.blackStacks
        for k in 0..<64 where scanned & (1 << UInt64(k)) != 0 { c.read(Footprint.stack(k)) }
        if now.blackStacks & before.blackStacks != before.blackStacks { return .everything }
        return c
    }
}
