import FoundationEssentials

extension Date {
    /// Whole seconds since the epoch, rounded down: how the schema stores every time.
    var unixSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }

    init(unixSeconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(unixSeconds))
    }

    /// This date rounded down to a whole second, as it will read back from the database.
    var wholeSeconds: Date { Date(unixSeconds: unixSeconds) }
}
