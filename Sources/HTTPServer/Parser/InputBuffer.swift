/// Bytes read from a peer and not yet consumed by the parser.
public struct InputBuffer: Sendable {
    public var bytes: [UInt8] = []
    /// Everything before this index has been consumed.
    public var readIndex = 0

    public init() {}

    public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        self.bytes = Array(bytes)
    }

    /// Adopts `bytes` as they are (an array is not copied).
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var readableCount: Int { bytes.count - readIndex }

    public mutating func append<S: Sequence>(_ more: S) where S.Element == UInt8 {
        bytes.append(contentsOf: more)
    }

    /// Drops consumed bytes once they are worth moving, so a long stream does not grow the array.
    public mutating func compact() {
        if readIndex == bytes.count {
            // Nothing is kept between requests: an idle connection holds no buffer, and the next
            // read brings its own (see Connection.read()).
            bytes = []
            readIndex = 0
        } else if readIndex >= 64 * 1024 || readIndex > bytes.count / 2 {
            bytes.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
