import CContext
import Synchronization

// The run queues: a P's local ring (Go's runqput/runqget/runqgrab/runqsteal, proc.go) and
// the scheduler's global queue (globrunqput/globrunqget). Goroutines come and go as
// `GoroutineRef`s (+0; GoroutineRef.swift has the ownership rule).
//
// The local ring has 256 slots owned by one P. The owner puts at the tail and gets at the
// head; thieves take half from the head of a victim. Only the owner writes `runqTail`
// (store-release), so a thief that loads the tail with acquire sees the slots the owner
// wrote. Every consumer, owner included, claims slots by CAS on `runqHead`; a consumer
// reads the slots *before* its CAS and the CAS decides whether the read was valid. Slots
// hold refs as raw words (relaxed loads and stores; the head/tail pair orders them). On
// overflow the owner moves half of the ring plus the new goroutine to the global queue in
// one locked operation (runqputslow), which keeps the local queue fast and bounds the global
// lock traffic to once per 128 puts.
//
// `runnext` is a one-slot priority lane: a goroutine readied by the running goroutine runs
// next and inherits the remaining time slice, so a producer/consumer pair ping-pongs on one
// P without touching the ring. A new `runnext` kicks the old one to the tail.
//
// The global queue is a list linked through `Goroutine.schedlink`, guarded by the
// scheduler's `lock`.

extension Processor {
    /// True when the local queue and runnext are empty (racy: a hint, like Go's runqempty).
    public var runqEmpty: Bool {
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .acquiring)
            let next = runnext.load(ordering: .acquiring)
            if tail == runqTail.load(ordering: .acquiring) {
                return head == tail && next == nil
            }
        }
    }

    /// Number of goroutines in the ring (excluding runnext); racy.
    public var runqSize: Int {
        let head = runqHead.load(ordering: .acquiring)
        let tail = runqTail.load(ordering: .acquiring)
        return Int(tail &- head)
    }

    /// Slot `i` (mod 256) of the ring `ring` (this P's `runq`, or a thief's batch).
    @inline(__always)
    private static func slot(_ ring: UnsafeMutablePointer<UInt>, _ i: UInt32) -> UnsafeMutablePointer<UInt> {
        ring + Int(i % runqSize)
    }

    /// The goroutine in ring slot `i`, which a producer filled.
    @inline(__always)
    private func load(_ i: UInt32) -> GoroutineRef {
        GoroutineRef(word: tc_load_relaxed(Processor.slot(runq, i)))
    }

    /// Puts `g` on the local queue; `next` puts it in runnext. Owner only.
    /// Overflow moves half the queue to the global queue.
    @inline(__always)
    func runqput(_ g: GoroutineRef, next: Bool) {
        var g = g
        if next {
            // Only the owner stores runnext; thieves CAS it to nil. A plain load tells whether
            // there is an old value to kick out: if it is nil a store is enough (a thief never
            // stores a goroutine), else exchange to learn which goroutine we kicked.
            if runnext.load(ordering: .relaxed) == nil {
                runnext.store(g, ordering: .releasing)
                return
            }
            guard let old = runnext.exchange(g, ordering: .acquiringAndReleasing) else { return }
            g = old
        }
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .relaxed)
            if tail &- head < Processor.runqSize {
                tc_store_relaxed(Processor.slot(runq, tail), g.word)
                runqTail.store(tail &+ 1, ordering: .releasing)
                return
            }
            if runqputslow(g, head: head, tail: tail) { return }
            // The queue is not full any more; retry.
        }
    }

    /// Moves half of the full ring plus `g` to the global queue. Owner only.
    private func runqputslow(_ g: GoroutineRef, head: UInt32, tail: UInt32) -> Bool {
        let n = (tail &- head) / 2
        precondition(n == Processor.runqSize / 2, "runqputslow: queue is not full")
        if !runqHead.compareExchange(expected: head, desired: head &+ n,
                                     ordering: .acquiringAndReleasing).exchanged {
            return false
        }
        // The batch is ours alone now: stealers lost it with the CAS, and only the owner (this
        // M) writes ring slots, so they still hold what we read. Link it without the lock and
        // without a heap array (Go keeps the batch in a fixed array on the stack; an Array here
        // would allocate, and its first metadata instantiation overflows a 16 KiB stack).
        let first = load(head)
        var last = first
        for i in 1..<n {
            let next = load(head &+ i)
            last.withGoroutine { $0.schedlink = next }
            last = next
        }
        last.withGoroutine { $0.schedlink = g }
        g.withGoroutine { g in
            g.schedlink = nil
            let sched = g.sched
            sched.lock.withLock { sched.globrunqputbatch(head: first, tail: g.ref, n: Int(n) + 1) }
        }
        return true
    }

    /// Gets a goroutine from the local queue; `inheritTime` is true for runnext. Owner only.
    @inline(__always)
    func runqget() -> (g: GoroutineRef, inheritTime: Bool)? {
        var next = runnext.load(ordering: .acquiring)
        while let g = next {
            let r = runnext.compareExchange(expected: g, desired: nil, ordering: .acquiringAndReleasing)
            if r.exchanged { return (g, true) }
            next = r.original
        }
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .relaxed)
            if tail == head { return nil }
            let g = load(head)
            if runqHead.compareExchange(expected: head, desired: head &+ 1,
                                        ordering: .acquiringAndReleasing).exchanged {
                return (g, false)
            }
        }
    }

    /// Grabs half of this P's queue into `batch` (a ring of 256 raw slots starting at
    /// `batchHead`: the thief's own `runq`), for a thief. With `stealRunNext`, takes runnext
    /// when the ring is empty. Returns the count.
    private func runqgrab(into batch: UnsafeMutablePointer<UInt>, batchHead: UInt32, stealRunNext: Bool) -> UInt32 {
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .acquiring)
            var n = tail &- head
            n = n - n / 2
            if n == 0 {
                if stealRunNext, let next = runnext.load(ordering: .acquiring) {
                    // The owner may be about to schedule it; like Go, back off briefly so
                    // a P that readied a goroutine and is about to block keeps it.
                    if currentStatus == .running { tc_usleep(3) }
                    if runnext.compareExchange(expected: next, desired: nil,
                                               ordering: .acquiringAndReleasing).exchanged {
                        tc_store_relaxed(Processor.slot(batch, batchHead), next.word)
                        return 1
                    }
                    continue
                }
                return 0
            }
            if n > Processor.runqSize / 2 { continue }  // read inconsistent head/tail
            for i in 0..<n {
                tc_store_relaxed(Processor.slot(batch, batchHead &+ i), load(head &+ i).word)
            }
            if runqHead.compareExchange(expected: head, desired: head &+ n,
                                        ordering: .acquiringAndReleasing).exchanged {
                return n
            }
        }
    }

    /// Steals half of `victim`'s queue into this P's queue and returns one goroutine to run.
    /// Owner only (of self).
    func runqsteal(from victim: Processor, stealRunNext: Bool) -> GoroutineRef? {
        let tail = runqTail.load(ordering: .relaxed)
        var n = victim.runqgrab(into: runq, batchHead: tail, stealRunNext: stealRunNext)
        if n == 0 { return nil }
        n -= 1
        let g = load(tail &+ n)
        if n == 0 { return g }
        let head = runqHead.load(ordering: .acquiring)
        precondition(tail &+ n &- head < Processor.runqSize, "runqsteal: runq overflow")
        runqTail.store(tail &+ n, ordering: .releasing)
        return g
    }
}

extension Scheduler {
    /// Puts `n` goroutines linked `head` ... `tail` through `schedlink` at the tail of the
    /// global queue. Requires `lock`.
    @inline(__always)
    func globrunqputbatch(head: GoroutineRef, tail: GoroutineRef, n: Int) {
        tail.withGoroutine { $0.schedlink = nil }
        if let last = globrunqTail { last.withGoroutine { $0.schedlink = head } } else { globrunqHead = head }
        globrunqTail = tail
        runqsize += n
    }

    /// Puts one goroutine at the tail of the global queue. Requires `lock`.
    @inline(__always)
    func globrunqput(_ g: GoroutineRef) {
        globrunqputbatch(head: g, tail: g, n: 1)
    }

    /// Takes a batch from the global queue into `p`'s local queue and returns one to run
    /// (Go's globrunqget): n = min(size, size/gomaxprocs + 1, max, 128). Requires `lock`.
    @inline(__always)
    func globrunqget(_ p: Processor, max: Int) -> GoroutineRef? {
        guard runqsize != 0, let g = globrunqHead else { return nil }
        var n = min(runqsize, runqsize / procs + 1)
        if max > 0 && n > max { n = max }
        if n > Int(Processor.runqSize) / 2 { n = Int(Processor.runqSize) / 2 }
        runqsize -= n
        globrunqHead = g.withGoroutine { $0.schedlink }
        n -= 1
        while n > 0 {
            let g1 = globrunqHead.unsafelyUnwrapped
            globrunqHead = g1.withGoroutine { $0.schedlink }
            p.runqput(g1, next: false)
            n -= 1
        }
        if globrunqHead == nil { globrunqTail = nil }
        g.withGoroutine { $0.schedlink = nil }
        return g
    }
}
