// A small, dependency-free SVG chart writer for gcbench's plots: line charts on linear or
// logarithmic axes, with shaded x-ranges (GC cycles) and a legend, laid out one or more
// per document.
//
// Output contract (tests rely on it): a document is well-formed XML with an <svg> root in
// the SVG namespace. Each chart is a <g class="chart" data-title="..."> holding one
// <polyline class="series" data-series="NAME"> per series that has points, one
// <rect class="band"> per shaded range, axes, tick labels (<text class="tick-x"> and
// <text class="tick-y">, adjacent labels on an axis always distinct) and a legend. Text
// is escaped.
// Points that a log axis cannot show (<= 0) are dropped, not clamped.

import TriColor
import Foundation

/// One chart: series of (x, y) points drawn as polylines.
public struct SVGChart: Sendable {
    /// How an axis maps values.
    public enum Scale: Sendable { case linear, log10 }

    /// A named polyline.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }

        /// The outline of a histogram (a staircase over the bins, down to 0 at both ends),
        /// so several histograms can share one chart.
        public static func histogram(name: String, bins: [LogHistogram.Bin]) -> Series {
            var pts: [(x: Double, y: Double)] = []
            for b in bins {
                if pts.isEmpty { pts.append((b.lower, 0)) }
                pts.append((b.lower, Double(b.count)))
                pts.append((b.upper, Double(b.count)))
            }
            if let last = bins.last { pts.append((last.upper, 0)) }
            return Series(name: name, points: pts)
        }
    }

    /// A shaded x-range (a GC cycle on a timeline).
    public struct Band: Sendable {
        public var from: Double
        public var to: Double
        public init(from: Double, to: Double) { self.from = from; self.to = to }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: Scale
    public var yScale: Scale
    public var series: [Series]
    public var bands: [Band]
    /// Fixed y range (nil: from the data, starting at 0 on a linear axis).
    public var yRange: ClosedRange<Double>?

    public init(title: String, xLabel: String, yLabel: String, xScale: Scale = .linear, yScale: Scale = .linear,
                series: [Series] = [], bands: [Band] = [], yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.series = series
        self.bands = bands
        self.yRange = yRange
    }

    /// Series colours, in order (a colour-blind-safe palette, Okabe & Ito, then greys).
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                                 "#F0E442", "#000000", "#777777", "#AAAAAA"]

    /// A complete SVG document holding this chart alone.
    public func document(width: Int = 720, height: Int = 420) -> String {
        SVGDocument(charts: [self], columns: 1, chartWidth: width, chartHeight: height).render()
    }

    /// The chart as a <g> element placed at (x, y) with the given size.
    func render(x: Double, y: Double, width: Double, height: Double) -> String {
        let left = 64.0, right = 150.0, top = 30.0, bottom = 44.0
        let pw = width - left - right, ph = height - top - bottom
        func ok(_ v: Double, _ s: Scale) -> Bool { v.isFinite && (s == .linear || v > 0) }
        let visible = series.map { s in s.points.filter { ok($0.x, xScale) && ok($0.y, yScale) } }
        let xs = visible.flatMap { $0.map(\.x) } + bands.flatMap { [$0.from, $0.to] }.filter { ok($0, xScale) }
        let ys = visible.flatMap { $0.map(\.y) }
        var xr = Axis.range(xs, scale: xScale, fromZero: false)
        var yr = yRange.map { ($0.lowerBound, $0.upperBound) } ?? Axis.range(ys, scale: yScale, fromZero: true)
        if xr.1 <= xr.0 { xr.1 = xr.0 + 1 }
        if yr.1 <= yr.0 { yr.1 = yr.0 + 1 }
        let xAxis = Axis(scale: xScale, lo: xr.0, hi: xr.1, from: left, to: left + pw)
        let yAxis = Axis(scale: yScale, lo: yr.0, hi: yr.1, from: top + ph, to: top)

        var o = "<g class=\"chart\" data-title=\"\(xmlEscape(title))\" transform=\"translate(\(svgNum(x)),\(svgNum(y)))\">\n"
        o += "<rect x=\"0\" y=\"0\" width=\"\(svgNum(width))\" height=\"\(svgNum(height))\" fill=\"white\"/>\n"
        o += "<text x=\"\(svgNum(left))\" y=\"18\" font-size=\"14\" font-weight=\"bold\">\(xmlEscape(title))</text>\n"
        for b in bands where ok(b.from, xScale) && ok(b.to, xScale) {
            let x0 = max(left, xAxis.map(b.from)), x1 = min(left + pw, xAxis.map(b.to))
            if x1 > x0 {
                o += "<rect class=\"band\" x=\"\(svgNum(x0))\" y=\"\(svgNum(top))\" width=\"\(svgNum(max(0.5, x1 - x0)))\" height=\"\(svgNum(ph))\" fill=\"#F4B183\" fill-opacity=\"0.45\"/>\n"
            }
        }
        // Grid and ticks.
        let xTicks = xAxis.ticks()
        for (t, label) in zip(xTicks, xAxis.labels(xTicks)) {
            let px = xAxis.map(t)
            o += "<line x1=\"\(svgNum(px))\" y1=\"\(svgNum(top))\" x2=\"\(svgNum(px))\" y2=\"\(svgNum(top + ph))\" stroke=\"#e5e5e5\"/>\n"
            o += "<text class=\"tick-x\" x=\"\(svgNum(px))\" y=\"\(svgNum(top + ph + 16))\" font-size=\"11\" text-anchor=\"middle\">\(xmlEscape(label))</text>\n"
        }
        let yTicks = yAxis.ticks()
        for (t, label) in zip(yTicks, yAxis.labels(yTicks)) {
            let py = yAxis.map(t)
            o += "<line x1=\"\(svgNum(left))\" y1=\"\(svgNum(py))\" x2=\"\(svgNum(left + pw))\" y2=\"\(svgNum(py))\" stroke=\"#e5e5e5\"/>\n"
            o += "<text class=\"tick-y\" x=\"\(svgNum(left - 6))\" y=\"\(svgNum(py + 4))\" font-size=\"11\" text-anchor=\"end\">\(xmlEscape(label))</text>\n"
        }
        o += "<rect x=\"\(svgNum(left))\" y=\"\(svgNum(top))\" width=\"\(svgNum(pw))\" height=\"\(svgNum(ph))\" fill=\"none\" stroke=\"#333\"/>\n"
        o += "<text x=\"\(svgNum(left + pw / 2))\" y=\"\(svgNum(height - 6))\" font-size=\"12\" text-anchor=\"middle\">\(xmlEscape(xLabel))</text>\n"
        o += "<text x=\"14\" y=\"\(svgNum(top + ph / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(svgNum(top + ph / 2)))\">\(xmlEscape(yLabel))</text>\n"
        // Series and legend.
        var legendY = top + 6
        for (i, s) in series.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            let pts = visible[i]
            if !pts.isEmpty {
                let coords = pts.map { "\(svgNum(xAxis.map($0.x))),\(svgNum(yAxis.map($0.y)))" }.joined(separator: " ")
                o += "<polyline class=\"series\" data-series=\"\(xmlEscape(s.name))\" points=\"\(coords)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.8\"/>\n"
            }
            o += "<line x1=\"\(svgNum(left + pw + 12))\" y1=\"\(svgNum(legendY))\" x2=\"\(svgNum(left + pw + 32))\" y2=\"\(svgNum(legendY))\" stroke=\"\(colour)\" stroke-width=\"3\"/>\n"
            o += "<text x=\"\(svgNum(left + pw + 38))\" y=\"\(svgNum(legendY + 4))\" font-size=\"11\">\(xmlEscape(s.name))</text>\n"
            legendY += 16
        }
        if !bands.isEmpty {
            o += "<rect x=\"\(svgNum(left + pw + 12))\" y=\"\(svgNum(legendY - 6))\" width=\"20\" height=\"10\" fill=\"#F4B183\" fill-opacity=\"0.45\"/>\n"
            o += "<text x=\"\(svgNum(left + pw + 38))\" y=\"\(svgNum(legendY + 4))\" font-size=\"11\">GC cycle</text>\n"
        }
        return o + "</g>\n"
    }
}

/// Several charts in a grid, as one SVG document.
public struct SVGDocument: Sendable {
    public var charts: [SVGChart]
    public var columns: Int
    public var chartWidth: Int
    public var chartHeight: Int

    /// - Parameter columns: charts per row; must be at least 1.
    public init(charts: [SVGChart], columns: Int = 1, chartWidth: Int = 720, chartHeight: Int = 420) {
        precondition(columns >= 1, "SVGDocument: columns must be at least 1")
        self.charts = charts
        self.columns = columns
        self.chartWidth = chartWidth
        self.chartHeight = chartHeight
    }

    /// The document text: an XML declaration and an <svg> root.
    public func render() -> String {
        let rows = max(1, (charts.count + columns - 1) / columns)
        let w = chartWidth * min(columns, max(1, charts.count)), h = chartHeight * rows
        var o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        o += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        for (i, c) in charts.enumerated() {
            o += c.render(x: Double((i % columns) * chartWidth), y: Double((i / columns) * chartHeight),
                          width: Double(chartWidth), height: Double(chartHeight))
        }
        return o + "</svg>\n"
    }
}

/// Maps data values to pixels along one axis and picks tick values.
struct Axis {
    let scale: SVGChart.Scale
    let lo: Double, hi: Double
    let from: Double, to: Double

    func t(_ v: Double) -> Double { scale == .log10 ? log10(v) : v }

    func map(_ v: Double) -> Double {
        let a = t(lo), b = t(hi)
        return from + (t(v) - a) / (b - a) * (to - from)
    }

    /// Round tick values inside [lo, hi], strictly increasing: powers of ten on a log axis;
    /// on a linear axis the multiples of `linearStep` (computed as index x step, so no
    /// rounding error builds up; it stops early where a Double can no longer tell two
    /// multiples apart).
    func ticks() -> [Double] {
        if scale == .log10 {
            let a = Int(log10(lo).rounded(.down)), b = Int(log10(hi).rounded(.up))
            return (a...max(a, b)).map { pow(10, Double($0)) }.filter { $0 >= lo * 0.999 && $0 <= hi * 1.001 }
        }
        let step = linearStep
        let first = (lo / step - 1e-9).rounded(.up)
        var out: [Double] = []
        var i = 0.0
        while true {
            let v = (first + i) * step
            if v > hi + step * 1e-9 || v <= (out.last ?? -.infinity) { break }
            out.append(v == 0 ? 0 : v)   // no "-0"
            i += 1
        }
        return out
    }

    /// The linear axis's tick step: 1, 2 or 5 times a power of ten, the smallest giving at
    /// most 6 intervals over [lo, hi] (`hi > lo`).
    var linearStep: Double {
        let span = hi - lo
        let mag = pow(10, log10(span / 5).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * mag }.first { span / $0 <= 6 } ?? 10 * mag
    }

    /// Labels for `ticks` (this axis's `ticks()`), in order, no two adjacent alike. A log
    /// axis's powers of ten are labelled one by one (`label`). A linear axis's labels all
    /// get the decimals that resolve `linearStep` (step 0.05: "8.10", "8.15", "8.20"), in
    /// scientific notation ("1.2e+06") when every tick is below 1e-3 or one is 1e6 or more,
    /// with the mantissa digits that resolve the step; a tick of exactly 0 is "0". Should
    /// rounding still make neighbours alike, every label gets one more digit until none are.
    func labels(_ ticks: [Double]) -> [String] {
        if scale == .log10 { return ticks.map(Axis.label) }
        let step = linearStep
        let stepExp = Int((log10(step) + 1e-9).rounded(.down))
        let big = ticks.map(abs).max() ?? 0
        let scientific = big >= 1e6 || (big > 0 && big < 1e-3)
        func format(_ v: Double, extra: Int) -> String {
            if v == 0 { return "0" }
            if scientific {
                let exp = Int((log10(abs(v)) + 1e-9).rounded(.down))
                return String(format: "%.\(max(0, exp - stepExp) + extra)e", v)
            }
            return String(format: "%.\(max(0, -stepExp) + extra)f", v)
        }
        var extra = 0
        while true {
            let out = ticks.map { format($0, extra: extra) }
            if extra >= 17 || zip(out, out.dropFirst()).allSatisfy({ $0 != $1 }) { return out }
            extra += 1
        }
    }

    /// The data range of `values` (padded on a linear axis; whole decades on a log axis).
    static func range(_ values: [Double], scale: SVGChart.Scale, fromZero: Bool) -> (Double, Double) {
        guard let mn = values.min(), let mx = values.max() else { return scale == .log10 ? (1, 10) : (0, 1) }
        if scale == .log10 {
            return (pow(10, log10(mn).rounded(.down)), pow(10, log10(mx).rounded(.up)))
        }
        let lo = fromZero ? Swift.min(0, mn) : mn
        let hi = mx == lo ? lo + 1 : mx + (mx - lo) * 0.05
        return (lo, hi)
    }

    /// The label of a log axis's tick (a power of ten): plain from 1e-3 to below 1e6
    /// ("0.01", "100"), else scientific ("1e+06").
    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e6 || a < 1e-3 { return String(format: "%.0e", v) }
        if v == v.rounded() { return String(Int(v)) }
        if a >= 1 { return String(format: "%.1f", v) }
        return String(format: "%g", v)
    }
}

/// Formats a coordinate with at most two decimals.
@inline(__always) func svgNum(_ v: Double) -> String { String(format: "%.2f", v) }
