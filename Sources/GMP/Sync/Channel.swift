import CContext

/// A Go channel: a typed FIFO through which goroutines communicate and synchronise
/// (Go's hchan, chan.go).
///
/// Unbuffered (`capacity: 0`): a send waits for a receiver and hands the value over
/// directly. Buffered: sends wait only when the buffer is full. `close()` wakes every
/// waiter; receives then drain the buffer and return nil. Sending on a closed channel, or
/// closing twice, panics (the program stops and `Scheduler.run` throws), as in Go.
///
/// Every operation is a safe point. Blocking parks the goroutine, never the thread. Using a
/// channel outside a goroutine is a precondition failure with a clear message.
///
/// How it works: one lock guards the buffer and two queues of parked waiters (`Waiter`,
/// living on the waiters' stacks). A sender that finds a parked receiver copies the value
/// straight into the receiver's slot and readies it (it runs next on this P, inheriting
/// the time slice); a receiver that finds a parked sender on a full buffer takes the head
/// of the buffer and moves the sender's value to the tail, preserving FIFO order.
public final class Channel<T>: @unchecked Sendable {
    /// Guards everything below.
    let lock = RuntimeLock()
    public let capacity: Int
    private let buf: UnsafeMutablePointer<T>
    private var count = 0
    private var sendx = 0
    private var recvx = 0
    private(set) var closed = false
    var recvq = WaitQueue()
    var sendq = WaitQueue()

    /// Creates a channel holding up to `capacity` values (0: unbuffered).
    public init(capacity: Int = 0) {
        precondition(capacity >= 0, "Channel capacity must be >= 0, got \(capacity)")
        self.capacity = capacity
        buf = .allocate(capacity: Swift.max(capacity, 1))
    }

    deinit {
        var i = recvx
        for _ in 0..<count {
            (buf + i).deinitialize(count: 1)
            i = (i + 1) % capacity
        }
        buf.deallocate()
        lock.deallocate()
    }

    /// Values in the buffer now (racy snapshot, like Go's len(ch)).
    public var bufferedCount: Int { lock.withLock { count } }

    /// Sends `value`, parking until a receiver or buffer space takes it.
    public func send(_ value: T) {
        let g = Goroutine.mustCurrent("Channel.send")
        Goroutine.safePoint()
        lock.lock()
        if trySendLocked(value) { return }
        var v = value
        var w = Waiter(g)
        withUnsafeMutablePointer(to: &v) { vp in
            withUnsafeMutablePointer(to: &w) { wp in
                wp.pointee.elem = UnsafeMutableRawPointer(vp)
                sendq.enqueue(wp)
                g.park(.chanSend, unlocking: lock.raw)
            }
        }
        if !w.success { Goroutine.panic("send on closed channel") }
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
    /// Panics on a closed channel.
    func trySendLocked(_ value: T) -> Bool {
        if closed {
            lock.unlock()
            Goroutine.panic("send on closed channel")
        }
        if let w = recvq.dequeue() {
            w.pointee.elem?.assumingMemoryBound(to: Optional<T>.self).pointee = value
            w.pointee.success = true
            w.pointee.fired = true
            let rg = gFrom(w.pointee.g)
            lock.unlock()
            rg.sched.ready(rg)
            return true
        }
        if count < capacity {
            (buf + sendx).initialize(to: value)
            sendx = (sendx + 1) % capacity
            count += 1
            lock.unlock()
            return true
        }
        return false
    }

    /// Receives a value, parking until one is available. Returns nil once the channel is
    /// closed and drained (Go's `v, ok := <-ch` with ok == false).
    public func receive() -> T? {
        let g = Goroutine.mustCurrent("Channel.receive")
        Goroutine.safePoint()
        lock.lock()
        if let r = tryReceiveLocked() { return r.value }
        var slot: T? = nil
        var w = Waiter(g)
        withUnsafeMutablePointer(to: &slot) { sp in
            withUnsafeMutablePointer(to: &w) { wp in
                wp.pointee.elem = UnsafeMutableRawPointer(sp)
                recvq.enqueue(wp)
                g.park(.chanReceive, unlocking: lock.raw)
            }
        }
        return slot
    }

    /// Receives without blocking: `nil` if it would block, `.some(nil)` if closed and
    /// drained, `.some(v)` for a value.
    public func tryReceive() -> T?? {
        _ = Goroutine.mustCurrent("Channel.tryReceive")
        Goroutine.safePoint()
        lock.lock()
        if let r = tryReceiveLocked() { return .some(r.value) }
        lock.unlock()
        return nil
    }

    /// With the lock held: completes a receive if possible and unlocks (value nil: closed
    /// and drained); returns nil and keeps the lock if it would block.
    func tryReceiveLocked() -> (value: T?, Void)? {
        if let w = sendq.dequeue() {
            let sv = w.pointee.elem!.assumingMemoryBound(to: T.self).pointee
            let v: T
            if capacity == 0 {
                v = sv
            } else {
                // Buffer is full: take its head, put the sender's value at the tail.
                v = (buf + recvx).move()
                (buf + recvx).initialize(to: sv)
                recvx = (recvx + 1) % capacity
                sendx = recvx
            }
            w.pointee.success = true
            w.pointee.fired = true
            let sg = gFrom(w.pointee.g)
            lock.unlock()
            sg.sched.ready(sg)
            return (v, ())
        }
        if count > 0 {
            let v = (buf + recvx).move()
            recvx = (recvx + 1) % capacity
            count -= 1
            lock.unlock()
            return (v, ())
        }
        if closed {
            lock.unlock()
            return (nil, ())
        }
        return nil
    }

    /// Closes the channel: parked receivers get nil, parked senders panic. Closing twice
    /// panics.
    public func close() {
        _ = Goroutine.mustCurrent("Channel.close")
        lock.lock()
        if closed {
            lock.unlock()
            Goroutine.panic("close of closed channel")
        }
        closed = true
        var wake: [Goroutine] = []
        while let w = recvq.dequeue() {
            w.pointee.success = false
            w.pointee.fired = true
            wake.append(gFrom(w.pointee.g))
        }
        while let w = sendq.dequeue() {
            w.pointee.success = false
            w.pointee.fired = true
            wake.append(gFrom(w.pointee.g))
        }
        lock.unlock()
        for g in wake { g.sched.ready(g) }
    }
}

extension Channel: Sequence {
    /// Iterates received values until the channel is closed and drained (`for v in ch`).
    public func makeIterator() -> AnyIterator<T> {
        AnyIterator { self.receive() }
    }
}
