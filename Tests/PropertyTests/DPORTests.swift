import GMP
import Testing
@testable import TriColorLab
@testable import TriColor

/// Partial-order reduction against the plain bounded search (DPORExplorer.swift).
@Suite struct DPORTests {
    static func writes(_ keys: UInt64...) -> Footprint { Footprint(writes: keys) }
    static func reads(_ keys: UInt64...) -> Footprint { Footprint(reads: keys) }

    @Test func dependencyRelation() {
        let x = Footprint.field(64, 0), y = Footprint.field(64, 1)
        #expect(!Self.writes(x).conflicts(with: Self.writes(y)), "different fields commute")
        #expect(Self.writes(x).conflicts(with: Self.reads(x)))
        #expect(!Self.reads(x).conflicts(with: Self.reads(x)), "two reads commute")
        #expect(Self.reads(Footprint.allFields).conflicts(with: Self.writes(y)), "the field wildcard covers every field")
        #expect(Self.reads(Footprint.stack(1)).conflicts(with: Self.writes(Footprint.slot(1, 2))), "a stack scan reads every slot")
        #expect(!Self.reads(Footprint.stack(1)).conflicts(with: Self.writes(Footprint.slot(0, 2))), "of its goroutine only")
        #expect(Footprint.everything.conflicts(with: Footprint()), "'all' is dependent on every step")
    }

    /// Two goroutines, one step each from a node where both can run: the reversed order
    /// is scheduled only if the steps conflict.
    @Test(arguments: [false, true])
    func racesAddBacktrackPoints(_ conflict: Bool) {
        let a = Footprint.field(64, 0)
        var nodes = [DPORNode(ids: [1, 2], chosen: 1, backtrack: [1]), DPORNode(ids: [2], chosen: 2, backtrack: [2])]
        DPORExplorer.addBacktracks(&nodes, [Self.writes(a), conflict ? Self.reads(a) : Self.reads(Footprint.field(64, 1))], [1: -1, 2: -1])
        #expect(nodes[0].backtrack == (conflict ? [1, 2] : [1]))
    }

    /// On the ablations' tiny program, DPOR finds exactly the failures the plain search
    /// finds within the same bound, in no more schedules, and every run replays its prefix.
    @Test(arguments: [CollectorKind.noBarrier, .hybridNoDeletionShade, .hybrid])
    func findsWhatThePlainSearchFinds(_ kind: CollectorKind) {
        let runner = ProgramRunner(collector: kind)
        var dfs = ExhaustiveExplorer(runner: runner, bound: 1, maxSchedules: 500)
        dfs.stopAtFirstFailure = false
        let a = dfs.explore(ExhaustiveTests.heapDropsStackTakes)
        var dpor = DPORExplorer(runner: runner, bound: 1, maxSchedules: 500)
        dpor.stopAtFirstFailure = false
        let b = dpor.explore(ExhaustiveTests.heapDropsStackTakes)
        #expect(a.complete && b.complete)
        #expect(b.mismatches == 0)
        #expect(a.failures == b.failures)
        #expect(kind == .hybrid ? a.failures.isEmpty : !a.failures.isEmpty)
        #expect(b.schedules <= a.schedules)
        #expect(b.stepsDependentOnAll < b.steps, "some steps commute")
    }
}
