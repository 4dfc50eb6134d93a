import ArgumentParser
import FoundationEssentials
import KeyStore

/// How far behind a running server the file can be: the server writes usage once a second.
enum UsageLag {
    static let seconds = 1
}

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Show or set the emulated account's plan and balance (works while a server runs).",
        subcommands: [Show.self, Set.self, TopUp.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the plan, its limits and the stored balance.",
            discussion: """
                This reads the file, not a running server: a server writes its usage (charges, \
                request counts) once a second, so the balance shown can be up to \(UsageLag.seconds) s \
                behind the server's own GET /v1/account, which is always current.
                """)

        @OptionGroup var database: DatabaseOption
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try database.withStore { store in
                let account = try store.account()
                let active = try store.countActiveKeys()
                let written = RFC3339.string(from: try store.accountUpdatedAt())
                let limit = account.plan.keyLimit.map(String.init) ?? "unlimited"
                let rpm = account.plan.rpmCap.map(String.init) ?? "unlimited"
                if json {
                    emit(#"{"plan":"\#(account.plan.rawValue)","balance":\#(Credits.format(micro: account.balanceMicro)),"rpm_cap":\#(account.plan.rpmCap.map(String.init) ?? "null"),"key_limit":\#(account.plan.keyLimit.map(String.init) ?? "null"),"active_keys":\#(active),"written_at":"\#(written)","may_lag_seconds":\#(UsageLag.seconds)}"#)
                } else {
                    emit("plan: \(account.plan.displayName) (\(account.plan.rawValue))")
                    emit("balance: \(Credits.format(micro: account.balanceMicro)) credits")
                    emit("rate limit cap: \(rpm) requests per minute per key")
                    emit("keys: \(active) active of \(limit)")
                    let cycle = try store.currentCycle()
                    emit("cycle \(cycle.number): \(RFC3339.string(from: cycle.start)) to \(RFC3339.string(from: cycle.end))")
                    emit("as stored at \(written); a running server's usage may be up to \(UsageLag.seconds) s newer")
                }
            }
        }
    }

    struct TopUp: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "top-up",
            abstract: "Buy credits that never expire (Pro, Pro+ and Enterprise; at least 10 credits, as documented).")

        @OptionGroup var database: DatabaseOption
        @Argument(help: "Credits to add, e.g. 10 or 25.5.") var amount: String

        func validate() throws {
            guard let micro = Credits.parse(amount), micro >= KeyStore.minimumTopUpMicro, micro <= KeyStore.maximumTopUpMicro else {
                throw ValidationError("the amount must be a number of credits from 10 to 1000000 with at most 6 decimals")
            }
        }

        func run() throws {
            try database.withStore { store in
                let account = try store.topUp(micro: Credits.parse(amount) ?? 0, actor: "cli", remoteAddress: nil)
                emit("Added \(Credits.format(micro: Credits.parse(amount) ?? 0)) credits; balance: \(Credits.format(micro: account.balanceMicro)) credits")
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the plan and/or the balance; each change is recorded in the ledger and the audit log.")

        @OptionGroup var database: DatabaseOption
        @Option(help: "free, starter, pro, pro_plus or enterprise.") var plan: Plan?
        @Option(help: "The new balance in credits, e.g. 10 or 0.5.") var balance: String?

        func validate() throws {
            guard plan != nil || balance != nil else { throw ValidationError("give --plan, --balance or both") }
            if let balance, Credits.parse(balance) == nil {
                throw ValidationError("--balance must be a number of credits with at most 6 decimals")
            }
        }

        func run() throws {
            try database.withStore { store in
                let account = try store.updateAccount(plan: plan, balanceMicro: balance.flatMap(Credits.parse), actor: "cli",
                                                      reason: "theta-console account set")
                emit("plan: \(account.plan.displayName); balance: \(Credits.format(micro: account.balanceMicro)) credits")
            }
        }
    }
}
