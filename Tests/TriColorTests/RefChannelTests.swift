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

    /// Go's select send on an unbuffered channel: the case parks as a waiter until a
    /// receiver takes it, the Ref rooted in its sender word only (the sender cleared its
    /// slot while building the select) through a collection with the checkmark on; after
    /// the receive the word is back in the pool.
    @Test(arguments: CollectorKind.safe, [1, 2])
    func aSelectSendCaseOnAnUnbufferedChannelParksUntilAReceiverTakesIt(collector: CollectorKind, procs: Int) throws {
        let rt = try smallRuntime(collector, procs: procs)
        let t = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let chosen = Box<[String]>([])
        try rt.run {
            let ch = rt.makeChannel(capacity: 0)
            let quit = Channel<Void>(capacity: 0)
            let done = Channel<String>(capacity: 3)       // each sender's chosen case
            for v in 1...3 {
                rt.go(carrying: []) { _ in
                    let s = Self.node(rt, t, Int64(v))
                    let which: String = Select.run {
                        $0.send(from: s, to: ch) { "sent" }
                        rt[s] = nil                       // only the select's word holds it now
                        $0.receive(from: quit) { _ in "quit" }
                    }
                    done.send(which)
                }
            }
            var spins = 0
            while ch.senders.inUse < 3 && spins < 10_000 { spins += 1; Goroutine.yield() }
            #expect(ch.senders.inUse == 3)                // three sends parked, one word each
            rt.collect()                                  // checkmark: the parked Refs are rooted
            rt.withFrame { for _ in 0..<64 { _ = rt.allocSlot(t) } }   // reuse anything freed
            let r = rt.push(nil)
            var got: [Int64] = []
            for _ in 0..<3 {
                #expect(ch.receive(into: r))
                #expect(rt.heap.validate(rt[r]) == nil)
                got.append(rt.loadScalar(rt[r], at: 0, as: Int64.self))
            }
            for _ in 0..<3 { chosen.value.append(done.receive()!) }
            #expect(got.sorted() == [1, 2, 3])
            #expect(ch.senders.inUse == 0)
        }
        #expect(chosen.value == ["sent", "sent", "sent"])
    }

    /// A select send case on an unbuffered channel pairs with a receiver already parked;
    /// with no receiver, another ready case or the default runs and the word goes back.
    @Test(arguments: CollectorKind.safe)
    func aSelectSendCaseOnAnUnbufferedChannelPairsWithAParkedReceiverOrGivesWay(collector: CollectorKind) throws {
        let rt = try smallRuntime(collector)
        let t = rt.registerType(name: "Node", pointerFields: 1, scalarBytes: 8)
        let got = Box<Int64>(0)
        try rt.run {
            let ch = rt.makeChannel(capacity: 0)
            let s = Self.node(rt, t, 11)
            let idle: String = Select.run {
                $0.send(from: s, to: ch) { "sent" }
                $0.otherwise { "default" }
            }
            #expect(idle == "default" && ch.senders.inUse == 0)
            let other = Channel<Int>(capacity: 1)
            other.send(1)
            let picked: String = Select.run {
                $0.send(from: s, to: ch) { "sent" }
                $0.receive(from: other) { _ in "other" }
            }
            #expect(picked == "other" && ch.senders.inUse == 0)
            let done = Channel<Void>(capacity: 1)
            rt.go(carrying: []) { _ in
                let v = rt.push(nil)
                if ch.receive(into: v) { got.value = rt.loadScalar(rt[v], at: 0, as: Int64.self) }
                done.send(())
            }
            for _ in 0..<20 { Goroutine.yield() }          // the receiver parks
            rt.collect()
            let sent: String = Select.run {
                $0.send(from: s, to: ch) { "sent" }
                $0.otherwise { "default" }
            }
            _ = done.receive()
            #expect(sent == "sent")
            #expect(ch.senders.inUse == 0)
        }
        #expect(got.value == 11)
    }

    /// A send case's slot is read on the calling goroutine: another goroutine's slot is a
    /// misuse naming both goroutines, as for every slot use.
    @Test func aSelectSendFromAnotherGoroutinesSlotIsAMisuse() throws {
        let rt = try smallRuntime()
        let t = rt.registerType(name: "Node", pointerFields: 1)
        let message = panicMessage(rt) {
            let ch = rt.makeChannel(capacity: 0)
            let s = rt.allocSlot(t)
            let done = Channel<Void>(capacity: 1)
            rt.go(carrying: []) { _ in
                Select.run {
                    $0.send(from: s, to: ch)
                    $0.otherwise {}
                }
                done.send(())
            }
            _ = done.receive()
        }
        let text = try #require(message)
        #expect(text.contains("used by goroutine"), "\(text)")
    }
}
