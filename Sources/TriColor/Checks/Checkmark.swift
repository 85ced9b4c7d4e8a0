// Checkmark: independent verification of a mark (Go's gccheckmark, mcheckmark.go).
//
// After a collector's mark and before its sweep, with the world stopped,
// mark the heap again from the same roots, this time breadth-first into the
// separate checkmark bitmap, remembering for each object the object and field
// it was first reached from. Every object this second mark reaches must
// already have its mark bit set: if not, the collector would free a
// reachable object. Each such object is reported with the shortest path
// from a root, e.g.
//
//     root global[3] -> 0x1040 (Node).field 1 -> 0x2080 (Leaf)
//
// The second mark is deliberately simple (no sharing of code with any
// collector beyond the heap's accessors), so a bug in a collector's marking
// or barrier logic cannot hide itself. Cost: O(live objects) time plus a
// dictionary of parents; it is a check level, not the normal path.

/// A reachable object the collector did not mark.
public struct CheckmarkViolation: Sendable, CustomStringConvertible {
    /// The unmarked object.
    public let object: Ref
    /// Its type's name.
    public let typeName: String
    /// A shortest path from a root, e.g. "root global[3] -> 0x1040 (Node).field 1 -> 0x2080 (Leaf)".
    public let path: String
    /// Set if the Ref itself is invalid (checked mode message).
    public let problem: String?

    public var description: String {
        if let p = problem { return "checkmark: invalid Ref \(object) reachable via \(path): \(p)" }
        return "checkmark: reachable object \(object) (\(typeName)) was not marked; path: \(path)"
    }
}

extension Heap {
    /// Marks from the roots and globals into the checkmark bitmap and reports
    /// every reachable object whose mark bit is clear.
    ///
    /// - Precondition: the world is stopped, a mark has completed and its
    ///   sweep has not started (mark bits are current).
    /// - Returns: the violations, in breadth-first order; empty if the mark was complete.
    /// - Complexity: O(reachable objects + pages).
    public func checkmark(roots: some RootSource) -> [CheckmarkViolation] {
        // Clear the checkmark bits of every in-use span.
        _ = pageHeap.forEachSpan { s in
            guard s.pointee.state == .inUse else { return }
            for w in 0..<s.pointee.bitmapWords { s.pointee.checkmarkBits[w].store(0, ordering: .relaxed) }
        }
        var parent: [Ref: (from: Ref, field: Int)] = [:]
        var rootLabel: [Ref: String] = [:]
        var queue: [Ref] = []
        var head = 0
        var violations: [CheckmarkViolation] = []

        func path(to r: Ref) -> String {
            var segments: [String] = [describe(r)]
            var cur = r
            while let (p, f) = parent[cur] {
                segments.append("\(describe(p)).field \(f)")
                cur = p
            }
            segments.append(rootLabel[cur] ?? "root ?")
            return segments.reversed().joined(separator: " -> ")
        }

        /// Checkmarks `r`; returns `true` if newly reached.
        func visit(_ r: Ref) -> Bool {
            if let m = validate(r) {
                violations.append(CheckmarkViolation(object: r, typeName: "?", path: "", problem: m))
                return false
            }
            let s = spanOf(r.offset)!
            return s.pointee.setCheckmarked(s.pointee.objectIndex(r.offset))
        }

        roots.forEachLabelledRoot { r, label in
            if !r.isNil && visit(r) { rootLabel[r] = "root \(label)"; queue.append(r) }
        }
        for g in 0..<globalCount {
            let r = globals[g]
            if !r.isNil && visit(r) { rootLabel[r] = "root global[\(g)]"; queue.append(r) }
        }
        while head < queue.count {
            let obj = queue[head]
            head += 1
            let s = spanOf(obj.offset)!
            if !s.pointee.isMarked(s.pointee.objectIndex(obj.offset)) {
                violations.append(CheckmarkViolation(object: obj, typeName: typeName(of: obj),
                                                     path: path(to: obj), problem: nil))
            }
            let n = ObjectHeader.pointerFields(header(obj))
            for f in 0..<n {
                let v = fieldSlot(obj, f).load()
                if v.isNil { continue }
                if let m = validate(v) {
                    violations.append(CheckmarkViolation(object: v, typeName: "?",
                                                         path: "\(path(to: obj)).field \(f)", problem: m))
                    continue
                }
                if visit(v) {
                    parent[v] = (obj, f)
                    queue.append(v)
                }
            }
        }
        return violations
    }
}
