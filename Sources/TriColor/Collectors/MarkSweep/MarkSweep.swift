// MarkSweep: stop-the-world mark, lazy sweep (Go 1.3's collector).
//
// The algorithm (McCarthy 1960, with Go 1.3's bitmap marking and lazy sweep):
//
//   Colours as defined in Object/ObjectColor.swift; shade and scan are the one
//   mark engine's (MarkEngine.swift), run as the only marker.
//
//   With the world stopped (no mutator runs between 1 and 5); each phase is
//   a public method so a teaching tool can step through a cycle:
//
//   1. Sweep termination (`sweepTermination`). Flush every AllocCache back to
//      its central list and finish sweeping the previous cycle
//      (Heap.finishSweep), so every span's allocation bits are current and
//      every mark bit is clear: all objects are white.
//   2. Mark roots (`markRoots`). shade(r) for every root r: the RootSource's
//      Refs (goroutine stacks) and the heap's globals. shade(r) = if r is
//      white: set its mark bit and grey bit, push it on the work stack.
//   3. Drain (`drain`). Pop an object, clear its grey bit (it is now black),
//      and shade each of its pointer fields. Repeat until the stack is empty.
//      An explicit stack, never recursion: a long list must not overflow the
//      stack the mark runs on.
//   4. Mark termination (`markTermination`). Optionally the checkmark (Go's
//      gccheckmark): mark again from the roots into the separate checkmark
//      bitmap; any object reachable but not marked is a collector bug,
//      reported with a path from its root.
//   5. Still in `markTermination`: start the sweep, heap.sweepgen += 2, which
//      turns every in-use span into "needs sweeping" without touching it.
//
//   The world then restarts. Spans are swept lazily by the allocator that
//   needs one of their class, or by a background sweeper (Heap.sweepOne), or
//   all at once if `eagerSweep` is set, or at step 1 of the next collection.
//
// Invariant at the end of step 3: there are no grey objects, so (since a
// black object's fields were all shaded when it was scanned) no black object
// points to a white object; every object reachable from the roots is black
// and every white object is unreachable, hence garbage. Nothing changes the
// object graph during 2-5 because the world is stopped, which is why this
// collector needs no write barrier (storePointerNoBarrier is correct).
//
// Pseudocode:
//     flushCaches(); finishSweep(); cycle += 1
//     for r in roots ∪ globals: shade(r)
//     while let obj = stack.pop(): clearGrey(obj); for f in fields(obj): shade(f)
//     if checkmark: verify
//     sweepgen += 2
//
// Threading: every phase runs with the world stopped: no other thread uses the
// heap meanwhile. MarkSweepCollector calls them between stopTheWorld and
// startTheWorld; a program that embeds a bare Heap calls them itself.

import GMP

/// The Go 1.3 stop-the-world mark-sweep collector over a `Heap`.
public final class MarkSweep: @unchecked Sendable {
    // @unchecked Sendable: used only with the world stopped, by one thread.

    /// The heap collected.
    public let heap: Heap
    /// Run the checkmark verification after every mark; a violation stops
    /// the program via heapInvariantFailure.
    public var checkmark: Bool
    /// Sweep every span right after the mark instead of lazily.
    public var eagerSweep: Bool
    /// Test hook: if it returns `true` for a Ref, the marker does not shade
    /// it (simulates a lost object, to test the checkmark).
    package var testHookSkipShade: ((Ref) -> Bool)? {
        get { engine.skipShade }
        set { engine.skipShade = newValue }
    }
    /// The report of the last collection.
    public private(set) var lastReport: CollectionReport? = nil

    /// The marker, as the only one (plain bitmap writes, no sharing).
    private let engine: MarkEngine
    // Per-cycle state. Touched only by the collecting thread, world stopped.
    /// Grey objects, kept between the phase calls below.
    private let work = GCWork()
    /// Timestamps and sizes of the cycle in progress.
    private var cycleStart: Int64 = 0, markEnd: Int64 = 0
    private var inUseBefore = 0, sweptAtTermination = 0
    /// `true` between markRoots and markTermination.
    public private(set) var isMarking = false

    /// - Parameters:
    ///   - checkmark: verify every mark with a second, independent mark.
    ///   - eagerSweep: sweep everything at the end of each collection.
    public init(heap: Heap, checkmark: Bool = false, eagerSweep: Bool = false) {
        self.heap = heap
        self.checkmark = checkmark
        self.eagerSweep = eagerSweep
        engine = MarkEngine(heap: heap, markers: .exclusive)
    }

    /// Runs one full collection: the four phases below in order.
    /// - Parameter roots: roots beyond the heap's globals.
    /// - Precondition: the world is stopped.
    /// - Returns: what the collection did.
    @discardableResult
    public func collect(roots: some RootSource = NoRoots()) -> CollectionReport {
        sweepTermination()
        markRoots(roots)
        drain()
        return markTermination(roots: roots)
    }

    // MARK: Phases (public so a teaching tool can step through a cycle)

    /// Phase 1: flush every AllocCache and finish the previous sweep.
    /// Afterwards every object is white.
    /// - Returns: the number of spans swept here.
    @discardableResult
    public func sweepTermination() -> Int {
        precondition(!isMarking, "sweepTermination: a mark is in progress")
        cycleStart = nanotime()
        heap.flushCaches()
        sweptAtTermination = heap.finishSweep()
        inUseBefore = heap.stats.heapInUse
        return sweptAtTermination
    }

    /// Phase 2: begins a mark (cycle += 1) and shades every root: the
    /// RootSource's Refs and the heap's globals become grey.
    public func markRoots(_ roots: some RootSource) {
        precondition(!isMarking, "markRoots: a mark is already in progress")
        precondition(heap.isSweepDone, "markRoots: call sweepTermination first")
        isMarking = true
        engine.begin()
        work.grey.resetHighWater()
        roots.forEachRoot { engine.shadeRoot($0, into: work, from: "root") }
        for i in 0..<heap.globalCount {
            engine.shadeRoot(heap.globals[i], into: work, from: "global[\(i)]")
        }
    }

    /// Shades the referents of an object with a finalizer, not the object (drain
    /// afterwards). Returns how many turned grey.
    @discardableResult
    func shadeFinalizerReferents(of r: Ref) -> Int { engine.shadeReferents(of: r, into: work) }

    /// Marks an object queued for its finalizer at mark termination, without a scan.
    func markQueuedForFinalizer(_ r: Ref) { engine.markWithoutScan(r) }

    /// Phase 3: scans grey objects until none is left or `budget` objects
    /// were scanned.
    /// - Returns: `true` if no grey object remains.
    @discardableResult
    public func drain(budget: Int = .max) -> Bool {
        precondition(isMarking, "drain: no mark in progress")
        engine.drain(work, budget: budget)
        return work.grey.isEmpty
    }

    /// Phase 4: ends the mark (optionally verifying it with the checkmark),
    /// records statistics and starts the sweep (eagerly if configured).
    /// - Precondition: `drain()` returned `true`.
    @discardableResult
    public func markTermination(roots: some RootSource = NoRoots()) -> CollectionReport {
        precondition(isMarking && work.grey.isEmpty, "markTermination: grey objects remain; drain first")
        markEnd = nanotime()
        let cycle = heap.cycle
        if checkmark {
            let violations = heap.checkmark(roots: roots)
            if let v = violations.first {
                heapInvariantFailure("\(v) (\(violations.count) unmarked reachable objects in GC cycle \(cycle))")
            }
        }
        let markStart = engine.markStart
        let live = engine.end()
        isMarking = false
        let t3 = nanotime()
        if eagerSweep { heap.finishSweep() }
        let t4 = nanotime()

        let report = CollectionReport(
            cycle: Int(cycle), markedObjects: engine.markedObjects.load(ordering: .relaxed), liveBytes: live,
            heapInUseBefore: inUseBefore, heapInUseAfter: heap.stats.heapInUse,
            spansSweptAtTermination: sweptAtTermination, maxGreyStack: work.grey.highWater,
            sweepTerminationNanos: Int(markStart - cycleStart), markNanos: Int(markEnd - markStart),
            sweepNanos: eagerSweep ? Int(t4 - t3) : 0)
        lastReport = report
        return report
    }

    /// Allocates through `cache`; if the heap limit is hit, runs a collection
    /// and retries once (the DESIGN's "runs a GC first and then fails").
    /// - Precondition: the world may be stopped by the caller (single-threaded use).
    /// - Throws: the second `HeapError`, which names the limit and the live size.
    public func allocate(_ type: ObjectType, in cache: AllocCache,
                         roots: some RootSource = NoRoots()) throws(HeapError) -> Ref {
        do {
            return try heap.allocate(type, in: cache)
        } catch {
            guard case .limitExceeded = error else { throw error }
            collect(roots: roots)
            return try heap.allocate(type, in: cache)
        }
    }
}

/// What one collection did.
public struct CollectionReport: Sendable, CustomStringConvertible {
    /// The GC cycle number of this collection.
    public var cycle: Int
    /// Objects marked (live).
    public var markedObjects: Int
    /// Exact bytes of the live objects.
    public var liveBytes: Int
    /// Span bytes in use after sweep termination, before marking.
    public var heapInUseBefore: Int
    /// Span bytes in use at the end (lower than before only with eager sweep).
    public var heapInUseAfter: Int
    /// Spans left over from the previous cycle and swept at termination.
    public var spansSweptAtTermination: Int
    /// Deepest the grey stack got.
    public var maxGreyStack: Int
    /// Durations in nanoseconds.
    public var sweepTerminationNanos: Int
    public var markNanos: Int
    /// Eager sweep time; 0 when sweeping is lazy.
    public var sweepNanos: Int

    public var description: String {
        "gc \(cycle): \(markedObjects) objects / \(liveBytes) B live, in use \(heapInUseBefore) -> "
            + "\(heapInUseAfter) B, mark \(markNanos) ns, sweep \(sweepNanos) ns"
    }
}
