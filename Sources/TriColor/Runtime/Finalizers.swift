// Finalizers (Go's runtime.SetFinalizer; mfinal.go).
//
// `setFinalizer(ref, body)` registers `body` to run once the object is found unreachable.
// The registration does not keep the object alive: the table's words are not roots. At
// mark termination (world stopped, nothing grey, after weak references were cleared):
//
//   1. every registered object that is unmarked leaves the table and joins the finalizer
//      queue, whose words are roots (the runtime's RootAreas);
//   2. it is shaded and the mark drained again, so it and everything it reaches survive
//      this cycle's sweep (resurrected, as Go's finalizers are for one cycle);
//   3. after the cycle, the finalizer goroutine (a system goroutine, Go's fing, started
//      by the first setFinalizer) takes each queued object into a stack slot of its own
//      and calls `body` with that slot.
//
// After `body` returns, the object is an ordinary object again: if nothing else reaches it
// the next cycle frees it (the finalizer does not run twice, as in Go; `body` may call
// setFinalizer again). Go marks what a finalizable object reaches during the concurrent
// mark (markrootSpans) and so needs no second drain; we drain at termination instead,
// which lengthens that pause by the size of what the finalizers resurrect.
//
// The queue is a root from step 1 on, so the checkmark and the next cycle see resurrected
// objects as reachable; the finalizer goroutine shades an object it moves from the queue
// to its stack while marking, as a RefChannel receive does.

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

    /// Steps 1-2 of the file comment. World stopped, mark complete; `shade` greys an object.
    /// Returns whether anything was queued (the caller drains and, after the cycle, wakes
    /// the finalizer goroutine).
    func queueUnmarked(_ heap: Heap, shade: (Ref) -> Void) -> Bool {
        lock.withLock {
            var found: [(UInt64, Body)] = []
            for (offset, body) in registered where !heap.isMarked(Ref(offset: offset)) {
                found.append((offset, body))
            }
            if found.isEmpty { return false }
            found.sort { $0.0 < $1.0 }
            for (offset, body) in found {
                registered[offset] = nil
                let r = Ref(offset: offset, generation: ObjectHeader.generation(heap.header(Ref(offset: offset))))
                queue.append(r.bits)
                pending.append(body)
                shade(r)
            }
            return true
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
        if finalizers.set(ref, body) {
            let me = Unmanaged.passUnretained(self)
            GMP.go(prepare: { $0.isSystem = true }) { me._withUnsafeGuaranteedRef { $0.finalizerLoop() } }
        }
    }

    /// Go's runfinq: waits for queued objects and runs their finalizers.
    private func finalizerLoop() {
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
    /// Finalizers.swift), for every collector. World stopped, nothing grey; `shade` greys
    /// an object for the collector. Returns whether the collector must drain again.
    func weakAndFinalizersAtMarkTermination(shade: (Ref) -> Void) -> Bool {
        weakRefs.clearUnmarked(heap)
        return finalizers.queueUnmarked(heap, shade: shade)
    }

    /// After a cycle: wakes the finalizer goroutine if objects are queued.
    func wakeFinalizers() {
        if finalizers.hasPending { finalizers.parker.unpark() }
    }
}
