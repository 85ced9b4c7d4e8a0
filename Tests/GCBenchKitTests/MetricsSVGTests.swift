import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import GCBenchKit
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

    /// Collects the content of every <text> element with its `class` attribute.
    final class TextCollector: NSObject, XMLParserDelegate {
        var texts: [(cls: String?, text: String)] = []
        var open = false
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            guard name == "text" else { return }
            texts.append((attributes["class"], ""))
            open = true
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { open = false }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if open { texts[texts.count - 1].text += string }
        }
    }

    /// The x and y tick labels of a rendered chart, in document order.
    func tickLabels(_ chart: SVGChart) -> (ok: Bool, x: [String], y: [String]) {
        let c = TextCollector()
        let p = XMLParser(data: Data(chart.document().utf8))
        p.delegate = c
        let ok = p.parse()
        return (ok, c.texts.filter { $0.cls == "tick-x" }.map(\.text), c.texts.filter { $0.cls == "tick-y" }.map(\.text))
    }

    /// A heap plot whose time axis spans 8.10..8.24 ms (it once read "8.1, 8.1, 8.2, 8.2"):
    /// the tick labels carry the decimals of the 0.05 step and are all distinct.
    @Test func narrowTimeAxisHasDistinctTickLabels() {
        let points = stride(from: 8.10, through: 8.24, by: 0.02).map { (x: $0, y: 1 + $0 - 8.1) }
        let chart = SVGChart(title: "heap", xLabel: "time (ms)", yLabel: "heap live (MiB)",
                             series: [.init(name: "heap live", points: points)], bands: [.init(from: 8.12, to: 8.2)])
        let (ok, x, y) = tickLabels(chart)
        #expect(ok)
        #expect(x == ["8.10", "8.15", "8.20"])
        #expect(Set(x).count == x.count)
        #expect(y.count >= 2 && Set(y).count == y.count)
    }

    /// Over narrow and wide, small and large, and negative ranges, every axis gets at least
    /// two ticks whose labels are distinct and read back within half a step of the tick.
    @Test(arguments: [(8.10, 8.24), (8.10, 8.247), (0, 1), (0.999, 1.001), (-0.3, 0.2), (99.95, 100.05),
                      (123_456.7, 123_456.9), (1e6, 1.3e6), (1e9, 1e9 + 3), (1e-5, 1.4e-5), (0, 2.5e-4),
                      (-2e7, 3e7), (0.0011, 0.0019), (41.2, 41.21)] as [(Double, Double)])
    func linearAxisTickLabelsAreDistinct(lo: Double, hi: Double) {
        let axis = Axis(scale: .linear, lo: lo, hi: hi, from: 0, to: 600)
        let ticks = axis.ticks()
        let labels = axis.labels(ticks)
        #expect(ticks.count >= 2)
        #expect(labels.count == ticks.count)
        #expect(Set(labels).count == labels.count, "\(lo)...\(hi): \(labels)")
        for (t, l) in zip(ticks, labels) {
            let v = Double(l)
            #expect(v != nil && abs(v! - t) <= axis.linearStep / 2, "\(lo)...\(hi): \(l) for \(t)")
        }
    }

    @Test func logAxisTickLabelsAreDistinct() {
        let axis = Axis(scale: .log10, lo: 1e-4, hi: 1e7, from: 0, to: 600)
        let labels = axis.labels(axis.ticks())
        #expect(labels == ["1e-04", "0.001", "0.01", "0.1", "1", "10", "100", "1000", "10000", "100000", "1e+06", "1e+07"])
    }

    @Test func emptyChartIsStillWellFormed() {
        let (ok, c) = parse(SVGChart(title: "nothing", xLabel: "", yLabel: "").document())
        #expect(ok)
        #expect(c.elements.filter { $0.name == "polyline" }.isEmpty)
    }
}
