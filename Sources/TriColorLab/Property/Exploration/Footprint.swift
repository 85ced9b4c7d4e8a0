// Footprints: what one step of a deterministic run touched, and when two steps commute.
//
// A step is what one goroutine executes between two scheduling decisions of the
// deterministic scheduler (Deterministic.swift: safe points, yields, blocks and exits,
// forced decisions included). Partial-order reduction (DPORExplorer.swift) needs a
// dependency relation on steps: two steps of different goroutines are *independent* when
// running them in either order from the same state gives the same state, and neither
// enables or disables the other. Swapping adjacent independent steps then yields an
// equivalent run (the same Mazurkiewicz trace), which the search need not try again. The
// relation must be sound (steps that do not commute are dependent; when in doubt,
// dependent); the more precise it is, the fewer runs the search needs.
//
// A footprint is a set of abstract resources, each read or written:
//
//   field (o, f)        one pointer field; (o, *) every field of o; (*) every field
//   header (o)          whether o is live (allocated, or freed by a sweep)
//   colour (o)          o's mark and grey bits
//   global g, stack slot (k, s) (k, *: goroutine k's whole stack), channel c, the
//                       program's wait groups
//   queue p, pool       P p's local grey stack, the shared pool of grey batches
//   phase               the mark phase and barrier-enabled state every pointer store reads
//   allocator           spans, free slots, sweep state
//   bookkeeping         background scan credit, the assist queue, the fractional worker's
//                       wake-up hint
//
// Where footprints come from. The program's goroutines declare theirs (ProgramExecution)
// before each operation, from the objects their slots hold at that moment: every
// operation's root check reads the goroutine's slots, the globals and the headers of what
// they hold; a load reads (o, f) and writes the slot it fills; a store, clearField, take,
// put or setGlobal writes the field or global and reads the phase (the barrier tests it);
// an allocation writes the allocator and its slot or field (and, while marking, the
// bookkeeping: it may assist) and, once it returned, the new object's header and colour;
// send and receive write their channel; after its last operation a goroutine writes the
// wait groups. The collector reports what it touches as it touches it
// (TriColor's AccessObserver, at a handful of places), charged to whichever step is
// running — a worker's, the coordinator's, or a mutator's whose write barrier, assist or
// lazy sweep did the work:
//
//   shade(o)        reads o's colour; if o turned grey, writes it and the P's queue
//   scan(o)         reads (o, *), writes o's colour (black)
//   pop, push       the P's queue or the pool, written; found empty: read
//   idle test       the coordinator's poll reads every queue (and the counters drains move)
//   stack scan      writes goroutine k's stack (k, *): it reads every slot and turns the
//                   stack black, which the hybrid barrier of goroutine k reads
//   invariant check (check level full, after every barrier and scan) reads every field,
//                   colour and header
//   sweep           writes the allocator; each object it frees, its header and colour
//   worker, assist  write the bookkeeping
// A collector goroutine's step also reads the allocator and the phase, which its loops
// look at without reporting.
//
// Dependent on every step ("all"):
//   - a phase transition (start of mark, a mark-completion flush, mark termination) and
//     any step during which the cycle number or the marking flag changed: they write the
//     phase, flush every queue, scan globals and (for some plans) every stack, check the
//     whole heap;
//   - main's steps from its final collection on (the collection, the sweep, the release
//     of the goroutines, the end check), a startGC operation, a spawn operation, and the
//     step in which main starts a background cycle (`gcAtStart`);
//   - a step after which a goroutine is runnable that was not before and that neither a
//     timer nor its own yield made runnable (a spawn, or a wake-up with a collector
//     goroutine on either side: its wait groups, channels, assist queue and world stops
//     are not resources here), so that no independent step ever enables another. A
//     goroutine a timer woke (a worker's or the coordinator's sleep ending) was woken by
//     the virtual clock, not by the step that happened to run, and one that yielded was
//     never blocked; the scheduler counts both (`Scheduler.deterministicSpontaneousWakeups`).
// Not dependent on all: main's creation of the program's goroutines, in steps that began
// while main was still building the heap and starting them (`FootprintLog.spawner`). A
// creation makes the new goroutine runnable, reads the marking flag (no cycle runs yet)
// and pushes the carried Refs onto the new stack, which only the new goroutine's steps
// read (they happen after its creation: DPORExplorer's `createdBy`); wg.add writes the
// wait groups, which main's setup footprint declares; and it takes the next goroutine
// id, so creations conflict with each other (`goroutineIDs`; every other creation is
// dependent on all). The rest of such a step is main's setup footprint.
// Not dependent on all either: a hand-off between two goroutines that declare footprints (main
// and the program's goroutines). They block only on the program's channels and wait
// groups (and main's release channel, closed under "all"), which both steps declare, so
// the waker and every other step that could have woken the goroutine conflict already;
// what the wake-up adds is that the woken goroutine's next step cannot run before the
// waker's. So the waking step writes wake(q), q's next step reads it, and DPORExplorer
// orders them by happens-before (no race to reverse: the other order does not exist).
// Two footprints conflict when either is "all", or one writes a resource the other reads
// or writes (wildcards overlap what they cover).
//
// What is not modelled: virtual time. Every decision advances the clock by 1 us; timers
// and the workers' shares read it, so swapping two steps moves a sleep's deadline by one
// decision. We treat that as independent; if a threshold fell exactly there, the
// reordered run could differ. Counters that only feed reports (barrier calls, CPU time)
// are ignored too; the ones the invariant check prints (its step count) move only with
// scans and barriers, which conflict with every check anyway. DPORTests measures coverage
// against the plain search rather than assuming it.
//
// A goroutine's footprint for operation j is declared with `begin` and stays in force
// (the "ambient" footprint) until its next `begin`: an operation with a safe point inside
// (alloc, a blocking send) spans several steps, and each of them is charged the whole
// operation, plus whatever the collector reported during that step.

import GMP
import TriColor

/// The resources one step read and wrote (see the essay above).
struct Footprint: Sendable, Equatable {
    /// Dependent on every step.
    var all = false
    var reads: [UInt64] = []
    var writes: [UInt64] = []

    static let everything = Footprint(all: true)

    /// A key is a kind (top 6 bits) and a payload; an all-ones payload is the kind's wildcard.
    enum Kind: UInt64 { case field = 1, header, colour, global, slot, channel, queue, collector }

    static let payloadBits: UInt64 = 58
    static let wildcard: UInt64 = (1 << payloadBits) - 1
    static func key(_ kind: Kind, _ payload: UInt64) -> UInt64 { kind.rawValue << payloadBits | payload }
    static func field(_ object: UInt64, _ f: Int) -> UInt64 { key(.field, object << 2 | UInt64(f)) }
    /// Every field of `object` (a scan reads them all); fields are 0 and 1.
    static func fields(_ object: UInt64) -> UInt64 { key(.field, object << 2 | 3) }
    static func header(_ object: UInt64) -> UInt64 { key(.header, object) }
    static func colour(_ object: UInt64) -> UInt64 { key(.colour, object) }
    static func global(_ g: Int) -> UInt64 { key(.global, UInt64(g)) }
    static func slot(_ thread: Int, _ s: Int) -> UInt64 { key(.slot, UInt64(thread) << 8 | UInt64(s)) }
    /// Every slot of goroutine `thread` (its stack; a scan reads it and blackens it).
    static func stack(_ thread: Int) -> UInt64 { key(.slot, UInt64(thread) << 8 | 0xFF) }
    static func channel(_ c: Int) -> UInt64 { key(.channel, UInt64(c)) }
    /// The program's two wait groups (goroutines done, goroutines exited).
    static let waitGroups = key(.channel, 1 << 20)
    /// Goroutine creation: the next goroutine id (and the scheduler's goroutine list).
    static let goroutineIDs = key(.collector, 4)
    /// Goroutine `g` made runnable by a hand-off (DPORStrategy: the waking step writes it,
    /// `g`'s next step reads it).
    static func wake(_ g: Int64) -> UInt64 { key(.channel, 1 << 40 | UInt64(g)) }
    /// P `p`'s local grey stack (and write-barrier buffer).
    static func queue(_ p: Int) -> UInt64 { key(.queue, UInt64(p) + 1) }
    /// The shared pool of grey batches.
    static let pool = key(.queue, 0)
    /// The barrier-enabled state and mark phase every pointer store reads; only a phase
    /// transition writes it, and a transition is dependent on every step anyway.
    static let phase = key(.collector, 0)
    /// Spans and free slots: written by allocation and sweeping.
    static let allocator = key(.collector, 1)
    /// Which spans still need sweeping: written by sweeping (and transitions).
    static let sweep = key(.collector, 3)
    /// Background credit, the assist queue, the fractional worker's wake-up hint.
    static let bookkeeping = key(.collector, 2)
    static let allFields = key(.field, wildcard)
    static let allHeaders = key(.header, wildcard)
    static let allColours = key(.colour, wildcard)
    static let allQueues = key(.queue, wildcard)
    static let allGlobals = key(.global, wildcard)

    /// What a collector goroutine's loops read without reporting: the sweep state and the
    /// phase.
    static let collectorLoops = Footprint(reads: [sweep, phase])
    /// Main building the initial heap (before any cycle): allocations, stores, globals.
    static let buildingHeap = Footprint(reads: [phase], writes: [allocator, allFields, allHeaders, allColours, allGlobals])

    /// Whether two keys name overlapping resources (equal, or a wildcard covers the other).
    static func overlap(_ a: UInt64, _ b: UInt64) -> Bool {
        if a == b { return true }
        if a >> payloadBits != b >> payloadBits { return false }
        if a & wildcard == wildcard || b & wildcard == wildcard { return true }
        switch a >> payloadBits {
        case Kind.field.rawValue: return a >> 2 == b >> 2 && (a & 3 == 3 || b & 3 == 3)
        case Kind.slot.rawValue: return a >> 8 == b >> 8 && (a & 0xFF == 0xFF || b & 0xFF == 0xFF)
        default: return false
        }
    }

    var isEmpty: Bool { !all && reads.isEmpty && writes.isEmpty }

    mutating func read(_ k: UInt64) { if !all && !reads.contains(k) { reads.append(k) } }
    mutating func write(_ k: UInt64) { if !all && !writes.contains(k) { writes.append(k) } }

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

/// What the collector looks like at a step boundary (FootprintLog.probe): a step during
/// which either changed began or ended a cycle or a mark phase.
struct CollectorProbe: Equatable {
    var marking: Bool
    var cycle: UInt32
}

/// Collects the footprint of the step in progress during one run: what the program's
/// goroutines declare (`begin`, `also`) and what the collector reports (AccessObserver);
/// the DPOR strategy closes a step at every decision (`close`). One per run; touched only
/// by that run's single M.
final class FootprintLog: AccessObserver, @unchecked Sendable {
    /// What the step in progress touched so far.
    private var open = Footprint()
    /// Each program goroutine's last declared footprint, charged to every step it runs
    /// until it declares the next one.
    private var ambient: [Int64: Footprint] = [:]
    /// Goroutine id -> the program's goroutine index (whose slots are `Footprint.slot(k, _)`).
    private var threads: [Int64: Int] = [:]
    /// Reads the collector and the scheduler's timer wake-up count (set by the run's
    /// ProgramExecution before it starts goroutines).
    var probe: (() -> CollectorProbe)?
    var spontaneousWakeups: (() -> [Int64])?
    private var last: CollectorProbe?
    private var lastSpontaneousWakeups = 0
    /// The step in progress ran a phase transition.
    private var transitioned = false
    /// Main while it builds the heap and starts the program's goroutines (set and cleared
    /// by ProgramExecution.main): every goroutine created then is one of the program's.
    var spawner: Int64?
    /// `spawner` when the step in progress began.
    private var spawnerAtStepStart: Int64?
    /// The step `close` ended began while its goroutine was the spawner: the goroutines
    /// it created are the program's.
    private(set) var closedStepWasSpawning = false

    /// Goroutine `g` is the program's goroutine `k`.
    func register(_ g: Int64, thread k: Int) { threads[g] = k }

    /// Whether goroutine `g` declares its footprints (main and the program's goroutines;
    /// not the collector's).
    func declares(_ g: Int64) -> Bool { ambient[g] != nil }

    /// Goroutine `g` starts an operation touching `fp`. With `midStep`, `g` did work under
    /// its previous footprint since the last decision, which the step is charged too.
    func begin(_ g: Int64, _ fp: Footprint, midStep: Bool = false) {
        if midStep, let previous = ambient[g] { open.formUnion(previous) }
        open.formUnion(fp)
        ambient[g] = fp
    }

    /// The step in progress also touched `fp` (known only after the operation: the object
    /// an allocation returned).
    func also(_ fp: Footprint) { open.formUnion(fp) }

    /// Goroutines made runnable by timers or their own yields since the last call.
    func takeSpontaneousWakeups() -> ArraySlice<Int64> {
        let all = spontaneousWakeups?() ?? []
        defer { lastSpontaneousWakeups = all.count }
        return all[min(lastSpontaneousWakeups, all.count)...]
    }

    /// Ends the step goroutine `g` ran: its footprint (see the essay above).
    func close(ranBy g: Int64) -> Footprint {
        var fp = open
        open = Footprint()
        closedStepWasSpawning = spawnerAtStepStart == g
        spawnerAtStepStart = spawner
        let t = transitioned
        transitioned = false
        let before = last
        let now = probe?()
        last = now
        guard let before, let now, before == now, !t else { return .everything }
        if let a = ambient[g] {
            fp.formUnion(a)
            return fp
        }
        // A collector goroutine: what it reported, and what its loops read.
        fp.formUnion(.collectorLoops)
        return fp
    }

    // MARK: AccessObserver

    func shade(_ object: UInt64, greyed: Bool) {
        if greyed {
            open.write(Footprint.colour(object))
            open.write(Footprint.queue(Self.p))
        } else {
            open.read(Footprint.colour(object))
        }
    }

    func scan(_ object: UInt64) {
        open.read(Footprint.fields(object))
        open.write(Footprint.colour(object))
    }

    func queue(pool: Bool, written: Bool) {
        let k = pool ? Footprint.pool : Footprint.queue(Self.p)
        if written { open.write(k) } else { open.read(k) }
    }

    func allQueuesRead() { open.read(Footprint.allQueues) }

    func stackScanned(_ goroutine: Int64) {
        // A stack outside the program (main's, a system goroutine's) gets a key of its own.
        open.write(Footprint.stack(threads[goroutine] ?? 0xFFFF))
    }

    func heapChecked() {
        open.read(Footprint.allFields)
        open.read(Footprint.allColours)
        open.read(Footprint.allHeaders)
    }

    func sweptSpan() {
        open.write(Footprint.allocator)
        open.write(Footprint.sweep)
    }

    func freed(_ object: UInt64) {
        open.write(Footprint.header(object))
        open.write(Footprint.colour(object))
    }

    func bookkeeping() { open.write(Footprint.bookkeeping) }

    func transition() { transitioned = true }

    /// The P the calling goroutine runs on (deterministic runs have one).
    private static var p: Int { Processor.current?.id ?? 0 }
}
