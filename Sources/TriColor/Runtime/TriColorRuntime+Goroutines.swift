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
            for r in refs { child.roots.push(r.bits) }
        }) {
            let roots = Goroutine.currentRoots.unsafelyUnwrapped
            body((0..<refs.count).map { StackSlot(index: $0, owner: roots.pointee.owner, stamp: roots.pointee.stamp(at: $0)) })
        }
    }

    /// A channel of Refs whose in-flight values stay rooted (RefChannel.swift): send from a
    /// slot, receive into a slot. `capacity` 0 makes an unbuffered channel (a send waits for
    /// a receiver, as in Go).
    /// - Precondition: `capacity >= 0`.
    public func makeChannel(capacity: Int = 1) -> RefChannel {
        RefChannel(runtime: self, capacity: capacity)
    }

    /// Registers `count` words at `base` as extra roots (channel buffers).
    func addRootArea(_ base: UnsafeMutablePointer<UInt64>, count: Int) {
        extraRoots.withLock { $0.append((base, count)) }
    }

}

/// Extra root areas (channel buffers) and root lists (the finalizer queue), protected by
/// the lock.
final class RootAreas: @unchecked Sendable {
    private let lock = RuntimeLock()
    private var areas: [(UnsafeMutablePointer<UInt64>, Int)] = []  // lock
    private var lists: [RootList] = []  // lock (and each list's words)

    func withLock<R>(_ body: (inout [(UnsafeMutablePointer<UInt64>, Int)]) -> R) -> R {
        lock.withLock { body(&areas) }
    }

    /// A new root list whose words are roots from now on.
    func makeList() -> RootList {
        let l = RootList(self)
        lock.withLock { lists.append(l) }
        return l
    }

    func forEach(_ body: (Ref) -> Void) {
        withLock { areas in
            for (base, n) in areas {
                for i in 0..<n {
                    let v = PointerSlot(base + i).load()
                    if !v.isNil { body(v) }
                }
            }
            for l in lists {
                for w in l.words where w != 0 { body(Ref(offset: w)) }
            }
        }
    }
}

extension TriColorRuntime {
    /// A barrier'd store into a runtime-owned root word (like a global).
    func storeRoot(_ word: UnsafeMutablePointer<UInt64>, _ value: Ref) {
        let slot = PointerSlot(word)
        if _slowPath(barrier.isEnabled) { runBarrier(slot, value) }
        slot.store(value)
    }
}
