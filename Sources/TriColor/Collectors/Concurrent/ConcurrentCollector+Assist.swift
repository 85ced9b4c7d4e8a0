// Mark assists (Go's gcAssistAlloc, gcFlushBgCredit and work.assistQueue): an allocating
// goroutine in debt steals background credit, scans grey objects itself, or parks until
// the workers bank credit. The rule and its two deviations from Go are the essay in
// ConcurrentCollector+Pacing.swift.

import GMP
import Synchronization

extension ConcurrentCollector {
    /// Charges an allocation of `bytes` to the calling goroutine's assist credit and pays a
    /// debt with an assist (see the essay). May reach safe points; called before the object
    /// is allocated.
    ///
    /// The fast path is Go's mallocgc check (`gp.gcAssistBytes -= size; if < 0 {
    /// gcAssistAlloc }`): one subtraction on the goroutine's credit, reached through
    /// `Goroutine.currentCreditCell` (borrowed: no retain of the goroutine, no dynamic
    /// exclusivity check). Everything else (a new cycle's reset, the 16 KiB worker check,
    /// system goroutines, the CPU limiter, the debt) is the slow path, taken when the
    /// credit belongs to another cycle, would go negative, or crosses a 16 KiB boundary.
    @inline(__always)
    func assist(bytes: Int) {
        // Only cycles run by `runCycle` (with background workers) pace allocation; a mark
        // stepped by hand (teaching scenarios) does exactly the scans it is told to.
        guard active.load(ordering: .relaxed), let cell = Goroutine.currentCreditCell else { return }
        if let o = heap.accessObserver { o.bookkeeping() }
        let before = cell.pointee.bytes
        let credit = before &- Int64(bytes)
        if _fastPath(cell.pointee.cycle == UInt64(heap.cycle) && credit >= 0
                     && before / ConcurrentCollector.yieldCheckBytes == credit / ConcurrentCollector.yieldCheckBytes) {
            cell.pointee.bytes = credit
            return
        }
        assistSlow(cell, bytes: bytes)
    }

    /// `assist`'s slow path: a new cycle's credit, the 16 KiB due-worker check, a debt.
    @inline(never)
    private func assistSlow(_ cell: UnsafeMutablePointer<CollectorCredit>, bytes: Int) {
        guard let g = Goroutine.current, !g.isSystem else { return }
        let cycle = UInt64(heap.cycle)
        if cell.pointee.cycle != cycle {
            cell.pointee.cycle = cycle
            cell.pointee.bytes = 0
        }
        let before = cell.pointee.bytes
        let credit = before - Int64(bytes)
        cell.pointee.bytes = credit
        if before / ConcurrentCollector.yieldCheckBytes != credit / ConcurrentCollector.yieldCheckBytes {
            yieldToDueWorker()
        }
        if credit >= 0 { return }
        if rt.cpuLimiter.limiting { cell.pointee.bytes = 0; return }
        // A fractional worker that is due marks first: what it banks, this debt steals. The
        // 16 KiB check above cannot see it while assists keep the credit near zero (each
        // one pays about a 16 KiB allocation run), which left that worker idle for whole
        // marks at P = 1 while the mutator did all the marking in assists.
        yieldToDueWorker()
        payDebt(g)
    }

    /// Lets a fractional worker whose sleep is over run now (see the essay).
    @inline(__always)
    private func yieldToDueWorker() {
        if fractionalWakeAt.load(ordering: .relaxed) <= clock() { Goroutine.yield() }
    }

    @inline(never)
    private func payDebt(_ g: Goroutine) {
        let ratio = assistRatio()
        var debtBytes = -g.collectorCredit
        var scanWork = Int(ratio.workPerByte * Double(debtBytes))
        if scanWork < ConcurrentCollector.overAssistWork {
            scanWork = ConcurrentCollector.overAssistWork
            debtBytes = Int64(ratio.bytesPerWork * Double(scanWork))
        } else if scanWork > ConcurrentCollector.maxAssistWork {
            // Past the goal the ratio can ask for the whole remaining mark at once; pay it over
            // the next allocations instead (the credit stays negative, so each one assists).
            scanWork = ConcurrentCollector.maxAssistWork
            debtBytes = Int64(ratio.bytesPerWork * Double(scanWork))
        }
        // Steal banked background credit first.
        var bg = bgScanCredit.load(ordering: .relaxed)
        while bg > 0 {
            let stolen = min(bg, scanWork)
            let r = bgScanCredit.compareExchange(expected: bg, desired: bg - stolen, ordering: .relaxed)
            if r.exchanged {
                if stolen == scanWork {
                    g.collectorCredit += debtBytes
                    return
                }
                scanWork -= stolen
                g.collectorCredit += Int64(ratio.bytesPerWork * Double(stolen))
                break
            }
            bg = r.original
        }
        // Scan.
        let t0 = nanotime()
        var done = 0, objects = 0
        var flushed = false, outOfWork = false
        // A stop of the world or sysmon's preemption ends the assist early, as Go's gcDrainN
        // stops on gp.preempt: it would otherwise hold the P for up to the whole
        // `maxAssistWork` while the world waits (worst gaps of 1-3 ms at P = 2).
        while done < scanWork && !Goroutine.preemptRequested {
            let (n, work) = drain(budget: 64)
            if n == 0 {
                // Out of grey objects: this P's write-barrier buffer may still hold some
                // (it is shaded only when full); shade them and go on before parking.
                if flushed { outOfWork = true; break }
                flushed = true
                rt.withPerP { barrier.flush($0.gcw) }
                continue
            }
            done += work
            objects += n
        }
        let t1 = nanotime()
        if objects > 0 { rt.chargeGC(.assist, ns: elapsed(since: t0, objects: objects), start: t0, end: t1) }
        g.collectorCredit += Int64(ratio.bytesPerWork * Double(done))
        if !outOfWork {
            // Preempted (or paid): the rest of the debt, if any, is paid by the next
            // allocations; stop here if asked to.
            Goroutine.safePoint()
            return
        }
        if g.collectorCredit < 0 && active.load(ordering: .relaxed) {
            // Still in debt and no grey object left to scan: wait for the workers' credit
            // (for this assist's unpaid part only; a larger debt is paid by the next
            // allocations, as above) or the end of the mark.
            let unpaid = min(-g.collectorCredit, Int64(ratio.bytesPerWork * Double(scanWork - done)))
            if unpaid > 0 { assistQueue.wait(g, debt: Int(unpaid), collector: self) }
        }
    }

    /// Banks `work` bytes of background scan work: first to goroutines parked on the assist
    /// queue, the rest as credit assists can steal (Go's gcFlushBgCredit).
    func flushBackgroundCredit(_ work: Int) {
        heap.accessObserver?.bookkeeping()
        if assistQueue.isEmptyHint {
            bgScanCredit.add(work, ordering: .relaxed)
            return
        }
        let left = assistQueue.satisfy(work: work, bytesPerWork: assistRatio().bytesPerWork)
        if left > 0 { bgScanCredit.add(left, ordering: .relaxed) }
    }
}

/// Goroutines whose assist found no grey object to scan, waiting for background credit or
/// the end of the mark (Go's work.assistQueue). Protected by `lock`.
final class AssistQueue: @unchecked Sendable {
    private let lock = RuntimeLock()
    private var waiters: [(g: Goroutine, parker: Parker, debt: Int)] = []   // lock
    /// `waiters.isEmpty`, mirrored for lock-free checks: written under lock, read relaxed.
    private let empty = Atomic<Bool>(true)


    var isEmptyHint: Bool { empty.load(ordering: .relaxed) }

    /// Parks the calling goroutine `g` until `debt` bytes of its debt are paid by background
    /// credit or the mark ends; its credit then rises by `debt`.
    func wait(_ g: Goroutine, debt: Int, collector: ConcurrentCollector) {
        let parker = Parker(reason: .gcAssistWait)
        lock.withLock {
            waiters.append((g, parker, debt))
            empty.store(false, ordering: .relaxed)
        }
        // Marking may have ended between the caller's check and the enqueue: wake ourselves.
        if !collector.rt.marking.load(ordering: .acquiring) { wakeAll() }
        parker.park()
        // Paid by background credit, or forgiven because the mark ended (the next cycle
        // starts every goroutine's credit at zero).
        g.collectorCredit += Int64(debt)
    }

    /// Pays waiters, oldest first, from `work` bytes of scan work; wakes those fully paid.
    /// Returns the work left over.
    func satisfy(work: Int, bytesPerWork: Double) -> Int {
        var woken: [Parker] = []
        var left = work
        lock.withLock {
            while left > 0, !waiters.isEmpty {
                let needWork = Int(Double(waiters[0].debt) / max(bytesPerWork, 1e-9)) + 1
                if needWork <= left {
                    left -= needWork
                    woken.append(waiters.removeFirst().parker)
                } else {
                    waiters[0].debt -= Int(Double(left) * bytesPerWork)
                    left = 0
                }
            }
            empty.store(waiters.isEmpty, ordering: .relaxed)
        }
        for p in woken { p.unpark() }
        return left
    }

    /// Wakes every waiter (mark termination).
    func wakeAll() {
        let all = lock.withLock { () -> [Parker] in
            defer { waiters.removeAll(); empty.store(true, ordering: .relaxed) }
            return waiters.map(\.parker)
        }
        for p in all { p.unpark() }
    }
}
