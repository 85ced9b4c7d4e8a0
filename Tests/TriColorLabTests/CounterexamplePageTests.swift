import Foundation
import Testing
@testable import TriColorLab
@testable import TriColor

/// The page of a shrunk counterexample: one step per traced operation (each highlighting
/// its listing line) plus the verdict, with the object the failure names marked lost.
@Suite struct CounterexamplePageTests {
    @Test func shrunkCounterexamplePage() throws {
        var c = CheckConfiguration(collector: .noBarrier)
        c.seeds = 50
        let ce = try #require(PropertyCheck.run(c).counterexample)
        let o = ce.outcome
        #expect(o.frames.count == o.trace.filter { $0.hasPrefix("g") }.count + 1)
        let doc = TeachingDocument(token: ce.token, outcome: o)
        let dom = try #require(PageDOM.parse(doc.html))
        #expect(dom.steps.count == o.frames.count)
        for s in dom.steps.dropLast() { #expect(Int(s.attributes["data-line"] ?? "0")! > 0) }
        let last = try #require(dom.column(dom.steps.count, "noBarrier"))
        #expect(last.all("p").first { $0.classes.contains("verdict") }?.classes.contains("lost") == true)
        let lost = last.all { $0.name == "g" && $0.classes.contains("lost") }
        #expect(lost.count == 1)
        // The lost object is drawn white: the mark never reached it.
        #expect(lost.first?.attributes["data-colour"] == "white")
    }
}
