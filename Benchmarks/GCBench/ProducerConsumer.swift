import Foundation
import GMP
import Synchronization
import GCBenchKit
import TriColor

/// `producer-consumer`: two producers allocate messages (a Msg pointing to a 48-byte
/// Payload) and send them over a RefChannel (capacity 64) to two consumers, which read the
/// payload and keep the last 64 messages each in a ring of stack slots (medium-lived
/// objects), so Refs keep moving from stack to stack through the channel's rooted buffer:
/// the moves the hybrid barrier must shade. `msgs_per_s` is the throughput; the payload
/// sum is checked.
enum ProducerConsumer {
    static let ring = 64

    static func run(_ s: RunSettings, messages: Int) -> HeapRun {
        let rt = makeRuntime(s)
        let window = Window()
        let msg = rt.registerType(name: "Msg", pointerFields: 1, scalarBytes: 16)
        let payload = rt.registerType(name: "Payload", pointerFields: 0, scalarBytes: 48)
        let perProducer = messages / 2
        let sum = Atomic<Int>(0)
        let log = LatencyLog()
        do {
            try rt.run {
                window.begin(rt)
                let ch = rt.makeChannel(capacity: 64)
                let producers = WaitGroup(), consumers = WaitGroup()
                for k in 0..<2 {
                    producers.add(1)
                    go {
                        var lat = OpLatency()
                        lat.start(at: nanotime())
                        for i in 0..<perProducer {
                            rt.withFrame {
                                let m = rt.allocSlot(msg)
                                let p = rt.alloc(payload)
                                rt.storeScalar(k * perProducer + i, into: p, at: 0)
                                rt.store(rt[m], 0, p)
                                ch.send(m)
                            }
                            lat.tick(at: nanotime())
                        }
                        log.add(lat)
                        producers.done()
                    }
                }
                for _ in 0..<2 {
                    consumers.add(1)
                    go {
                        let kept = (0..<ring).map { _ in rt.push(nil) }
                        var local = 0, n = 0
                        while true {
                            let more = rt.withFrame { () -> Bool in
                                guard let slot = ch.receive() else { return false }
                                let m = rt[slot]
                                local += rt.loadScalar(rt.load(m, 0), at: 0, as: Int.self)
                                rt[kept[n % ring]] = m
                                n += 1
                                return true
                            }
                            if !more { break }
                        }
                        sum.add(local, ordering: .relaxed)
                        consumers.done()
                    }
                }
                producers.wait()
                ch.close()
                consumers.wait()
                window.finish(rt)
            }
        } catch { fatalError("gcbench: producer-consumer failed: \(error)") }
        let total = 2 * perProducer
        precondition(sum.load(ordering: .relaxed) == total * (total - 1) / 2, "producer-consumer: wrong payload sum")
        let rate = Double(total) / (Double(window.end - window.start) / 1e9)
        return HeapRun(rt: rt, window: window, extra: ["msgs_per_s": rate], latency: log.value)
    }
}
