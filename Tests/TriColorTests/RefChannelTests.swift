import GMP
import Testing
@testable import TriColor

/// RefChannel: receive into a caller's slot (a loop uses one slot), trySend/tryReceive,
/// the unbuffered form, Select cases; Refs in flight stay rooted across collections.
@Suite struct RefChannelTests {
    /// Writes `v` into a new Node's payload and returns the node in a new slot.
    static func node(_ rt: TriColorRuntime, _ t: ObjectType, _ v: Int64) -> StackSlot {
        let s = rt.allocSlot(t)
        rt.storeScalar(v, into: rt[s], at: 0)
        return s
    }

    @Test(arguments: CollectorKind.safe, [0, 3])
    func aReceiveLoopUsesOneSlotAndRefsInFlightSurviveCollections(collector: CollectorKind, capacity: Int) throws {
        let rt = try smallRuntime(collector, procs: 2)
        let t = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let got = Box<[Int64]>([])
        let depths = Box<Set<Int>>([])
        try rt.run {
            let ch = rt.makeChannel(capacity: capacity)
            let n: Int64 = 300
            rt.go(carrying: []) { _ in
                for v in 1...n {
                    rt.withFrame {
                        let s = Self.node(rt, t, v)
                        ch.send(s)
                        rt[s] = nil                       // only the channel holds it now
                        if v % 50 == 0 { rt.collect() }
                    }
                }
                ch.close()
            }
            let v = rt.push(nil)
            while ch.receive(into: v) {
                depths.value.insert(rt.stackDepth)
                #expect(rt.heap.validate(rt[v]) == nil)
                got.value.append(rt.loadScalar(rt[v], at: 0, as: Int64.self))
                if got.value.count % 70 == 0 { rt.collect() }
            }
            #expect(rt[v] == nil)                         // closed and drained: nil
        }
        #expect(got.value == Array(1...300))
        #expect(depths.value.count == 1)
    }

    @Test func unbufferedSendWaitsForAReceiver() throws {
        let rt = try smallRuntime()
        let t = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let sent = Box(false)
        try rt.run {
            let ch = rt.makeChannel(capacity: 0)
            #expect(ch.capacity == 0)
            rt.withFrame {
                let s = Self.node(rt, t, 1)
                #expect(!ch.trySend(s))                   // no receiver waiting
            }
            rt.go(carrying: []) { _ in
                ch.send(Self.node(rt, t, 7))
                sent.value = true
            }
            for _ in 0..<20 { Goroutine.yield() }
            #expect(!sent.value)                          // parked until a receiver comes
            #expect(ch.count == 0)
            rt.collect()                                  // the Ref waits in a rooted word
            let r = rt.push(nil)
            #expect(ch.receive(into: r))
            #expect(rt.loadScalar(rt[r], at: 0, as: Int64.self) == 7)
            for _ in 0..<20 where !sent.value { Goroutine.yield() }
            #expect(sent.value)
            // A receiver parked: trySend succeeds.
            let got = Box<Int64>(0)
            let done = Channel<Void>(capacity: 1)
            rt.go(carrying: []) { _ in
                let v = rt.push(nil)
                if ch.receive(into: v) { got.value = rt.loadScalar(rt[v], at: 0, as: Int64.self) }
                done.send(())
            }
            let s = Self.node(rt, t, 9)
            var tries = 0
            while !ch.trySend(s) && tries < 1000 { tries += 1; Goroutine.yield() }
            _ = done.receive()
            #expect(got.value == 9)
        }
    }

    @Test func trySendAndTryReceiveOnABufferedChannel() throws {
        let rt = try smallRuntime()
        let t = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        try rt.run {
            let ch = rt.makeChannel(capacity: 2)
            let r = rt.push(nil)
            #expect(ch.tryReceive(into: r) == nil)        // empty
            #expect(ch.trySend(Self.node(rt, t, 1)))
            #expect(ch.trySend(Self.node(rt, t, 2)))
            #expect(!ch.trySend(Self.node(rt, t, 3)))     // full
            #expect(ch.count == 2)
            #expect(ch.tryReceive(into: r) == true)
            #expect(rt.loadScalar(rt[r], at: 0, as: Int64.self) == 1)
            ch.close()
            #expect(ch.tryReceive(into: r) == true)
            #expect(rt.loadScalar(rt[r], at: 0, as: Int64.self) == 2)
            #expect(ch.tryReceive(into: r) == false)      // closed and drained
            #expect(rt[r] == nil)
        }
    }

    @Test(arguments: CollectorKind.safe)
    func selectReceivesAndSendsRefs(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let t = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        try rt.run {
            let a = rt.makeChannel(capacity: 1), b = rt.makeChannel(capacity: 0)
            let out = rt.push(nil)
            // Nothing ready, a nil channel never is: the default runs.
            let idle: String = Select.run {
                $0.receive(from: a, into: out) { _ in "a" }
                $0.receive(from: RefChannel?.none, into: out) { _ in "nil" }
                $0.otherwise { "default" }
            }
            #expect(idle == "default")
            // A send case on a buffered channel with room.
            let s = Self.node(rt, t, 5)
            let sentTo: String = Select.run {
                $0.send(from: s, to: a) { "a" }
                $0.receive(from: b, into: out) { _ in "b" }
            }
            #expect(sentTo == "a" && a.count == 1)
            rt.collect()
            // Both receivable: a has a Ref; b gets one from a sender goroutine.
            rt.go(carrying: []) { _ in b.send(Self.node(rt, t, 6)) }
            var seen: [Int64] = []
            for _ in 0..<2 {
                let which: String = Select.run {
                    $0.receive(from: a, into: out) { ok in ok ? "a" : "closed" }
                    $0.receive(from: b, into: out) { ok in ok ? "b" : "closed" }
                }
                #expect(which == "a" || which == "b")
                seen.append(rt.loadScalar(rt[out], at: 0, as: Int64.self))
            }
            #expect(seen.sorted() == [5, 6])
            // A timeout case beside an empty RefChannel.
            let timedOut: Bool = Select.run {
                $0.receive(from: a, into: out) { _ in false }
                $0.receive(from: after(.milliseconds(1))) { _ in true }
            }
            #expect(timedOut)
        }
    }

    @Test func selectSendOnAnUnbufferedChannelIsAMisuse() throws {
        let rt = try smallRuntime()
        let t = rt.registerType(name: "Node", pointerFields: 1)
        let message = panicMessage(rt) {
            let ch = rt.makeChannel(capacity: 0)
            let s = rt.allocSlot(t)
            Select.run {
                $0.send(from: s, to: ch)
                $0.otherwise {}
            }
        }
        let text = try #require(message)
        #expect(text.contains("Select send case on an unbuffered RefChannel"), "\(text)")
    }
}
