import FoundationEssentials
import HTTPServer
import KeyStore

/// `POST /v1/leaks`: the leak scanner over a posted text. Each key found is looked up; with
/// `"deactivate": true` every active one is deactivated, each in its own transaction on the writer
/// thread, and the answer follows the last commit.
struct LeaksAPI: Sendable {
    let kit: RouteKit
    let store: KeyStore

    /// The body's cap, 1 MiB: more than the other admin routes' 64 KiB, for pasted files.
    static let maxBody = 1024 * 1024
    static let fields: Set<String> = ["text", "deactivate"]
    static let auditDetail = "leak_scan: POST /v1/leaks"

    func register(in router: inout RouterBuilder) {
        kit.route(&router, .POST, "/v1/leaks", maxBody: Self.maxBody) { request in try scan(request) }
    }

    private func scan(_ request: Request) throws -> Reply {
        let body = try JSONBody.object(request.body, allowed: Self.fields)
        guard let textValue = body["text"] else { throw HTTPError(422, "text is required") }
        guard let text = textValue.stringValue else { throw HTTPError(422, "text must be a string") }
        var deactivate = false
        if let value = body["deactivate"] {
            guard case .bool(let flag) = value else { throw HTTPError(422, "deactivate must be a boolean") }
            deactivate = flag
        }
        let (findings, lookalikes) = try LeakFinding.scan(Array(text.utf8), store: store)
        var ids: [String] = []
        if deactivate {
            for finding in findings where finding.isDeactivatable {
                if let id = finding.record?.id, !ids.contains(id) { ids.append(id) }
            }
        }
        let toDeactivate = ids
        return kit.afterWrites(count: toDeactivate.count, { index, done in
            store.deactivateKey(id: toDeactivate[index], actor: "api", remoteAddress: request.remoteAddress,
                                detail: Self.auditDetail, then: done)
        }) { _ in
            .json(200, Self.json(findings, lookalikes: lookalikes, deactivated: toDeactivate))
        }
    }

    /// `{"findings": [...], "lookalikes": n, "deactivated": [key ids]}`. Each finding's `status` is
    /// the one found, before any deactivation.
    static func json(_ findings: [LeakFinding], lookalikes: Int, deactivated: [String]) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.beginArray("findings")
        for finding in findings { finding.writeJSON(to: &json) }
        json.endArray()
        json.field("lookalikes", lookalikes)
        json.beginArray("deactivated")
        for id in deactivated { json.value(id) }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}
