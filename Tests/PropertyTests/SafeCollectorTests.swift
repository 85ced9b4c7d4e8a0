import GMP
import Testing
@testable import TriColorLab
@testable import TriColor

/// Every safe collector survives thousands of random mutator programs under uniform random
/// and PCT schedules, with checkmark at every mark termination and the tri-colour
/// invariants checked after every barrier and scan step. A failure prints the shrunk
/// counterexample with its replay token.
@Suite struct SafeCollectorTests {
    @Test(arguments: CollectorKind.safe, [ExplorationScheduler.random, .pct])
    func passesTwoThousandSeeds(_ kind: CollectorKind, _ scheduler: ExplorationScheduler) {
        var c = CheckConfiguration(collector: kind)
        c.scheduler = scheduler
        c.seeds = 2_000
        c.schedulesPerSeed = 1
        c.shape = ProgramShape(goroutines: 3, ops: 10)
        let r = PropertyCheck.run(c)
        print(r.summaryLine + " scheduler=\(scheduler.rawValue)")
        #expect(r.seedsRun == 2_000)
        #expect(r.failures == 0, "\(r.counterexample?.report ?? r.firstFailure?.message ?? "")")
    }
}
