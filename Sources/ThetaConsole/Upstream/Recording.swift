import FoundationEssentials
import Glibc
import JSONText
import KeyStore
import Logging
import PosixThreads

/// A recorded upstream 200 (`serve --upstream … --record DIR`), one JSON file per request, read
/// back by `serve --replay DIR`. The file is a stub as `/v1/stubs` shows one, plus what was sent:
///
///     {
///     "endpoint": "/transcribe",
///     "match": {"audio_sha256": "…", "options_sha256": "…"},
///     "request": {"filename": "hello.wav", "transcribe_options": "{…}"},
///     "upstream": "https://stt.thetaone-ai.com",
///     "recorded_at": "2026-12-07T04:00:00Z",
///     "response": {…the upstream's body, byte for byte…}
///     }
///
/// `options_sha256` is the SHA-256 of the form's text parts (`Recording.optionsSHA256`), so two
/// requests with the same audio and different options are two recordings. The file name is
/// `<endpoint>-<audio hash, 16>-<options hash, 16>.json`: the same request recorded again
/// replaces its file.
enum Recording {
    /// What a request offers for matching, and what is noted of it.
    struct Request: Sendable {
        let filename: String?
        let audioSHA256: String?
        let optionsSHA256: String
        /// The form's text parts, as sent.
        let texts: [String: [UInt8]]
    }

    /// The text parts' fingerprint: for each present part, in name order, the name, a NUL, the
    /// length in decimal, a NUL and the bytes; hashed with SHA-256, in lowercase hex.
    static func optionsSHA256(_ texts: [String: [UInt8]]) -> String {
        var canonical: [UInt8] = []
        for name in texts.keys.sorted() {
            guard let value = texts[name] else { continue }
            canonical.append(contentsOf: name.utf8)
            canonical.append(0)
            canonical.append(contentsOf: String(value.count).utf8)
            canonical.append(0)
            canonical.append(contentsOf: value)
        }
        return SHA256.hex(SHA256.digest(canonical))
    }

    static func fileName(_ endpoint: EmulatedEndpoint, _ request: Request) -> String {
        "\(endpoint.rawValue.dropFirst())-\((request.audioSHA256 ?? "no-file").prefix(16))-\(request.optionsSHA256.prefix(16)).json"
    }

    /// The file's bytes: one member a line, `response` spliced in as the upstream sent it.
    static func file(_ endpoint: EmulatedEndpoint, _ request: Request, upstream: String, at time: Date, response: [UInt8]) -> [UInt8] {
        var match: [(String, String)] = request.audioSHA256.map { [("audio_sha256", $0)] } ?? []
        match.append(("options_sha256", request.optionsSHA256))
        var sent: [(String, String)] = request.filename.map { [("filename", $0)] } ?? []
        for name in request.texts.keys.sorted() {
            sent.append((name, String(decoding: request.texts[name] ?? [], as: UTF8.self)))
        }
        let seconds = Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded(.down))
        let members: [(String, [UInt8])] = [
            ("endpoint", quoted(endpoint.rawValue)), ("match", object(match)), ("request", object(sent)),
            ("upstream", quoted(upstream)), ("recorded_at", quoted(RFC3339.string(from: seconds))), ("response", response),
        ]
        var out = Array("{\n".utf8)
        for (index, (name, value)) in members.enumerated() {
            JSONString.append(name, to: &out)
            out += Array(": ".utf8) + value + Array((index == members.count - 1 ? "\n" : ",\n").utf8)
        }
        out += Array("}\n".utf8)
        return out
    }

    /// `{"name": "value", …}`, strings only, on one line.
    private static func object(_ members: [(String, String)]) -> [UInt8] {
        Array("{".utf8) + Array(members.map { quoted($0.0) + Array(": ".utf8) + quoted($0.1) }.joined(separator: Array(", ".utf8)))
            + Array("}".utf8)
    }

    private static func quoted(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONString.append(text, to: &bytes)
        return bytes
    }

    /// Why these bytes must not be written, or nil: a theta-console key (the leak scanner's finding
    /// or look-alike), the upstream's own key, or anything else shaped like a Theta One key
    /// (`sk-theta-` and 16 or more key characters: the real format is unstated).
    static func leak(in bytes: [UInt8], upstreamKey: [UInt8]) -> String? {
        let (findings, lookalikes) = LeakScanner.scan(bytes)
        if let first = findings.first { return "it holds an API key (\(first.hint)) at line \(first.line)" }
        if lookalikes > 0 { return "it holds \(lookalikes) token(s) shaped like a theta-console key" }
        if !upstreamKey.isEmpty, bytes.firstRange(of: upstreamKey) != nil { return "it holds the upstream key" }
        let prefix = Array("sk-theta-".utf8)
        var rest = bytes[...]
        while let found = rest.firstRange(of: prefix) {
            let run = rest[found.upperBound...].prefix { byte in
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 95
            }
            if run.count >= 16 { return "it holds a token shaped like a Theta One key (sk-theta-\(String(decoding: run.prefix(4), as: UTF8.self))…)" }
            rest = rest[found.upperBound...]
        }
        return nil
    }
}

/// Writes recordings into their folder: checked for keys first, then written whole (a temporary
/// file, synced, renamed into place), so a replay never reads half a recording.
final class RecordingWriter: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let directory: String
    private let upstream: String
    private let key: [UInt8]
    private let clock: any Clock
    private let logger: Logger

    init(directory: String, upstream: String, key: String, clock: any Clock, logger: Logger) throws {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw Failure(description: "--record: cannot make \(directory): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard stat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR, access(directory, W_OK) == 0 else {
            throw Failure(description: "--record: \(directory) is not a folder this process can write")
        }
        self.directory = directory
        self.upstream = upstream
        self.key = Array(key.utf8)
        self.clock = clock
        self.logger = logger
    }

    /// Records one upstream 200; a recording that holds a key is refused and reported, not written.
    /// Returns the recording as replay reads it, once it is on disk.
    @discardableResult
    func record(_ job: Upstream.Job, body: [UInt8]) -> ReplayBook.Entry? {
        let name = Recording.fileName(job.endpoint, job.request)
        // A body that is not JSON would make a file replay cannot read: it is passed on, not kept.
        guard (try? JSONParser.parse(body)) != nil else {
            logger.error("recording refused: the upstream's 200 is not JSON; nothing was written", metadata: ["file": "\(name)"])
            return nil
        }
        let bytes = Recording.file(job.endpoint, job.request, upstream: upstream, at: clock.now(), response: body)
        if let why = Recording.leak(in: bytes, upstreamKey: key) {
            logger.error("recording refused: \(why); nothing was written", metadata: ["file": "\(name)"])
            return nil
        }
        do {
            try write(bytes, to: name)
            logger.info("recorded", metadata: ["file": "\(name)"])
        } catch {
            logger.error("recording failed", metadata: ["file": "\(name)", "error": "\(error)"])
            return nil
        }
        return ReplayBook.Entry(file: name, endpoint: job.endpoint, filename: nil, audioSHA256: job.request.audioSHA256,
                                optionsSHA256: job.request.optionsSHA256, body: body)
    }

    private func write(_ bytes: [UInt8], to name: String) throws {
        let final = directory + "/" + name
        let temporary = directory + "/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        var failure: String?
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                break
            }
            written += count
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil && rename(temporary, final) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw Failure(description: failure)
        }
    }
}

/// The recordings `serve --replay DIR` answers from, matched as stubs are: the first (in file-name
/// order) for the endpoint whose every given `match` field equals the request's. Loaded once.
final class ReplayBook: Sendable {
    struct Entry: Sendable {
        let file: String
        let endpoint: EmulatedEndpoint
        let filename: String?
        let audioSHA256: String?
        let optionsSHA256: String?
        /// The upstream's body, byte for byte.
        let body: [UInt8]
    }

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    static let matchFields: Set<String> = ["filename", "audio_sha256", "options_sha256"]

    private let book: Lock<[Entry]>
    let strict: Bool

    init(entries: [Entry], strict: Bool) {
        book = Lock(entries)
        self.strict = strict
    }

    var entries: [Entry] { book.withLock { $0 } }

    /// A recording just made (`--replay` with `--upstream --record`): the next request like it is
    /// answered from it. It replaces one from the same file, as the file itself was replaced.
    func add(_ entry: Entry) {
        book.withLock { entries in
            if let index = entries.firstIndex(where: { $0.file == entry.file }) {
                entries[index] = entry
            } else {
                entries.append(entry)
            }
        }
    }

    /// Every `*.json` file in `directory` (not those starting with "."), or an error naming the
    /// file and what is wrong with it. `mayBeMissing`: the folder is also where new recordings go
    /// (`--replay DIR --upstream URL --record DIR`; the recorder makes it), so a first run may
    /// start without it.
    static func load(directory: String, strict: Bool, mayBeMissing: Bool = false) throws -> ReplayBook {
        guard let folder = opendir(directory) else {
            if mayBeMissing && errno == ENOENT { return ReplayBook(entries: [], strict: strict) }
            throw LoadError(description: "--replay: cannot read \(directory): \(String(cString: strerror(errno)))")
        }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".json") && !name.hasPrefix(".") { names.append(name) }
        }
        closedir(folder)
        var entries: [Entry] = []
        for name in names.sorted() {
            guard let bytes = FileBytes.read(directory + "/" + name, limit: 64 << 20) else {
                throw LoadError(description: "--replay: cannot read \(name)")
            }
            do {
                entries.append(try entry(bytes, file: name))
            } catch let error as LoadError {
                throw LoadError(description: "--replay: \(name): \(error.description)")
            }
        }
        return ReplayBook(entries: entries, strict: strict)
    }

    static func entry(_ bytes: [UInt8], file: String) throws -> Entry {
        let parsed: (value: JSONValue, spans: [String: Range<Int>])
        do {
            parsed = try JSONParser.parseKeepingSpans(bytes)
        } catch {
            throw LoadError(description: "malformed JSON: \(error.reason) at byte \(error.offset)")
        }
        let value = parsed.value
        guard let name = value["endpoint"]?.stringValue, let endpoint = EmulatedEndpoint(rawValue: name) else {
            throw LoadError(description: "endpoint must be one of \(EmulatedEndpoint.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case .object(let members)? = value["match"] else { throw LoadError(description: "match must be an object") }
        if let unknown = members.first(where: { !matchFields.contains($0.0) }) {
            throw LoadError(description: "match: unknown field \(unknown.0.debugDescription.prefix(80))")
        }
        func text(_ field: String, hash: Bool = false) throws -> String? {
            guard let item = value["match"]?[field], !item.isNull else { return nil }
            guard let string = item.stringValue else { throw LoadError(description: "match.\(field) must be a string") }
            if hash && !(string.utf8.count == 64 && string.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })) {
                throw LoadError(description: "match.\(field) must be 64 lowercase hex digits")
            }
            return string
        }
        guard let response = value["response"], let span = parsed.spans["response"] else {
            throw LoadError(description: "response is required")
        }
        // Not checked against the documented 200: a recording is what the real service said.
        _ = response
        return Entry(file: file, endpoint: endpoint, filename: try text("filename"), audioSHA256: try text("audio_sha256", hash: true),
                     optionsSHA256: try text("options_sha256", hash: true), body: Array(bytes[span]))
    }

    /// The first recording for `endpoint` that `request` matches.
    func match(_ endpoint: EmulatedEndpoint, _ request: Recording.Request) -> Entry? {
        book.withLock { entries in entries.first { entry in
            entry.endpoint == endpoint
                && (entry.filename == nil || entry.filename == request.filename)
                && (entry.audioSHA256 == nil || entry.audioSHA256 == request.audioSHA256)
                && (entry.optionsSHA256 == nil || entry.optionsSHA256 == request.optionsSHA256)
        } }
    }
}
