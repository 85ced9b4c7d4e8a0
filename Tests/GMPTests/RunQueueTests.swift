import Testing
@testable import GMP

/// Run-queue semantics, driven directly on Processor objects of a scheduler that is not
/// running (the owner-only operations are then called from the test thread).
@Suite struct RunQueueTests {
    func makeGs(_ s: Scheduler, _ n: Int) -> [Goroutine] {
        (0..<n).map { i in
            let g = Goroutine(sched: s)
            g.id = Int64(i + 1)
            s.allgLock.withLock { s.allgs.append(g) }
            return g
        }
    }

    func drainAll(_ s: Scheduler, _ p: Processor) -> [Int64] {
        var ids: [Int64] = []
        while let (g, _) = p.runqget() { ids.append(g.goroutine.id) }
        s.lock.withLock {
            while let g = s.globrunqget(p, max: 1) { ids.append(g.goroutine.id) }
        }
        while let (g, _) = p.runqget() { ids.append(g.goroutine.id) }
        return ids
    }

    @Test(arguments: [0, 1, 2, 127, 128, 129, 255, 256, 257, 300, 513])
    func putGetAllSizes(n: Int) {
        var c = SchedulerConfig()
        c.procs = 2
        let s = Scheduler(c)
        let p = s.allp[0]
        let gs = makeGs(s, n)
        for g in gs { p.runqput(g.ref, next: false) }
        // The ring holds at most 256; the rest went to the global queue in halves.
        #expect(p.runqSize <= 256)
        #expect(p.runqSize + s.runqsize == n)
        let ids = drainAll(s, p)
        #expect(ids.count == n)
        #expect(Set(ids) == Set(gs.map(\.id)))
        if n <= 256 { #expect(ids == gs.map(\.id), "local queue is FIFO") }
        #expect(p.runqEmpty)
    }

    @Test func runnextKicksOldToTail() {
        let s = Scheduler()
        let p = s.allp[0]
        let gs = makeGs(s, 3)
        p.runqput(gs[0].ref, next: false)
        p.runqput(gs[1].ref, next: true)
        p.runqput(gs[2].ref, next: true)  // kicks gs[1] to the tail
        let a = p.runqget()!
        #expect(a.g.goroutine.id == 3 && a.inheritTime)
        let b = p.runqget()!
        #expect(b.g.goroutine.id == 1 && !b.inheritTime)
        let c = p.runqget()!
        #expect(c.g.goroutine.id == 2 && !c.inheritTime)
        #expect(p.runqget() == nil)
    }

    @Test(arguments: [1, 2, 3, 10, 128, 255, 256])
    func stealTakesHalf(n: Int) {
        var c = SchedulerConfig()
        c.procs = 2
        let s = Scheduler(c)
        let victim = s.allp[0], thief = s.allp[1]
        let gs = makeGs(s, n)
        for g in gs { victim.runqput(g.ref, next: false) }
        let got = thief.runqsteal(from: victim, stealRunNext: false)
        let want = n - n / 2
        #expect(got != nil)
        #expect(thief.runqSize == want - 1, "thief keeps the rest of the stolen half")
        #expect(victim.runqSize == n - want)
        // Nothing lost or duplicated.
        var ids = [got!.goroutine.id]
        while let (g, _) = thief.runqget() { ids.append(g.goroutine.id) }
        while let (g, _) = victim.runqget() { ids.append(g.goroutine.id) }
        #expect(ids.sorted() == gs.map(\.id))
    }

    @Test func runnextStolenOnlyWhenAllowed() {
        var c = SchedulerConfig()
        c.procs = 2
        let s = Scheduler(c)
        let victim = s.allp[0], thief = s.allp[1]
        let g = makeGs(s, 1)[0]
        victim.runqput(g.ref, next: true)
        #expect(thief.runqsteal(from: victim, stealRunNext: false) == nil)
        #expect(thief.runqsteal(from: victim, stealRunNext: true) == g.ref)
        #expect(victim.runqEmpty)
    }

    @Test func globrunqgetFormula() {
        var c = SchedulerConfig()
        c.procs = 2
        let s = Scheduler(c)
        let p = s.allp[0]
        let gs = makeGs(s, 300)
        s.lock.withLock { for g in gs { s.globrunqput(g.ref) } }
        // n = min(size, size/gomaxprocs + 1, 128): 300/2+1 = 151 -> capped at 128.
        let first = s.lock.withLock { s.globrunqget(p, max: 0) }
        #expect(first?.goroutine.id == 1)
        #expect(p.runqSize == 127)
        #expect(s.runqsize == 172)
        // With max 1 only one is taken.
        let q = s.allp[1]
        _ = s.lock.withLock { s.globrunqget(q, max: 1) }
        #expect(q.runqSize == 0)
        #expect(s.runqsize == 171)
    }
}
