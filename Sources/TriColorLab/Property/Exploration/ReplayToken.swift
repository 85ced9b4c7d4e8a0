// Replay tokens: one string that reproduces one run anywhere.
//
//     tc1/<collector>/<program>/<replay string>
//     tc1/hybridNoInsertionShade/0,-.-,-~0,-~S~T0,-,-:w0,0,1.z1~T-,-,-:y/r1:0*3.1.0*2
//
// <collector> is a `CollectorKind` raw value, <program> the compact program encoding
// (MutatorProgram+Encoding.swift; the program itself, not its seed, so shrunk programs and
// programs from another generator version replay too), and the last part is the GMP replay
// string of the schedule's choices. Replaying runs the program under
// `ScheduleChoice.replay`, traced: the same choices give the same interleaving, so the
// same failure, on any machine.

/// A self-contained reproduction of one run (see the essay above).
public struct ReplayToken: Hashable, Sendable {
    public var collector: CollectorKind
    public var program: MutatorProgram
    public var replay: String

    public init(collector: CollectorKind, program: MutatorProgram, replay: String) {
        self.collector = collector
        self.program = program
        self.replay = replay
    }

    /// The token text.
    public var encoded: String { "tc1/\(collector.rawValue)/\(program.encoded)/\(replay)" }

    /// Parses a token. Throws `PropertyError.badToken` naming what is wrong.
    public init(parsing text: String) throws(PropertyError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "tc1" else {
            throw .badToken("want tc1/<collector>/<program>/<replay string>, got '\(text.prefix(40))'")
        }
        guard let kind = CollectorKind(rawValue: parts[1]) else {
            throw .badToken("unknown collector '\(parts[1])' (want one of \(CollectorKind.allNames))")
        }
        collector = kind
        program = try MutatorProgram.decode(parts[2])
        do { _ = try ReplayString.decode(parts[3]) } catch { throw .badToken("\(error)") }
        replay = parts[3]
    }

    /// Replays the run, traced.
    public func run(checkLevel: CheckLevel = .full) -> RunOutcome {
        ProgramRunner(collector: collector, checkLevel: checkLevel, traceOperations: true)
            .run(program, schedule: .replay(replay))
    }
}

import TriColor
import GMP
