import GMP
import Testing
@testable import TriColorLab
@testable import TriColor

/// Shrinking and replaying: a failing program shrinks to a handful of operations, and the
/// printed replay token reproduces the same failure, interleaving and trace.
@Suite struct ShrinkReplayTests {
    static func firstFailure(_ kind: CollectorKind) -> CheckReport {
        var c = CheckConfiguration(collector: kind)
        c.seeds = 1_000
        return PropertyCheck.run(c)
    }

    @Test func noBarrierShrinksToAtMostTwelveOperations() throws {
        let r = Self.firstFailure(.noBarrier)
        let ce = try #require(r.counterexample)
        print(ce.report)
        #expect(ce.program.operationCount <= 12, "shrunk to \(ce.program.operationCount) operations")
        #expect(ce.program.operationCount < ce.original.operationCount)
        #expect(ce.outcome.isGCFailure, "the traced replay of the shrunk program must fail: \(ce.outcome.message)")
    }

    @Test(arguments: [CollectorKind.noBarrier, .hybridNoInsertionShade, .hybridAllocateWhite])
    func replayTokenReproducesTheFailure(_ kind: CollectorKind) throws {
        let r = Self.firstFailure(kind)
        let ce = try #require(r.counterexample)
        let token = try ReplayToken(parsing: ce.token.encoded)
        #expect(token == ce.token)
        let again = token.run()
        #expect(again.verdict == ce.outcome.verdict)
        #expect(again.replay == ce.outcome.replay)
        #expect(again.trace == ce.outcome.trace)
        // The unshrunk failure replays too, from its own replay string.
        let first = try #require(r.firstFailure)
        let program = ProgramGenerator.program(seed: try #require(r.firstFailureSeed), shape: ProgramShape())
        let replayed = ProgramRunner(collector: kind).run(program, schedule: .replay(first.replay))
        #expect(replayed.verdict == first.verdict)
    }

    @Test func sameSeedSameRun() {
        for seed in 0..<20 as Range<UInt64> {
            let p = ProgramGenerator.program(seed: seed, shape: ProgramShape())
            let a = ProgramRunner(collector: .hybrid).run(p, schedule: .random(seed: seed))
            let b = ProgramRunner(collector: .hybrid).run(p, schedule: .random(seed: seed))
            #expect(a.replay == b.replay && a.verdict == b.verdict)
            let c = ProgramRunner(collector: .hybrid).run(p, schedule: .replay(a.replay))
            #expect(c.verdict == .pass && c.replay == a.replay)
        }
    }
}
