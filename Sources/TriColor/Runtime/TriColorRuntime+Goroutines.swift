// Moving Refs between goroutines: goroutine creation and channels.
//
// Stack slots are written without a barrier, so a pointer that moves from one stack to
// another behind the collector's back could be missed: the hybrid barrier's rule is that
// `go` statements and channel sends shade the pointers they move while marking. These
// APIs do that, and they keep the moving Refs rooted the whole way: the child's slots are
// filled before it can run; a channel's in-flight Refs sit in a rooted buffer.

import CContext
import GMP
import Synchronization

extension TriColorRuntime {
    /// Starts a goroutine whose stack slots hold `refs` (in order) before it runs; `body`
    /// receives those slots. While marking, the carried pointers are shaded.
    public func go(carrying refs: [Ref], _ body: @Sendable @escaping ([StackSlot]) -> Void) {
        _ = currentG("go(carrying:)")
        if marking.load(ordering: .relaxed) { concurrent?.pointersMoved(refs) }
        GMP.go(prepare: { child in
            for r in refs { child.roots.push(r.offset) }
        }) {
            body((0..<refs.count).map { StackSlot(index: $0) })
        }
    }

    /// A channel of Refs whose in-flight values stay rooted. Send from a slot, receive into
    /// a new slot.
    public func makeChannel(capacity: Int = 1) -> RefChannel {
        RefChannel(runtime: self, capacity: capacity)
    }

    /// Registers `count` words at `base` as extra roots (channel buffers).
    func addRootArea(_ base: UnsafeMutablePointer<UInt64>, count: Int) {
        extraRoots.withLock { $0.append((base, count)) }
    }

}

/// Extra root areas (channel buffers), protected by the lock.
final class RootAreas: @unchecked Sendable {
    private let lock = RuntimeLock()
    private var areas: [(UnsafeMutablePointer<UInt64>, Int)] = []  // lock

    func withLock<R>(_ body: (inout [(UnsafeMutablePointer<UInt64>, Int)]) -> R) -> R {
        lock.withLock { body(&areas) }
    }

    func forEach(_ body: (Ref) -> Void) {
        withLock { areas in
            for (base, n) in areas {
                for i in 0..<n {
                    let v = PointerSlot(base + i).load()
                    if !v.isNil { body(v) }
                }
            }
        }
    }
}

/// A channel of Refs (see `TriColorRuntime.makeChannel`). A send stores the Ref into a
/// rooted buffer word through the write barrier, then passes the word's index over a GMP
/// channel; the receiver moves it into its own stack slot and clears the word. Blocking,
/// ordering and close behave like `Channel`.
///
/// A channel may outlive its runtime (a program's objects are often released after the run
/// returns); it then only unregisters its buffer from the root registry, which it holds
/// itself for that reason. Using it after its runtime is gone is a misuse.
public final class RefChannel: @unchecked Sendable {
    unowned let rt: TriColorRuntime
    /// The runtime's root registry, held strongly so `deinit` needs no runtime.
    private let roots: RootAreas
    let buffer: UnsafeMutablePointer<UInt64>
    let capacity: Int
    private let ready: Channel<Int>
    private let free: Channel<Int>

    init(runtime: TriColorRuntime, capacity: Int) {
        precondition(capacity >= 1, "RefChannel capacity must be at least 1")
        rt = runtime
        roots = runtime.extraRoots
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
        buffer.initialize(repeating: 0, count: capacity)
        ready = Channel(capacity: capacity)
        free = Channel(capacity: capacity)
        runtime.addRootArea(buffer, count: capacity)
    }

    deinit {
        let base = buffer
        roots.withLock { $0.removeAll { $0.0 == base } }
        buffer.deallocate()
    }

    /// Sends the Ref held in `slot`. Parks while the channel is full.
    public func send(_ slot: StackSlot) {
        if free.count == 0 && !filled.exchange(true, ordering: .acquiringAndReleasing) {
            for i in 0..<capacity { free.send(i) }
        }
        let i = free.receive()!
        let r = rt[slot]   // no safe point between this read and the rooted store below
        rt.storeRoot(buffer + i, r)
        ready.send(i)
    }

    private let filled = Atomic<Bool>(false)

    /// Receives a Ref into a new stack slot of the caller; nil once closed and drained.
    public func receive() -> StackSlot? {
        guard let i = ready.receive() else { return nil }
        let r = Ref(offset: buffer[i])
        let slot = rt.push(r)
        rt.storeRoot(buffer + i, nil)
        if rt.marking.load(ordering: .relaxed) { rt.concurrent?.pointersMoved([r]) }
        free.send(i)
        return slot
    }

    /// Closes the channel: receivers drain it, then get nil.
    public func close() { ready.close() }
}

extension TriColorRuntime {
    /// A barrier'd store into a runtime-owned root word (like a global).
    func storeRoot(_ word: UnsafeMutablePointer<UInt64>, _ value: Ref) {
        let slot = PointerSlot(word)
        if _slowPath(barrier.isEnabled) { runBarrier(slot, value) }
        slot.store(value)
    }
}
