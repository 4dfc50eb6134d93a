import FoundationEssentials
import HTTPServer
import KeyStore

/// `/v1/account`: the emulated account's plan and balance, and its credit history.
struct AccountAPI: Sendable {
    let store: KeyStore
    let recorder: UsageRecorder
    /// `serve --max-key-rpm`: the highest `rate_limit_rpm` a new key may have (100 by default).
    let maxKeyRPM: Int

    static let patchFields: Set<String> = ["plan", "balance"]

    func register(in router: inout RouterBuilder, admin: AdminAPI) {
        admin.readRoute(&router, .GET, "/v1/account", show)
        admin.route(&router, .PATCH, "/v1/account") { request in try update(request, admin: admin) }
        admin.readRoute(&router, .GET, "/v1/account/ledger", ledger)
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

    private func update(_ request: Request, admin: AdminAPI) throws -> Reply {
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
        return admin.afterWrite(request, { done in
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
            page = try store.ledger(limit: try AdminAPI.limit(query), after: query["after"].flatMap { $0.isEmpty ? nil : $0 })
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
        json.endObject()
    }
}
