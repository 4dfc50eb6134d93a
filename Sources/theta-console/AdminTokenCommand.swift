import ArgumentParser
import FoundationEssentials
import KeyStore

struct AdminTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin-token",
        abstract: "Manage the admin token that guards the /v1/ routes.",
        subcommands: [Rotate.self]
    )

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a new admin token. It is printed once; the old one stops working at once.",
            discussion: """
                Refused (exit 1, nothing written) while the server on this database was last started \
                with a fixed token (--admin-token, --admin-token-file or THETA_CONSOLE_ADMIN_TOKEN): \
                that server would keep using it. Change the token where it is set and restart the \
                server, or restart it without one to let the database hold the token.
                """)

        @OptionGroup var database: DatabaseOption

        func run() throws {
            try database.withStore { store in
                if let source = try store.fixedAdminTokenSource() {
                    printError("""
                        theta-console: not rotated: the server on this database takes its admin token from \(source), \
                        which a rotation cannot change. Change the token there and restart the server, or restart \
                        the server without \(source) to let the database hold the token, then rotate.
                        """)
                    throw ExitCode.failure
                }
                let token = try APIKeyFormat.generateAdminToken()
                try store.setAdminTokenHash(KeyStore.hashToken(token))
                try store.recordAudit(action: "admin.token_rotated", actor: "cli")
                emit("admin token (shown once, store it now): \(token)")
            }
        }
    }
}
