import CollectorExamples
import Testing
import TriColor

/// Registering collectors: names every tool accepts, refused with a message when they
/// cannot work.
@Suite struct CollectorRegistryTests {
    static let plan = BarrierPlan(shadeOld: true, shadeNew: .always, stacks: .blackenEach, allocateBlack: true, invariant: .weak)

    @Test func registeredNamesAreFoundLikeBuiltIns() throws {
        let kinds = try CollectorExamples.register()
        #expect(kinds.map(\.rawValue) == ["steele", "steeleNoRescan", "go119", "go119NoDeletionShade"])
        for k in kinds {
            #expect(CollectorKind(rawValue: k.rawValue) == k)
            #expect(CollectorKind.allCases.contains(k))
            #expect(!k.isBuiltIn)
        }
        #expect(CollectorKind(rawValue: "steele")?.plan == Steele.plan)
        #expect(CollectorKind(rawValue: "steele")?.isSafe == true)
        #expect(CollectorKind(rawValue: "steeleNoRescan")?.isSafe == false)
        #expect(Array(CollectorKind.allCases.prefix(10)) == CollectorKind.builtIns)
        // Registering again with the same plans is a no-op.
        #expect(try CollectorExamples.register() == kinds)
    }

    @Test func debugSettingSelectsARegisteredCollector() throws {
        try CollectorExamples.register()
        var c = RuntimeConfig()
        #expect(c.apply(debug: "collector=go119").isEmpty)
        #expect(c.collector.rawValue == "go119")
        let problems = c.apply(debug: "collector=go118")
        #expect(problems.count == 1)
        #expect(problems.first?.contains("steele") == true, "\(problems)")
    }

    @Test(arguments: [("", "must start with an ASCII letter"), ("1st", "must start with an ASCII letter"),
                      ("my/barrier", "holds '/'"), ("a,b", "holds ','"), ("hybrid", "is a built-in collector's")])
    func badNamesAreRefused(_ name: String, _ why: String) {
        #expect {
            try CollectorKind.custom(name: name, plan: Self.plan)
        } throws: { error in
            "\(error)".contains(why)
        }
    }

    @Test func aTakenNameKeepsItsPlan() throws {
        try CollectorKind.register(name: "registryTestPlan", plan: Self.plan)
        var other = Self.plan
        other.shadeOld = false
        #expect {
            try CollectorKind.register(name: "registryTestPlan", plan: other)
        } throws: { error in
            "\(error)".contains("already registered with another plan")
        }
        #expect(CollectorKind(rawValue: "registryTestPlan")?.plan == Self.plan)
    }
}
