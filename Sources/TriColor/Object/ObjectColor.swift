// Object colours.
//
// The tri-colour abstraction (Dijkstra et al., 1978), defined by what it
// means in this code:
//   - A white object is one whose mark bit is clear. At the end of marking,
//     white objects are garbage.
//   - A grey object is one that is marked and on a mark work queue (its grey
//     bit is set): it is known live but its fields have not been scanned.
//   - A black object is marked and not on a work queue: it and its fields
//     have been scanned.
// Colours are meaningful from the start of a mark until the span holding the
// object is swept; sweeping clears the mark bits, so after sweep every object
// reads white again until the next mark reaches it.

/// The colour of an object in the tri-colour abstraction.
@frozen
public enum ObjectColor: UInt8, Sendable, CustomStringConvertible {
    /// Not marked.
    case white
    /// Marked and queued for scanning.
    case grey
    /// Marked and scanned (not queued).
    case black

    public var description: String {
        switch self {
        case .white: "white"
        case .grey: "grey"
        case .black: "black"
        }
    }
}
