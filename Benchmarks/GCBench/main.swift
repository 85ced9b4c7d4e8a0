import GMP
var c = SchedulerConfig()
c.procs = 2
do {
  try Scheduler.run(c) {
    let ch = Channel<Int>()
    let wg = WaitGroup()
    wg.add(1)
    go {
      for i in 0..<5 { ch.send(i) }
      ch.close()
      wg.done()
    }
    var sum = 0
    for v in ch { sum += v }
    wg.wait()
    print("sum", sum)
    Goroutine.sleep(nanoseconds: 1_000_000)
    print("slept")
  }
  print("ok")
} catch { print("error", error) }
