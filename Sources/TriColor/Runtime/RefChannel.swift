// RefChannel: a channel of Refs whose values stay rooted while in flight.
//
// A Ref moving between goroutines must be a root the whole way: a value sitting in a GMP
// channel's buffer, or in a parked receiver's waiter, is invisible to the collector. So a
// RefChannel keeps its values in rooted words of its own (registered with the runtime's
// root areas, written through the write barrier like globals) and passes only word
// indexes over GMP channels.
//
// Buffered (capacity n > 0): n words and two index channels,
//
//     free   tokens: the indexes of empty words (one per word; filled on first use)
//     ready  indexes of words holding a sent Ref, in send order (capacity n)
//
//     send:     i = free.receive(); word[i] = slot (barrier'd, no safe point between);
//               ready.send(i)            -- never blocks: `ready` has a place per word
//     receive:  i = ready.receive(); slot = word[i]; word[i] = nil; free.send(i)
//
// so a sender waits only for a free word (a full channel).
//
// Unbuffered (capacity 0): Go's rendezvous. In Go a blocked sender's sudog points at the
// value on the sender's own stack, which the receiver copies out when it pairs with it
// (chan.go's send/recv; select.go enqueues one sudog per case). Here every send in flight
// holds a rooted word of its own, taken from a pool (`SenderWords`) when the send starts:
//
//     send:     i = take(); word[i] = slot; ready.send(i)   -- `ready` is unbuffered: this
//               waits for (or finds) a receiver, which takes i and gives the word back
//     trySend / Select send case that does not happen: word[i] = nil; give(i)
//
// A plain send, a trySend and a Select send case are then the same GMP send of an index,
// so a Select send case pairs with a parked receiver, or parks as one of the select's
// waiters until a receiver takes it, and the Ref waits in the rooted word all along under
// every collector (it is shaded with the other runtime roots when marking begins, and
// its store and clear go through the barrier). The pool grows by a chunk of rooted words
// when every word is in use: it holds as many words as sends were ever in flight at once.
//
// A receive while marking shades the Ref it moves onto the receiver's stack (the hybrid
// barrier's rule for pointers moved between stacks).

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
    /// The rooted words of a buffered channel (`capacity`); word i is written only by the
    /// holder of token i (a sender storing, then the receiver that took i from `ready`).
    let buffer: UnsafeMutablePointer<UInt64>
    /// The rooted words of an unbuffered channel's senders in flight; word i is written
    /// only by the sender that took it, then the receiver that took i from `ready`.
    let senders: SenderWords
    /// Go's cap(ch): 0 for an unbuffered channel.
    public let capacity: Int
    /// Indexes of words holding a sent Ref (capacity `capacity`: 0 when unbuffered).
    let ready: Channel<Int>
    /// Tokens of empty words (buffered only).
    let free: Channel<Int>
    /// Set once the tokens are in `free` (acquiring-and-releasing exchange: the goroutine
    /// that wins fills them; the others wait in `free.receive`).
    private let filled = Atomic<Bool>(false)

    init(runtime: TriColorRuntime, capacity: Int) {
        precondition(capacity >= 0, "RefChannel capacity must not be negative (0 is unbuffered)")
        rt = runtime
        roots = runtime.extraRoots
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
        buffer.initialize(repeating: 0, count: capacity)
        senders = SenderWords(roots: runtime.extraRoots)
        ready = Channel(capacity: capacity)
        free = Channel(capacity: capacity)
        if capacity > 0 { runtime.addRootArea(buffer, count: capacity) }
    }

    deinit {
        let base = buffer
        roots.withLock { $0.removeAll { $0.0 == base } }
        buffer.deallocate()
    }

    /// The rooted word with index `i` (as passed on `ready`).
    func word(_ i: Int) -> UnsafeMutablePointer<UInt64> {
        capacity > 0 ? buffer + i : senders.word(i)
    }

    /// Go's len(ch): Refs buffered now (always 0 when unbuffered).
    public var count: Int { ready.count }

    /// Puts the tokens in `free` the first time a goroutine sends on a buffered channel
    /// (channel operations need a goroutine, `init` may run outside one).
    func fillTokens() {
        if free.count == 0 && !filled.exchange(true, ordering: .acquiringAndReleasing) {
            for i in 0..<capacity { free.send(i) }
        }
    }

    /// Stores the Ref in `slot` into word `i` (no safe point between the read and the
    /// rooted store).
    func fill(_ i: Int, from slot: StackSlot) {
        rt.storeRoot(word(i), rt[slot])
    }

    /// Unbuffered: a sender's word holding the Ref in `slot` (see the file comment).
    func takeSenderWord(for slot: StackSlot) -> Int {
        let i = senders.take()
        fill(i, from: slot)
        return i
    }

    /// Empties word `i` and gives it back (buffered: its token to `free`, which never
    /// blocks since at most one token per word is out; unbuffered: to the pool).
    func release(_ i: Int) {
        rt.storeRoot(word(i), nil)
        if capacity > 0 { free.send(i) } else { senders.give(i) }
    }

    // MARK: Send

    /// Sends the Ref held in `slot`. Parks while the channel is full (unbuffered: until a
    /// receiver takes it). Sending on a closed channel panics, as in Go.
    public func send(_ slot: StackSlot) {
        if capacity == 0 {
            ready.send(takeSenderWord(for: slot))   // the receiver gives the word back
            return
        }
        fillTokens()
        let i = free.receive()!
        fill(i, from: slot)
        ready.send(i)
    }

    /// Sends the Ref in `slot` if that needs no waiting (buffered: a word is free;
    /// unbuffered: a receiver is waiting); returns whether it did.
    public func trySend(_ slot: StackSlot) -> Bool {
        let i: Int
        if capacity == 0 {
            i = takeSenderWord(for: slot)
        } else {
            fillTokens()
            guard case let t?? = free.tryReceive() else { return false }
            i = t
            fill(i, from: slot)
        }
        if ready.trySend(i) { return true }
        release(i)
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
        let r = Ref(offset: word(i).pointee)
        rt[slot] = r
        release(i)
        if rt.marking.load(ordering: .relaxed) { rt.concurrent?.pointersMoved([r]) }
        return true
    }

    /// Closes the channel: receivers drain it, then get false (or nil).
    public func close() { ready.close() }
}

/// An unbuffered RefChannel's rooted words for senders in flight (Go's sudogs): chunks of
/// words registered as runtime roots, and the indexes of the empty ones.
final class SenderWords: @unchecked Sendable {
    static let chunkWords = 8
    private let lock = RuntimeLock()
    private let roots: RootAreas
    /// The chunks (word i is word i % chunkWords of chunk i / chunkWords). Protected by `lock`.
    private var chunks: [UnsafeMutablePointer<UInt64>] = []
    /// Indexes of empty words. Protected by `lock`.
    private var empty: [Int] = []

    init(roots: RootAreas) { self.roots = roots }

    deinit {
        let mine = chunks
        roots.withLock { areas in areas.removeAll { a in mine.contains(a.0) } }
        for c in mine { c.deallocate() }
    }

    /// An empty word's index; a new chunk of roots when none is empty.
    func take() -> Int {
        lock.withLock {
            if empty.isEmpty {
                let c = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.chunkWords)
                c.initialize(repeating: 0, count: Self.chunkWords)
                roots.withLock { $0.append((c, Self.chunkWords)) }
                let base = chunks.count * Self.chunkWords
                chunks.append(c)
                empty.append(contentsOf: (base..<base + Self.chunkWords).reversed())
            }
            return empty.removeLast()
        }
    }

    /// Gives back word `i`, already emptied.
    func give(_ i: Int) { lock.withLock { empty.append(i) } }

    func word(_ i: Int) -> UnsafeMutablePointer<UInt64> {
        lock.withLock { chunks[i / Self.chunkWords] + i % Self.chunkWords }
    }

    /// Words a send holds now (tests).
    var inUse: Int { lock.withLock { chunks.count * Self.chunkWords - empty.count } }
}
