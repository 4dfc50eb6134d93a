import FoundationEssentials

/// The one emulated account: its plan and its balance.
public struct Account: Sendable, Equatable {
    public let plan: Plan
    public let balanceMicro: Int64
    /// Usage batches already applied to `balanceMicro` (see `UsageRecorder`).
    public let usageBatches: Int64

    public init(plan: Plan, balanceMicro: Int64, usageBatches: Int64 = 0) {
        self.plan = plan
        self.balanceMicro = balanceMicro
        self.usageBatches = usageBatches
    }
}

/// One line of the credit history.
public struct LedgerEntry: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Credits added by the plan (the new account's 0.20).
        case grant
        /// A balance set or changed by the emulator's controls.
        case adjustment
        /// The cost of one accepted (200) request.
        case charge
        case planChange = "plan_change"
        /// Monthly credits left at the end of their cycle, taken away.
        case expire
        /// Credits bought (`POST /v1/account/top-ups`); they never expire.
        case topUp = "top_up"
    }

    public let id: String
    public let at: Date
    public let kind: Kind
    public let amountMicro: Int64
    public let balanceAfterMicro: Int64
    public let plan: Plan?
    public let keyID: String?
    public let endpoint: String?
    public let audioSeconds: Int?
    public let detail: String?
    /// For a charge: the lots it drew from, `lot_…:micro,…` (and `debt:micro` for an overdraft).
    public var lots: String? = nil
}
