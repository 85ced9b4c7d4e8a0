// `tricolor`: see TricolorCLI.swift. The example collectors of CollectorExamples (steele,
// go119 and their ablations) are registered first, so every subcommand accepts their names.

import CollectorExamples
import Foundation

let status: Int32
do {
    try CollectorExamples.register()
    status = TricolorCLI.run(Array(CommandLine.arguments.dropFirst()), executable: Bundle.main.executableURL,
                             out: { print($0) },
                             err: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
} catch {
    FileHandle.standardError.write(Data("tricolor: \(error)\n".utf8))
    status = 2
}
exit(status)
