import Dispatch
import FoundationEssentials
import HTTPServer
import KeyStore
import Logging
import PosixThreads
import Synchronization

/// What `serve --upstream` is told: where the real service is, its key, whom to trust, how long to
/// wait, and where to record.
public struct UpstreamSettings: Sendable, CustomStringConvertible {
    /// The key for the upstream, read from the environment at start-up. Never stored, logged,
    /// recorded or shown: this type's description leaves it out.
    public struct Key: Sendable, CustomStringConvertible {
        let secret: String
        public init(_ secret: String) { self.secret = secret }
        public var description: String { "[the upstream key]" }
    }

    public let url: UpstreamURL
    public let key: Key
    /// A PEM file of the CAs to trust instead of the system's store.
    public let authority: String?
    /// Seconds the whole exchange with the upstream may take: the documented 60 s by default.
    public let timeout: Double
    /// Each upstream 200 is written here as a recording.
    public let recordDirectory: String?

    public init(url: UpstreamURL, key: Key, authority: String?, timeout: Double, recordDirectory: String?) {
        self.url = url
        self.key = key
        self.authority = authority
        self.timeout = timeout
        self.recordDirectory = recordDirectory
    }

    public var description: String { "upstream \(url) (CA: \(authority ?? "the system's"), timeout \(timeout) s)" }
}

/// `https://host[:port][/base]`: where the real service is. No user, query or fragment.
public struct UpstreamURL: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    /// Prefixed to each endpoint's path; empty, or starting with "/" and not ending with one.
    public let basePath: String

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws(Invalid) {
        guard text.lowercased().hasPrefix("https://") else {
            throw Invalid(description: "must start with https:// (the real key is never sent in the clear)")
        }
        let rest = text.dropFirst("https://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        guard !authority.isEmpty, !authority.contains("@"), !path.contains("?"), !path.contains("#"), !text.contains(" ") else {
            throw Invalid(description: "must be https://HOST[:PORT][/PATH], with no user, query or fragment")
        }
        var host = Substring(authority)
        var port = 443
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw Invalid(description: "an IPv6 address lacks its ]") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { throw Invalid(description: "a bad port") }
                port = number
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]) else { throw Invalid(description: "a bad port") }
            port = number
            host = host[..<colon]
        }
        guard (1...65535).contains(port), !host.isEmpty else { throw Invalid(description: "a bad host or port") }
        self.host = host.lowercased()
        self.port = port
        var base = String(path)
        while base.hasSuffix("/") { base.removeLast() }
        basePath = base
    }

    public var description: String {
        let name = bracketedHost(host)
        return "https://\(name)\(port == 443 ? "" : ":\(port)")\(basePath)"
    }
}

/// The recording proxy's way to the real service: a speech request that passed the local gate is
/// sent on, with the upstream's key, from a thread of its own (never a loop's); the answer comes
/// back to the loop through the request's `Responder`. Each 200 is recorded when a folder is given.
final class Upstream: Sendable {
    /// Requests on their way at once; more get a 503 (the connection cap bounds them anyway).
    static let maxInFlight = 32

    /// What came of one forwarded request.
    enum Outcome: Sendable {
        /// The upstream's status, its JSON body (the key, if it was there, taken out), and its
        /// `Retry-After`.
        case answered(status: Int, body: [UInt8], retryAfter: String?)
        /// No answer to pass on: the status and `detail` to give instead.
        case failed(status: Int, detail: String)
    }

    /// One request to forward: its exact bytes, and what a recording of its answer is keyed by.
    struct Job: Sendable {
        let endpoint: EmulatedEndpoint
        let contentType: String
        let body: [UInt8]
        let request: Recording.Request
    }

    let settings: UpstreamSettings
    private let client: HTTPSClient
    private let recorder: RecordingWriter?
    /// With `--replay` too: where a new recording goes, so the next request like it is replayed.
    private let replay: ReplayBook?
    private let logger: Logger
    private let inFlight = Atomic<Int>(0)

    init(_ settings: UpstreamSettings, maxBody: Int, clock: any Clock, replay: ReplayBook? = nil, logger: Logger) throws {
        self.settings = settings
        self.replay = replay
        client = try HTTPSClient(host: settings.url.host, port: settings.url.port, authority: settings.authority, maxBody: maxBody)
        recorder = try settings.recordDirectory.map {
            try RecordingWriter(directory: $0, upstream: settings.url.description, key: settings.key.secret, clock: clock, logger: logger)
        }
        self.logger = logger
    }

    /// Sends `job` on a thread of its own and calls `done` there with what came of it.
    func forward(_ job: Job, done: @escaping @Sendable (Outcome) -> Void) {
        guard inFlight.add(1, ordering: .relaxed).newValue <= Self.maxInFlight else {
            inFlight.subtract(1, ordering: .relaxed)
            done(.failed(status: 503, detail: SpeechErrors.upstreamBusy))
            return
        }
        do {
            try Threads.start(name: "theta-upstream") { [self] in
                defer { inFlight.subtract(1, ordering: .relaxed) }
                done(exchange(job))
            }
        } catch {
            inFlight.subtract(1, ordering: .relaxed)
            logger.error("cannot start a thread for the upstream", metadata: ["error": "\(error)"])
            done(.failed(status: 503, detail: SpeechErrors.upstreamBusy))
        }
    }

    /// The exchange itself, blocking; its outcome, with the answer recorded if it is a 200.
    private func exchange(_ job: Job) -> Outcome {
        let started = DispatchTime.now()
        let path = settings.url.basePath + job.endpoint.rawValue
        let result = client.send(method: "POST", path: path, headers: [
            ("x-api-key", settings.key.secret),
            ("Content-Type", job.contentType),
            ("Accept", "application/json"),
            ("User-Agent", "theta-console/\(ThetaConsoleVersion.string) (recording proxy)"),
        ], body: job.body, timeout: settings.timeout)
        let milliseconds = Int((DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1_000_000)
        let outcome: Outcome
        switch result {
        case .failure(let failure):
            outcome = Self.outcome(of: failure)
            logger.warning("the upstream gave no answer", metadata: [
                "endpoint": "\(job.endpoint.rawValue)", "why": "\(failure)", "ms": "\(milliseconds)",
            ])
        case .success(let answer):
            outcome = passOn(answer, job)
            logger.info("forwarded to the upstream", metadata: [
                "endpoint": "\(job.endpoint.rawValue)", "status": "\(answer.status)", "ms": "\(milliseconds)",
            ])
        }
        return outcome
    }

    /// The status and `detail` for an exchange that failed.
    static func outcome(of failure: HTTPSClient.Failure) -> Outcome {
        switch failure {
        case .timedOut: .failed(status: 504, detail: SpeechErrors.processingTimeout)
        case .unreachable(let why): .failed(status: 502, detail: SpeechErrors.upstreamFailed("could not be reached (\(why))"))
        case .tls(let why): .failed(status: 502, detail: SpeechErrors.upstreamFailed("failed TLS (\(why))"))
        case .broken(let why): .failed(status: 502, detail: SpeechErrors.upstreamFailed("gave a broken answer (\(why))"))
        }
    }

    /// An answer to pass on: JSON only, with the upstream's key taken out wherever it appears; a
    /// 200 is recorded first (unless the key or any other key is in it).
    private func passOn(_ answer: HTTPSClient.Answer, _ job: Job) -> Outcome {
        let (outcome, hadKey) = Self.outcome(of: answer, key: Array(settings.key.secret.utf8))
        if hadKey {
            logger.error("the upstream's answer held its own key; it was taken out before the answer was passed on",
                         metadata: ["endpoint": "\(job.endpoint.rawValue)", "status": "\(answer.status)"])
        }
        if case .answered(200, _, _) = outcome, let recorder, let recording = recorder.record(job, body: answer.body) {
            replay?.add(recording)
        }
        return outcome
    }

    /// What the client gets for an upstream's answer: its status, its JSON body with `key` taken
    /// out, and its `Retry-After`; a 502 for a body that is not JSON. And whether the key was there.
    static func outcome(of answer: HTTPSClient.Answer, key: [UInt8]) -> (Outcome, hadKey: Bool) {
        let type = answer.header("Content-Type")?.lowercased() ?? ""
        guard type.hasPrefix("application/json") || type.contains("+json") else {
            return (.failed(status: 502, detail: SpeechErrors.upstreamFailed(
                "answered \(answer.status) with \(type.isEmpty ? "no Content-Type" : String(type.prefix(60))), not JSON")), false)
        }
        let (body, hadKey) = removing(key, from: answer.body)
        return (.answered(status: answer.status, body: body, retryAfter: answer.header("Retry-After")), hadKey)
    }

    static let keyRemoved = Array("[the upstream key was here]".utf8)

    /// `bytes` with every occurrence of `key` replaced, and whether there was one.
    static func removing(_ key: [UInt8], from bytes: [UInt8]) -> ([UInt8], Bool) {
        guard !key.isEmpty, bytes.firstRange(of: key) != nil else { return (bytes, false) }
        return (bytes.replacing(key, with: keyRemoved), true)
    }
}
