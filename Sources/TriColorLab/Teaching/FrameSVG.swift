// Drawing one frame as SVG at the positions of a GraphLayout: the lanes of roots, the
// objects and their pointers, with everything a student should notice marked by a class
// (and drawn so it reads without colour too):
//
//   node white | grey | black   white fill; grey hatched; black solid. The colour's name is
//                               written under the object, so nothing depends on seeing hue.
//   node shaded                 turned from white to grey/black by this statement (thick ring)
//   node lost                   checkmark found it reachable and unmarked (double ring, "LOST")
//   edge written                the pointer this statement stored (thick, "written")
//   edge lost-path              the lost object's path from its root (dashed)
//   lane grey | black           a stack not yet scanned / scanned (hatched / solid label)
//
// The shapes also carry data attributes (`data-object`, `data-colour`) so a test reads the
// state without parsing geometry.

import TriColor

extension ScenarioFrame {
    /// The frame drawn at `layout`'s positions. `defs` adds the marker and pattern
    /// definitions (a standalone file needs them; a page defines them once).
    public func svg(_ layout: GraphLayout, title: String, defs: Bool) -> String {
        let r = GraphLayout.radius
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" width=\"\(layout.width)\" height=\"\(layout.height)\" "
            + "viewBox=\"0 0 \(layout.width) \(layout.height)\" font-family=\"monospace\" font-size=\"12\">\n"
        if defs { out += Self.svgDefs }
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#f7f7f2\"/>\n"
        out += "<text x=\"8\" y=\"18\" font-size=\"13\" font-weight=\"bold\">\(xmlEscape(title))</text>\n"
        // Lanes.
        for lane in layout.lanes {
            let l = lanes.first { $0.name == lane.name }
            let colour = l?.colour ?? "-"
            let cls = colour == "-" ? "lane" : "lane \(colour)"
            let label = colour == "-" ? lane.name : "\(lane.name) (\(colour))"
            let fill = colour == "grey" ? "url(#hatch)" : colour == "black" ? "#111" : "#ddd"
            let ink = colour == "black" ? "#fff" : "#111"
            let ty: Int = lane.y + 4
            out += "<g class=\"\(cls)\" data-lane=\"\(xmlEscape(lane.name))\" data-colour=\"\(colour)\">"
            out += "<rect x=\"4\" y=\"\(lane.y - 12)\" width=\"\(GraphLayout.laneLabelWidth)\" height=\"24\" rx=\"4\" fill=\"\(fill)\" stroke=\"#111\"/>"
            out += "<text x=\"10\" y=\"\(ty)\" fill=\"\(ink)\" font-weight=\"bold\">\(xmlEscape(label))</text></g>\n"
        }
        // Root slots and their pointers.
        let allRoots = lanes.flatMap(\.roots)
        // The root a lost object's path starts from: the first one holding the path's head.
        let lostRoots = Set(lost.compactMap { l in allRoots.first { $0.target != nil && $0.target == l.path.first }?.name })
        for (name, p) in layout.slots.sorted(by: { $0.key < $1.key }) {
            guard let root = allRoots.first(where: { $0.name == name }) else { continue }
            let isWritten = written?.root == name
            out += "<g class=\"slot\(isWritten ? " written" : "")\" data-root=\"\(xmlEscape(name))\" data-target=\"\(xmlEscape(root.target ?? "nil"))\">"
            out += "<rect x=\"\(p.x - GraphLayout.slotWidth / 2)\" y=\"\(p.y - GraphLayout.slotHeight / 2)\" width=\"\(GraphLayout.slotWidth)\" "
                + "height=\"\(GraphLayout.slotHeight)\" fill=\"#fff\" stroke=\"#111\" stroke-width=\"\(isWritten ? 4 : 1)\"/>"
            let ty: Int = p.y + 4
            out += "<text x=\"\(p.x)\" y=\"\(ty)\" text-anchor=\"middle\">\(xmlEscape(name))\(root.target == nil ? " = nil" : "")</text></g>\n"
            if let t = root.target, let q = layout.nodes[t] {
                out += Self.arrow(from: (p.x, p.y + GraphLayout.slotHeight / 2), to: (q.x, q.y), r: r,
                                  cls: "edge root" + (isWritten ? " written" : "") + (lostRoots.contains(name) ? " lost-path" : ""), label: isWritten ? "written" : nil)
            }
        }
        // Pointers between objects.
        let lostEdges = Set(lost.flatMap { l in zip(l.path, l.path.dropFirst()).map { "\($0.0)>\($0.1)" } })
        for e in edges {
            guard let p = layout.nodes[e.from], let q = layout.nodes[e.to] else { continue }
            let isWritten = written?.from == e.from && written?.field == e.field
            var cls = "edge"
            if isWritten { cls += " written" }
            if lostEdges.contains("\(e.from)>\(e.to)") { cls += " lost-path" }
            let label = ".\(e.field)" + (isWritten ? " written" : "")
            if e.from == e.to {
                out += "<path class=\"\(cls)\" d=\"M \(p.x + r) \(p.y) c 34 -34 34 34 0 8\" fill=\"none\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n"
            } else if p.y == q.y && abs(q.x - p.x) > GraphLayout.columnWidth {
                out += Self.arc(from: p, to: q, r: r, cls: cls, label: label)
            } else {
                out += Self.arrow(from: (p.x, p.y), to: (q.x, q.y), r: r, cls: cls, label: label, fromRadius: r)
            }
        }
        // Objects.
        let lostIDs = Set(lost.map(\.object))
        for n in nodes {
            guard let p = layout.nodes[n.id] else { continue }
            var cls = "node \(n.colour == "-" ? "unmarked" : n.colour)"
            if shaded.contains(n.id) { cls += " shaded" }
            if lostIDs.contains(n.id) { cls += " lost" }
            let fill = n.colour == "black" ? "#111" : n.colour == "grey" ? "url(#hatch)" : "#fff"
            let ink = n.colour == "black" ? "#fff" : "#111"
            let ty: Int = p.y + 4, cy: Int = p.y + r + 14, ny: Int = p.y - r - 6
            out += "<g class=\"\(cls)\" data-object=\"\(xmlEscape(n.id))\" data-colour=\"\(n.colour)\">"
            if lostIDs.contains(n.id) {
                out += "<circle cx=\"\(p.x)\" cy=\"\(p.y)\" r=\"\(r + 7)\" fill=\"none\" stroke=\"#c00\" stroke-width=\"3\" stroke-dasharray=\"5 3\"/>"
            }
            out += "<circle cx=\"\(p.x)\" cy=\"\(p.y)\" r=\"\(r)\" fill=\"\(fill)\" stroke=\"#111\" stroke-width=\"\(shaded.contains(n.id) ? 5 : 2)\">"
            out += "<title>\(xmlEscape(n.id)) (\(xmlEscape(n.type))) \(n.colour)</title></circle>"
            if n.colour == "grey" {
                out += "<rect x=\"\(p.x - 12)\" y=\"\(p.y - 9)\" width=\"24\" height=\"16\" fill=\"#fff\"/>"
            }
            out += "<text x=\"\(p.x)\" y=\"\(ty)\" text-anchor=\"middle\" fill=\"\(n.colour == "grey" ? "#111" : ink)\" font-weight=\"bold\">\(xmlEscape(n.id))</text>"
            let word = n.colour == "-" ? "" : n.colour
            out += "<text x=\"\(p.x)\" y=\"\(cy)\" text-anchor=\"middle\" font-size=\"11\">\(lostIDs.contains(n.id) ? "LOST " : "")\(word)</text>"
            if !n.names.isEmpty {
                out += "<text x=\"\(p.x)\" y=\"\(ny)\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">\(xmlEscape(n.names.joined(separator: ",")))</text>"
            }
            out += "</g>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// The arrow marker and the grey hatch pattern.
    public static let svgDefs = """
        <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker>\
        <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#aaa"/><line x1="0" y1="0" x2="0" y2="6" stroke="#333" stroke-width="2"/></pattern></defs>

        """

    /// An arc below a row, between two objects of that row that have others between them.
    static func arc(from p: GraphLayout.Point, to q: GraphLayout.Point, r: Int, cls: String, label: String) -> String {
        let (stroke, width, dash) = style(cls)
        // From the lower right of one circle to the lower left of the other, clear of the
        // colour words under them.
        let bend: Int = 26 + abs(q.x - p.x) / 6
        let d: Int = r * 7 / 10, dir: Int = q.x > p.x ? 1 : -1
        let x0: Int = p.x + dir * d, x1: Int = q.x - dir * d, y0: Int = p.y + d, mx: Int = (p.x + q.x) / 2
        let cy: Int = y0 + 2 * bend, ly: Int = y0 + bend + 12
        return "<path class=\"\(cls)\" d=\"M \(x0) \(y0) Q \(mx) \(cy) \(x1) \(y0)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(width)\"\(dash) marker-end=\"url(#arrow)\"/>\n"
            + "<text x=\"\(mx)\" y=\"\(ly)\" text-anchor=\"middle\" fill=\"\(stroke)\" font-size=\"11\">\(xmlEscape(label))</text>\n"
    }

    /// Stroke colour, width and dash attribute of an edge by its classes.
    static func style(_ cls: String) -> (String, Int, String) {
        let written = cls.contains("written"), lostPath = cls.contains("lost-path")
        return (written ? "#d60" : lostPath ? "#c00" : "#555", written || lostPath ? 3 : 1, lostPath ? " stroke-dasharray=\"7 4\"" : "")
    }

    /// A straight arrow from `from` (a point, or a circle of `fromRadius`) to the edge of
    /// the circle at `to`, with an optional label at its middle.
    static func arrow(from: (Int, Int), to: (Int, Int), r: Int, cls: String, label: String?, fromRadius: Int = 0) -> String {
        let dx = Double(to.0 - from.0), dy = Double(to.1 - from.1)
        let len = Swift.max(1, (dx * dx + dy * dy).squareRoot())
        let sx = Int(Double(from.0) + dx / len * Double(fromRadius)), sy = Int(Double(from.1) + dy / len * Double(fromRadius))
        let ex = Int(Double(to.0) - dx / len * Double(r)), ey = Int(Double(to.1) - dy / len * Double(r))
        let (stroke, widthAttr, dash) = style(cls)
        var s = "<line class=\"\(cls)\" x1=\"\(sx)\" y1=\"\(sy)\" x2=\"\(ex)\" y2=\"\(ey)\" stroke=\"\(stroke)\" stroke-width=\"\(widthAttr)\""
            + dash + " marker-end=\"url(#arrow)\"/>\n"
        if let label {
            let lx: Int = (sx + ex) / 2 + 5, ly: Int = (sy + ey) / 2
            s += "<text x=\"\(lx)\" y=\"\(ly)\" fill=\"\(stroke)\" font-size=\"11\">\(xmlEscape(label))</text>\n"
        }
        return s
    }
}
