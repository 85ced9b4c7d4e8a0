// Heap shapes the workloads and the tests build.

import TriColor

/// Builds a complete binary tree of `depth` levels (2^depth - 1 nodes of `node`, fields 0 and
/// 1 the children), top-down, each node held in a stack slot while its children are built.
/// Returns the root, valid until the caller's next safe point. Call from a goroutine of `rt`.
public func buildTree(_ rt: TriColorRuntime, _ node: ObjectType, depth: Int) -> Ref {
    rt.withFrame {
        let n = rt.allocSlot(node)
        if depth > 1 {
            let l = buildTree(rt, node, depth: depth - 1)
            rt.store(rt[n], 0, l)
            let r = buildTree(rt, node, depth: depth - 1)
            rt.store(rt[n], 1, r)
        }
        return rt[n]
    }
}
