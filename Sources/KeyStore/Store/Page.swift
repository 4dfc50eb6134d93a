/// One page of a newest-first listing.
public struct Page<Item> {
    public let items: [Item]
    public let hasMore: Bool
    /// The id of the last item when `hasMore`; pass it as `after` to get the next page.
    public let nextCursor: String?

    public init(items: [Item], hasMore: Bool, nextCursor: String?) {
        self.items = items
        self.hasMore = hasMore
        self.nextCursor = nextCursor
    }
}

extension Page: Sendable where Item: Sendable {}
extension Page: Equatable where Item: Equatable {}
