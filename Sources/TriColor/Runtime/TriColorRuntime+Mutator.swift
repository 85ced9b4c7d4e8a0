// The mutator API: how goroutines use the managed heap.
//
// Safe points and Ref validity. A collection can only run while every goroutine is at a
// safe point. The heap API's only safe point is `alloc` (before the object is allocated);
// every scheduler operation is one too (`go`, channels, mutexes, yields, sleeps,
// `Goroutine.safePoint()`). Loads, stores (the write barrier never stops a goroutine, as
// in Go), globals, scalars and stack-slot access are not safe points. So:
//
//   A Ref held only in a Swift local stays valid until the goroutine's next safe point:
//   the next allocation or scheduler call.
//
// Anything that must live longer goes in a stack slot (`push`, `allocSlot`, which the
// collector scans as this goroutine's roots), a global (`setGlobal`), or a field of an
// object that is itself reachable. Linking a new object in is safe without slots as long
// as no allocation comes between:
//
//     let n = rt.alloc(node)                  // safe point here, before n exists
//     rt.store(n, 0, rt[head])                // no safe point: n is still valid
//     rt[head] = n                            // n is now rooted
//
// and the easy pattern for anything longer is to keep Refs in slots:
//
//     rt.withFrame {                          // slots pushed inside are popped at the end
//         let list = rt.allocSlot(node)       // allocated straight into a slot
//         let item = rt.allocSlot(node)
//         rt.store(rt[list], 0, rt[item])     // read slots again after each safe point
//     }
//
// A loop with no safe point cannot be preempted and delays a stop-the-world until it ends.
//
// In checked mode (check level cheap or full) using a Ref whose object was freed, or whose
// slot was reused by a newer object (the allocation generation, Ref.swift), is a misuse
// naming the object, its type and the GC cycle that freed it. At every check level, a
// StackSlot used by a goroutine other than the one that pushed it, or after its frame was
// popped, is a misuse naming the slot and both goroutines. A misuse on a goroutine panics
// it: the run stops and `run` throws `SchedulerError.panic` with the report (Failure.swift).

import GMP

/// A goroutine stack slot holding a Ref: a root the collector scans.
///
/// A slot belongs to the goroutine that pushed it and lives until the frame that pushed it
/// is popped (`withFrame`). It remembers both: its owner's id and the stamp its push got
/// (RootStorage), so using it from another goroutine, or after its frame was popped (even
/// once a new slot sits at the same index), is reported as a misuse that names the slot,
/// the owning goroutine and the using goroutine, never read as some other slot.
public struct StackSlot: Hashable, Sendable, CustomStringConvertible {
    /// Position on the owner's slot stack (its frame depth in slots).
    public let index: Int
    /// Id of the goroutine that pushed it.
    public let owner: Int64
    /// Which push made it (RootStorage's stamp).
    @usableFromInline let stamp: UInt64

    @inlinable @inline(__always)
    init(index: Int, owner: Int64, stamp: UInt64) {
        self.index = index
        self.owner = owner
        self.stamp = stamp
    }

    /// "slot 3 of goroutine 7".
    public var description: String { "slot \(index) of goroutine \(owner)" }
}

final class PerP {
    let cache: AllocCache
    /// Mark work and write-barrier buffer of this P (concurrent collectors).
    let gcw = GCWork()
    init(_ c: AllocCache) { cache = c }
}

extension TriColorRuntime {
    /// This P's allocation cache, created on first use. Valid until the next safe point.
    @inline(__always)
    func perP() -> PerP {
        withPerP { $0 }
    }

    /// Calls `body` with this P's PerP (created on first use), borrowed: no retain or
    /// release (the P's `localStorage` keeps it alive). `body` must not reach a safe point.
    @inline(__always)
    func withPerP<R>(_ body: (PerP) throws -> R) rethrows -> R {
        guard let cell = Processor.currentLocalStorageCell else { notOnAProcessor() }
        if _fastPath(cell.pointee != nil) {
            return try Unmanaged<PerP>.fromOpaque(cell.pointee.unsafelyUnwrapped)._withUnsafeGuaranteedRef(body)
        }
        return try body(makePerP())
    }

    @inline(never)
    private func makePerP() -> PerP {
        let p = Processor.current.unsafelyUnwrapped
        if let s = p.localStorage { return unsafeDowncast(s, to: PerP.self) }
        let s = PerP(heap.makeAllocCache())
        p.localStorage = s
        registeredWork.add(s.gcw)
        return s
    }

    @inline(never)
    private func notOnAProcessor() -> Never {
        preconditionFailure("TriColor: the heap API must be called from a goroutine of TriColorRuntime.run "
            + "(and not inside Scheduler.syscall/blockingCall)")
    }

    /// Allocates a zeroed object of `type`. A safe point (before allocating): Refs held in
    /// Swift locals from before the call may be stale afterwards.
    /// - Complexity: O(1) amortised; the fast path takes no lock and no atomic RMW.
    public func alloc(_ type: ObjectType) -> Ref {
        Goroutine.safePoint()
        if _slowPath(heap.heapLiveBytes >= pacer.trigger.load(ordering: .relaxed)) {
            triggerCycle()
        }
        if _slowPath(marking.load(ordering: .relaxed)) { assistBeforeAlloc(type.size) }
        var failure: HeapError? = nil
        var r = withPerP { ps -> Ref in
            do throws(HeapError) {
                return try heap.allocate(type, in: ps.cache)
            } catch {
                failure = error
                return .nil
            }
        }
        if _slowPath(failure != nil) { r = allocAfterFailure(type, failure.unsafelyUnwrapped) }
        if _slowPath(marking.load(ordering: .relaxed)) { allocatedWhileMarking(r, type) }
        return r
    }

    @inline(never)
    private func allocAfterFailure(_ type: ObjectType, _ error: HeapError) -> Ref {
        guard case .limitExceeded = error else { Goroutine.panic("\(error)") }
        // Go: a GC first, then fail with a message naming the limit and the live size.
        startCycle(reason: .limit, onlyIfStillNeeded: false)
        do {
            return try heap.allocate(type, in: perP().cache)
        } catch {
            Goroutine.panic("\(error) (while allocating a \(heap.name(of: type)) of \(type.size) bytes, GC cycle \(heap.cycle))")
        }
    }

    /// Allocates a zeroed array of `count` pointer fields (elements 0..<count, read and
    /// written with `load`/`store` like any field) plus the array type's scalar bytes. A
    /// safe point, like `alloc`. `pointerFieldCount(of:)` on the heap reads the length back.
    /// - Parameters:
    ///   - type: a type from `registerArrayType`; any other type is a misuse.
    ///   - count: 0...`ObjectType.maxArrayLength`; outside is a misuse.
    /// - Complexity: O(count) (zeroing); small arrays take the `alloc` fast path.
    public func allocArray(_ type: ObjectType, count: Int) -> Ref {
        if _slowPath(!type.isArray || count < 0 || count > ObjectType.maxArrayLength) {
            badArray(type, count)
        }
        return alloc(type.withLength(count))
    }

    @inline(never)
    private func badArray(_ type: ObjectType, _ count: Int) -> Never {
        if !type.isArray {
            heapMisuse("allocArray: \(heap.name(of: type)) is not an array type (register it with registerArrayType)")
        }
        heapMisuse("allocArray: length \(count) of a \(heap.name(of: type)) is outside 0...\(ObjectType.maxArrayLength)")
    }

    /// Allocates an object of `type` straight into a new stack slot of this goroutine.
    public func allocSlot(_ type: ObjectType) -> StackSlot {
        push(alloc(type))
    }

    /// Loads pointer field `field` of `obj`. Not a safe point.
    @inline(__always)
    public func load(_ obj: Ref, _ field: Int) -> Ref {
        heap.loadPointer(obj, field: field)
    }

    /// Stores `value` into pointer field `field` of `obj` through the collector's write
    /// barrier. Not a safe point.
    @inline(__always)
    public func store(_ obj: Ref, _ field: Int, _ value: Ref) {
        let slot = heap.pointerSlot(obj, field, operation: "store")
        if _slowPath(barrier.isEnabled) { runBarrier(slot, value) }
        heap.storePointer(value, at: slot, operation: "store")
    }

    /// Reads global root `index`. Not a safe point.
    public func global(_ index: Int) -> Ref { heap.loadGlobal(index) }

    /// Writes global root `index` through the write barrier (globals are heap-like roots,
    /// as Go's data and bss). Not a safe point.
    public func setGlobal(_ index: Int, _ value: Ref) {
        let slot = heap.globalSlot(index)
        if _slowPath(barrier.isEnabled) { runBarrier(slot, value) }
        heap.storePointer(value, at: slot, operation: "setGlobal")
    }

    /// The barrier's slow path on this P's buffer. Off the fast path.
    @inline(never)
    func runBarrier(_ slot: PointerSlot, _ value: Ref) {
        withPerP { barrier.record(slot, value, $0.gcw) }
    }

    /// Loads a scalar from `obj`'s scalar bytes. Not a safe point.
    @inline(__always)
    public func loadScalar<T: BitwiseCopyable>(_ obj: Ref, at offset: Int, as: T.Type = T.self) -> T {
        heap.loadScalar(obj, at: offset, as: T.self)
    }

    /// Stores a scalar into `obj`'s scalar bytes (no barrier: scalars are not pointers).
    @inline(__always)
    public func storeScalar<T: BitwiseCopyable>(_ value: T, into obj: Ref, at offset: Int) {
        heap.storeScalar(value, into: obj, at: offset)
    }

    // MARK: Stack slots (this goroutine's roots; written without a barrier)

    // These go through `Goroutine.currentRoots` (a stable pointer to the goroutine's root
    // storage): no retain/release of the goroutine, no exclusivity check.

    /// Pushes `ref` into a new stack slot of the calling goroutine.
    /// - Complexity: O(1) amortised: two stores (the word and its stamp).
    @inlinable @inline(__always)
    public func push(_ ref: Ref) -> StackSlot {
        let roots = writableRoots("push")
        let i = roots.pointee.push(ref.bits)
        return StackSlot(index: i, owner: roots.pointee.owner, stamp: roots.pointee.lastPushStamp)
    }

    /// Reads or writes a stack slot of the calling goroutine. No barrier, not a safe point.
    /// A slot of another goroutine, or of a popped frame, is a misuse (see `StackSlot`).
    /// - Complexity: O(1): the access plus three compares.
    @inlinable
    public subscript(slot: StackSlot) -> Ref {
        @inline(__always) get {
            let roots = currentRoots("stack slot")
            if _slowPath(!roots.pointee.holds(index: slot.index, stamp: slot.stamp, owner: slot.owner)) {
                Self.badSlot(slot, roots, "stack slot read")
            }
            return Ref(offset: roots.pointee[unchecked: slot.index])
        }
        @inline(__always) set {
            let roots = writableRoots("stack slot store")
            if _slowPath(!roots.pointee.holds(index: slot.index, stamp: slot.stamp, owner: slot.owner)) {
                Self.badSlot(slot, roots, "stack slot store")
            }
            roots.pointee[unchecked: slot.index] = newValue.bits
        }
    }

    /// Whether `slot` is one of the calling goroutine's slots still in use (false for
    /// another goroutine's slot and after its frame was popped).
    public func owns(_ slot: StackSlot) -> Bool {
        currentRoots("owns").pointee.holds(index: slot.index, stamp: slot.stamp, owner: slot.owner)
    }

    /// The misuse report for a slot the calling goroutine does not hold.
    @usableFromInline @inline(never)
    static func badSlot(_ slot: StackSlot, _ roots: UnsafeMutablePointer<RootStorage>, _ api: StaticString) -> Never {
        let user = roots.pointee.owner
        if slot.owner != user {
            heapMisuse("\(api): \(slot) used by goroutine \(user); a stack slot belongs to the goroutine that "
                + "pushed it (pass the Ref with go(carrying:) or a RefChannel)")
        }
        heapMisuse("\(api): \(slot) used after its frame was popped (goroutine \(user) has "
            + "\(roots.pointee.count) slots now)")
    }

    /// Number of stack slots the calling goroutine holds.
    @inlinable
    public var stackDepth: Int { currentRoots("stackDepth").pointee.count }

    /// Runs `body`; slots it pushes are popped when it returns (a stack frame).
    @inlinable @inline(__always)
    public func withFrame<R>(_ body: () throws -> R) rethrows -> R {
        // The pointer stays valid across the safe points in `body`: it belongs to this
        // goroutine, not to the thread.
        let roots = currentRoots("withFrame")
        let depth = roots.pointee.count
        defer { roots.pointee.truncate(to: depth) }
        return try body()
    }

    /// The calling goroutine's root storage (stable for its whole life).
    @inlinable @inline(__always)
    func currentRoots(_ api: StaticString) -> UnsafeMutablePointer<RootStorage> {
        guard let r = Goroutine.currentRoots else { Self.notAGoroutine(api) }
        return r
    }

    /// `currentRoots` for a write: refused inside `Scheduler.syscall` (the slots are frozen
    /// there; see RootStorage.isFrozen).
    @inlinable @inline(__always)
    func writableRoots(_ api: StaticString) -> UnsafeMutablePointer<RootStorage> {
        let r = currentRoots(api)
        if _slowPath(r.pointee.isFrozen) { Self.slotWriteInSyscall(api) }
        return r
    }

    @usableFromInline @inline(never)
    static func slotWriteInSyscall(_ api: StaticString) -> Never {
        heapMisuse("\(api) inside Scheduler.syscall/blockingCall: the goroutine has no P there and its stack "
            + "slots may be being scanned; write them before or after the call")
    }

    @usableFromInline @inline(never)
    static func notAGoroutine(_ api: StaticString) -> Never {
        preconditionFailure("TriColor: \(api) must be called from a goroutine of TriColorRuntime.run")
    }

    @inline(__always)
    func currentG(_ api: StaticString) -> Goroutine {
        guard let g = Goroutine.current else {
            preconditionFailure("TriColor: \(api) must be called from a goroutine of TriColorRuntime.run")
        }
        return g
    }
}
