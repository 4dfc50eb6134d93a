import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

@Suite("Fault: slowloris", .serialized, .keepsEvidence)
struct SlowlorisTests {
    /// 1,000 connections each sending one header byte a second must not slow a normal client, and
    /// each is cut off at the header deadline. "Not slow" is judged against a baseline taken at the
    /// same moments: a second server with no attackers, asked in turn with the attacked one. Its
    /// p99 is what the machine's load alone costs (the suite runs beside other tests and their
    /// servers); the attacked server's p99 must stay within 20 ms, or within three times that
    /// baseline when the machine itself is slower than that.
    @Test func thousandTricklingHeads_doNotSlowANormalClient_andAreClosedAtTheDeadline() throws {
        raiseOpenFileLimit()
        let server = try ServerProcess(arguments: ["--header-timeout", "3"])
        let quietServer = try ServerProcess(arguments: ["--header-timeout", "3"])
        var attackers: [RawHTTPClient] = []
        let head = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".utf8)
        for _ in 0..<1000 {
            let client = try RawHTTPClient(port: server.port, timeout: 10)
            try client.send([head[0]])
            attackers.append(client)
        }
        let started = Date()
        // One more byte a second on every connection, from another thread.
        let stop = Atomic<Bool>(false)
        let box = UncheckedBox(attackers)
        let trickler = Thread {
            var position = 1
            while !stop.load(ordering: .relaxed) {
                for client in box.value { try? client.send([head[position % head.count]]) }
                position += 1
                usleep(1_000_000)
            }
        }
        trickler.start()
        defer { stop.store(true, ordering: .relaxed) }

        var latencies: [Double] = []
        var quietLatencies: [Double] = []
        let normal = try RawHTTPClient(port: server.port)
        let quiet = try RawHTTPClient(port: quietServer.port)
        func milliseconds(_ request: () throws -> Void) rethrows -> Double {
            let t0 = DispatchTime.now()
            try request()
            return Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e6
        }
        while Date().timeIntervalSince(started) < 2.5 {
            var status = 0
            latencies.append(try milliseconds { status = try normal.request("GET", "/healthz").status })
            #expect(status == 200)
            quietLatencies.append(try milliseconds { _ = try quiet.request("GET", "/healthz") })
            usleep(5_000)
        }
        latencies.sort()
        quietLatencies.sort()
        let p99 = latencies[Int(Double(latencies.count - 1) * 0.99)]
        let quietP99 = quietLatencies[Int(Double(quietLatencies.count - 1) * 0.99)]
        print("slowloris: \(latencies.count) normal requests beside 1,000 trickling connections, p50 \(String(format: "%.2f", latencies[latencies.count / 2])) ms, p99 \(String(format: "%.2f", p99)) ms; with no attackers p99 \(String(format: "%.2f", quietP99)) ms")
        #expect(p99 <= max(20, 3 * quietP99), "p99 \(p99) ms; with no attackers, at the same moments, \(quietP99) ms")

        // At the 3 s header deadline each attacker gets 408 and is closed.
        var closed = 0
        for client in attackers.prefix(100) {
            client.setTimeout(5)
            if let response = try? client.readResponse(), response.status == 408, client.waitForClose() { closed += 1 }
        }
        #expect(closed == 100)
        #expect(Date().timeIntervalSince(started) < 8)
    }
}

/// The trickling thread only sends; the test thread reads only after it has stopped.
private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
