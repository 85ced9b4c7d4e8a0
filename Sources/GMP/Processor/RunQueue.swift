import CContext
import Synchronization

// The local run queue: a 256-slot ring owned by one P (Go's runqput/runqget/runqgrab/
// runqsteal, proc.go).
//
// The owner puts at the tail and gets at the head; thieves take half from the head of a
// victim. Only the owner writes `runqTail` (store-release), so a thief that loads the tail
// with acquire sees the slots the owner wrote. Every consumer, owner included, claims slots
// by CAS on `runqHead`; a consumer reads the slots *before* its CAS and the CAS decides
// whether the read was valid. On overflow the owner moves half of the ring plus the new
// goroutine to the global queue in one locked operation (runqputslow), which keeps the
// local queue fast and bounds the global lock traffic to once per 128 puts.
//
// `runnext` is a one-slot priority lane: a goroutine readied by the running goroutine runs
// next and inherits the remaining time slice, so a producer/consumer pair ping-pongs on one
// P without touching the ring. A new `runnext` kicks the old one to the tail.

@inline(__always) func gBits(_ g: Goroutine) -> UInt { UInt(bitPattern: Unmanaged.passUnretained(g).toOpaque()) }
@inline(__always) func gFrom(_ bits: UInt) -> Goroutine {
    Unmanaged<Goroutine>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).takeUnretainedValue()
}

// Hot paths pass goroutines as unretained bits and borrow objects with
// `_withUnsafeGuaranteedRef`: a class reference loaded from an unretained field into a
// strong local costs a retain/release pair per use across any atomic or opaque call, which
// was half of the time of a switch. Every object reached this way is kept alive by its
// owner (the scheduler owns goroutines, Ms and Ps) for the whole call.

/// Calls `body` with the goroutine whose unretained bits are `bits` (non-zero), borrowed:
/// no retain or release.
@inlinable @inline(__always) func withG<R>(_ bits: UInt, _ body: (Goroutine) throws -> R) rethrows -> R {
    try Unmanaged<Goroutine>.fromOpaque(UnsafeRawPointer(bitPattern: bits).unsafelyUnwrapped)
        ._withUnsafeGuaranteedRef(body)
}

extension Processor {
    /// True when the local queue and runnext are empty (racy: a hint, like Go's runqempty).
    public var runqEmpty: Bool {
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .acquiring)
            let next = runnext.load(ordering: .acquiring)
            if tail == runqTail.load(ordering: .acquiring) {
                return head == tail && next == 0
            }
        }
    }

    /// Number of goroutines in the ring (excluding runnext); racy.
    public var runqSize: Int {
        let head = runqHead.load(ordering: .acquiring)
        let tail = runqTail.load(ordering: .acquiring)
        return Int(tail &- head)
    }

    /// Puts `g` on the local queue; `next` puts it in runnext. Owner only.
    /// Overflow moves half the queue to the global queue.
    func runqput(_ g: Goroutine, next: Bool) { runqputBits(gBits(g), next: next) }

    /// `runqput` for a goroutine given as unretained bits (the hot-path spelling).
    @inline(__always)
    func runqputBits(_ bits: UInt, next: Bool) {
        var bits = bits
        if next {
            // Only the owner stores runnext; thieves CAS it to 0. A plain load tells whether
            // there is an old value to kick out: if it is 0 a store is enough (a thief never
            // stores a non-zero value), else exchange to learn which goroutine we kicked.
            if runnext.load(ordering: .relaxed) == 0 {
                runnext.store(bits, ordering: .releasing)
                return
            }
            let old = runnext.exchange(bits, ordering: .acquiringAndReleasing)
            if old == 0 { return }
            bits = old
        }
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .relaxed)
            if tail &- head < Processor.runqSize {
                tc_store_relaxed(runq + Int(tail % Processor.runqSize), bits)
                runqTail.store(tail &+ 1, ordering: .releasing)
                return
            }
            if withG(bits, { runqputslow($0, head: head, tail: tail) }) { return }
            // The queue is not full any more; retry.
        }
    }

    /// Moves half of the full ring plus `g` to the global queue. Owner only.
    private func runqputslow(_ g: Goroutine, head: UInt32, tail: UInt32) -> Bool {
        let n = (tail &- head) / 2
        precondition(n == Processor.runqSize / 2, "runqputslow: queue is not full")
        var batch: [Goroutine] = []
        batch.reserveCapacity(Int(n) + 1)
        for i in 0..<n {
            batch.append(gFrom(tc_load_relaxed(runq + Int((head &+ i) % Processor.runqSize))))
        }
        if !runqHead.compareExchange(expected: head, desired: head &+ n,
                                     ordering: .acquiringAndReleasing).exchanged {
            return false
        }
        batch.append(g)
        for i in 0..<(batch.count - 1) { batch[i].schedlink = gBits(batch[i + 1]) }
        batch[batch.count - 1].schedlink = 0
        let sched = g.sched
        sched.lock.withLock {
            sched.globrunqputbatch(head: gBits(batch[0]), tail: gBits(batch[batch.count - 1]), n: batch.count)
        }
        return true
    }

    /// Gets a goroutine from the local queue; `inheritTime` is true for runnext. Owner only.
    func runqget() -> (Goroutine, inheritTime: Bool)? {
        let (bits, inherit) = runqgetBits()
        return bits == 0 ? nil : (gFrom(bits), inherit)
    }

    /// `runqget` returning unretained bits (0: empty). Owner only.
    @inline(__always)
    func runqgetBits() -> (UInt, inheritTime: Bool) {
        var next = runnext.load(ordering: .acquiring)
        while next != 0 {
            let r = runnext.compareExchange(expected: next, desired: 0, ordering: .acquiringAndReleasing)
            if r.exchanged { return (next, true) }
            next = r.original
        }
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .relaxed)
            if tail == head { return (0, false) }
            let bits = tc_load_relaxed(runq + Int(head % Processor.runqSize))
            if runqHead.compareExchange(expected: head, desired: head &+ 1,
                                        ordering: .acquiringAndReleasing).exchanged {
                return (bits, false)
            }
        }
    }

    /// Grabs half of this P's queue into `batch` (ring of 256 starting at `batchHead`), for a
    /// thief. With `stealRunNext`, takes runnext when the ring is empty. Returns the count.
    func runqgrab(into batch: UnsafeMutablePointer<UInt>, batchHead: UInt32, stealRunNext: Bool) -> UInt32 {
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .acquiring)
            var n = tail &- head
            n = n - n / 2
            if n == 0 {
                if stealRunNext {
                    let next = runnext.load(ordering: .acquiring)
                    if next != 0 {
                        // The owner may be about to schedule it; like Go, back off briefly so
                        // a P that readied a goroutine and is about to block keeps it.
                        if currentStatus == .running { tc_usleep(3) }
                        if runnext.compareExchange(expected: next, desired: 0,
                                                   ordering: .acquiringAndReleasing).exchanged {
                            tc_store_relaxed(batch + Int(batchHead % Processor.runqSize), next)
                            return 1
                        }
                        continue
                    }
                }
                return 0
            }
            if n > Processor.runqSize / 2 { continue }  // read inconsistent head/tail
            for i in 0..<n {
                let bits = tc_load_relaxed(runq + Int((head &+ i) % Processor.runqSize))
                tc_store_relaxed(batch + Int((batchHead &+ i) % Processor.runqSize), bits)
            }
            if runqHead.compareExchange(expected: head, desired: head &+ n,
                                        ordering: .acquiringAndReleasing).exchanged {
                return n
            }
        }
    }

    /// Steals half of `victim`'s queue into this P's queue and returns one goroutine to run.
    /// Owner only (of self).
    func runqsteal(from victim: Processor, stealRunNext: Bool) -> Goroutine? {
        let tail = runqTail.load(ordering: .relaxed)
        var n = victim.runqgrab(into: runq, batchHead: tail, stealRunNext: stealRunNext)
        if n == 0 { return nil }
        n -= 1
        let g = gFrom(tc_load_relaxed(runq + Int((tail &+ n) % Processor.runqSize)))
        if n == 0 { return g }
        let head = runqHead.load(ordering: .acquiring)
        precondition(tail &+ n &- head < Processor.runqSize, "runqsteal: runq overflow")
        runqTail.store(tail &+ n, ordering: .releasing)
        return g
    }

    /// Removes every goroutine from the local queue (used when the world shuts down).
    func runqdrain() -> [Goroutine] {
        var out: [Goroutine] = []
        while let (g, _) = runqget() { out.append(g) }
        return out
    }
}

extension Scheduler {
    /// Puts a batch linked through `schedlink` (unretained bits) on the global queue.
    /// Requires `lock`.
    @inline(__always)
    func globrunqputbatch(head: UInt, tail: UInt, n: Int) {
        withG(tail) { $0.schedlink = 0 }
        if runqTailBits != 0 { withG(runqTailBits) { $0.schedlink = head } } else { runqHeadBits = head }
        runqTailBits = tail
        runqsize += n
    }

    /// Puts one goroutine at the tail of the global queue. Requires `lock`.
    func globrunqput(_ g: Goroutine) {
        globrunqputBits(gBits(g))
    }

    /// `globrunqput` for unretained bits. Requires `lock`.
    @inline(__always)
    func globrunqputBits(_ bits: UInt) {
        globrunqputbatch(head: bits, tail: bits, n: 1)
    }

    /// Takes a batch from the global queue into `p`'s local queue and returns one to run
    /// (Go's globrunqget): n = min(size, size/gomaxprocs + 1, max, 128). Requires `lock`.
    func globrunqget(_ p: Processor, max: Int) -> Goroutine? {
        let bits = globrunqgetBits(p, max: max)
        return bits == 0 ? nil : gFrom(bits)
    }

    /// `globrunqget` returning unretained bits (0: empty). Requires `lock`.
    @inline(__always)
    func globrunqgetBits(_ p: Processor, max: Int) -> UInt {
        if runqsize == 0 { return 0 }
        var n = min(runqsize, runqsize / procs + 1)
        if max > 0 && n > max { n = max }
        if n > Int(Processor.runqSize) / 2 { n = Int(Processor.runqSize) / 2 }
        runqsize -= n
        let g = runqHeadBits
        runqHeadBits = withG(g) { $0.schedlink }
        n -= 1
        while n > 0 {
            let g1 = runqHeadBits
            runqHeadBits = withG(g1) { $0.schedlink }
            p.runqputBits(g1, next: false)
            n -= 1
        }
        if runqHeadBits == 0 { runqTailBits = 0 }
        withG(g) { $0.schedlink = 0 }
        return g
    }
}
