import CollectorExamples
import Testing
import TriColor
import TriColorLab

/// The two example collectors, written only against the public API, judged by the property
/// checker like the built-ins: both pass with zero failures under random and PCT schedules
/// (invariants checked after every barrier and scan step, checkmark every cycle; 400 seeds
/// here, `tricolor check --collector steele --seeds 10000` for more), and the ablated
/// variant of each is caught by an oracle.
@Suite struct ExampleCollectorTests {
    static func kind(_ name: String) throws -> CollectorKind {
        try CollectorExamples.register()
        return try #require(CollectorKind(rawValue: name), "\(name) is not registered")
    }

    @Test(arguments: [CollectorExamples.steele, CollectorExamples.go119], [ExplorationScheduler.random, .pct])
    func passesTheChecker(_ name: String, _ scheduler: ExplorationScheduler) throws {
        var c = CheckConfiguration(collector: try Self.kind(name))
        c.scheduler = scheduler
        c.seeds = 400
        c.schedulesPerSeed = 1
        c.shape = ProgramShape(goroutines: 3, ops: 10)
        let r = PropertyCheck.run(c)
        print(r.summaryLine + " scheduler=\(scheduler.rawValue)")
        #expect(r.seedsRun == 400)
        #expect(r.failures == 0, "\(r.counterexample?.report ?? r.firstFailure?.message ?? "")")
    }

    @Test(arguments: [CollectorExamples.steeleNoRescan, CollectorExamples.go119NoDeletionShade])
    func ablationIsCaught(_ name: String) throws {
        var c = CheckConfiguration(collector: try Self.kind(name))
        c.seeds = 1_000
        c.shrink = false
        let r = PropertyCheck.run(c)
        print("\(name): first failure at seed \(r.seedsUntilFirstFailure.map(String.init) ?? "-"): \(r.firstFailure?.message ?? "none")")
        #expect(r.seedsUntilFirstFailure != nil, "\(name) was not caught in 1000 seeds")
        #expect(r.firstFailure?.isGCFailure == true)
        #expect(r.errors == 0)
    }
}
