import CContext

// Channels (Go's chan.go): `Channel` and the state behind its lock. `select` over several
// channels is in Select.swift.

/// A Go channel: a typed FIFO through which goroutines communicate and synchronise
/// (Go's hchan, chan.go).
///
/// Unbuffered (`capacity: 0`): a send waits for a receiver and hands the value over
/// directly. Buffered: sends wait only when the buffer is full. `close()` wakes every
/// waiter; receives then drain the buffer and return nil. Sending on a closed channel, or
/// closing twice, panics (the program stops and `Scheduler.run` throws), as in Go.
///
/// A nil channel (`Channel<T>?` holding nil) behaves as in Go: `send` and `receive` on it
/// block forever (the deadlock detector reports them as `chan send (nil chan)` /
/// `chan receive (nil chan)`) and a select case on it is never ready.
///
/// Sends and receives (blocking or not) are safe points. Blocking parks the goroutine, never
/// the thread. Sending, receiving or closing outside a goroutine is a precondition failure
/// with a clear message.
///
/// How it works: one lock guards the buffer and two queues of parked waiters (`Waiter`,
/// living on the waiters' stacks). A sender that finds a parked receiver copies the value
/// straight into the receiver's slot and readies it (it runs next on this P, inheriting
/// the time slice); a receiver that finds a parked sender on a full buffer takes the head
/// of the buffer and moves the sender's value to the tail, preserving FIFO order.
public final class Channel<T>: @unchecked Sendable {
    /// Guards `state` and the buffer.
    @usableFromInline let lock = RuntimeLock()
    public let capacity: Int
    @usableFromInline let buf: UnsafeMutablePointer<T>
    /// Counts, indexes, the closed flag and the waiter queues (protected by `lock`). Kept
    /// behind a pointer: mutating class stored properties costs a dynamic exclusivity
    /// check per access (a runtime call), which was a visible share of a channel operation.
    @usableFromInline let state: UnsafeMutablePointer<ChannelState>
    var closed: Bool { state.pointee.closed }  // protected by lock
    var recvq: WaitQueue {  // protected by lock
        get { state.pointee.recvq }
        _modify { yield &state.pointee.recvq }
    }
    var sendq: WaitQueue {  // protected by lock
        get { state.pointee.sendq }
        _modify { yield &state.pointee.sendq }
    }

    /// Creates a channel holding up to `capacity` values (0: unbuffered).
    public init(capacity: Int = 0) {
        precondition(capacity >= 0, "Channel capacity must be >= 0, got \(capacity)")
        self.capacity = capacity
        buf = .allocate(capacity: Swift.max(capacity, 1))
        state = .allocate(capacity: 1)
        state.initialize(to: ChannelState())
    }

    deinit {
        var i = state.pointee.recvx
        for _ in 0..<state.pointee.count {
            (buf + i).deinitialize(count: 1)
            i = (i + 1) % capacity
        }
        buf.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Values in the buffer now (Go's len(ch)): a snapshot that other goroutines may change
    /// at once. `capacity` is Go's cap(ch).
    public var count: Int { lock.withLock { state.pointee.count } }

    // `send` and `receive` are inlinable so that a client's `Channel<Int>` runs specialized
    // code: unspecialized generic code looks up `Optional<T>` and tuple metadata at run
    // time on every call, which cost more than the rest of the operation.

    /// Sends `value`, parking until a receiver or buffer space takes it.
    @inlinable
    public func send(_ value: T) {
        Goroutine.withCurrent("Channel.send") { g in
            g.safePointCheck()
            lock.lock()
            if trySendLocked(value) { return }
            var v = value
            var w = Waiter(g)
            withUnsafeMutablePointer(to: &v) { vp in
                withUnsafeMutablePointer(to: &w) { wp in
                    wp.pointee.elem = UnsafeMutableRawPointer(vp)
                    state.pointee.sendq.enqueue(wp)
                    g.park(.chanSend, unlocking: lock.raw)
                }
            }
            if !w.success { Goroutine.panic("send on closed channel") }
        }
    }

    /// Sends without blocking; returns false if it would block (Go's select with default).
    public func trySend(_ value: T) -> Bool {
        _ = Goroutine.mustCurrent("Channel.trySend")
        Goroutine.safePoint()
        lock.lock()
        if trySendLocked(value) { return true }
        lock.unlock()
        return false
    }

    /// With the lock held: completes a send if possible and unlocks; else keeps the lock.
    /// Panics on a closed channel. A parked receiver's `elem` is uninitialized `T` storage,
    /// initialized here (its `success` says whether it holds a value).
    @usableFromInline
    func trySendLocked(_ value: T) -> Bool {
        if state.pointee.closed {
            lock.unlock()
            Goroutine.panic("send on closed channel")
        }
        if let w = state.pointee.recvq.dequeue() {
            w.pointee.elem.unsafelyUnwrapped.assumingMemoryBound(to: T.self).initialize(to: value)
            w.pointee.success = true
            w.pointee.fired = true
            let rg = w.pointee.g
            lock.unlock()
            rg.withGoroutine { rg in rg.schedU._withUnsafeGuaranteedRef { $0.ready(rg) } }
            return true
        }
        if state.pointee.count < capacity {
            (buf + state.pointee.sendx).initialize(to: value)
            state.pointee.sendx = (state.pointee.sendx + 1) % capacity
            state.pointee.count += 1
            lock.unlock()
            return true
        }
        return false
    }

    /// Receives a value, parking until one is available. Returns nil once the channel is
    /// closed and drained (Go's `v, ok := <-ch` with ok == false).
    @inlinable
    public func receive() -> T? {
        Goroutine.withCurrent("Channel.receive") { g in
            g.safePointCheck()
            return withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { slot -> T? in
                let out = slot.baseAddress.unsafelyUnwrapped
                lock.lock()
                switch tryReceiveLocked(into: out) {
                case .value: return out.move()
                case .closed: return nil
                case .wouldBlock: break
                }
                var w = Waiter(g)
                withUnsafeMutablePointer(to: &w) { wp in
                    wp.pointee.elem = UnsafeMutableRawPointer(out)
                    state.pointee.recvq.enqueue(wp)
                    g.park(.chanReceive, unlocking: lock.raw)
                }
                return w.success ? out.move() : nil
            }
        }
    }

    /// Receives without blocking: `nil` if it would block, `.some(nil)` if closed and
    /// drained, `.some(v)` for a value.
    public func tryReceive() -> T?? {
        _ = Goroutine.mustCurrent("Channel.tryReceive")
        Goroutine.safePoint()
        return withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { slot -> T?? in
            let out = slot.baseAddress!
            lock.lock()
            switch tryReceiveLocked(into: out) {
            case .value: return .some(out.move())
            case .closed: return .some(nil)
            case .wouldBlock:
                lock.unlock()
                return nil
            }
        }
    }

    /// With the lock held: completes a receive if possible, initializing `out` for
    /// `.value`, and unlocks (`.closed`: closed and drained); returns `.wouldBlock` and
    /// keeps the lock if it would block.
    @usableFromInline
    func tryReceiveLocked(into out: UnsafeMutablePointer<T>) -> ReceiveResult {
        if let w = state.pointee.sendq.dequeue() {
            let sv = w.pointee.elem.unsafelyUnwrapped.assumingMemoryBound(to: T.self)
            if capacity == 0 {
                out.initialize(to: sv.pointee)
            } else {
                // Buffer is full: take its head, put the sender's value at the tail.
                let recvx = state.pointee.recvx
                out.moveInitialize(from: buf + recvx, count: 1)
                (buf + recvx).initialize(to: sv.pointee)
                state.pointee.recvx = (recvx + 1) % capacity
                state.pointee.sendx = state.pointee.recvx
            }
            w.pointee.success = true
            w.pointee.fired = true
            let sg = w.pointee.g
            lock.unlock()
            sg.withGoroutine { sg in sg.schedU._withUnsafeGuaranteedRef { $0.ready(sg) } }
            return .value
        }
        if state.pointee.count > 0 {
            let recvx = state.pointee.recvx
            out.moveInitialize(from: buf + recvx, count: 1)
            state.pointee.recvx = (recvx + 1) % capacity
            state.pointee.count -= 1
            lock.unlock()
            return .value
        }
        if state.pointee.closed {
            lock.unlock()
            return .closed
        }
        return .wouldBlock
    }

    /// Closes the channel: parked receivers get nil, parked senders panic. Closing twice
    /// panics.
    public func close() {
        _ = Goroutine.mustCurrent("Channel.close")
        lock.lock()
        if state.pointee.closed {
            lock.unlock()
            Goroutine.panic("close of closed channel")
        }
        state.pointee.closed = true
        var wake: [GoroutineRef] = []
        while let w = state.pointee.recvq.dequeue() {
            w.pointee.success = false
            w.pointee.fired = true
            wake.append(w.pointee.g)
        }
        while let w = state.pointee.sendq.dequeue() {
            w.pointee.success = false
            w.pointee.fired = true
            wake.append(w.pointee.g)
        }
        lock.unlock()
        for g in wake { g.withGoroutine { $0.sched.ready($0) } }
    }
}

/// The state of a channel behind its lock (see `Channel.state`).
@usableFromInline
struct ChannelState {
    var count = 0
    var sendx = 0
    var recvx = 0
    var closed = false
    @usableFromInline var recvq = WaitQueue()
    @usableFromInline var sendq = WaitQueue()
}

/// Outcome of `Channel.tryReceiveLocked`.
@usableFromInline
enum ReceiveResult { case value, closed, wouldBlock }

extension Channel: Sequence {
    /// Iterates received values until the channel is closed and drained (`for v in ch`).
    public func makeIterator() -> AnyIterator<T> {
        AnyIterator { self.receive() }
    }
}

extension Optional {
    /// Go's send on a possibly nil channel: sends on the channel, or, when it is nil,
    /// blocks the goroutine forever (`chan send (nil chan)`), as Go does.
    public func send<T>(_ value: T) where Wrapped == Channel<T> {
        guard let channel = self else { Goroutine.blockForever(.chanSendNil, "Channel.send") }
        channel.send(value)
    }

    /// Go's receive on a possibly nil channel: receives from the channel, or, when it is
    /// nil, blocks the goroutine forever (`chan receive (nil chan)`), as Go does.
    public func receive<T>() -> T? where Wrapped == Channel<T> {
        guard let channel = self else { Goroutine.blockForever(.chanReceiveNil, "Channel.receive") }
        return channel.receive()
    }
}

extension Goroutine {
    /// Parks the calling goroutine for good (an operation on a nil channel). Nothing can
    /// ready it: the run ends when main returns, or `checkdead` reports it.
    static func blockForever(_ reason: WaitReason, _ api: StaticString) -> Never {
        let g = mustCurrent(api)
        g.safePointCheck()
        g.park(reason, unlocking: nil)
        fatal("goroutine \(g.id) blocked forever (\(reason.rawValue)) was woken")
    }
}
