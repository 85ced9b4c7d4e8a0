import Testing
@testable import TriColorLab
@testable import TriColor

/// Generated programs on real threads (2 Ps), the safe collectors in turn, checkmark every
/// cycle: a few thousand runs in the default suite, so a lost wake-up between the programs'
/// channel/mutex/WaitGroup operations, the collector's goroutines and `checkdead` shows here
/// (it failed 1.4% of runs before the wake-up rules in Scheduler+Handoff.swift and Scheduler+Checkdead.swift). The long version
/// is `SoakTests.tenMinutesOnRealThreads`.
@Test func generatedProgramsOnRealThreads() {
    var runs = 0, failures: [String] = []
    for seed in UInt64(0)..<750 {
        for kind in CollectorKind.safe {
            var runner = ProgramRunner(collector: kind, checkLevel: .cheap)
            runner.realThreads = 2
            let o = runner.run(ProgramGenerator.program(seed: seed, shape: ProgramShape(goroutines: 4, ops: 40)),
                               schedule: .random(seed: seed))
            runs += 1
            if o.failed { failures.append("\(kind) seed \(seed): \(o.message)") }
        }
    }
    #expect(runs == 3_000)
    #expect(failures.count == 0, "\(failures.count) of \(runs) runs failed; first: \(failures.first ?? "")")
}
