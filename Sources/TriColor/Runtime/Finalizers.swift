// Finalizers (Go's runtime.SetFinalizer; mfinal.go, mgcmark.go's markrootSpans,
// mgcsweep.go).
//
// `setFinalizer(ref, body)` registers `body` to run once the object is found unreachable.
// The registration does not keep the object alive: the table's words are not roots. What
// Go does, and what we do:
//
//   1. While marking, what a registered object reaches is marked, but not the object
//      itself (Go's markrootSpans scans the referents of every object with a finalizer
//      special, as a root job of the concurrent mark; an object given a finalizer while
//      marking is scanned by addfinalizer at once). Ours: the concurrent collectors'
//      coordinator shades the referents of every registered object once the world has
//      restarted (`shadeFinalizerReferents`), beside its stack scans; `setFinalizer` while
//      marking shades the object's referents itself; markSweep does it with its roots.
//      So the object stays white if nothing else reaches it, while everything it points to
//      is marked by the ordinary concurrent mark (the barrier covers fields written after
//      the shade, as for any scanned object).
//   2. Go's sweeper, finding an unmarked object with a finalizer special, queues the
//      finalizer and sets the object's mark bit so the sweep keeps it (its referents were
//      marked in 1). Ours at mark termination (world stopped, nothing grey, after weak
//      references were cleared): every registered object that is unmarked leaves the
//      table, joins the finalizer queue (whose words are roots: the runtime's RootAreas)
//      and gets its own mark bit set, without a scan: O(1) per queued object, no
//      transitive marking in the pause. We do this step in the pause rather than in the
//      sweeper because our spans carry no specials list and the pause already walks the
//      weak table; it is the same decision Go's sweeper takes, for the same objects.
//      A safety net, not a path the built-in collectors take: each queued object's direct
//      referents are checked there, and any found white (a user plan whose barrier does
//      not cover writes into white objects) is shaded and drained in the pause, counted
//      in `referentsShadedAtTermination` (tests assert 0 for the built-ins).
//   3. After the cycle, the finalizer goroutine (a system goroutine, Go's fing, started by
//      the first setFinalizer) takes each queued object into a stack slot of its own and
//      calls `body` with that slot.
//
// After `body` returns, the object is an ordinary object again: if nothing else reaches it
// the next cycle frees it (the finalizer does not run twice, as in Go; `body` may call
// setFinalizer again). As in Go, a registered object reached from another registered
// object is marked by 1, so in a chain only the first finalizer runs in a cycle; the next
// runs once the first object has been freed.
//
// The queue is a root from step 2 on, so the checkmark and the next cycle see resurrected
// objects (and what they reach) as reachable; the finalizer goroutine shades an object it
// moves from the queue to its stack while marking, as a RefChannel receive does.

import GMP

/// The registered finalizers and the queue of objects waiting for theirs to run.
final class FinalizerTable: @unchecked Sendable {
    typealias Body = @Sendable (StackSlot) -> Void
    private let lock = RuntimeLock()
    /// Registered objects (Ref bits) and their finalizers; not roots. Protected by `lock`.
    private var registered: [UInt64: Body] = [:]
    /// Finalizers of queued objects, in queue order; the objects' words are in `queue`
    /// (roots). Protected by `lock`.
    private var pending: [Body] = []
    /// The queued objects: a root list of the runtime's RootAreas (its lock protects it).
    let queue: RootList
    /// Where the finalizer goroutine waits for work.
    let parker = Parker(reason: .finalizerWait)
    /// Whether the finalizer goroutine has been started. Protected by `lock`.
    private var started = false
    /// The finalizer goroutine once started (its stack holds Refs: scanned like a user
    /// goroutine's although it is a system goroutine). Protected by `lock`.
    private var goroutine: Goroutine? = nil
    /// Referents of queued objects found white at mark termination and shaded there (step
    /// 2's safety net), over the runtime's life. Protected by `lock`.
    private(set) var shadedAtTermination = 0
    /// Test hook: false skips step 1 (the referents are then marked by the safety net in
    /// the pause). Set before the run starts.
    var shadeReferentsWhileMarking = true

    init(roots: RootAreas) {
        queue = roots.makeList()
    }

    /// Registers (or, with nil, removes) the finalizer of `r`. Returns whether the
    /// finalizer goroutine still has to be started.
    func set(_ r: Ref, _ body: Body?) -> Bool {
        lock.withLock {
            registered[r.offset] = body
            if body == nil || started { return false }
            started = true
            return true
        }
    }

    /// Whether queued objects wait for their finalizers.
    var hasPending: Bool { lock.withLock { !pending.isEmpty } }

    /// Records the finalizer goroutine (on itself, before it first parks).
    func setGoroutine(_ g: Goroutine) { lock.withLock { goroutine = g } }

    /// Whether `g` is the finalizer goroutine.
    func isFinalizerGoroutine(_ g: Goroutine) -> Bool { lock.withLock { goroutine === g } }

    /// The registered objects now (step 1's roots), in address order.
    func registeredObjects() -> [Ref] {
        lock.withLock { registered.keys.sorted().map { Ref(offset: $0) } }
    }

    /// Step 2 of the file comment. World stopped, mark complete. `markObject` sets an
    /// object's mark bit without scanning it; `shadeReferents` greys an object's white
    /// referents and returns how many. Returns whether the caller must drain (the safety
    /// net shaded something); after the cycle the caller wakes the finalizer goroutine.
    func queueUnmarked(_ heap: Heap, markObject: (Ref) -> Void, shadeReferents: (Ref) -> Int) -> Bool {
        lock.withLock {
            var found: [(UInt64, Body)] = []
            for (offset, body) in registered where !heap.isMarked(Ref(offset: offset)) {
                found.append((offset, body))
            }
            found.sort { $0.0 < $1.0 }
            var shaded = 0
            for (offset, body) in found {
                registered[offset] = nil
                let r = Ref(offset: offset, generation: ObjectHeader.generation(heap.header(Ref(offset: offset))))
                queue.append(r.bits)
                pending.append(body)
                markObject(r)
                shaded += shadeReferents(r)
            }
            shadedAtTermination += shaded
            return shaded > 0
        }
    }

    /// The next queued object and its finalizer, removed from the queue.
    func next() -> (Ref, Body)? {
        lock.withLock {
            guard !pending.isEmpty, let bits = queue.removeFirst() else { return nil }
            return (Ref(offset: bits), pending.removeFirst())
        }
    }
}

/// A growable list of root words inside `RootAreas` (its lock protects it).
final class RootList: @unchecked Sendable {
    private unowned let areas: RootAreas
    /// The words. Protected by `areas`' lock.
    var words: [UInt64] = []
    init(_ areas: RootAreas) { self.areas = areas }

    func append(_ word: UInt64) { areas.withLock { _ in words.append(word) } }

    func removeFirst() -> UInt64? {
        areas.withLock { _ in words.isEmpty ? nil : words.removeFirst() }
    }
}

extension TriColorRuntime {
    /// Runs `body` on the finalizer goroutine once `ref` is found unreachable (Go's
    /// `runtime.SetFinalizer`). `body` gets a slot of that goroutine holding the object,
    /// which is resurrected until `body` returns; the finalizer runs once. nil removes a
    /// registered finalizer. Not a safe point.
    ///
    /// Finalizers run after the collection that found the object unreachable, one at a
    /// time, in no promised order; a program that ends first does not wait for them.
    /// - Precondition: `ref` is a live object (checked mode), else a misuse.
    public func setFinalizer(_ ref: Ref, _ body: (@Sendable (StackSlot) -> Void)?) {
        if ref.isNil { heapMisuse("setFinalizer: nil Ref") }
        if heap.checked, let m = heap.validate(ref) { heapMisuse("setFinalizer: \(m)") }
        let start = finalizers.set(ref, body)
        // Step 1 for an object registered while marking (Go's addfinalizer): after the
        // registration, so the coordinator's pass, if it took the table before, is covered.
        if body != nil && finalizers.shadeReferentsWhileMarking && marking.load(ordering: .relaxed) {
            concurrent?.shadeFinalizerReferents(of: [ref])
        }
        if start {
            let me = Unmanaged.passUnretained(self)
            GMP.go(prepare: { $0.isSystem = true }) { me._withUnsafeGuaranteedRef { $0.finalizerLoop() } }
        }
    }

    /// Go's runfinq: waits for queued objects and runs their finalizers.
    private func finalizerLoop() {
        finalizers.setGoroutine(Goroutine.current!)
        let slot = push(nil)
        while true {
            finalizers.parker.park()
            while let (r, body) = finalizers.next() {
                self[slot] = r
                if marking.load(ordering: .relaxed) { concurrent?.pointersMoved([r]) }
                body(slot)
                self[slot] = nil
            }
        }
    }

    /// Mark termination's weak-reference and finalizer steps (WeakRefs.swift,
    /// Finalizers.swift step 2), for every collector. World stopped, nothing grey;
    /// `markObject` and `shadeReferents` are the collector's (see `queueUnmarked`). Returns
    /// whether the collector must drain again (only a user plan's missed referent).
    func weakAndFinalizersAtMarkTermination(markObject: (Ref) -> Void, shadeReferents: (Ref) -> Int) -> Bool {
        weakRefs.clearUnmarked(heap)
        return finalizers.queueUnmarked(heap, markObject: markObject, shadeReferents: shadeReferents)
    }

    /// After a cycle: wakes the finalizer goroutine if objects are queued.
    func wakeFinalizers() {
        if finalizers.hasPending { finalizers.parker.unpark() }
    }
}
