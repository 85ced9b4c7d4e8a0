import Foundation
import Testing
@testable import TriColorLab
@testable import TriColor

/// The teaching page of every fixture: well-formed, one step per statement, and at every
/// `expect` line the page shows the colour the fixture expects (so the page tells the same
/// story the fixture tests check); the verdict at the end matches `lost-under`.
@Suite struct TeachingPageTests {
    static let concurrent = CollectorKind.builtIns.filter { $0 != .markSweep }

    static func page(_ name: String, _ collectors: [CollectorKind] = concurrent) throws -> (Scenario, TeachingDocument, String) {
        let path = ScenarioFixtureTests.dir.appendingPathComponent(name).path
        let s = try Scenario.parse(try String(contentsOfFile: path, encoding: .utf8), file: name)
        let doc = TeachingDocument(scenario: s, outcomes: try collectors.map { try s.run(collector: $0, file: name) })
        return (s, doc, doc.html)
    }

    @Test(arguments: ScenarioFixtureTests.fixtures)
    func pageShowsWhatTheFixtureExpects(_ name: String) throws {
        let (s, doc, html) = try Self.page(name)
        let dom = try #require(PageDOM.parse(html), "\(name): the page is not well-formed")
        #expect(dom.steps.count == s.statements.count)
        #expect(doc.stepCount == s.statements.count)
        // Self-contained: nothing fetched (the SVG namespace is a name, not a fetch).
        let offline = html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
        #expect(!offline.contains("http:") && !offline.contains("https:") && !offline.contains("src=") && !offline.contains("@import"))
        for (k, (line, st)) in s.statements.enumerated() {
            #expect(dom.steps[k].attributes["data-line"] == "\(line)")
            guard case .expect(let root, let colour, let only) = st else { continue }
            for c in only ?? Self.concurrent {
                let column = try #require(dom.column(k + 1, c.rawValue))
                let slot = try #require(column.all("g", "data-root", root).first, "\(name) step \(k + 1): no slot \(root)")
                let target = try #require(slot.attributes["data-target"])
                let node = try #require(column.all("g", "data-object", target).first)
                #expect(node.attributes["data-colour"] == "\(colour)", "\(name) line \(line) under \(c)")
                #expect(node.classes.contains("\(colour)"))
            }
        }
        // The last step: checkmark's verdict, the lost object marked and its path drawn.
        for c in Self.concurrent {
            let column = try #require(dom.column(s.statements.count, c.rawValue))
            let verdict = try #require(column.all("p").first { $0.classes.contains("verdict") })
            let lost = column.all { $0.name == "g" && $0.classes.contains("lost") }
            if s.lostUnder.contains(c) {
                #expect(verdict.classes.contains("lost"), "\(name) under \(c)")
                #expect(lost.count == 1)
                #expect(!column.all { $0.classes.contains("lost-path") }.isEmpty)
            } else {
                #expect(verdict.classes.contains("kept"), "\(name) under \(c)")
                #expect(lost.isEmpty)
            }
        }
    }

    /// The lost object, step by step under three collectors: which half fires, and where
    /// the weak invariant breaks without a barrier.
    @Test func lostObjectNarration() throws {
        let (_, doc, html) = try Self.page("lost-object.scenario", [.noBarrier, .insertion, .deletion])
        let dom = try #require(PageDOM.parse(html))
        func node(_ step: Int, _ c: String, _ id: String) -> PageDOM.Element? { dom.column(step, c)?.all("g", "data-object", id).first }
        func notes(_ step: Int, _ c: String) -> String { dom.column(step, c)?.all("ul").first?.allText ?? "" }
        // Step 11 is `a.0 = c`, step 12 `b.0 = nil`.
        #expect(dom.steps[10].all("h2").first?.allText.hasSuffix("a.0 = c") == true)
        #expect(node(11, "insertion", "C")?.classes == ["node", "grey", "shaded"])
        #expect(notes(11, "insertion").contains("insertion half: shade(ptr) shaded C"))
        #expect(node(11, "deletion", "C")?.attributes["data-colour"] == "white")
        #expect(node(12, "deletion", "C")?.classes == ["node", "grey", "shaded"])
        #expect(notes(12, "deletion").contains("deletion half: shade(*slot) shaded C"))
        #expect(node(12, "noBarrier", "C")?.classes == ["node", "white"])
        // Without a barrier the strong invariant breaks at `a.0 = c`, the weak one when the
        // grey path is cut; that is where the jump button goes.
        #expect(doc.columns[0].frames[10].strongBreak == "black A.0 -> white C")
        #expect(doc.columns[0].frames[10].weakBreak == nil)
        #expect(doc.columns[0].frames[11].weakBreak == "black A.0 -> white C")
        #expect(doc.firstBreak == 12)
        #expect(dom.root.all("button", "id", "jump").first?.attributes["data-step"] == "12")
        #expect(doc.columns[0].frames.last?.lost.first?.path == ["A", "C"])
    }

    @Test func pagesAreDeterministic() throws {
        let a = try Self.page("heap-drops-stack-takes.scenario").2
        let b = try Self.page("heap-drops-stack-takes.scenario").2
        #expect(a == b)
    }
}

/// The layout: layered by reachability over all frames, the same for the same frames.
@Suite struct GraphLayoutTests {
    func frame(_ roots: [(String, String?)], _ edges: [(String, Int, String)], nodes: [String]) -> ScenarioFrame {
        ScenarioFrame(line: 1, statement: "", phase: "marking",
                      nodes: nodes.map { .init(id: $0, type: $0, names: [], colour: "white") },
                      edges: edges.map { .init(from: $0.0, field: $0.1, to: $0.2) },
                      lanes: [.init(name: "globals", colour: "-", roots: roots.map { .init(name: $0.0, target: $0.1) })],
                      written: nil, notes: [], shaded: [], strongBreak: nil, weakBreak: nil, lost: [], verdict: nil)
    }

    @Test func layersByReachabilityOverAllFrames() {
        // r -> X -> Y -> Z; later the root s takes Z and X drops Y.
        let f1 = frame([("r", "X")], [("X", 0, "Y"), ("Y", 0, "Z")], nodes: ["X", "Y", "Z"])
        let f2 = frame([("r", "X"), ("s", "Z")], [("Y", 0, "Z")], nodes: ["X", "Z"])
        let l = GraphLayout(frames: [f1, f2])
        #expect(l.layer == ["X": 0, "Y": 1, "Z": 0])
        #expect(l.nodes["X"]!.y == l.nodes["Z"]!.y)
        #expect(l.nodes["Y"]!.y > l.nodes["X"]!.y)
        #expect(l.nodes["X"]!.x < l.nodes["Z"]!.x)
        #expect(l.slots["r"]!.y == l.slots["s"]!.y && l.slots["r"]!.x < l.slots["s"]!.x)
        // Same frames, same layout; no two objects share a place.
        #expect(GraphLayout(frames: [f1, f2]) == l)
        #expect(Set(l.nodes.values.map { "\($0.x),\($0.y)" }).count == 3)
    }

    @Test func everyStepOfAPageDrawsAnObjectAtOnePlace() throws {
        let (_, doc, html) = try TeachingPageTests.page("lost-object.scenario", [.hybrid, .noBarrier])
        let dom = try #require(PageDOM.parse(html))
        let layout = doc.layout
        var seen = 0
        for c in dom.root.all("g", "data-object") {
            let circle = try #require(c.all("circle").last)
            let p = try #require(layout.nodes[c.attributes["data-object"]!])
            #expect(circle.attributes["cx"] == "\(p.x)" && circle.attributes["cy"] == "\(p.y)")
            seen += 1
        }
        #expect(seen > 40)
    }
}
