/// Why an upload is not audio theta-console can measure. `detail` is written for a 400 body.
public struct AudioError: Error, Sendable, Equatable, CustomStringConvertible {
    public let detail: String

    public init(_ detail: String) {
        self.detail = detail
    }

    public var description: String { detail }
}
