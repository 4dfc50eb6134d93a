// A deliberate data race, built only by tests/sanitizers/run thread: two threads add to one
// counter with no lock. ThreadSanitizer must report it; if it does not, the job that vouches for
// the server's "zero reports" cannot see races, and fails.
//
// The race must be visible whatever the timing. A first version let the first thread finish
// before the second began (most runs on an idle machine, CI's included): ThreadSanitizer reused
// the finished thread's slot, saw one thread, and reported nothing. A pthread barrier did not help,
// because a barrier is synchronization ThreadSanitizer honours. So each thread waits for the other
// on relaxed atomics, which order nothing: both start their loops only once both are running, and
// leave only once both loops are done, and no happens-before edge joins the two loops. The counter
// is plain memory behind a pointer. A thousand increments each, not a hundred thousand: with long
// loops, the other thread's racing access had left ThreadSanitizer's bounded per-thread history
// by the time the race was seen, and a report whose second stack cannot be restored is dropped
// (6 runs in 40 reported nothing); with 1,000, 100 runs in 100 reported.
import Glibc
import Synchronization

let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
counter.initialize(to: 0)
let started = Atomic<Int>(0)
let finished = Atomic<Int>(0)

func waitForBoth(_ gate: borrowing Atomic<Int>) {
    gate.add(1, ordering: .relaxed)
    while gate.load(ordering: .relaxed) < 2 { sched_yield() }
}

func bump(_ pointer: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let counter = pointer!.assumingMemoryBound(to: Int.self)
    waitForBoth(started)
    for _ in 0..<1_000 { counter.pointee += 1 }
    waitForBoth(finished)
    return nil
}

var threads = [pthread_t(), pthread_t()]
for index in threads.indices { pthread_create(&threads[index], nil, bump, UnsafeMutableRawPointer(counter)) }
for thread in threads { pthread_join(thread, nil) }
print("counter: \(counter.pointee)")
