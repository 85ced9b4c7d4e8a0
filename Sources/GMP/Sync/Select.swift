import CContext
import Synchronization

// Go's `select` (selectgo, select.go): the builder, the type-erased cases and the
// channel-side polls they use.

/// Go's `select`: waits on several channel operations and performs exactly one.
///
/// ```swift
/// Select.run {
///     $0.receive(from: jobs) { job in ... }      // job == nil: jobs is closed
///     $0.send(result, to: results) { ... }
///     $0.otherwise { ... }                       // optional: makes select non-blocking
/// }
/// ```
///
/// The algorithm is Go's selectgo: (1) poll the cases in a random order (fairness) with
/// every channel locked in address order (no lock-order deadlock); (2) if none is ready,
/// run `otherwise` if present, else enqueue a waiter on every channel and park once;
/// (3) the first waker wins the goroutine's `selectDone` flag, completes its case and
/// readies us; other channels drop our stale waiters when they meet them; (4) on waking,
/// relock everything and dequeue the remaining waiters. A select with no cases blocks
/// forever.
public enum Select {
    public static func run(_ build: (inout SelectBuilder) -> Void) {
        var b = SelectBuilder()
        build(&b)
        b.execute()
    }
}

/// Collects the cases of one `Select.run`.
public struct SelectBuilder {
    var cases: [SelectCaseBox] = []
    var otherwiseHandler: (() -> Void)?

    /// A receive case; the handler gets nil when the channel is closed and drained.
    public mutating func receive<T>(from channel: Channel<T>, _ handler: @escaping (T?) -> Void) {
        cases.append(RecvCase(channel, handler))
    }

    /// A send case.
    public mutating func send<T>(_ value: T, to channel: Channel<T>, _ handler: @escaping () -> Void = {}) {
        cases.append(SendCase(channel, value, handler))
    }

    /// The default case: run when no other case is ready.
    public mutating func otherwise(_ handler: @escaping () -> Void) {
        otherwiseHandler = handler
    }

    func execute() {
        let g = Goroutine.mustCurrent("Select.run")
        Goroutine.safePoint()
        if cases.isEmpty {
            if let h = otherwiseHandler { h(); return }
            g.park(.selectNoCases, unlocking: nil)
            return
        }
        // Poll order: random permutation (per-M generator, deterministic in deterministic mode).
        var order = Array(cases.indices)
        let m = g.m!
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            let j = Int(m.nextRandom() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        // Lock order: by lock address, each channel once.
        var locks: [UnsafeMutablePointer<tc_lock>] = []
        for c in cases where !locks.contains(c.lockPtr) { locks.append(c.lockPtr) }
        locks.sort { UInt(bitPattern: $0) < UInt(bitPattern: $1) }
        for l in locks { tc_lock_acquire(l) }
        for i in order {
            if cases[i].pollLocked() {
                for l in locks.reversed() { tc_lock_release(l) }
                cases[i].fire(success: cases[i].polledSuccess)
                return
            }
        }
        if let h = otherwiseHandler {
            for l in locks.reversed() { tc_lock_release(l) }
            h()
            return
        }
        let waiters = UnsafeMutablePointer<Waiter>.allocate(capacity: cases.count)
        defer { waiters.deallocate() }
        g.selectDone.store(0, ordering: .releasing)
        for (i, c) in cases.enumerated() {
            (waiters + i).initialize(to: Waiter(g))
            waiters[i].isSelect = true
            c.enqueueLocked(waiters + i)
        }
        g.parkMany(.select, unlocking: locks)
        for l in locks { tc_lock_acquire(l) }
        var winner = -1
        for (i, c) in cases.enumerated() {
            if waiters[i].fired { winner = i } else { c.dequeueLocked(waiters + i) }
        }
        for l in locks.reversed() { tc_lock_release(l) }
        precondition(winner >= 0, "select: goroutine \(g.id) woke with no case fired")
        let ok = waiters[winner].success
        cases[winner].fire(success: ok)
    }
}

/// Type-erased select case.
class SelectCaseBox {
    var lockPtr: UnsafeMutablePointer<tc_lock> { fatalError("abstract") }
    var polledSuccess = true
    /// With every lock held: completes the case now if it can (and then must NOT unlock).
    func pollLocked() -> Bool { fatalError("abstract") }
    func enqueueLocked(_ w: UnsafeMutablePointer<Waiter>) { fatalError("abstract") }
    func dequeueLocked(_ w: UnsafeMutablePointer<Waiter>) { fatalError("abstract") }
    /// After unlocking: runs the handler.
    func fire(success: Bool) { fatalError("abstract") }
}

final class RecvCase<T>: SelectCaseBox {
    let channel: Channel<T>
    let handler: (T?) -> Void
    /// Uninitialized `T` storage a sender (or the poll) initializes; `filled` says so.
    let slot: UnsafeMutablePointer<T>
    var filled = false
    init(_ c: Channel<T>, _ h: @escaping (T?) -> Void) {
        channel = c
        handler = h
        slot = .allocate(capacity: 1)
    }
    deinit {
        if filled { slot.deinitialize(count: 1) }
        slot.deallocate()
    }
    override var lockPtr: UnsafeMutablePointer<tc_lock> { channel.lock.raw }
    override func pollLocked() -> Bool {
        switch channel.pollReceiveLocked(into: slot) {
        case .value:
            filled = true
            polledSuccess = true
            return true
        case .closed:
            polledSuccess = false
            return true
        case .wouldBlock: return false
        }
    }
    override func enqueueLocked(_ w: UnsafeMutablePointer<Waiter>) {
        w.pointee.elem = UnsafeMutableRawPointer(slot)
        channel.recvq.enqueue(w)
    }
    override func dequeueLocked(_ w: UnsafeMutablePointer<Waiter>) { channel.recvq.remove(w) }
    override func fire(success: Bool) {
        // A woken receive case holds a value exactly when the sender succeeded; a polled
        // one when the poll found a value (`filled`).
        if success { filled = true }
        if filled {
            filled = false
            handler(slot.move())
        } else {
            handler(nil)
        }
    }
}

final class SendCase<T>: SelectCaseBox {
    let channel: Channel<T>
    let handler: () -> Void
    let value: UnsafeMutablePointer<T>
    init(_ c: Channel<T>, _ v: T, _ h: @escaping () -> Void) {
        channel = c
        handler = h
        value = .allocate(capacity: 1)
        value.initialize(to: v)
    }
    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
    }
    override var lockPtr: UnsafeMutablePointer<tc_lock> { channel.lock.raw }
    override func pollLocked() -> Bool {
        let r = channel.pollSendLocked(value.pointee)
        polledSuccess = r != .closed
        return r != .wouldBlock
    }
    override func enqueueLocked(_ w: UnsafeMutablePointer<Waiter>) {
        w.pointee.elem = UnsafeMutableRawPointer(value)
        channel.sendq.enqueue(w)
    }
    override func dequeueLocked(_ w: UnsafeMutablePointer<Waiter>) { channel.sendq.remove(w) }
    override func fire(success: Bool) {
        if !success { Goroutine.panic("send on closed channel") }
        handler()
    }
}

enum PollSend { case done, closed, wouldBlock }

extension Channel {
    /// Select's receive poll, with this channel's lock held by the select (which also
    /// unlocks it): moves a value into `slot` if one is available or the channel is closed.
    func pollReceiveLocked(into slot: UnsafeMutablePointer<T>) -> ReceiveResult {
        // Reuse the non-select path, but it unlocks on success: re-lock to keep select's
        // lock discipline simple (select holds the lock again until it releases all).
        let r = tryReceiveLocked(into: slot)
        if r != .wouldBlock { tc_lock_acquire(lock.raw) }
        return r
    }

    /// Select's send poll, with the lock held (held again on return).
    func pollSendLocked(_ value: T) -> PollSend {
        if closed { return .closed }
        if trySendLocked(value) {
            tc_lock_acquire(lock.raw)
            return .done
        }
        return .wouldBlock
    }
}
