import GMP
import Testing
@testable import TriColorLab
@testable import TriColor

/// Bounded exhaustive enumeration of schedules on a tiny program: the heap drops what a
/// stack takes (`s1 = s0.f0; s0.f0 = nil`), with a GC cycle started by main.
@Suite struct ExhaustiveTests {
    static let heapDropsStackTakes = MutatorProgram(
        heap: [[1, nil], [nil, nil]], globals: [0, nil], gcAtStart: true,
        threads: [.init(slots: [0, nil, nil], ops: [.load(slot: 1, obj: 0, field: 0), .clearField(obj: 0, field: 0)])])

    @Test(arguments: [CollectorKind.noBarrier, .insertionNoRescan, .hybridNoDeletionShade])
    func findsTheLostObject(_ kind: CollectorKind) throws {
        let r = ExhaustiveExplorer(runner: ProgramRunner(collector: kind), bound: 2, maxSchedules: 3_000).explore(Self.heapDropsStackTakes)
        let f = try #require(r.failure, "\(kind): no failing schedule in \(r.schedules)")
        #expect(f.isGCFailure)
        // The failing schedule replays.
        let again = ProgramRunner(collector: kind).run(Self.heapDropsStackTakes, schedule: .replay(f.replay))
        #expect(again.verdict == f.verdict)
    }

    @Test(arguments: [CollectorKind.insertion, .hybrid, .deletion])
    func safeCollectorsSurviveEverySchedule(_ kind: CollectorKind) {
        let r = ExhaustiveExplorer(runner: ProgramRunner(collector: kind), bound: 2, maxSchedules: 5_000)
            .explore(Self.heapDropsStackTakes, keepReplays: true)
        #expect(r.failure == nil, "\(r.failure?.message ?? "")")
        #expect(r.complete, "bound 2 should be exhausted within 5000 schedules (ran \(r.schedules))")
        #expect(Set(r.replays).count == r.replays.count, "every enumerated schedule is distinct")
    }

    @Test func nextPrefixEnumeratesLexicographically() {
        #expect(ExhaustiveExplorer.nextPrefix(choices: [0, 0, 0], counts: [2, 3, 2], bound: 1) == [0, 0, 1])
        #expect(ExhaustiveExplorer.nextPrefix(choices: [0, 0, 1], counts: [2, 3, 2], bound: 1) == [0, 1])
        #expect(ExhaustiveExplorer.nextPrefix(choices: [0, 2, 0], counts: [2, 3, 2], bound: 1) == [1])
        #expect(ExhaustiveExplorer.nextPrefix(choices: [1, 0, 0], counts: [2, 3, 2], bound: 1) == nil)
        #expect(ExhaustiveExplorer.nextPrefix(choices: [1, 0, 0], counts: [2, 3, 2], bound: 2) == [1, 0, 1])
    }
}
