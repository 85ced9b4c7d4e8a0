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
    func runqput(_ g: Goroutine, next: Bool) {
        var g = g
        if next {
            let old = runnext.exchange(gBits(g), ordering: .acquiringAndReleasing)
            if old == 0 { return }
            g = gFrom(old)
        }
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .relaxed)
            if tail &- head < Processor.runqSize {
                tc_store_relaxed(runq + Int(tail % Processor.runqSize), gBits(g))
                runqTail.store(tail &+ 1, ordering: .releasing)
                return
            }
            if runqputslow(g, head: head, tail: tail) { return }
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
        for i in 0..<(batch.count - 1) { batch[i].schedlink = batch[i + 1] }
        batch[batch.count - 1].schedlink = nil
        let sched = g.sched
        sched.lock.withLock { sched.globrunqputbatch(head: batch[0], tail: batch[batch.count - 1], n: batch.count) }
        return true
    }

    /// Gets a goroutine from the local queue; `inheritTime` is true for runnext. Owner only.
    func runqget() -> (Goroutine, inheritTime: Bool)? {
        var next = runnext.load(ordering: .acquiring)
        while next != 0 {
            let r = runnext.compareExchange(expected: next, desired: 0, ordering: .acquiringAndReleasing)
            if r.exchanged { return (gFrom(next), true) }
            next = r.original
        }
        while true {
            let head = runqHead.load(ordering: .acquiring)
            let tail = runqTail.load(ordering: .relaxed)
            if tail == head { return nil }
            let bits = tc_load_relaxed(runq + Int(head % Processor.runqSize))
            if runqHead.compareExchange(expected: head, desired: head &+ 1,
                                        ordering: .acquiringAndReleasing).exchanged {
                return (gFrom(bits), false)
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
    /// Puts a batch linked through `schedlink` on the global queue. Requires `lock`.
    func globrunqputbatch(head: Goroutine, tail: Goroutine, n: Int) {
        tail.schedlink = nil
        if let t = runqTailG { t.schedlink = head } else { runqHeadG = head }
        runqTailG = tail
        runqsize += n
    }

    /// Puts one goroutine at the tail of the global queue. Requires `lock`.
    func globrunqput(_ g: Goroutine) {
        globrunqputbatch(head: g, tail: g, n: 1)
    }

    /// Takes a batch from the global queue into `p`'s local queue and returns one to run
    /// (Go's globrunqget): n = min(size, size/gomaxprocs + 1, max, 128). Requires `lock`.
    func globrunqget(_ p: Processor, max: Int) -> Goroutine? {
        if runqsize == 0 { return nil }
        var n = min(runqsize, runqsize / procs + 1)
        if max > 0 && n > max { n = max }
        if n > Int(Processor.runqSize) / 2 { n = Int(Processor.runqSize) / 2 }
        runqsize -= n
        let g = runqHeadG!
        runqHeadG = g.schedlink
        n -= 1
        while n > 0 {
            let g1 = runqHeadG!
            runqHeadG = g1.schedlink
            p.runqput(g1, next: false)
            n -= 1
        }
        if runqHeadG == nil { runqTailG = nil }
        g.schedlink = nil
        return g
    }
}
