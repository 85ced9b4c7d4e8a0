// `tricolor`: see TricolorCLI.swift.

import Foundation

let status = TricolorCLI.run(Array(CommandLine.arguments.dropFirst()), executable: Bundle.main.executableURL,
                             out: { print($0) },
                             err: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
exit(status)
