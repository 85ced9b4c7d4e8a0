// MarkSweep: stop-the-world mark, lazy sweep (Go 1.3's collector).
//
// The algorithm (McCarthy 1960, with Go 1.3's bitmap marking and lazy sweep):
//
//   Definitions. A white object has a clear mark bit. A grey object is marked
//   and on the mark work queue (its grey bit is set). A black object is
//   marked and not on a work queue: it has been, or is being, scanned.
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
//      An explicit stack, never recursion: a long list must not overflow a
//      64 KiB goroutine stack.
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
// Threading: `collect` must run with the world stopped; in this scratch
// package that means no other thread is using the heap. The integrator calls
// it between stopTheWorld and startTheWorld.

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
    package var testHookSkipShade: ((Ref) -> Bool)? = nil
    /// The report of the last collection.
    public private(set) var lastReport: CollectionReport? = nil

    // Per-cycle state. Touched only by the collecting thread, world stopped.
    /// Grey objects. Persisted between the phase calls below.
    private var stack = GreyStack()
    /// Live-object accounting during one mark.
    private var markedObjects = 0
    private var markedBytes = 0
    /// Timestamps and sizes of the cycle in progress.
    private var cycleStart = 0, markStart = 0, markEnd = 0
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
    }

    deinit { stack.destroy() }

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
        cycleStart = SystemMemory.nanotime()
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
        heap.gcCycle.wrappingAdd(1, ordering: .relaxed)
        markStart = SystemMemory.nanotime()
        markedObjects = 0
        markedBytes = 0
        var st = stack
        defer { stack = st }
        st.resetHighWater()
        let hook = testHookSkipShade
        roots.forEachRoot { shade($0, &st, hook, from: "root") }
        for i in 0..<heap.globalCount {
            shade(heap.globals[i], &st, hook, from: "global[\(i)]")
        }
    }

    /// Phase 3: scans grey objects until none is left or `budget` objects
    /// were scanned.
    /// - Returns: `true` if no grey object remains.
    @discardableResult
    public func drain(budget: Int = .max) -> Bool {
        precondition(isMarking, "drain: no mark in progress")
        var st = stack
        // Hoisted out of the loop: class properties cost an exclusivity check per access.
        let hook = testHookSkipShade
        let checked = heap.checked
        var n = 0
        var bytes = 0
        // A small FIFO between the grey stack and the scan: an object's header word is
        // loaded when it enters the FIFO and used `lookahead` objects later, so several
        // cache misses are in flight at once instead of one dependent miss per object
        // (marking is memory-latency bound). Objects in the FIFO are still grey.
        let lookahead = 8 // a power of two
        let mask = lookahead - 1
        withUnsafeTemporaryAllocation(of: Ref.self, capacity: lookahead) { refs in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: lookahead) { words in
                var head = 0, count = 0
                while n < budget {
                    while count < lookahead && n + count < budget, let r = st.pop() {
                        let i = (head &+ count) & mask
                        refs[i] = r
                        words[i] = heap.header(r)
                        count += 1
                    }
                    if count == 0 { break }
                    let obj = refs[head], word = words[head]
                    head = (head &+ 1) & mask
                    count -= 1
                    bytes &+= blacken(obj, word, &st, hook, checked: checked)
                    n += 1
                }
                // Budget used up: objects still in the FIFO go back on the stack.
                while count > 0 {
                    count -= 1
                    st.push(refs[(head &+ count) & mask])
                }
            }
        }
        stack = st
        markedObjects += n
        markedBytes += bytes
        return st.isEmpty
    }

    /// Phase 4: ends the mark (optionally verifying it with the checkmark),
    /// records statistics and starts the sweep (eagerly if configured).
    /// - Precondition: `drain()` returned `true`.
    @discardableResult
    public func markTermination(roots: some RootSource = NoRoots()) -> CollectionReport {
        precondition(isMarking && stack.isEmpty, "markTermination: grey objects remain; drain first")
        markEnd = SystemMemory.nanotime()
        let cycle = heap.cycle
        if checkmark {
            let violations = heap.checkmark(roots: roots)
            if let v = violations.first {
                heapInvariantFailure("\(v) (\(violations.count) unmarked reachable objects in GC cycle \(cycle))")
            }
        }
        let c = heap.counters
        c.liveBytes.store(markedBytes, ordering: .relaxed)
        c.liveObjects.store(markedObjects, ordering: .relaxed)
        c.inUseAtMark.store(inUseBefore, ordering: .relaxed)
        c.lastMarkNanos.store(markEnd - markStart, ordering: .relaxed)
        c.totalMarkNanos.wrappingAdd(markEnd - markStart, ordering: .relaxed)
        heap.resetHeapLive(toMarked: markedBytes)

        heap.startSweepCycle()
        isMarking = false
        let t3 = SystemMemory.nanotime()
        if eagerSweep { heap.finishSweep() }
        let t4 = SystemMemory.nanotime()
        c.collections.wrappingAdd(1, ordering: .relaxed)

        let report = CollectionReport(
            cycle: Int(cycle), markedObjects: markedObjects, liveBytes: markedBytes,
            heapInUseBefore: inUseBefore, heapInUseAfter: heap.stats.heapInUse,
            spansSweptAtTermination: sweptAtTermination, maxGreyStack: stack.highWater,
            sweepTerminationNanos: markStart - cycleStart, markNanos: markEnd - markStart,
            sweepNanos: eagerSweep ? t4 - t3 : 0)
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

    // MARK: Mark primitives

    // The marker is the only thread touching mark and grey bits (world stopped), so it
    // sets and clears them with plain relaxed loads and stores, not locked RMWs.

    /// Greys `r` if it is white: set mark and grey bits, push it.
    /// - Parameter from: describes where `r` was found, for error messages.
    @inline(__always)
    private func shade(_ r: Ref, _ stack: inout GreyStack, _ hook: ((Ref) -> Bool)?,
                       from: @autoclosure () -> String) {
        if r.isNil { return }
        if heap.checked, let m = heap.validate(r) {
            heapMisuse("mark cycle \(heap.cycle): \(from()) holds a bad Ref: \(m)")
        }
        if !shadeInSpan(r, &stack, hook) {
            heapMisuse("mark cycle \(heap.cycle): \(from()) holds \(r), which is not in an in-use span")
        }
    }

    /// Greys non-nil `r` if it is white. Returns `false` if `r` is not in an in-use span
    /// (the caller reports it).
    @inline(__always)
    private func shadeInSpan(_ r: Ref, _ stack: inout GreyStack, _ hook: ((Ref) -> Bool)?) -> Bool {
        guard let s = heap.spanOf(r.offset) else { return false }
        if let hook, hook(r) { return true }
        let i = s.pointee.objectIndex(r.offset)
        if s.pointee.setMarkedSingleMarker(i) {
            s.pointee.setGreySingleMarker(i)
            stack.push(r)
        }
        return true
    }

    /// Scans a grey object whose header is `word`: it becomes black and its fields are
    /// shaded. Returns its size.
    @inline(__always)
    private func blacken(_ obj: Ref, _ word: UInt64, _ stack: inout GreyStack, _ hook: ((Ref) -> Bool)?,
                         checked: Bool) -> Int {
        guard let s = heap.spanOf(obj.offset) else {
            heapInvariantFailure("blacken: grey object \(obj) is not in an in-use span")
        }
        s.pointee.clearGreySingleMarker(s.pointee.objectIndex(obj.offset))
        let n = ObjectHeader.pointerFields(word)
        let fields = heap.arena + Int(truncatingIfNeeded: obj.offset) + ObjectHeader.size
        for f in 0..<n {
            let v = Ref(offset: fields.load(fromByteOffset: f &* 8, as: UInt64.self))
            if v.isNil { continue }
            if _slowPath(checked), let m = heap.validate(v) { badField(obj, f, v, m) }
            if _slowPath(!shadeInSpan(v, &stack, hook)) { badField(obj, f, v, nil) }
        }
        return heap.typeDescriptors[Int(ObjectHeader.typeID(word))].size
    }

    @inline(never)
    private func badField(_ obj: Ref, _ f: Int, _ v: Ref, _ message: String?) -> Never {
        let from = "field \(f) of \(heap.describe(obj))"
        if let message { heapMisuse("mark cycle \(heap.cycle): \(from) holds a bad Ref: \(message)") }
        heapMisuse("mark cycle \(heap.cycle): \(from) holds \(v), which is not in an in-use span")
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
