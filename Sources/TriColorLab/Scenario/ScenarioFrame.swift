// What a picture of one scenario step shows, captured from the heap after the statement:
// the objects reachable from the roots with their colours and pointers, the roots in
// lanes (the globals, then each goroutine's stack slots), and what the statement did (the
// edge it wrote, what the barrier or a scan shaded, the phase, the invariants, and at
// `finish` checkmark's verdict). The teaching page (Teaching/) draws it.

import TriColor

/// The heap as a picture sees it after one statement.
public struct ScenarioFrame: Sendable, Equatable {
    public struct Node: Sendable, Equatable {
        /// The object's name in pictures: its type name, numbered from the second object of
        /// a type on ("C", "C2"), given at allocation; the same in every run of a scenario.
        public var id: String
        public var type: String
        /// Roots holding it ("a", "c", "g2.0").
        public var names: [String]
        /// white | grey | black, or "-" outside a mark.
        public var colour: String
    }
    public struct Edge: Sendable, Equatable {
        public var from: String
        public var field: Int
        public var to: String
    }
    /// One root: a global or a stack slot, and the object it holds (nil: nil).
    public struct Root: Sendable, Equatable {
        public var name: String
        public var target: String?
    }
    /// The globals, or one goroutine's stack: its slots and, while marking, the stack's
    /// colour (grey until scanned, black after; "-" outside a mark or for the globals).
    public struct Lane: Sendable, Equatable {
        public var name: String
        public var colour: String
        public var roots: [Root]
    }
    /// The pointer a statement wrote: field `field` of object `from`, or the root `root`.
    public struct Write: Sendable, Equatable {
        public var from: String?
        public var field: Int?
        public var root: String?
        public var to: String?
    }
    /// A reachable object checkmark found unmarked, with its path from a root.
    public struct Lost: Sendable, Equatable {
        public var object: String
        /// Object ids from the root's object to the lost one.
        public var path: [String]
        public var text: String
    }

    /// The scenario line the statement is on.
    public var line: Int
    public var statement: String
    /// off | marking | mark termination.
    public var phase: String
    public var nodes: [Node]
    public var edges: [Edge]
    public var lanes: [Lane]
    public var written: Write?
    /// What happened, in words: barrier halves that fired and what they shaded, a scan.
    public var notes: [String]
    /// Objects this statement turned from white to grey or black.
    public var shaded: [String]
    /// The edge breaking each invariant ("A.0 -> C"), nil when it holds or no mark runs.
    public var strongBreak: String?
    public var weakBreak: String?
    /// At `finish`: what checkmark found.
    public var lost: [Lost]
    public var verdict: String?
}
