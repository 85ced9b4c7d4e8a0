import Foundation
import GMP
import Testing
@testable import TriColorLab
@testable import TriColor

/// The long soak, only with TRICOLOR_SOAK=1 (see README): 100,000 seeds per safe
/// collector under each scheduler, and ten minutes of generated programs on real threads
/// at 2 Ps with checkmark every cycle (TRICOLOR_SOAK_MINUTES overrides the ten).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TRICOLOR_SOAK"] == "1"))
struct SoakTests {
    @Test(arguments: CollectorKind.safe, [ExplorationScheduler.random, .pct])
    func hundredThousandSeeds(_ kind: CollectorKind, _ scheduler: ExplorationScheduler) {
        var c = CheckConfiguration(collector: kind)
        c.scheduler = scheduler
        c.seeds = 100_000
        c.schedulesPerSeed = 1
        let r = PropertyCheck.run(c)
        print(r.summaryLine + " scheduler=\(scheduler.rawValue)")
        #expect(r.failures == 0, "\(r.counterexample?.report ?? "")")
    }

    @Test func tenMinutesOnRealThreads() {
        let minutes = Double(ProcessInfo.processInfo.environment["TRICOLOR_SOAK_MINUTES"] ?? "") ?? 10
        let deadline = Date().addingTimeInterval(minutes * 60)
        var runs = 0, failures: [String] = []
        var seed: UInt64 = 0
        while Date() < deadline {
            for kind in CollectorKind.safe {
                var runner = ProgramRunner(collector: kind, checkLevel: .cheap)
                runner.realThreads = 2
                let o = runner.run(ProgramGenerator.program(seed: seed, shape: ProgramShape(goroutines: 4, ops: 40)), schedule: .random(seed: seed))
                runs += 1
                if o.failed { failures.append("\(kind) seed \(seed): \(o.message)") }
            }
            seed += 1
        }
        print("real threads, 2 Ps: \(runs) runs, \(failures.count) failures")
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }
}
