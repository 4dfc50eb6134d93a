import HTTPServer
import KeyStore

/// `GET /v1/audit-events`: the audit log, newest first, in pages.
struct AuditAPI: Sendable {
    let store: KeyStore
    let kit: RouteKit

    func register(in router: inout RouterBuilder) {
        kit.readRoute(&router, .GET, "/v1/audit-events", listAuditEvents)
    }

    private func listAuditEvents(_ request: Request) throws -> Response {
        let query = request.info.query
        let limit = try RouteKit.limit(query)
        let page: Page<AuditEvent>
        do {
            page = try store.auditEvents(limit: limit, after: query["after"].flatMap { $0.isEmpty ? nil : $0 })
        } catch KeyStoreError.unknownCursor {
            throw HTTPError(422, "after does not name an audit event")
        }
        return .json(200, page.json { event, json in event.writeJSON(to: &json) })
    }
}
