import Foundation
import Testing
import TestSupport

@Suite("Emulated API: uploads are streamed", .keepsEvidence)
struct UploadMemoryTests {
    /// A 100 MiB upload must not raise the server's peak memory by more than a few MiB.
    @Test func hundredMiBUpload_raisesPeakRSSByAFewMiBAtMost() throws {
        let server = try ServerProcess(arguments: ["--max-upload-mb", "200", "--plan", "pro", "--credits", "100"])
        let key = try server.createKey().secret
        // Warm up the paths a request takes, so what is measured is the upload.
        #expect(try server.upload("/transcribe", key: key).status == 200)
        let before = try #require(peakRSSKiB(server))

        let dataBytes = 100 * 1024 * 1024
        let boundary = "memory-boundary"
        let head = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\nContent-Type: audio/wav\r\n\r\n".utf8)
            + AudioFiles.wavHeader(dataBytes: dataBytes, sampleRate: 16_000)
        let tail = Array("\r\n--\(boundary)--\r\n".utf8)
        let client = try RawHTTPClient(port: server.port, timeout: 60)
        try client.send("POST /transcribe HTTP/1.1\r\nHost: localhost\r\nx-api-key: \(key)\r\nContent-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(head.count + dataBytes + tail.count)\r\n\r\n")
        try client.send(head)
        let chunk = [UInt8](repeating: 0x11, count: 256 * 1024)
        for _ in 0..<(dataBytes / chunk.count) { try client.send(chunk) }
        try client.send(tail)
        let response = try client.readResponse()
        #expect(response.status == 200)

        let after = try #require(peakRSSKiB(server))
        let growthMiB = Double(after - before) / 1024
        // Recorded for the closing note and docs/benchmarks.md.
        print("100 MiB upload: peak RSS \(before) KiB → \(after) KiB (+\(String(format: "%.2f", growthMiB)) MiB)")
        #expect(growthMiB < 4, "peak RSS grew by \(growthMiB) MiB")

        // 100 MiB of 16 kHz mono 16-bit audio is 3276.8 s, billed as 3277 s.
        // The ledger is read-your-writes: the charge is there at once.
        #expect((try server.get("/v1/account/ledger").object["data"] as? [[String: Any]])?.first?["audio_seconds"] as? Int == 3277)
    }

    private func peakRSSKiB(_ server: ServerProcess) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(server.pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }
}

@Suite("Footprint: what the server links, and how its threads are scheduled", .keepsEvidence)
struct FootprintTests {
    /// `Foundation` on Linux brings `FoundationInternationalization` and ICU, several MiB of resident
    /// pages before the server does anything (docs/benchmarks.md, G). After a key is created and
    /// used, none of those libraries may be mapped into the server.
    @Test func runningServer_mapsNeitherFoundationNorICU() throws {
        let server = try ServerProcess()
        let key = try server.createKey().secret
        #expect(try server.upload("/transcribe", key: key).status != 500)
        // Read to the end: /proc files report size 0, and a size-based read can stop early.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(server.pid)/maps"))
        let maps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        try handle.close()
        let libraries = Set(maps.split(separator: "\n").filter { $0.contains("/") }.compactMap { $0.split(separator: "/").last.map(String.init) })
        #expect(libraries.contains { $0.hasPrefix("libsqlite3") }, "the maps were read: \(libraries.sorted())")
        for unwanted in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            #expect(!libraries.contains(unwanted), "\(unwanted) is mapped")
        }
    }

    /// The usage flush and the SQLite writer run on threads of their own at nice 10, so that a loop
    /// thread on the same core preempts them (docs/benchmarks.md, A paced and B-during-E8); the
    /// loop threads keep the default nice 0.
    @Test func backgroundThreads_yieldToTheLoopThreads() throws {
        let server = try ServerProcess(arguments: ["--threads", "2"])
        var nice: [String: Int] = [:]
        waitUntil(interval: 0.025) {
            nice = [:]
            for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/task")) ?? [] {
                let base = "/proc/\(server.pid)/task/\(task)"
                guard let name = try? String(contentsOfFile: base + "/comm", encoding: .utf8),
                      let stat = try? String(contentsOfFile: base + "/stat", encoding: .utf8) else { continue }
                // Field 19 of stat is the nice value; fields are counted after the ")" closing the name.
                let fields = stat.split(separator: ")").last!.split(separator: " ")
                nice[name.trimmingCharacters(in: .whitespacesAndNewlines)] = Int(fields[16])
            }
            // Every thread names itself as it starts: wait for all four to be seen, not just two.
            return nice["usage-flush"] == 10 && nice["sqlite-writer"] == 10
                && nice["http-loop-0"] != nil && nice["http-loop-1"] != nil
        }
        #expect(nice["usage-flush"] == 10, "threads and their nice values: \(nice)")
        #expect(nice["sqlite-writer"] == 10, "threads and their nice values: \(nice)")
        #expect(nice["http-loop-0"] == 0 && nice["http-loop-1"] == 0, "\(nice)")
    }
}
