import Testing
import TriColor
import TriColorLab

/// Dijkstra's barrier through the public slow-path protocol: shade the new pointer.
final class DijkstraSlowPath: BarrierSlowPath {
    func record(_ store: borrowing BarrierContext) { store.shade(store.new) }
}

/// Steele's barrier as the paper states it, through the protocol: only a black source
/// written a white pointer is re-greyed. Exact when one goroutine runs at a time (the
/// checker's deterministic mode); on real threads the colours can change between the test
/// and the store, which is why `BarrierPlan.regreySource` queues every source.
final class SteeleSlowPath: BarrierSlowPath {
    func record(_ store: borrowing BarrierContext) {
        guard !store.new.isNil, let source = store.source else {
            store.shade(store.new)  // a global: a root that is not re-scanned
            return
        }
        if store.color(of: source) == .black && store.color(of: store.new) == .white { store.rescan(source) }
    }
}

/// Barriers written against `BarrierSlowPath` and its heap façade run through the same
/// checker as the built-ins: the safe ones pass, the ablated one is caught.
@Suite struct SlowPathTests {
    static func check(_ name: String, _ plan: BarrierPlan, seeds: Int) throws -> CheckReport {
        var c = CheckConfiguration(collector: try CollectorKind.register(name: name, plan: plan))
        c.seeds = seeds
        c.schedulesPerSeed = 1
        c.shape = ProgramShape(goroutines: 3, ops: 10)
        c.shrink = false
        let r = PropertyCheck.run(c)
        print(r.summaryLine + (r.firstFailure.map { " first failure: \($0.message)" } ?? ""))
        return r
    }

    static let dijkstra = DijkstraSlowPath()
    static let steele = SteeleSlowPath()

    @Test func dijkstraThroughTheProtocolPasses() throws {
        let r = try Self.check("slowPathDijkstra", BarrierPlan(shadeOld: false, shadeNew: .never, stacks: .concurrentThenRescan,
                                                               allocateBlack: true, invariant: .strong, slowPath: Self.dijkstra), seeds: 300)
        #expect(r.failures == 0)
    }

    @Test func steeleThroughTheProtocolPasses() throws {
        let r = try Self.check("slowPathSteele", BarrierPlan(shadeOld: false, shadeNew: .never, stacks: .concurrentThenRescan,
                                                             allocateBlack: true, invariant: .strong, slowPath: Self.steele), seeds: 300)
        #expect(r.failures == 0)
    }

    @Test func steeleThroughTheProtocolWithoutTheRescanIsCaught() throws {
        let r = try Self.check("slowPathSteeleNoRescan", BarrierPlan(shadeOld: false, shadeNew: .never, stacks: .concurrentOnce,
                                                                     allocateBlack: true, slowPath: Self.steele), seeds: 1_000)
        #expect(r.seedsUntilFirstFailure != nil)
        #expect(r.firstFailure?.isGCFailure == true)
    }

    @Test func aPlanWithASlowPathHasABarrier() {
        let p = BarrierPlan(shadeOld: false, shadeNew: .never, stacks: .concurrentOnce, allocateBlack: true, slowPath: Self.dijkstra)
        #expect(p.hasBarrier && p.shadeMovedPointers)
        #expect(p != BarrierPlan(shadeOld: false, shadeNew: .never, stacks: .concurrentOnce, allocateBlack: true, slowPath: DijkstraSlowPath()))
        #expect(p.description.contains("DijkstraSlowPath"))
    }
}
