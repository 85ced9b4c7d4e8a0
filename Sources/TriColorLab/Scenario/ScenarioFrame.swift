// What a picture of one scenario step shows, and how it is captured from the heap.

import TriColor

/// The heap as a picture sees it after one statement: the objects reachable from the named
/// roots, their colours, and their pointers.
public struct ScenarioFrame: Sendable {
    public struct Node: Sendable {
        public var id: String          // the object's address
        public var type: String
        public var names: [String]     // roots naming it (globals: "a", slots: "c")
        public var colour: String      // white | grey | black | "-" outside a mark
    }
    public struct Edge: Sendable {
        public var from: String
        public var field: Int
        public var to: String
    }
    public var statement: String
    public var nodes: [Node]
    public var edges: [Edge]
}
