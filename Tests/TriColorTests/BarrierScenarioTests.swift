import GMP
import Testing
@testable import TriColor

/// The classic lost object and the four scenarios of the Go 1.8 hybrid-barrier design
/// (proposal 17503), replayed step by step on one goroutine in deterministic mode. Every
/// safe concurrent collector keeps the object; the ablation that lacks the relevant part of
/// its barrier loses it, and checkmark proves it (a reachable object left white, so the
/// sweep would free it). The colour log of each run is printed: it is the lesson.
@Suite struct BarrierScenarioTests {
    enum Scenario: String, CaseIterable, CustomTestStringConvertible {
        /// A black object takes a reference to a white object while the only grey path to it
        /// is cut (Wilson's lost-object problem).
        case lostObject
        /// 1. A heap object drops a reference that a (scanned, black) stack takes.
        case heapDropsStackTakes
        /// 2. A stack drops a reference that a new goroutine's stack takes.
        case stackDropsNewStackTakes
        /// 3. A heap object drops a reference that another, black heap object takes.
        case heapDropsBlackHeapTakes
        /// 4. A stack drops a reference that a black heap object takes.
        case stackDropsHeapTakes
        /// An object allocated while marking is referenced only from a scanned stack.
        case newObjectOnBlackStack
        var testDescription: String { rawValue }
    }

    /// Which collectors lose the object in each scenario (all others must keep it).
    static let losers: [Scenario: Set<CollectorKind>] = [
        .lostObject: [.noBarrier],
        .heapDropsStackTakes: [.noBarrier, .insertionNoRescan, .hybridNoDeletionShade],
        .stackDropsNewStackTakes: [.noBarrier],
        .heapDropsBlackHeapTakes: [.noBarrier, .hybridNoDeletionShade],
        .stackDropsHeapTakes: [.noBarrier, .deletionNoStackFirst, .hybridNoInsertionShade],
        .newObjectOnBlackStack: [.hybridAllocateWhite],
    ]

    static let concurrent = CollectorKind.allCases.filter { $0 != .markSweep }

    @Test(arguments: Scenario.allCases, concurrent)
    func scenario(_ s: Scenario, collector: CollectorKind) throws {
        let (violations, log) = try run(s, collector)
        print("[\(s.rawValue) / \(collector)]\n  " + log.joined(separator: "\n  "))
        if Self.losers[s]!.contains(collector) {
            #expect(!violations.isEmpty, "\(collector) should lose the object in \(s.rawValue)")
            #expect(violations.first?.typeName == "C")
        } else {
            #expect(violations.isEmpty, "\(collector) lost an object in \(s.rawValue): \(violations)")
        }
    }

    /// Every ablation is caught by at least one scenario.
    @Test func everyAblationIsCaught() {
        let caught = Self.losers.values.reduce(into: Set<CollectorKind>()) { $0.formUnion($1) }
        #expect(caught == Set(CollectorKind.ablations))
    }

    func run(_ s: Scenario, _ kind: CollectorKind) throws -> ([CheckmarkViolation], [String]) {
        let rt = try TriColorRuntime(.stepping(kind))
        let tA = rt.registerType(name: "A", pointerFields: 1)
        let tB = rt.registerType(name: "B", pointerFields: 1)
        let tC = rt.registerType(name: "C", pointerFields: 0)
        let out = Box<([CheckmarkViolation], [String])>(([], []))
        try rt.run {
            let gc = rt.concurrentCollector!
            let me = Goroutine.current!
            var log: [String] = []
            // A and B are globals (heap-like roots); B.0 -> C.
            rt.setGlobal(0, rt.alloc(tA))
            rt.setGlobal(1, rt.alloc(tB))
            let cNew = rt.alloc(tC)
            rt.store(rt.global(1), 0, cNew)
            let keep = rt.push(nil)

            switch s {
            case .lostObject, .heapDropsBlackHeapTakes:
                gc.stepBegin()
                if s == .heapDropsBlackHeapTakes { gc.stepScanStack(me) }   // this stack is black
                gc.stepScan(rt.global(0))                                     // A black
                log.append("begin, scanned A: A=\(gc.stepColor( rt.global(0))) B=\(gc.stepColor( rt.global(1)))")
                let cRef = rt.load(rt.global(1), 0)                           // C in a local
                rt.store(rt.global(0), 0, cRef)                               // black A -> C
                rt.store(rt.global(1), 0, nil)                                // cut B -> C
                log.append("A.0 = C, B.0 = nil: C=\(gc.stepColor( cRef))")
            case .heapDropsStackTakes:
                gc.stepBegin()
                gc.stepScanStack(me)                                          // stack black
                rt[keep] = rt.load(rt.global(1), 0)                           // stack takes C
                rt.store(rt.global(1), 0, nil)                                // heap drops it
                log.append("stack = C, B.0 = nil: C=\(gc.stepColor( rt[keep]))")
            case .stackDropsNewStackTakes:
                rt[keep] = rt.load(rt.global(1), 0)                           // C only on this stack
                rt.store(rt.global(1), 0, nil)
                gc.stepBegin()                                                // this stack grey
                let done = Channel<Int>()
                rt.go(carrying: [rt[keep]]) { _ in _ = done.receive() }       // new stack takes C
                log.append("go(carrying: C): C=\(gc.stepColor( rt[keep]))")
                rt[keep] = nil                                                // old stack drops it
                gc.stepScanStack(me)
            case .stackDropsHeapTakes:
                rt[keep] = rt.load(rt.global(1), 0)                           // C only on this stack
                rt.store(rt.global(1), 0, nil)
                gc.stepBegin()                                                // this stack grey
                gc.stepScan(rt.global(0))                                     // A black
                rt.store(rt.global(0), 0, rt[keep])                           // black A takes C
                log.append("A.0 = C from a grey stack: C=\(gc.stepColor( rt[keep]))")
                rt[keep] = nil                                                // stack drops it
                gc.stepScanStack(me)
            case .newObjectOnBlackStack:
                gc.stepBegin()
                gc.stepScanStack(me)                                          // stack black
                rt[keep] = rt.alloc(tC)                                       // only on the stack
                log.append("allocated C while marking: C=\(gc.stepColor( rt[keep]))")
            }
            let v = gc.stepFinish()
            log.append("finish: \(v.isEmpty ? "nothing lost" : v.first!.description)")
            out.value = (v, log)
        }
        return out.value
    }
}
