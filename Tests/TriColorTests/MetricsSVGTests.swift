import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import TriColor

/// SVG output is well-formed XML with the expected series.
@Suite struct MetricsSVGTests {
    /// Collects the elements of a parsed document.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append((name, attributes))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    func parse(_ svg: String) -> (ok: Bool, Collector) {
        let c = Collector()
        let p = XMLParser(data: Data(svg.utf8))
        p.delegate = c
        let ok = p.parse()
        return (ok, c)
    }

    @Test func lineChartWithBands() {
        let chart = SVGChart(title: "MMU <live-churn> & co", xLabel: "window (ms)", yLabel: "MMU", xScale: .log10,
                             series: [.init(name: "markSweep", points: [(0.1, 0), (1, 0.2), (10, 0.8)]),
                                      .init(name: "a<b&\"c\"", points: [(0.1, 0.5), (100, 0.9)]),
                                      .init(name: "empty", points: [(0, 1), (-1, 1)])],   // nothing visible on a log axis
                             bands: [.init(from: 1, to: 2), .init(from: 5, to: 6)], yRange: 0...1)
        let (ok, c) = parse(chart.document())
        #expect(ok)
        #expect(c.elements.first?.name == "svg")
        #expect(c.elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        let series = c.elements.filter { $0.name == "polyline" && $0.attributes["class"] == "series" }
        #expect(series.map { $0.attributes["data-series"] } == ["markSweep", "a<b&\"c\""])
        #expect(series[0].attributes["points"]!.split(separator: " ").count == 3)
        #expect(c.elements.filter { $0.attributes["class"] == "band" }.count == 2)
        #expect(c.text.contains("MMU <live-churn> & co"))
        #expect(c.text.contains("empty"))                       // still in the legend
    }

    @Test func documentOfSeveralChartsAndAHistogram() {
        let bins = LogHistogram([3, 5, 40, 45, 47, 900], binsPerDecade: 2).bins
        let charts = (0..<3).map { i in
            SVGChart(title: "chart \(i)", xLabel: "x", yLabel: "y", xScale: .log10,
                     series: [.histogram(name: "hybrid", bins: bins), .histogram(name: "deletion", bins: [])])
        }
        let (ok, c) = parse(SVGDocument(charts: charts, columns: 2).render())
        #expect(ok)
        let groups = c.elements.filter { $0.name == "g" && $0.attributes["class"] == "chart" }
        #expect(groups.map { $0.attributes["data-title"] } == ["chart 0", "chart 1", "chart 2"])
        let polylines = c.elements.filter { $0.attributes["data-series"] == "hybrid" }
        #expect(polylines.count == 3)
        // Staircase: a start at 0, two points per bin, an end at 0.
        #expect(polylines[0].attributes["points"]!.split(separator: " ").count == 2 * bins.count + 2)
    }

    @Test func emptyChartIsStillWellFormed() {
        let (ok, c) = parse(SVGChart(title: "nothing", xLabel: "", yLabel: "").document())
        #expect(ok)
        #expect(c.elements.filter { $0.name == "polyline" }.isEmpty)
    }
}
