// MarkEngine: the one tri-colour marker every collector uses (Go's greyobject, scanobject
// and gcDrain, mgcmark.go).
//
// Colours are defined once, in Object/ObjectColor.swift, by the mark and grey bits. The
// engine has two operations and the bookkeeping around them:
//
//   shade(r):  if r is white: set its mark bit and grey bit, push it on the marker's
//              GreyStack. Setting the mark bit is what decides: exactly one shader wins.
//   drain:     pop a grey object, clear its grey bit (it is black from now on), and shade
//              each of its pointer fields. Repeat until the stack and the pool are empty
//              or the budget is used up. An explicit stack, never recursion: a long list
//              must not overflow the (system) stack the drain runs on.
//
// Marking is done when nothing is grey anywhere (every GreyStack, the WorkPool and every
// write-barrier buffer empty). Then no black object points to a white one unless a mutator
// hid it, which each collector's plan forbids; every white object is garbage.
//
// Who may touch the bits decides how they are written (`Markers`):
//   - exclusive: one marker with the world stopped (markSweep). Mark and grey bits are set
//     and cleared with a plain load and store of their bitmap word, not a locked RMW.
//   - concurrent: mark workers, assists and write barriers on several Ps beside running
//     mutators. The mark bit is set with an atomic fetch-or (the winner queues the object)
//     and fields are read with relaxed atomic loads: a concurrent store either happened
//     before the load (the marker sees the new pointer) or after it (and the write barrier
//     recorded what the marker could miss). A local stack past twice GCWork.flushAt gives
//     half to the WorkPool, and a drain gives half away every 64 objects when the pool is
//     empty (Go's gcWork.balance), so idle workers find work.
//   - oneP: a concurrent mark with one P (GOMAXPROCS=1). Workers, assists, barriers and
//     mutators still interleave, but only at safe points and only on the one P: marking
//     code runs only on a goroutine that holds a P (or with the world stopped), so two
//     markers never touch a bitmap word at the same time, and handing the P to another M
//     orders one holder's writes before the next one's reads. The drain then sets and
//     clears bits with a plain load and store, as exclusive does. That is most of what a
//     scan costs beside the cache miss: a profile of pause/alloc-loop at procs 1 put 40% of
//     the drain's samples on its three locked RMWs per object (set mark, set grey, clear
//     grey). Go pays one (atomic.Or8 of the mark bit; it has no grey bit: grey is "marked
//     and queued"), at every GOMAXPROCS; with one P we can pay none.
// All are the same loop, specialised at compile time (`MarkBits`).
//
// The drain keeps a small FIFO between the grey stack and the scan: an object's header is
// prefetched when it enters the FIFO and loaded eight objects later, so several cache misses
// are in flight at once instead of one dependent miss per object (marking is memory-latency
// bound). A prefetch, not a load: a load that misses holds up the instructions behind it
// from retiring, and the scan of eight objects is more than the CPU's reorder window, so a
// loaded look-ahead still stalled on each header (perf annotate: half of drain's samples on
// that load at binary-trees depth 18). Objects in the FIFO are still grey.
//
// `end` is the end-of-mark bookkeeping, written once for every collector: live bytes and
// objects, heap in use, mark time, heapLive reset to the marked bytes, and the sweep
// started (sweepgen += 2, every in-use span "needs sweeping").

import CContext
import GMP
import Synchronization

/// Who may touch mark and grey bits during a mark.
enum Markers: Sendable {
    /// One marker, world stopped.
    case exclusive
    /// Many markers beside running mutators.
    case concurrent
    /// Markers beside running mutators, all on the only P: one at a time (see above).
    case oneP

    /// The markers for a runtime: `exclusive` for a stop-the-world collector, else
    /// `oneP` with one P, `concurrent` with more.
    static func forRuntime(stopTheWorld: Bool, procs: Int) -> Markers {
        stopTheWorld ? .exclusive : procs == 1 ? .oneP : .concurrent
    }
}

/// Where a mark is, for failure reports.
enum MarkPhase: UInt8, AtomicRepresentable, Sendable, CustomStringConvertible {
    case off, mark, termination
    var description: String {
        switch self {
        case .off: "off"
        case .mark: "mark"
        case .termination: "mark termination"
        }
    }
}

/// The marker shared by a collector's coordinator, workers, assists and barriers.
///
/// `@unchecked Sendable`: the counters are atomics; `markStart`, `stackEpoch`, `skipShade`
/// and `afterScan` are written only with the world stopped (or before the runtime starts) and read after
/// the restart, which orders the write before the reads.
final class MarkEngine: @unchecked Sendable {
    let heap: Heap
    let markers: Markers
    /// Grey batches shared between Ps (concurrent only; an exclusive marker keeps all).
    let pool = WorkPool()
    /// This cycle's scan results and black allocations (relaxed counters).
    let markedBytes = Atomic<Int>(0)
    let markedObjects = Atomic<Int>(0)
    let allocatedBlackBytes = Atomic<Int>(0)
    /// Bytes of goroutine stack slots scanned this cycle (relaxed; the pacer's stack work).
    let stackScanBytes = Atomic<Int>(0)
    /// Objects scanned and barriers run this cycle, for failure reports (relaxed).
    let steps = Atomic<Int>(0)
    /// Where the mark is (relaxed; reports only).
    let phase = Atomic<MarkPhase>(.off)
    /// nanotime when the current mark began.
    private(set) var markStart: Int64 = 0
    /// This cycle's stack epoch: a goroutine's stack is black (scanned this cycle) iff its
    /// `collectorWord` equals it, so starting a cycle greys every stack without a pass over
    /// the goroutines.
    private(set) var stackEpoch: UInt64 = 0
    /// Test hook: a Ref for which it returns true is not shaded (a simulated lost object,
    /// to test the checkmark).
    var skipShade: ((Ref) -> Bool)? = nil
    /// Check level full: called after every scanned object (the invariant check).
    var afterScan: ((Ref) -> Void)? = nil

    init(heap: Heap, markers: Markers) {
        self.heap = heap
        self.markers = markers
    }

    // MARK: Cycle

    /// Begins a mark: cycle += 1, counters zeroed. World stopped, sweep finished.
    func begin() {
        heap.gcCycle.wrappingAdd(1, ordering: .relaxed)
        markedBytes.store(0, ordering: .relaxed)
        markedObjects.store(0, ordering: .relaxed)
        allocatedBlackBytes.store(0, ordering: .relaxed)
        stackScanBytes.store(0, ordering: .relaxed)
        steps.store(0, ordering: .relaxed)
        markStart = nanotime()
        stackEpoch = UInt64(heap.cycle)
        phase.store(.mark, ordering: .relaxed)
        heap.accessObserver?.transition()
    }

    /// Whether `g`'s stack has been scanned (is black) in the current cycle.
    @inline(__always)
    func isStackBlack(_ g: Goroutine) -> Bool { g.collectorWord == stackEpoch }

    /// Records `g`'s stack as scanned this cycle (or, for a new goroutine created while
    /// marking, as black from the start: its stack is empty).
    @inline(__always)
    func blackenStack(_ g: Goroutine) { g.collectorWord = stackEpoch }

    /// Bytes the cycle keeps: scanned objects and objects allocated black (exact once every
    /// P's share is settled: `settleAllocatedBlack`, at mark termination).
    var liveBytes: Int {
        markedBytes.load(ordering: .relaxed) + allocatedBlackBytes.load(ordering: .relaxed)
    }

    /// Ends the mark: records what it found and starts the sweep. World stopped, nothing
    /// grey. Returns the live bytes.
    @discardableResult
    func end() -> Int {
        let live = liveBytes
        let c = heap.counters
        let markNS = Int(nanotime() - markStart)
        c.liveBytes.store(live, ordering: .relaxed)
        c.liveObjects.store(markedObjects.load(ordering: .relaxed), ordering: .relaxed)
        c.inUseAtMark.store(heap.heapInUseBytes, ordering: .relaxed)
        c.lastMarkNanos.store(markNS, ordering: .relaxed)
        c.totalMarkNanos.wrappingAdd(markNS, ordering: .relaxed)
        heap.resetHeapLive(toMarked: live)
        heap.startSweepCycle()
        c.collections.wrappingAdd(1, ordering: .relaxed)
        phase.store(.off, ordering: .relaxed)
        heap.accessObserver?.transition()
        return live
    }

    // MARK: Shade

    /// shade(r) for a root: `from` names where it was found ("global[3]", "goroutine 7's
    /// stack slot 2") for the report if it is not a valid object.
    func shadeRoot(_ r: Ref, into gcw: GCWork, from: @autoclosure () -> String) {
        if r.isNil { return }
        if heap.checked, let m = heap.validate(r) {
            heapMisuse("mark cycle \(heap.cycle): \(from()) holds a bad Ref: \(m)")
        }
        let ok = switch markers {
        case .exclusive: shade(r, &gcw.grey, ExclusiveBits.self)
        case .oneP: shade(r, &gcw.grey, OnePBits.self)
        case .concurrent: shade(r, &gcw.grey, ConcurrentBits.self)
        }
        if ok == nil { heapMisuse("mark cycle \(heap.cycle): \(from()) holds \(r), which is not in an in-use span") }
        gcw.publishLocalCount()
    }

    /// shade(r) for a pointer the write barrier recorded or a stack moved (concurrent).
    /// Returns whether `r` turned grey.
    @discardableResult @inline(__always)
    func shade(_ r: Ref, into gcw: GCWork) -> Bool {
        if r.isNil { return false }
        let greyed = markers == .oneP ? shade(r, &gcw.grey, OnePBits.self) : shade(r, &gcw.grey, ConcurrentBits.self)
        guard let greyed else {
            heapMisuse("mark cycle \(heap.cycle): the write barrier recorded \(r), which is not in an in-use span")
        }
        return greyed
    }

    /// Queues `r` on `gcw` to be scanned (again) by this P (Steele's re-grey): a black object
    /// turns grey, a white one is shaded. An object that was already marked has been or will
    /// be counted live by another scan, so this scan's count is taken back in advance: every
    /// object is counted once however often it is scanned.
    func rescan(_ r: Ref, into gcw: GCWork) {
        guard let s = heap.spanOf(r.offset) else {
            heapMisuse("mark cycle \(heap.cycle): the write barrier re-greyed \(r), which is not in an in-use span")
        }
        let i = s.pointee.objectIndex(r.offset)
        if !s.pointee.setMarked(i) {
            markedBytes.add(-heap.objectSize(heap.header(r)), ordering: .relaxed)
            markedObjects.add(-1, ordering: .relaxed)
        }
        s.pointee.setGrey(i)
        gcw.grey.push(r)
        gcw.publishLocalCount()
        heap.accessObserver?.shade(r.offset, greyed: true)
    }

    /// Colours a new object black while marking (allocate-black): mark bit set, never
    /// queued, never scanned (its fields are nil). Its bytes are counted on the allocating
    /// P's `gcw` (settled at mark termination), not in a shared atomic.
    @inline(__always)
    func markAllocatedBlack(_ r: Ref, size: Int, on gcw: GCWork) {
        guard let s = heap.spanOf(r.offset) else { return }
        _ = s.pointee.setMarked(s.pointee.objectIndex(r.offset))
        gcw.allocatedBlackBytes &+= size
    }

    /// Adds `gcw`'s allocated-black bytes to this cycle's total and zeroes them. World
    /// stopped (mark termination), before `liveBytes` is read.
    func settleAllocatedBlack(_ gcw: GCWork) {
        if gcw.allocatedBlackBytes != 0 {
            allocatedBlackBytes.add(gcw.allocatedBlackBytes, ordering: .relaxed)
            gcw.allocatedBlackBytes = 0
        }
    }

    /// Shades every pointer field of `r` but not `r` itself (an object with a finalizer:
    /// Go's markrootSpans; Runtime/Finalizers.swift). Returns how many turned grey. Safe
    /// beside mutators: a field written after it is read is the barrier's, as in any scan.
    @discardableResult
    func shadeReferents(of r: Ref, into gcw: GCWork) -> Int {
        let n = ObjectHeader.pointerFields(heap.header(r))
        var greyed = 0
        for f in 0..<n {
            let v = heap.fieldSlot(r, f).load()
            if v.isNil { continue }
            let ok = markers == .exclusive ? shade(v, &gcw.grey, ExclusiveBits.self)
                                           : shade(v, &gcw.grey, ConcurrentBits.self)
            guard let ok else { badField(r, f, v, nil) }
            if ok { greyed += 1 }
        }
        gcw.publishLocalCount()
        return greyed
    }

    /// Sets `r`'s mark bit without queueing or scanning it, counted live like a scanned
    /// object (an object queued for its finalizer at mark termination, whose referents are
    /// already marked: what Go's sweeper does for it). World stopped.
    func markWithoutScan(_ r: Ref) {
        guard let s = heap.spanOf(r.offset) else { return }
        let i = s.pointee.objectIndex(r.offset)
        let newly = markers == .exclusive ? ExclusiveBits.setMarked(s, i) : ConcurrentBits.setMarked(s, i)
        if newly {
            markedBytes.add(heap.objectSize(heap.header(r)), ordering: .relaxed)
            markedObjects.add(1, ordering: .relaxed)
        }
    }

    /// Greys non-nil `r` if it is white, pushing it on `grey`. Returns whether it turned
    /// grey, or nil if `r` is not in an in-use span (the caller reports where it came from).
    @inline(__always)
    private func shade<M: MarkBits>(_ r: Ref, _ grey: inout GreyStack, _: M.Type) -> Bool? {
        guard let s = heap.spanOf(r.offset) else { return nil }
        if _slowPath(skipShade != nil), skipShade.unsafelyUnwrapped(r) { return false }
        let i = s.pointee.objectIndex(r.offset)
        if M.setMarked(s, i) {
            M.setGrey(s, i)
            grey.push(r)
            if _slowPath(heap.accessObserver != nil) { heap.accessObserver.unsafelyUnwrapped.shade(r.offset, greyed: true) }
            return true
        }
        if _slowPath(heap.accessObserver != nil) { heap.accessObserver.unsafelyUnwrapped.shade(r.offset, greyed: false) }
        return false
    }

    // MARK: Drain

    /// Scans up to `budget` grey objects from `gcw` (then from the pool). Returns the
    /// objects scanned and their bytes (the scan work). No safe point inside.
    @discardableResult
    func drain(_ gcw: GCWork, budget: Int) -> (objects: Int, bytes: Int) {
        switch markers {
        case .exclusive: drain(gcw, budget, ExclusiveBits.self)
        case .oneP: drain(gcw, budget, OnePBits.self)
        case .concurrent: drain(gcw, budget, ConcurrentBits.self)
        }
    }

    /// Drains until nothing is grey on `gcw` or in the pool. World stopped.
    func drainAll(_ gcw: GCWork) {
        while drain(gcw, budget: .max).objects > 0 {}
    }

    private func drain<M: MarkBits>(_ gcw: GCWork, _ budget: Int, _: M.Type) -> (objects: Int, bytes: Int) {
        var grey = gcw.grey
        let check = afterScan
        var n = 0, bytes = 0
        let lookahead = 8  // a power of two
        let mask = lookahead - 1
        withUnsafeTemporaryAllocation(of: Ref.self, capacity: lookahead) { refs in
            var head = 0, count = 0
            while n < budget {
                while count < lookahead && n + count < budget, let r = pop(&grey, M.self) {
                    let i = (head &+ count) & mask
                    refs[i] = r
                    heap.prefetchHeader(r)
                    count += 1
                }
                if count == 0 { break }
                let obj = refs[head], word = heap.header(obj)
                head = (head &+ 1) & mask
                count -= 1
                bytes &+= scan(obj, word, &grey, M.self)
                n += 1
                if M.shares && n & 63 == 0 { balance(&grey) }
                if _slowPath(check != nil) {
                    gcw.grey = grey
                    steps.add(1, ordering: .relaxed)
                    check.unsafelyUnwrapped(obj)
                }
            }
            // Budget used up: objects still in the FIFO go back on the stack.
            while count > 0 {
                count -= 1
                grey.push(refs[(head &+ count) & mask])
            }
        }
        gcw.grey = grey
        if n > 0 {
            markedBytes.add(bytes, ordering: .relaxed)
            markedObjects.add(n, ordering: .relaxed)
        }
        gcw.publishLocalCount()
        return (n, bytes)
    }

    @inline(__always)
    private func pop<M: MarkBits>(_ grey: inout GreyStack, _: M.Type) -> Ref? {
        let observer = heap.accessObserver
        if let r = grey.pop() {
            if _slowPath(observer != nil) { observer.unsafelyUnwrapped.queue(pool: false, written: true) }
            return r
        }
        if _slowPath(observer != nil) { observer.unsafelyUnwrapped.queue(pool: false, written: false) }
        guard M.shares else { return nil }
        guard let batch = pool.take() else {
            if _slowPath(observer != nil) { observer.unsafelyUnwrapped.queue(pool: true, written: false) }
            return nil
        }
        if _slowPath(observer != nil) { observer.unsafelyUnwrapped.queue(pool: true, written: true) }
        grey.push(contentsOf: batch)
        return grey.pop()
    }

    /// Go's gcWork.balance: when the shared pool is empty and this marker holds several
    /// grey objects, give half of them away so idle workers and other Ps can help.
    @inline(__always)
    private func balance(_ grey: inout GreyStack) {
        if grey.count >= 8 && pool.isEmptyHint {
            pool.put(grey.removeTop(grey.count / 2))
            heap.accessObserver?.queue(pool: true, written: true)
        }
    }

    /// Scans the grey object `obj` whose header is `word`: it becomes black and its fields
    /// are shaded. Returns its size.
    @inline(__always)
    private func scan<M: MarkBits>(_ obj: Ref, _ word: UInt64, _ grey: inout GreyStack, _: M.Type) -> Int {
        guard let s = heap.spanOf(obj.offset) else {
            heapInvariantFailure("scan: grey object \(obj) is not in an in-use span (GC cycle \(heap.cycle))")
        }
        M.clearGrey(s, s.pointee.objectIndex(obj.offset))
        if _slowPath(heap.accessObserver != nil) { heap.accessObserver.unsafelyUnwrapped.scan(obj.offset) }
        let n = ObjectHeader.pointerFields(word)
        for f in 0..<n {
            let v = heap.fieldSlot(obj, f).load()
            if v.isNil { continue }
            if _slowPath(M.validatesFields && heap.checked), let m = heap.validate(v) { badField(obj, f, v, m) }
            if _slowPath(shade(v, &grey, M.self) == nil) { badField(obj, f, v, nil) }
        }
        if M.shares && grey.count >= GCWork.flushAt * 2 {
            pool.put(grey.removeTop(GCWork.flushAt))
            heap.accessObserver?.queue(pool: true, written: true)
        }
        return heap.objectSize(word)
    }

    @inline(never)
    private func badField(_ obj: Ref, _ f: Int, _ v: Ref, _ message: String?) -> Never {
        let from = "field \(f) of \(heap.describe(obj))"
        if let message { heapMisuse("mark cycle \(heap.cycle): \(from) holds a bad Ref: \(message)") }
        heapMisuse("mark cycle \(heap.cycle): \(from) holds \(v), which is not in an in-use span")
    }
}

// MARK: - The two ways of writing the bits

/// How a marker sets and clears an object's mark and grey bits.
protocol MarkBits {
    /// Sets the mark bit; true if it was clear (the caller queues the object).
    static func setMarked(_ s: UnsafeMutablePointer<HeapSpan>, _ i: Int) -> Bool
    static func setGrey(_ s: UnsafeMutablePointer<HeapSpan>, _ i: Int)
    static func clearGrey(_ s: UnsafeMutablePointer<HeapSpan>, _ i: Int)
    /// Whether grey objects are shared through the pool.
    static var shares: Bool { get }
    /// Whether fields are validated in checked mode. Only with the world stopped: a
    /// concurrent marker may read a field a mutator is writing.
    static var validatesFields: Bool { get }
}

/// Markers that never touch a bitmap word at the same time as another marker (the world
/// stopped, or one P): plain loads and stores of the bitmap words.
protocol PlainBitmapStores: MarkBits {}

extension PlainBitmapStores {
    @inline(__always) static func setMarked(_ s: UnsafeMutablePointer<HeapSpan>, _ i: Int) -> Bool {
        s.pointee.setMarkedSingleMarker(i)
    }
    @inline(__always) static func setGrey(_ s: UnsafeMutablePointer<HeapSpan>, _ i: Int) {
        s.pointee.setGreySingleMarker(i)
    }
    @inline(__always) static func clearGrey(_ s: UnsafeMutablePointer<HeapSpan>, _ i: Int) {
        s.pointee.clearGreySingleMarker(i)
    }
}

/// The only marker, world stopped.
enum ExclusiveBits: PlainBitmapStores {
    static var shares: Bool { false }
    static var validatesFields: Bool { true }
}

/// Many markers beside mutators: atomic read-modify-writes.
enum ConcurrentBits: MarkBits {
    @inline(__always) static func setMarked(_ s: UnsafeMutablePointer<HeapSpan>, _ i: Int) -> Bool {
        s.pointee.setMarked(i)
    }
    @inline(__always) static func setGrey(_ s: UnsafeMutablePointer<HeapSpan>, _ i: Int) {
        s.pointee.setGrey(i)
    }
    @inline(__always) static func clearGrey(_ s: UnsafeMutablePointer<HeapSpan>, _ i: Int) {
        s.pointee.clearGrey(i)
    }
    static var shares: Bool { true }
    static var validatesFields: Bool { false }
}

/// Markers beside mutators on the only P, one at a time: plain loads and stores of the
/// bitmap words (as `ExclusiveBits`), grey objects shared through the pool and fields not
/// validated (as `ConcurrentBits`: a mutator may be between two stores of a structure).
enum OnePBits: PlainBitmapStores {
    static var shares: Bool { true }
    static var validatesFields: Bool { false }
}
