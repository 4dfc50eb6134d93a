import Foundation
import HTTPServer
import KeyStore
import Logging

/// Wires the key store to the HTTP server: the routes, the response policies, and start-up.
public struct ThetaConsoleApp: Sendable {
    public let store: KeyStore
    public let configuration: AppConfiguration
    let clock: any Clock
    let logger: Logger

    public init(store: KeyStore, configuration: AppConfiguration, clock: any Clock = SystemClock(), logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// The frozen routing table.
    public func makeRouter() -> Router {
        var router = RouterBuilder()
        let auth = AdminAuth(store: store, fixedTokenHash: configuration.adminToken.map(KeyStore.hashToken))
        AdminAPI(store: store, clock: clock, auth: auth, maxKeyRPM: configuration.maxKeyRPM, logger: logger)
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
        router.filter(SecurityHeaders.apply)
        return router.build()
    }

    /// Resolves the admin token: the configured one, the stored one, or a new one.
    /// Returns the token only when it was just generated and must be shown once.
    public func ensureAdminToken() throws -> String? {
        if configuration.adminToken != nil { return nil }
        if try store.adminTokenHash() != nil { return nil }
        let token = try APIKeyFormat.generateAdminToken()
        try store.setAdminTokenHash(KeyStore.hashToken(token))
        return token
    }
}
