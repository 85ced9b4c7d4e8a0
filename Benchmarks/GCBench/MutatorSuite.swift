import Foundation
import GMP
import GCBenchKit
import TriColor

/// Suite `mutator`: programs whose mutator behaviour stresses one part of a collector:
/// `write-heavy` (pointer writes dominate: barrier cost), `producer-consumer` (goroutines
/// passing Refs over RefChannels: stack-to-stack moves), `lru-cache` (a map-like structure
/// with steady eviction: medium-lived objects and pointer surgery).
enum MutatorSuite {
    static let workloads = ["write-heavy", "producer-consumer", "lru-cache"]

    static var heapWorkloads: [HeapWorkload] {
        [HeapWorkload(suite: "mutator", name: "write-heavy", run: { s in
            WriteHeavy.run(s, nodes: s.quick ? 10_000 : 100_000, writesPerGoroutine: s.quick ? 100_000 : 1_500_000)
         }, operation: "16 pointer writes by one of 2 goroutines"),
         HeapWorkload(suite: "mutator", name: "producer-consumer", run: { s in
            ProducerConsumer.run(s, messages: s.quick ? 20_000 : 400_000)
         }, operation: "one message sent by one of 2 producers (gaps include waiting for a full channel)"),
         HeapWorkload(suite: "mutator", name: "lru-cache", run: { s in
            LRUCache.run(s, capacity: s.quick ? 2_000 : 20_000, keys: s.quick ? 10_000 : 100_000,
                         opsPerGoroutine: s.quick ? 20_000 : 200_000)
         }, operation: "one get or put by one of 2 goroutines")]
    }

    static func run(_ o: Options) -> [BenchResult] { HeapBench.run(heapWorkloads, o) }

    /// The progress weight of every configuration `run(o)` runs, in order.
    static func configurations(_ o: Options) -> [Double] { HeapBench.configurations(heapWorkloads, o) }
}
