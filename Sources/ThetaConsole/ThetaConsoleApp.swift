import Dispatch
import FoundationEssentials
import HTTPServer
import KeyStore
import Logging
import PosixThreads
import Synchronization

/// Wires the key store to the HTTP server: the routes, the response policies, and the background
/// work (flushing usage once a second).
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
    private let background = Lock<BackgroundWorker?>(nil)

    public init(store: KeyStore, configuration: AppConfiguration, logger: Logger) throws {
        self.store = store
        self.configuration = configuration
        self.clock = store.clock
        self.logger = logger
        recorder = try UsageRecorder(store: store)
        requestLog = configuration.recordRequests.map(RequestLog.init(capacity:))
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
        SpeechAPI(store: store, recorder: recorder, limiter: limiter, clock: clock,
                  maxUploadBytes: configuration.maxUploadBytes, faults: faults,
                  processingTimeout: configuration.processingTimeoutSeconds, requestLog: requestLog,
                  stubs: stubs, cycles: { [self] in applyDueCyclesIfNeeded() }, logger: logger)
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

    /// Starts the cycles the clock has reached (from a thread that may block: start-up, the flush
    /// thread, or a gate in the second after a real month ended).
    func applyDueCyclesIfNeeded() {
        guard store.cycleMayBeDue else { return }
        do {
            // Charges of the ending cycle are written first, so they spend its credits.
            flushUsage()
            try store.applyDueCycles()
        } catch {
            logger.error("starting a billing cycle failed; it will be retried", metadata: ["error": "\(error)"])
        }
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

    /// Flushes usage once a second and forgets idle rate-limit windows once a minute, on a thread of
    /// its own with nice 10: a flush of a busy second's charges takes tens of milliseconds of CPU,
    /// and a loop thread sharing the core must not wait behind it (the scheduler lets a woken loop
    /// thread preempt it). Under full CPU saturation a flush can start late; the gate still counts
    /// every pending charge (UsageRecorder).
    public func startBackgroundWork() throws {
        let worker = BackgroundWorker()
        try Threads.start(name: "usage-flush") { [self] in
            Threads.setCurrentThreadNice(10)
            var ticks = 0
            var deadline = DispatchTime.now() + 1
            var nextAuditPrune = Date.distantPast
            var usagePruned: Int64?
            while worker.sleep(until: deadline) {
                flushUsage()
                applyDueCyclesIfNeeded()
                pruneUsage(done: &usagePruned, while: worker)
                ticks += 1
                if ticks % 60 == 0 { limiter.prune(now: clock.now()) }
                if let days = configuration.auditRetentionDays, clock.now() >= nextAuditPrune {
                    pruneAudit(days: days, while: worker)
                    nextAuditPrune = clock.now().addingTimeInterval(3600)
                }
                deadline = max(deadline + 1, DispatchTime.now())
            }
            worker.finished.signal()
        }
        // Only a thread that started can be stopped (stop() waits for it to finish).
        background.withLock { $0 = worker }
    }

    /// Stops the flush thread and writes the last batch.
    public func stopBackgroundWork() {
        if let worker = background.withLock({ handle in defer { handle = nil }; return handle }) {
            worker.stop()
        }
        flushUsage()
    }

    /// Deletes audit events older than `days`, 500 per transaction, and records how many went.
    func pruneAudit(days: Int, while worker: BackgroundWorker) {
        let cutoff = clock.now().addingTimeInterval(-Double(days) * 86_400)
        var total = 0
        do {
            while true {
                let deleted = try store.pruneAuditEvents(olderThan: cutoff, limit: 500)
                total += deleted
                if deleted < 500 || worker.isStopping { break }
            }
            if total > 0 {
                try store.recordAudit(action: "audit.pruned", actor: "server",
                                      detail: "\(total) events older than \(days) days deleted (--audit-retention-days)")
            }
        } catch {
            logger.error("pruning the audit log failed; it will be retried", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes usage rows past their retention (`KeyStore.pruneUsage`: minute rows after 48 hours,
    /// hour rows after 90 days; the flush wrote their counts into the wider rows already): 500
    /// rows a transaction, at most 10,000 a tick, so the next flush is not held up; what is left
    /// waits for the next tick. `done` is the minute rows' cutoff of the last pass that left
    /// nothing behind: the cutoff moves once an hour of the store's clock, and only then (or at
    /// start-up) is there anything new to do.
    func pruneUsage(done: inout Int64?, while worker: BackgroundWorker) {
        let now = clock.now()
        guard let due = UsageGranularity.minute.keptSince(now: now), done != due else { return }
        var deleted = 0
        do {
            while deleted < 10_000 && !worker.isStopping {
                let rows = try store.pruneUsage(now: now, limit: 500)
                if rows == 0 {
                    done = due
                    return
                }
                deleted += rows
            }
        } catch {
            logger.error("pruning usage rows failed; it will be retried", metadata: ["error": "\(error)"])
        }
    }

    func flushUsage() {
        do {
            try recorder.flush()
        } catch {
            logger.error("writing usage failed; it will be retried", metadata: ["error": "\(error)"])
        }
    }
}

/// The flush thread's stop signal and its answer.
final class BackgroundWorker: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Waits until `deadline`; false once `stop()` has been called.
    func sleep(until deadline: DispatchTime) -> Bool {
        if stopping.load(ordering: .acquiring) { return false }
        _ = wake.wait(timeout: deadline)
        return !stopping.load(ordering: .acquiring)
    }

    /// Asks the thread to stop and waits until it has (a flush in progress completes first).
    func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        finished.wait()
    }
}
