// The teaching page of one replayed run (a replay token, or the shrunk counterexample of a
// check): the program's listing beside the graph, one step per operation in the order the
// schedule ran them, and a last step with the verdict and the object the failure names.

extension TeachingDocument {
    /// The page for `token` replayed with the trace on (`outcome`, from `token.run()`).
    public init(token: ReplayToken, outcome: RunOutcome) {
        let listing = token.program.listing.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Listing line of each goroutine's operation j: "g1 (...):" heads a goroutine,
        // "  j  op" lines follow.
        var lineOf: [String: Int] = [:]
        var thread: String?
        for (i, l) in listing.enumerated() {
            let t = l.split(separator: " ", omittingEmptySubsequences: true)
            if let h = t.first, h.hasPrefix("g"), !l.hasPrefix(" ") { thread = String(h.prefix { $0 != "(" && $0 != ":" }) }
            else if let thread, let j = t.first.flatMap({ Int($0) }), l.hasPrefix(" ") { lineOf["\(thread) #\(j)"] = i + 1 }
        }
        let frames = outcome.frames.map { f -> ScenarioFrame in
            var f = f
            let key = f.statement.split(separator: " ").prefix(2).joined(separator: " ")
            f.line = lineOf[key] ?? 0
            return f
        }
        self.init(title: "replay: \(token.collector.rawValue) \(outcome.failed ? "loses a live object" : "passes")",
                  subtitle: "replay token \(token.encoded)",
                  listing: listing, columns: [Column(name: token.collector.rawValue, frames: frames)])
    }
}
