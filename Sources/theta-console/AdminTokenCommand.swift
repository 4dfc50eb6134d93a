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
            abstract: "Issue a new admin token. It is printed once; the old one stops working at once.")

        @OptionGroup var database: DatabaseOption

        func run() throws {
            try database.withStore { store in
                let token = try APIKeyFormat.generateAdminToken()
                try store.setAdminTokenHash(KeyStore.hashToken(token))
                try store.recordAudit(action: "admin.token_rotated", actor: "cli")
                emit("admin token (shown once, store it now): \(token)")
            }
        }
    }
}
