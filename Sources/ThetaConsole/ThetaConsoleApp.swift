import FoundationEssentials
import HTTPServer
import KeyStore
import Logging

/// Wires the key store to the HTTP server: the routes, the response policies, and the background
/// work (`Housekeeping`, on the usage-flush thread).
public final class ThetaConsoleApp: Sendable {
    public let store: KeyStore
    public let configuration: AppConfiguration
    public let clock: any Clock
    let logger: Logger
    let recorder: UsageRecorder
    let limiter = RateLimiter()
    let faults = FaultBook()
    let stubs = StubBook()
    let requestLog: RequestLog?
    /// Where accepted uploads are answered from (`--upstream`, `--replay`, else the emulation).
    let source: AnswerSource
    /// The chores of the usage-flush thread (`startBackgroundWork`), and a round on demand.
    public let housekeeping: Housekeeping

    public init(store: KeyStore, configuration: AppConfiguration, logger: Logger) throws {
        self.store = store
        self.configuration = configuration
        self.clock = store.clock
        self.logger = logger
        recorder = try UsageRecorder(store: store)
        requestLog = configuration.recordRequests.map(RequestLog.init(capacity:))
        // Recordings first, then the real service for what they lack (both may be given).
        let replay = try configuration.replayDirectory.map {
            try ReplayBook.load(directory: $0, strict: configuration.replayStrict,
                                mayBeMissing: configuration.upstream?.recordDirectory == $0)
        }
        let upstream = try configuration.upstream.map {
            try Upstream($0, maxBody: configuration.maxUploadBytes, clock: store.clock, replay: replay, logger: logger)
        }
        source = AnswerSource(replay: replay, upstream: upstream)
        housekeeping = Housekeeping(store: store, recorder: recorder, limiter: limiter, clock: clock,
                                    auditRetentionDays: configuration.auditRetentionDays, logger: logger)
    }

    /// The frozen routing table.
    public func makeRouter() -> Router {
        var router = RouterBuilder()
        router.check(RequestOrigins(bindHost: configuration.server.host, allowedHosts: configuration.allowedHosts).check)
        let kit = RouteKit(auth: AdminAuth(store: store, fixedTokenHash: configuration.adminToken.map(KeyStore.hashToken)),
                           recorder: recorder, logger: logger)
        KeysAPI(store: store, clock: clock, kit: kit, maxKeyRPM: configuration.maxKeyRPM,
                allowKeyImport: configuration.allowKeyImport).register(in: &router)
        AuditAPI(store: store, kit: kit).register(in: &router)
        AccountAPI(kit: kit, store: store, recorder: recorder, maxKeyRPM: configuration.maxKeyRPM).register(in: &router)
        UsageAPI(kit: kit, store: store).register(in: &router)
        LeaksAPI(kit: kit, store: store).register(in: &router)
        if let manual = clock as? ManualClock {
            ClockAPI(kit: kit, clock: manual, store: store, recorder: recorder).register(in: &router)
        }
        FaultsAPI(kit: kit, book: faults, clock: clock).register(in: &router)
        StubsAPI(kit: kit, book: stubs, clock: clock).register(in: &router)
        FixtureAPI(kit: kit, store: store, recorder: recorder, limiter: limiter, faults: faults, stubs: stubs,
                   requestLog: requestLog, allowReset: configuration.allowReset, startPlan: configuration.plan ?? .free,
                   startBalanceMicro: configuration.creditsMicro)
            .register(in: &router)
        let fixture = FixtureLayer(faults: faults, stubs: stubs, requestLog: requestLog,
                                   processingTimeout: configuration.processingTimeoutSeconds, clock: clock)
        SpeechAPI(store: store, recorder: recorder, limiter: limiter, clock: clock,
                  maxUploadBytes: configuration.maxUploadBytes, source: source, layer: fixture,
                  cycles: { [housekeeping] done in housekeeping.applyDueCycles(then: done) }, logger: logger)
            .register(in: &router)

        router.on(.GET, "/healthz") { _ in .respond(.json(200, Array(#"{"status":"ok"}"#.utf8))) }
        let openAPI = Array(OpenAPIDocument.yaml.utf8)
        router.on(.GET, "/openapi.yaml") { _ in
            .respond(Response(status: 200, headers: HTTPHeaders([("Content-Type", "application/yaml; charset=utf-8")]), body: openAPI))
        }

        // The console: from a folder when one is given (for working on it), else as built in.
        let folder = configuration.publicDirectory.flatMap(StaticFiles.init(root:))
        let builtIn = EmbeddedFiles()
        router.fallback { info in
            let response = folder != nil ? folder?.respond(info.head) : builtIn.respond(info.head)
            return .respond(response ?? .error(HTTPError(404, "not found")))
        }
        SecurityHeaders.register(in: &router)
        return router.build()
    }

    /// Resolves the admin token: the configured one, the stored one, or a new one.
    /// Returns the token only when it was just generated and must be shown once.
    public func ensureAdminToken() throws -> String? {
        // A fixed token is recorded, so `admin-token rotate` refuses instead of rotating in vain.
        if configuration.adminToken != nil {
            try store.setFixedAdminTokenSource(configuration.adminTokenSource)
            return nil
        }
        if try store.fixedAdminTokenSource() != nil { try store.setFixedAdminTokenSource(nil) }
        if try store.adminTokenHash() != nil { return nil }
        let token = try APIKeyFormat.generateAdminToken()
        try store.setAdminTokenHash(KeyStore.hashToken(token))
        return token
    }

    /// Applies the billing cycles that are due, then `--plan` and `--credits` (as a ledger entry
    /// and an audit event). On Enterprise, `--credits` is also the grant at each cycle start.
    public func applyStartingAccount() throws {
        try store.applyDueCycles()
        if configuration.plan == .enterprise, let credits = configuration.creditsMicro {
            try store.setEnterpriseMonthlyCredits(micro: credits)
        }
        guard configuration.plan != nil || configuration.creditsMicro != nil else { return }
        try store.updateAccount(plan: configuration.plan, balanceMicro: configuration.creditsMicro, actor: "cli",
                                reason: "serve --plan/--credits")
    }

    /// `serve --seed-keys`: adds the keys of a JSON array `[{name, key, rate_limit_rpm?, expires_at?,
    /// allowed_cidrs?}]` whose secrets are not stored yet, in one transaction, and returns how many
    /// were added. Every entry is checked before anything is written, by the parser `POST /v1/keys`
    /// uses (`KeySpecJSON`); a bad one stops start-up with a message naming the entry and the field,
    /// never the secret.
    public func seedKeys(json bytes: [UInt8]) throws -> (added: Int, total: Int) {
        struct SeedError: Error, CustomStringConvertible {
            let description: String
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw SeedError(description: "--seed-keys: malformed JSON: \(error.reason) at byte \(error.offset)")
        }
        guard case .array(let entries) = document else {
            throw SeedError(description: "--seed-keys: the file must hold a JSON array of keys")
        }
        var keys: [(spec: KeySpec, secret: String)] = []
        for (index, entry) in entries.enumerated() {
            func fail(_ message: String) -> SeedError { SeedError(description: "--seed-keys: entry \(index): \(message)") }
            guard case .object = entry else { throw fail("must be an object") }
            // The API's parser, so a seed entry is refused exactly as `POST /v1/keys` would refuse it.
            let fields: KeySpecJSON
            do {
                fields = try KeySpecJSON(entry, importAllowed: true, maxKeyRPM: configuration.maxKeyRPM, now: clock.now())
            } catch {
                throw fail(error.detail)
            }
            guard let secret = fields.secret else { throw fail("key is required") }
            keys.append((fields.spec, secret))
        }
        let added = try store.seedKeys(keys, actor: "seed")
        return (added, keys.count)
    }

    /// `serve --stubs`: loads a JSON array of stubs (as `POST /v1/stubs` takes them); returns how many.
    public func loadStubs(json bytes: [UInt8]) throws -> Int {
        let loaded = try StubsAPI.load(bytes, clock: clock)
        for stub in loaded { _ = stubs.stubs.add(stub) }
        return loaded.count
    }

    /// How many recordings `--replay` loaded (nil without it).
    public var replayCount: Int? {
        source.replay?.entries.count
    }

    /// Starts the usage-flush thread (`Housekeeping`).
    public func startBackgroundWork() throws {
        try housekeeping.start()
    }

    /// Stops the usage-flush thread and writes the last batch.
    public func stopBackgroundWork() {
        housekeeping.stop()
    }
}
