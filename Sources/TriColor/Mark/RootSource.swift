// Roots.

/// A source of GC roots beyond the heap's own globals: goroutine stack
/// slots, registers of a test harness, anything holding Refs outside the heap.
///
/// A collector calls `forEachRoot` with the world stopped:
///
///     roots.forEachRoot { ref in shade(ref) }
///
/// Implementations report every Ref they hold (nil Refs may be reported and
/// are ignored) and must not allocate from or mutate the heap meanwhile.
public protocol RootSource {
    /// Calls `body` once for each root Ref.
    func forEachRoot(_ body: (Ref) -> Void)
    /// Calls `body` with each root and where it is, for reports ("goroutine 7 slot 2");
    /// the default labels them "root[i]" in `forEachRoot`'s order.
    func forEachLabelledRoot(_ body: (Ref, String) -> Void)
}

extension RootSource {
    public func forEachLabelledRoot(_ body: (Ref, String) -> Void) {
        var i = 0
        forEachRoot { r in
            body(r, "root[\(i)]")
            i += 1
        }
    }
}

/// A root source with no roots (only the heap's globals are roots).
public struct NoRoots: RootSource {
    public init() {}
    public func forEachRoot(_ body: (Ref) -> Void) {}
}

/// A root source over an array of Refs (tests, simple embeddings).
public struct RefArrayRoots: RootSource {
    public var refs: [Ref]
    public init(_ refs: [Ref]) { self.refs = refs }
    public func forEachRoot(_ body: (Ref) -> Void) {
        for r in refs { body(r) }
    }
}
