// The teaching page's content, independent of HTML: a source listing, and one column per
// collector with one frame per step (the same steps in every column, so a student compares
// collectors on the same statement). Built from a scenario's runs, or from a replayed
// counterexample (TeachingDocument+Counterexample.swift).

import TriColor

/// What a teaching page shows (rendered by `TeachingHTML`).
public struct TeachingDocument: Sendable {
    /// One collector's run.
    public struct Column: Sendable {
        public var name: String
        public var frames: [ScenarioFrame]
    }

    public var title: String
    public var subtitle: String
    /// The listing beside the graph; a frame's `line` is a 1-based index into it.
    public var listing: [String]
    public var columns: [Column]

    /// Steps on the page (every column has this many frames).
    public var stepCount: Int { columns.map(\.frames.count).min() ?? 0 }

    /// The 1-based first step at which the weak invariant breaks in some column (the moment
    /// a white object is hidden behind black ones with no grey path to it), else the first
    /// step at which the strong one breaks; nil if neither ever breaks.
    public var firstBreak: Int? {
        func first(_ broken: (ScenarioFrame) -> Bool) -> Int? {
            (0..<stepCount).first { k in columns.contains { broken($0.frames[k]) } }.map { $0 + 1 }
        }
        return first { $0.weakBreak != nil } ?? first { $0.strongBreak != nil }
    }

    /// The layout shared by every step and column.
    public var layout: GraphLayout { GraphLayout(frames: columns.flatMap(\.frames)) }

    public init(title: String, subtitle: String, listing: [String], columns: [Column]) {
        self.title = title
        self.subtitle = subtitle
        self.listing = listing
        self.columns = columns
    }

    /// The page for `scenario` run under each collector of `outcomes` (in that order).
    public init(scenario: Scenario, outcomes: [ScenarioOutcome]) {
        let names = outcomes.map(\.collector.rawValue).joined(separator: ", ")
        self.init(title: "\(scenario.name): a tri-colour mark, step by step",
                  subtitle: "scenario \(scenario.name) under \(names); expected to lose an object under: "
                    + (scenario.lostUnder.isEmpty ? "none" : scenario.lostUnder.map(\.rawValue).sorted().joined(separator: ", ")),
                  listing: scenario.source,
                  columns: outcomes.map { Column(name: $0.collector.rawValue, frames: $0.frames) })
    }
}
