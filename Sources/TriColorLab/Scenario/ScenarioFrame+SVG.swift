// Pictures of a scenario step: the object graph as SVG, drawn by the package itself.
//
// Layout: objects are placed in rows by their distance from the nearest named root (roots
// on the top row), left to right in discovery order. A white object is drawn white with a
// black outline, a grey one grey, a black one black with white text; the names of the roots
// holding an object sit above it; each pointer is an arrow labelled with its field index
// (an arc below the row when both ends share a row, so it does not cross other objects).

import TriColor

extension ScenarioFrame {
    /// The frame as a standalone SVG document.
    public func svg(title: String) -> String {
        let w = 120, h = 90, r = 22
        // Rows by BFS depth from named objects.
        var depth: [String: Int] = [:]
        var queue = nodes.filter { !$0.names.isEmpty }.map(\.id)
        for id in queue { depth[id] = 0 }
        var head = 0
        while head < queue.count {
            let id = queue[head]
            head += 1
            for e in edges where e.from == id && depth[e.to] == nil {
                depth[e.to] = depth[id]! + 1
                queue.append(e.to)
            }
        }
        var column: [Int: Int] = [:]
        var pos: [String: (Int, Int)] = [:]
        for n in nodes {
            let d = depth[n.id] ?? 0
            let c = column[d, default: 0]
            column[d] = c + 1
            let px: Int = 60 + c * w
            let py: Int = 90 + d * h
            pos[n.id] = (px, py)
        }
        let columns: Int = column.values.max() ?? 1
        let rows: Int = (depth.values.max() ?? 0) + 1
        let width: Int = Swift.max(320, 60 + columns * w)
        let height: Int = 90 + rows * h + 60
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"monospace\" font-size=\"12\">\n"
        out += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#f4f4f0\"/>\n"
        out += "<text x=\"10\" y=\"20\" font-size=\"14\">\(xmlEscape(title))</text>\n"
        out += "<text x=\"10\" y=\"40\">\(xmlEscape(statement))</text>\n"
        for e in edges {
            guard let (x1, y1) = pos[e.from], let (x2, y2) = pos[e.to] else { continue }
            out += Self.edgeSVG(x1: x1, y1: y1, x2: x2, y2: y2, r: r, field: e.field, loop: e.from == e.to)
        }
        for n in nodes {
            guard let (x, y) = pos[n.id] else { continue }
            let fill = n.colour == "black" ? "#111" : n.colour == "grey" ? "#999" : "#fff"
            let text = n.colour == "black" ? "#fff" : "#111"
            let ty: Int = y + 4
            let ny: Int = y - r - 6
            out += "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"\(r)\" fill=\"\(fill)\" stroke=\"#111\" stroke-width=\"2\"><title>\(xmlEscape(n.id)) \(xmlEscape(n.colour))</title></circle>\n"
            out += "<text x=\"\(x)\" y=\"\(ty)\" text-anchor=\"middle\" fill=\"\(text)\">\(xmlEscape(n.type))</text>\n"
            if !n.names.isEmpty {
                out += "<text x=\"\(x)\" y=\"\(ny)\" text-anchor=\"middle\" font-weight=\"bold\">\(xmlEscape(n.names.joined(separator: ",")))</text>\n"
            }
        }
        out += "</svg>\n"
        return out
    }


    /// One pointer: a straight arrow between rows, an arc below the row within a row, a small
    /// loop for a self-reference. (Plain Int arithmetic in locals keeps type checking fast.)
    static func edgeSVG(x1: Int, y1: Int, x2: Int, y2: Int, r: Int, field: Int, loop: Bool) -> String {
        let label = "." + String(field)
        if loop {
            let a: Int = x1 + r
            return "<path d=\"M \(a) \(y1) c 30 -30 30 30 0 8\" fill=\"none\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n"
        }
        if y1 == y2 {
            let mx: Int = (x1 + x2) / 2
            let bend: Int = 30 + abs(x2 - x1) / 4
            let yStart: Int = y1 + r
            let yControl: Int = yStart + bend
            let yLabel: Int = yStart + bend / 2 + 14
            return "<path d=\"M \(x1) \(yStart) Q \(mx) \(yControl) \(x2) \(yStart)\" fill=\"none\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n"
                + "<text x=\"\(mx)\" y=\"\(yLabel)\" fill=\"#555\">\(label)</text>\n"
        }
        let dx = Double(x2 - x1)
        let dy = Double(y2 - y1)
        let len: Double = Swift.max(1, (dx * dx + dy * dy).squareRoot())
        let rr = Double(r)
        let sx: Int = Int(Double(x1) + dx / len * rr)
        let sy: Int = Int(Double(y1) + dy / len * rr)
        let ex: Int = Int(Double(x2) - dx / len * rr)
        let ey: Int = Int(Double(y2) - dy / len * rr)
        let lx: Int = (sx + ex) / 2 + 4
        let ly: Int = (sy + ey) / 2
        return "<line x1=\"\(sx)\" y1=\"\(sy)\" x2=\"\(ex)\" y2=\"\(ey)\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n"
            + "<text x=\"\(lx)\" y=\"\(ly)\" fill=\"#555\">\(label)</text>\n"
    }
}
