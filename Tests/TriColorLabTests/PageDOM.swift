import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A generated page parsed as XML (the pages are well-formed XML by design), with the few
/// queries the page tests need. `nil` from `parse` means the page is not well-formed.
final class PageDOM {
    final class Element {
        let name: String
        let attributes: [String: String]
        var children: [Element] = []
        var text = ""
        init(name: String, attributes: [String: String]) {
            self.name = name
            self.attributes = attributes
        }

        var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }

        /// Every descendant (this element included) matching `test`, in document order.
        func all(_ test: (Element) -> Bool) -> [Element] {
            var out = test(self) ? [self] : []
            for c in children { out += c.all(test) }
            return out
        }

        func all(_ name: String, _ attribute: String? = nil, _ value: String? = nil) -> [Element] {
            all { e in e.name == name && (attribute == nil || (value == nil ? e.attributes[attribute!] != nil : e.attributes[attribute!] == value)) }
        }

        /// All text inside, concatenated.
        var allText: String { text + children.map(\.allText).joined() }
    }

    let root: Element

    static func parse(_ text: String) -> PageDOM? {
        let builder = Builder()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return PageDOM(root: root)
    }

    private init(root: Element) { self.root = root }

    /// The <section class="step"> elements, step 1 first.
    var steps: [Element] { root.all("section", "data-step") }

    /// The column of `collector` at 1-based `step`.
    func column(_ step: Int, _ collector: String) -> Element? {
        steps[step - 1].all("article", "data-collector", collector).first
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: Element?
        var stack: [Element] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let e = Element(name: name, attributes: attributes)
            if let top = stack.last { top.children.append(e) } else { root = e }
            stack.append(e)
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
    }
}
