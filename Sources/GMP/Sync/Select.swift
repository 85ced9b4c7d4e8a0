import CContext
import Synchronization

// Go's `select` (selectgo, select.go): the builder, the type-erased cases and the
// channel-side polls they use.

/// Go's `select`: waits on several channel operations, performs exactly one and returns
/// what that case's handler returns.
///
/// ```swift
/// // A statement (handlers return nothing):
/// Select.run {
///     $0.receive(from: jobs) { job in ... }      // job == nil: jobs is closed
///     $0.send(result, to: results) { ... }
///     $0.otherwise { ... }                       // optional: Go's default, makes it non-blocking
/// }
/// // An expression: every handler returns a value, so a case can end the loop around it.
/// while true {
///     let done: Bool = Select.run {
///         $0.receive(from: jobs) { job in guard let job else { return true }; handle(job); return false }
///         $0.receive(from: after(.seconds(1))) { _ in true }   // a timeout
///     }
///     if done { break }
/// }
/// ```
///
/// A case on a nil channel (`Channel<T>?` that is nil) is never ready, as in Go: a select
/// whose cases are all nil and that has no `otherwise` blocks forever (and the deadlock
/// detector reports it). A select with no cases at all blocks forever too.
///
/// The algorithm is Go's selectgo: (1) poll the cases in a random order (fairness) with
/// every channel locked in address order (no lock-order deadlock); (2) if none is ready,
/// run `otherwise` if present, else enqueue a waiter on every channel and park once;
/// (3) the first waker wins the goroutine's `selectDone` flag, completes its case and
/// readies us; other channels drop our stale waiters when they meet them; (4) on waking,
/// relock everything, dequeue the remaining waiters and run the winner's handler.
public enum Select {
    /// Runs the select built by `build` and returns the chosen case's result.
    @discardableResult
    public static func run<R>(_ build: (inout SelectBuilder<R>) -> Void) -> R {
        var b = SelectBuilder<R>()
        build(&b)
        return b.execute()
    }
}

/// Collects the cases of one `Select.run`; `R` is what every handler returns.
public struct SelectBuilder<R> {
    var cases: [SelectCaseBox<R>] = []
    var otherwiseHandler: (() -> R)?
    /// Cases left out because their channel was nil (never ready).
    var nilCases = 0

    /// A receive case; the handler gets nil when the channel is closed and drained. A nil
    /// channel makes a case that is never ready.
    public mutating func receive<T>(from channel: Channel<T>?, _ handler: @escaping (T?) -> R) {
        guard let channel else { nilCases += 1; return }
        cases.append(RecvCase(channel, handler))
    }

    /// A send case. A nil channel makes a case that is never ready; sending on a closed
    /// channel panics when the case is chosen, as in Go.
    public mutating func send<T>(_ value: T, to channel: Channel<T>?, _ handler: @escaping () -> R) {
        guard let channel else { nilCases += 1; return }
        cases.append(SendCase(channel, value, handler))
    }

    /// A send case whose `notChosen` runs (after every channel is unlocked, before the
    /// chosen handler) when the select completes another case or its default: for a value
    /// that owns something until a receiver takes it (a RefChannel's rooted word).
    package mutating func send<T>(_ value: T, to channel: Channel<T>, notChosen: @escaping () -> Void,
                                  _ handler: @escaping () -> R) {
        let c = SendCase(channel, value, handler)
        c.notChosen = notChosen
        cases.append(c)
    }

    /// The default case (Go's `default:`): run when no other case is ready.
    public mutating func otherwise(_ handler: @escaping () -> R) {
        otherwiseHandler = handler
    }

    func execute() -> R {
        let g = Goroutine.mustCurrent("Select.run")
        Goroutine.safePoint()
        if cases.isEmpty {
            if let h = otherwiseHandler { return h() }
            g.park(nilCases > 0 ? .select : .selectNoCases, unlocking: nil)
            fatal("select with no ready case: goroutine \(g.id) woke")
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
                abandonAll(but: i)
                return cases[i].fire(success: cases[i].polledSuccess)
            }
        }
        if let h = otherwiseHandler {
            for l in locks.reversed() { tc_lock_release(l) }
            abandonAll(but: -1)
            return h()
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
        abandonAll(but: winner)
        return cases[winner].fire(success: ok)
    }

    /// Tells every case but `winner` that it did not happen. No lock held.
    private func abandonAll(but winner: Int) {
        for (i, c) in cases.enumerated() where i != winner { c.notChosen?() }
    }
}

extension SelectBuilder where R == Void {
    /// A send case with nothing to do after the send.
    public mutating func send<T>(_ value: T, to channel: Channel<T>?) {
        send(value, to: channel, {})
    }
}

/// Type-erased select case.
class SelectCaseBox<R> {
    var lockPtr: UnsafeMutablePointer<tc_lock> { fatalError("abstract") }
    var polledSuccess = true
    /// Run when the select completes another case (SelectBuilder.send(_:to:notChosen:_:)).
    var notChosen: (() -> Void)?
    /// With every lock held: completes the case now if it can (and then must NOT unlock).
    func pollLocked() -> Bool { fatalError("abstract") }
    func enqueueLocked(_ w: UnsafeMutablePointer<Waiter>) { fatalError("abstract") }
    func dequeueLocked(_ w: UnsafeMutablePointer<Waiter>) { fatalError("abstract") }
    /// After unlocking: runs the handler.
    func fire(success: Bool) -> R { fatalError("abstract") }
}

final class RecvCase<T, R>: SelectCaseBox<R> {
    let channel: Channel<T>
    let handler: (T?) -> R
    /// Uninitialized `T` storage a sender (or the poll) initializes; `filled` says so.
    let slot: UnsafeMutablePointer<T>
    var filled = false
    init(_ c: Channel<T>, _ h: @escaping (T?) -> R) {
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
    override func fire(success: Bool) -> R {
        // A woken receive case holds a value exactly when the sender succeeded; a polled
        // one when the poll found a value (`filled`).
        if success { filled = true }
        if filled {
            filled = false
            return handler(slot.move())
        }
        return handler(nil)
    }
}

final class SendCase<T, R>: SelectCaseBox<R> {
    let channel: Channel<T>
    let handler: () -> R
    let value: UnsafeMutablePointer<T>
    init(_ c: Channel<T>, _ v: T, _ h: @escaping () -> R) {
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
    override func fire(success: Bool) -> R {
        if !success { Goroutine.panic("send on closed channel") }
        return handler()
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
