// The layout of a teaching page's object graph: one position per object and per root for
// every step of every column, so nothing moves while a student steps through.
//
// What it does. The roots sit in lanes at the top, one row per lane (the globals, then each
// goroutine's stack, in order of first appearance), their slots left to right in order of
// first appearance. The heap objects sit below in layers by reachability: an object's layer
// is the smallest distance from a root it has in any frame (held by a root: layer 0; pointed
// to by a layer-0 object: layer 1; ...), taken over *all* frames at once, so an object keeps
// its place when the edge that put it there is cut later. Within a layer, objects are
// ordered by the first frame they appear in, then by their place in that frame's node list
// (which is breadth-first from the roots in declaration order).
//
// Why this way. A force-directed or crossing-minimising layout would look better on one
// frame and move objects between frames; the point of the page is that a change of colour
// or an edge is the only thing that changes. Graphs of teaching scenarios and shrunk
// counterexamples are a handful of objects, so one row per layer never gets wide.
//
// Deterministic: the result depends only on the frames' content and order (no hashing order,
// no randomness); `GraphLayoutTests` checks it.

/// Positions for every root slot and object of a set of frames (see the essay above).
public struct GraphLayout: Equatable, Sendable {
    public struct Point: Equatable, Sendable {
        public var x: Int
        public var y: Int
    }
    /// A lane row: its name and its y.
    public struct LaneRow: Equatable, Sendable {
        public var name: String
        public var y: Int
    }

    public static let slotWidth = 84, slotHeight = 24, radius = 22
    static let laneHeight = 40, layerHeight = 100, columnWidth = 104, laneGap = 56
    /// Width of a lane's label box; slots start right of it.
    public static let laneLabelWidth = 150

    public private(set) var lanes: [LaneRow] = []
    /// Root name -> the centre of its slot box.
    public private(set) var slots: [String: Point] = [:]
    /// Object id -> the centre of its circle.
    public private(set) var nodes: [String: Point] = [:]
    /// Object id -> its layer (0: held by a root).
    public private(set) var layer: [String: Int] = [:]
    public private(set) var width = 0
    public private(set) var height = 0

    /// Lays out the union of `frames` (all steps of all columns of a page).
    /// - Complexity: O(frames x (nodes + edges)).
    public init(frames: [ScenarioFrame]) {
        // Lanes and slots, by first appearance.
        var laneOrder: [String] = []
        var laneSlots: [String: [String]] = [:]
        for f in frames {
            for lane in f.lanes {
                if laneSlots[lane.name] == nil { laneOrder.append(lane.name); laneSlots[lane.name] = [] }
                for r in lane.roots where !laneSlots[lane.name]!.contains(r.name) { laneSlots[lane.name]!.append(r.name) }
            }
        }
        var y = 28
        var widest = 0
        for name in laneOrder {
            y += Self.laneHeight
            lanes.append(.init(name: name, y: y))
            for (i, s) in laneSlots[name]!.enumerated() {
                let x = Self.laneLabelWidth + 12 + Self.slotWidth / 2 + i * (Self.slotWidth + 12)
                slots[s] = Point(x: x, y: y)
                widest = max(widest, x + Self.slotWidth / 2)
            }
        }
        // Layers: the smallest breadth-first depth from the roots over every frame.
        var first: [String: (frame: Int, index: Int)] = [:]
        for (k, f) in frames.enumerated() {
            var depth: [String: Int] = [:]
            var queue: [String] = []
            for lane in f.lanes { for r in lane.roots { if let t = r.target, depth[t] == nil { depth[t] = 0; queue.append(t) } } }
            var head = 0
            while head < queue.count {
                let id = queue[head]
                head += 1
                for e in f.edges where e.from == id && depth[e.to] == nil {
                    depth[e.to] = depth[id]! + 1
                    queue.append(e.to)
                }
            }
            for (i, n) in f.nodes.enumerated() {
                let d = depth[n.id] ?? 0
                layer[n.id] = min(layer[n.id] ?? d, d)
                if first[n.id] == nil { first[n.id] = (k, i) }
            }
        }
        let ordered = first.keys.sorted {
            let a = first[$0]!, b = first[$1]!
            return (layer[$0]!, a.frame, a.index, $0) < (layer[$1]!, b.frame, b.index, $1)
        }
        let top = y + Self.laneGap + Self.radius
        var column: [Int: Int] = [:]
        var deepest = 0
        for id in ordered {
            let l = layer[id]!
            let c = column[l, default: 0]
            column[l] = c + 1
            let x = 60 + c * Self.columnWidth
            nodes[id] = Point(x: x, y: top + l * Self.layerHeight)
            widest = max(widest, x + Self.radius)
            deepest = max(deepest, l)
        }
        width = max(360, widest + 60)
        height = (nodes.isEmpty ? y + Self.laneHeight : top + deepest * Self.layerHeight + Self.radius + 80)
    }
}
