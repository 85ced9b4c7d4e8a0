import CContext
import Synchronization

// The waiter records and queues every goroutine-parking primitive (channels, select,
// GoMutex, WaitGroup) is built on.

/// A parked goroutine waiting on a channel, select, mutex or wait group (Go's sudog).
///
/// Waiters live on the parked goroutine's own stack: a stackful goroutine's frames do not
/// move while it is parked, so a queue can link them with raw pointers and no allocation.
/// All fields are protected by the lock of the queue that holds the waiter; once a waker
/// has dequeued it and readied the goroutine, it must not touch the waiter again.
@usableFromInline
struct Waiter {
    /// The parked goroutine (+0, GoroutineRef.swift).
    @usableFromInline var g: GoroutineRef
    /// Channel element: the value to send, or uninitialized `T` storage to receive into
    /// (initialized by the sender, which then sets `success`).
    @usableFromInline var elem: UnsafeMutableRawPointer? = nil
    var next: UnsafeMutablePointer<Waiter>? = nil
    var prev: UnsafeMutablePointer<Waiter>? = nil
    /// Part of a select: a waker must win `Goroutine.selectDone` before using it.
    var isSelect = false
    /// Channel operations: true if the communication happened (false: the channel closed).
    @usableFromInline var success = false
    /// Set by the waker that completed this waiter (select uses it to find its case).
    var fired = false
    /// Linked in a queue now (so `WaitQueue.remove` may be called on a dequeued waiter).
    var inQueue = false

    @inlinable init(_ g: Goroutine) { self.g = g.ref }
}

/// A FIFO of waiters (Go's waitq). Protected by its owner's lock.
@usableFromInline
struct WaitQueue {
    private var first: UnsafeMutablePointer<Waiter>?
    private var last: UnsafeMutablePointer<Waiter>?

    @usableFromInline
    mutating func enqueue(_ w: UnsafeMutablePointer<Waiter>) {
        w.pointee.next = nil
        w.pointee.prev = last
        w.pointee.inQueue = true
        if let l = last { l.pointee.next = w } else { first = w }
        last = w
    }

    /// Pops the first waiter that can still be woken: select waiters whose select already
    /// completed elsewhere are dropped (their goroutine lost the `selectDone` race).
    mutating func dequeue() -> UnsafeMutablePointer<Waiter>? {
        while let w = first {
            remove(w)
            if w.pointee.isSelect {
                let won = w.pointee.g.withGoroutine {
                    $0.selectDone.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged
                }
                if !won {
                    continue
                }
            }
            return w
        }
        return nil
    }

    /// Unlinks `w` if it is still queued.
    mutating func remove(_ w: UnsafeMutablePointer<Waiter>) {
        guard w.pointee.inQueue else { return }
        let p = w.pointee.prev, n = w.pointee.next
        if let p { p.pointee.next = n } else { first = n }
        if let n { n.pointee.prev = p } else { last = p }
        w.pointee.next = nil
        w.pointee.prev = nil
        w.pointee.inQueue = false
    }
}
