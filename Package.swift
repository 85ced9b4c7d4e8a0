// swift-tools-version: 6.0
// TriColor: concurrent garbage collectors beside real goroutines.
// Layering: CContext <- GMP <- TriColor <- {tricolor, gcbench, tests}. Zero package dependencies.
import PackageDescription

let package = Package(
    name: "TriColor",
    products: [
        .library(name: "GMP", targets: ["GMP"]),
        .library(name: "TriColor", targets: ["TriColor"]),
        .executable(name: "gcbench", targets: ["gcbench"]),
        .executable(name: "tricolor", targets: ["TricolorCLI"]),
        .executable(name: "readme-examples", targets: ["ReadmeExamples"]),
    ],
    targets: [
        .target(name: "CContext", path: "Sources/CContext"),
        .target(name: "GMP", dependencies: ["CContext"], path: "Sources/GMP"),
        .target(name: "TriColor", dependencies: ["GMP", "CContext"], path: "Sources/TriColor"),
        .executableTarget(name: "TricolorCLI", dependencies: ["TriColor", "GMP"], path: "Sources/tricolor"),
        .executableTarget(name: "ReadmeExamples", dependencies: ["GMP", "TriColor"], path: "Sources/ReadmeExamples"),
        .executableTarget(name: "gcbench", dependencies: ["GMP", "TriColor", "CContext"], path: "Benchmarks/GCBench"),
        .testTarget(name: "GMPTests", dependencies: ["GMP", "CContext"], path: "Tests/GMPTests"),
        .testTarget(name: "TriColorTests", dependencies: ["TriColor", "GMP"], path: "Tests/TriColorTests"),
        .testTarget(name: "PropertyTests", dependencies: ["TriColor", "GMP", "TricolorCLI"], path: "Tests/PropertyTests"),
    ],
    swiftLanguageModes: [.v6]
)
