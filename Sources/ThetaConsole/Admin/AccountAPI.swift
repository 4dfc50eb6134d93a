import FoundationEssentials
import HTTPServer
import KeyStore

/// `/v1/account`: the emulated account's plan and balance, and its credit history.
struct AccountAPI: Sendable {
    let kit: RouteKit
    let store: KeyStore
    let recorder: UsageRecorder
    /// `serve --max-key-rpm`: the highest `rate_limit_rpm` a new key may have (100 by default).
    let maxKeyRPM: Int

    static let patchFields: Set<String> = ["plan", "balance"]

    func register(in router: inout RouterBuilder) {
        kit.readRoute(&router, .GET, "/v1/account", show)
        kit.route(&router, .PATCH, "/v1/account") { request in try update(request) }
        kit.readRoute(&router, .GET, "/v1/account/ledger", ledger)
        kit.readRoute(&router, .GET, "/v1/account/lots", lots)
        kit.route(&router, .POST, "/v1/account/top-ups") { request in try topUp(request) }
    }

    /// `POST /v1/account/top-ups {"amount": "10.00"}`: Pro and above, at least 10 credits; the lot
    /// never expires. 402 on Free and Starter (as a payment-required answer, like the API's).
    private func topUp(_ request: Request) throws -> Reply {
        let body = try JSONBody.object(request.body, allowed: ["amount"])
        let text: String
        switch body["amount"] {
        case .number(let number)?: text = number
        case .string(let string)?: text = string
        default: throw HTTPError(422, "amount must be a number of credits, at least 10")
        }
        guard let micro = Credits.parse(text), micro >= KeyStore.minimumTopUpMicro, micro <= KeyStore.maximumTopUpMicro else {
            throw HTTPError(422, "amount must be a number of credits from 10 to 1000000 with at most 6 decimals (the minimum top-up is 10 credits, $10)")
        }
        recorder.flush { _ in }
        return kit.afterWrite({ done in
            store.topUp(micro: micro, actor: "api", remoteAddress: request.remoteAddress, then: done)
        }) { _ in
            .json(201, try accountJSON())
        }
    }

    private func lots(_ request: Request) throws -> Response {
        let now = store.clock.now()
        var json = JSONWriter()
        json.beginObject()
        json.beginArray("data")
        for lot in try store.creditLots(limit: try RouteKit.limit(request.info.query)) {
            json.beginObject()
            json.field("id", lot.id)
            json.field("kind", lot.kind.rawValue)
            json.field("amount", raw: Credits.format(micro: lot.amountMicro))
            json.field("remaining", raw: Credits.format(micro: lot.remainingMicro))
            json.field("granted_at", RFC3339.string(from: lot.grantedAt))
            json.field("expires_at", lot.expiresAt.map(RFC3339.string(from:)))
            json.field("expired", lot.expiresAt.map { $0 <= now } ?? false)
            json.field("cycle", lot.cycle)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return .json(200, json.bytes)
    }

    /// The balance a request is judged on: stored, less the charges not yet flushed.
    func effectiveAccount() throws -> Account {
        let stored = try store.account()
        let pending = recorder.pendingMicro(appliedBatches: stored.usageBatches)
        return Account(plan: stored.plan, balanceMicro: stored.balanceMicro - pending, usageBatches: stored.usageBatches)
    }

    private func show(_ request: Request) throws -> Response {
        .json(200, try accountJSON())
    }

    private func update(_ request: Request) throws -> Reply {
        let body = try JSONBody.object(request.body, allowed: Self.patchFields)
        var plan: Plan?
        if let value = body["plan"] {
            guard let name = value.stringValue, let parsed = Plan(rawValue: name) else {
                throw HTTPError(422, "plan must be one of \(Plan.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            plan = parsed
        }
        var balance: Int64?
        if let value = body["balance"] {
            guard case .number(let text) = value, let micro = Credits.parse(text) else {
                throw HTTPError(422, "balance must be a number of credits with at most 6 decimals")
            }
            balance = micro
        }
        // Pending charges go in first (the writer thread keeps queue order), so the balance set is
        // the balance that holds from now on.
        recorder.flush { _ in }
        let (newPlan, newBalance) = (plan, balance)
        return kit.afterWrite({ done in
            store.updateAccount(plan: newPlan, balanceMicro: newBalance, actor: "api", remoteAddress: request.remoteAddress,
                                reason: "PATCH /v1/account", then: done)
        }) { _ in
            .json(200, try accountJSON())
        }
    }

    private func ledger(_ request: Request) throws -> Response {
        let query = request.info.query
        let page: Page<LedgerEntry>
        do {
            page = try store.ledger(limit: try RouteKit.limit(query), after: query["after"].flatMap { $0.isEmpty ? nil : $0 })
        } catch KeyStoreError.unknownCursor {
            throw HTTPError(422, "after does not name a ledger entry")
        }
        return .json(200, page.json { entry, json in entry.writeJSON(to: &json) })
    }

    /// The account as JSON. `over_key_limit` counts the active keys past the plan's limit: a
    /// downgrade does not deactivate keys (decisions.md), it reports them.
    private func accountJSON() throws -> [UInt8] {
        let account = try effectiveAccount()
        let active = try store.countActiveKeys()
        var json = JSONWriter()
        json.beginObject()
        json.field("plan", account.plan.rawValue)
        json.field("plan_name", account.plan.displayName)
        json.field("balance", raw: Credits.format(micro: account.balanceMicro))
        json.field("rpm_cap", account.plan.rpmCap)
        json.field("max_key_rate_limit_rpm", maxKeyRPM)
        json.field("key_limit", account.plan.keyLimit)
        json.field("active_keys", active)
        json.field("over_key_limit", account.plan.keyLimit.map { max(0, active - $0) } ?? 0)
        json.field("includes_pronunciation", account.plan.includesPronunciation)
        let (cycle, monthly) = try store.cycleAndGrant()
        json.field("cycle", cycle.number)
        json.field("cycle_start", RFC3339.string(from: cycle.start))
        json.field("cycle_end", RFC3339.string(from: cycle.end))
        json.field("monthly_credits", raw: Credits.format(micro: monthly))
        json.field("allows_top_ups", account.plan.allowsTopUps)
        json.endObject()
        return json.bytes
    }
}

extension LedgerEntry {
    func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", id)
        json.field("time", RFC3339.string(from: at))
        json.field("kind", kind.rawValue)
        json.field("amount", raw: Credits.format(micro: amountMicro))
        json.field("balance_after", raw: Credits.format(micro: balanceAfterMicro))
        json.field("plan", plan?.rawValue)
        json.field("key_id", keyID)
        json.field("endpoint", endpoint)
        json.field("audio_seconds", audioSeconds)
        json.field("detail", detail)
        // A charge: the lots it drew from ("debt" for an overdraft), in spending order.
        if let lots {
            json.beginArray("lots")
            for part in lots.split(separator: ",") {
                let pieces = part.split(separator: ":")
                guard pieces.count == 2, let micro = Int64(pieces[1]) else { continue }
                json.beginObject()
                json.field("lot", String(pieces[0]))
                json.field("amount", raw: Credits.format(micro: micro))
                json.endObject()
            }
            json.endArray()
        } else {
            json.nullField("lots")
        }
        json.endObject()
    }
}
