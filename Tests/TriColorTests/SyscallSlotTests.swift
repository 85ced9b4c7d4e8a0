// Stack slots and syscalls: a goroutine inside Scheduler.syscall has no P, and a stop or a
// stack scan reads its slots from another thread, so writing them there is refused with a
// message; reading them is fine. And a stress run: spawns carrying Refs and syscalls
// (reading slots) while cycles run, checkmark on.

import Foundation
import GCBenchKit
import GMP
import Synchronization
import Testing
import TriColor

@Suite struct SyscallSlotTests {
    @Test func slotWriteInsideSyscallIsRefusedWithAMessage() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var c = RuntimeConfig()
            c.arenaBytes = 1 << 30
            c.scheduler.procs = 1
            let rt = try TriColorRuntime(c)
            let node = rt.registerType(name: "Node", pointerFields: 1)
            try rt.run {
                let s = rt.allocSlot(node)
                let before = rt[s]
                Scheduler.syscall {
                    _ = rt[s]            // reading is allowed
                    rt[s] = before       // writing is not
                }
            }
        }.map { result in
            let err = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(err.contains("stack slot store inside Scheduler.syscall/blockingCall"), "\(err)")
        }
    }

    @Test func spawnsWithCarriedRefsAndSyscallsWhileCyclesRun() throws {
        for kind in [CollectorKind.hybrid, .deletion, .insertion] {
            var c = RuntimeConfig()
            c.collector = kind
            c.checkLevel = .cheap         // checkmark at every mark termination
            c.arenaBytes = 2 << 30
            c.scheduler.procs = 2
            let rt = try TriColorRuntime(c)
            let node = rt.registerType(name: "Node", pointerFields: 2, scalarBytes: 8)
            let checked = Atomic<Int>(0)
            try rt.run {
                let wg = WaitGroup()
                for w in 0..<4 {
                    wg.add(1)
                    go {
                        for i in 0..<150 {
                            rt.withFrame {
                                let a = rt.allocSlot(node)
                                rt.storeScalar(Int64(i), into: rt[a], at: 0)
                                let b = rt.allocSlot(node)
                                rt.store(rt[b], 0, rt[a])
                                let done = WaitGroup()
                                done.add(1)
                                rt.go(carrying: [rt[a], rt[b]]) { slots in
                                    // In a syscall the slots are readable (and frozen).
                                    let v = Scheduler.syscall { rt[slots[0]] }
                                    rt.withFrame {
                                        _ = rt.alloc(node)   // garbage, to keep cycles coming
                                        if rt.loadScalar(v, at: 0, as: Int64.self) == Int64(i),
                                           rt.load(rt[slots[1]], 0) == v {
                                            checked.add(1, ordering: .relaxed)
                                        }
                                    }
                                    done.done()
                                }
                                _ = Scheduler.syscall { usleep(UInt32(w % 2 * 50)) }
                                done.wait()
                            }
                            if i % 25 == 0 { rt.startCollection() }
                        }
                        wg.done()
                    }
                }
                wg.wait()
            }
            #expect(checked.load(ordering: .relaxed) == 600, "\(kind)")
            #expect(rt.stats.cycles >= 4, "\(kind): \(rt.stats.cycles) cycles")
        }
    }
}
