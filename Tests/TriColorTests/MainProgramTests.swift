import Foundation
import Testing

/// The README examples as a real top-level `main.swift` program (`Sources/ReadmeExamples`):
/// Swift 6 makes top-level code main-actor isolated, and a goroutine body that inherited that
/// isolation trapped (SIGILL in `swift_task_isCurrentExecutor`) as soon as a closure inside it
/// ran on an M thread. `swift build` builds the program beside this test bundle.
@Test func readmeExamplesRunAsMainSwiftProgram() throws {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let exe = dir.appendingPathComponent("readme-examples")
    try #require(FileManager.default.isExecutableFile(atPath: exe.path),
                 "\(exe.path) is missing: `swift build` builds it (product readme-examples)")
    let p = Process()
    p.executableURL = exe
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    #expect(p.terminationStatus == 0, "exit \(p.terminationStatus): \(text)")
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.first == "338350", "\(text)")
    #expect(lines.contains("doubled 48"), "\(text)")
    #expect(lines.contains("from go 6 recovered boom"), "\(text)")
    #expect(lines.last?.hasSuffix(" 1000") == true, "\(text)")
}
