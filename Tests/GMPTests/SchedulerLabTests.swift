import Testing
@testable import GMP

/// SchedulerLab steps the real scheduler: its Ms are the scheduler's own (`allm`, `midle`,
/// `mcount`), no thread is started, and the decisions it shows are the ones the scheduler's
/// code records while it runs (findRunnable's spinning limit, stealWork, stopm).
@Suite struct SchedulerLabTests {
    /// The refusal of Go's spinning limit and its counterpart, read off what findRunnable
    /// itself recorded, and their effect on the scheduler's counters.
    @Test func spinningLimitIsDecidedByFindRunnable() throws {
        let lab = SchedulerLab(procs: 3)
        let s = lab.scheduler
        try lab.start()
        try lab.go(0)                          // wakep: M1 spinning on P1
        try lab.go(0)                          // P2 idle, but M1 spins: wakep starts nobody
        #expect(s.allm.count == 2 && s.npidle.load(ordering: .relaxed) == 1)
        try lab.findWork(1)                    // M1 steals G2; resetspinning's wakep: M2 on P2
        #expect(s.allm.map(\.id) == [0, 1, 2])
        #expect(s.mcount == 3)
        #expect(s.liveThreads.load(ordering: .relaxed) == 0, "a lab starts no thread")
        #expect(s.nmspinning.load(ordering: .relaxed) == 1 && s.allm[2].spinning)
        try lab.go(0)                          // P0: local G3, runnext G4
        try lab.exit(1)                        // busy 3, spinning 1: may spin, steals G3
        #expect(lab.spinDecisions.map(\.m) == [1] && lab.spinDecisions[0].allowed)
        #expect(s.stats.steals.load(ordering: .relaxed) == 2)
        try lab.block(1)                       // P1 to the idle list: busy 2
        #expect(s.npidle.load(ordering: .relaxed) == 1)
        try lab.exit(0)                        // M0 runs G4 from runnext: no spinning decision
        #expect(lab.spinDecisions.isEmpty)
        let text = try lab.exit(0)             // busy 2, spinning 1: refused
        #expect(lab.spinDecisions.map(\.m) == [0] && !lab.spinDecisions[0].allowed)
        #expect(text.contains("may not spin (2 x 1 spinning >= 2 busy Ps)"), "\(text)")
        // The refused M never counted as spinning: M2 is still the only spinner; M0 parked.
        #expect(s.nmspinning.load(ordering: .relaxed) == 1)
        #expect(s.midle.map(\.id) == [0])
        #expect(s.allp[0].currentStatus == .idle && s.npidle.load(ordering: .relaxed) == 2)
    }

    /// handoffp and exitsyscall as the scheduler runs them: a blocking call hands a P with
    /// work to a new M; a return finding no P queues the goroutine globally and parks the M
    /// on the scheduler's midle; sysmon's retake wakes that M for the global work.
    @Test func syscallsGoThroughHandoffpAndExitsyscall() throws {
        let lab = SchedulerLab(procs: 2)
        let s = lab.scheduler
        try lab.start()
        try lab.go(0)
        try lab.findWork(1)
        try lab.go(0)
        try lab.block(0)
        #expect(s.allm.count == 3 && s.allm[2].p === s.allp[0])
        try lab.sysret(0)
        #expect(s.snapshot().global == [1])
        #expect(s.midle.map(\.id) == [0])
        try lab.syscall(1)
        #expect(s.allp[1].currentStatus == .syscall)
        try lab.retake(1)
        #expect(s.stats.syscallRetakes.load(ordering: .relaxed) == 1)
        #expect(s.midle.isEmpty && s.allm[0].p === s.allp[1], "startm woke M0 from midle for P1")
        // A retake refused by sysmon's rule: no work waits and a P is idle (P0 after M2 parks).
        let lab2 = SchedulerLab(procs: 2)
        try lab2.start()
        try lab2.syscall(0)
        let text = try lab2.retake(0)
        #expect(text.hasPrefix("sysmon leaves P0 in its syscall"), "\(text)")
        #expect(lab2.scheduler.allp[0].currentStatus == .syscall)
    }

    @Test func misuseNamesTheMAndP() throws {
        let lab = SchedulerLab(procs: 2)
        #expect(throws: SchedulerLab.Misuse.self) { try lab.go(0) }
        try lab.start()
        #expect(throws: SchedulerLab.Misuse.self) { try lab.retake(1) }
        #expect(throws: SchedulerLab.Misuse.self) { try lab.sysret(0) }
        #expect(throws: SchedulerLab.Misuse.self) { try lab.findWork(0) }
        #expect(throws: SchedulerLab.Misuse.self) { try lab.start() }
    }
}
