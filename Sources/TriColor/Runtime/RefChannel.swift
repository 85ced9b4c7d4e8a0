// RefChannel: a channel of Refs whose values stay rooted while in flight.
//
// A Ref moving between goroutines must be a root the whole way: a value sitting in a GMP
// channel's buffer, or in a parked receiver's waiter, is invisible to the collector. So a
// RefChannel keeps its values in rooted words of its own (registered with the runtime's
// root areas, written through the write barrier like globals) and passes only word
// indexes over two GMP channels:
//
//     free   tokens: the indexes of empty words (one per word; filled on first use)
//     ready  indexes of words holding a sent Ref, in send order
//
//     send:     i = free.receive(); word[i] = slot (barrier'd, no safe point between);
//               ready.send(i)
//     receive:  i = ready.receive(); slot = word[i]; word[i] = nil; free.send(i)
//
// A buffered channel of capacity n has n words and `ready` of capacity n, so
// `ready.send` never blocks: the sender waits only for a free word (a full channel).
// An unbuffered channel has one word and an unbuffered `ready`: the sender holds the
// only token until a receiver takes the index (Go's rendezvous), and the Ref waits in the
// rooted word meanwhile. A receive while marking shades the Ref it moves onto the
// receiver's stack (the hybrid barrier's rule for pointers moved between stacks).

import GMP
import Synchronization

/// A channel of Refs (see `TriColorRuntime.makeChannel`). Blocking, ordering and close
/// behave like `Channel`; a Ref in flight stays rooted.
///
/// ```swift
/// let ch = rt.makeChannel(capacity: 4)
/// rt.withFrame {
///     let v = rt.push(nil)                      // one slot, reused by every receive
///     while ch.receive(into: v) { use(rt[v]) }  // until closed and drained
/// }
/// ```
///
/// A channel may outlive its runtime (a program's objects are often released after the run
/// returns); it then only unregisters its words from the root registry, which it holds
/// itself for that reason. Using it after its runtime is gone is a misuse.
public final class RefChannel: @unchecked Sendable {
    unowned let rt: TriColorRuntime
    /// The runtime's root registry, held strongly so `deinit` needs no runtime.
    private let roots: RootAreas
    /// The rooted words (`max(capacity, 1)`); word i is written only by the holder of
    /// token i (a sender storing, then the receiver that took i from `ready`).
    let buffer: UnsafeMutablePointer<UInt64>
    /// Go's cap(ch): 0 for an unbuffered channel.
    public let capacity: Int
    /// Indexes of words holding a sent Ref (capacity `capacity`: 0 when unbuffered).
    let ready: Channel<Int>
    /// Tokens of empty words.
    let free: Channel<Int>
    /// Set once the tokens are in `free` (acquiring-and-releasing exchange: the goroutine
    /// that wins fills them; the others wait in `free.receive`).
    private let filled = Atomic<Bool>(false)

    init(runtime: TriColorRuntime, capacity: Int) {
        precondition(capacity >= 0, "RefChannel capacity must not be negative (0 is unbuffered)")
        rt = runtime
        roots = runtime.extraRoots
        self.capacity = capacity
        let words = max(capacity, 1)
        buffer = .allocate(capacity: words)
        buffer.initialize(repeating: 0, count: words)
        ready = Channel(capacity: capacity)
        free = Channel(capacity: words)
        runtime.addRootArea(buffer, count: words)
    }

    deinit {
        let base = buffer
        roots.withLock { $0.removeAll { $0.0 == base } }
        buffer.deallocate()
    }

    /// Go's len(ch): Refs buffered now (always 0 when unbuffered).
    public var count: Int { ready.count }

    /// Puts the tokens in `free` the first time a goroutine sends (channel operations need
    /// a goroutine, `init` may run outside one).
    func fillTokens() {
        if free.count == 0 && !filled.exchange(true, ordering: .acquiringAndReleasing) {
            for i in 0..<max(capacity, 1) { free.send(i) }
        }
    }

    /// Stores the Ref in `slot` into word `i` (no safe point between the read and the
    /// rooted store).
    func fill(_ i: Int, from slot: StackSlot) {
        rt.storeRoot(buffer + i, rt[slot])
    }

    // MARK: Send

    /// Sends the Ref held in `slot`. Parks while the channel is full (unbuffered: until a
    /// receiver takes it). Sending on a closed channel panics, as in Go.
    public func send(_ slot: StackSlot) {
        fillTokens()
        let i = free.receive()!
        fill(i, from: slot)
        ready.send(i)
    }

    /// Sends the Ref in `slot` if that needs no waiting (buffered: a word is free;
    /// unbuffered: a receiver is waiting); returns whether it did.
    public func trySend(_ slot: StackSlot) -> Bool {
        fillTokens()
        guard case let i?? = free.tryReceive() else { return false }
        fill(i, from: slot)
        if ready.trySend(i) { return true }
        rt.storeRoot(buffer + i, nil)
        free.send(i)   // never blocks: the token came from this channel
        return false
    }

    // MARK: Receive

    /// Receives a Ref into `slot`, a slot of the caller; returns false (and stores nil)
    /// once the channel is closed and drained. A receive loop with one slot uses no more.
    public func receive(into slot: StackSlot) -> Bool {
        finishReceive(ready.receive(), into: slot)
    }

    /// Receives without waiting: nil if nothing is ready; otherwise as `receive(into:)`.
    public func tryReceive(into slot: StackSlot) -> Bool? {
        guard let i = ready.tryReceive() else { return nil }
        return finishReceive(i, into: slot)
    }

    /// Receives a Ref into a new stack slot of the caller; nil once closed and drained.
    /// Each call pushes a slot: in a loop, use `receive(into:)` or a `withFrame` per round.
    public func receive() -> StackSlot? {
        guard let i = ready.receive() else { return nil }
        let slot = rt.push(nil)
        _ = finishReceive(i, into: slot)
        return slot
    }

    /// Moves word `i` (taken from `ready`; nil: closed and drained) into `slot`, clears the
    /// word and returns its token.
    func finishReceive(_ i: Int?, into slot: StackSlot) -> Bool {
        guard let i else {
            rt[slot] = nil
            return false
        }
        let r = Ref(offset: buffer[i])
        rt[slot] = r
        rt.storeRoot(buffer + i, nil)
        if rt.marking.load(ordering: .relaxed) { rt.concurrent?.pointersMoved([r]) }
        free.send(i)   // never blocks: at most one token per word is out
        return true
    }

    /// Closes the channel: receivers drain it, then get false (or nil).
    public func close() { ready.close() }
}
