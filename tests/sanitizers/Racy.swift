// A deliberate data race, built only by tests/sanitizers/run thread: two threads add to one
// counter with no lock. ThreadSanitizer must report it; if it does not, the job that vouches for
// the server's "zero reports" cannot see races, and fails.
import Glibc

nonisolated(unsafe) var counter = 0

func bump(_: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    for _ in 0..<100_000 { counter += 1 }
    return nil
}

var threads = [pthread_t(), pthread_t()]
for index in threads.indices { pthread_create(&threads[index], nil, bump, nil) }
for thread in threads { pthread_join(thread, nil) }
print("counter: \(counter)")
