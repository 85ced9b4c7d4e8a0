// Shared helpers for the heap tests.

@testable import TriColor
#if canImport(Glibc)
import Glibc
#endif

/// A small heap for tests: 256 MiB of address space.
func makeHeap(checked: Bool = false, limitBytes: Int = .max, arenaBytes: Int = 256 << 20) throws -> Heap {
    try Heap(configuration: HeapConfiguration(arenaBytes: arenaBytes, limitBytes: limitBytes,
                                              globalCount: 16, checked: checked))
}

/// The usual test types: a two-pointer Node with an 8-byte payload and a Leaf.
struct TestTypes {
    let node: ObjectType
    let leaf: ObjectType
    init(_ heap: Heap) {
        node = heap.registerType(name: "Node", pointerFields: 2, scalarBytes: 8)
        leaf = heap.registerType(name: "Leaf", pointerFields: 0, scalarBytes: 8)
    }
}

/// Runs `body` on `count` new OS threads and waits for all of them.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var threads: [pthread_t] = []
    for i in 0..<count {
        let box = Unmanaged.passRetained(Box { body(i) }).toOpaque()
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            b.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed")
        threads.append(t)
    }
    for t in threads { pthread_join(t, nil) }
}

/// A small runtime for the Ref-safety tests: 1 GiB of address space, one P, checked mode.
func smallRuntime(_ collector: CollectorKind = .markSweep, check: CheckLevel = .cheap,
                  procs: Int = 1) throws -> TriColorRuntime {
    var c = RuntimeConfig()
    c.arenaBytes = 1 << 30
    c.scheduler.procs = procs
    c.checkLevel = check
    c.collector = collector
    return try TriColorRuntime(c)
}

/// Runs `main` on `rt` and returns the message of the panic that ended the run (a misuse
/// report), or nil if the run returned normally.
func panicMessage(_ rt: TriColorRuntime, _ main: @Sendable @escaping () throws -> Void) -> String? {
    do {
        try rt.run(main)
        return nil
    } catch {
        if case let .panic(_, message) = error { return message }
        return "not a panic: \(error)"
    }
}
