/// Why a multipart/form-data body was refused. `detail` is written for a 400 body.
public struct MultipartError: Error, Sendable, Equatable, CustomStringConvertible {
    public let detail: String

    public init(_ detail: String) {
        self.detail = detail
    }

    public var description: String { detail }
}
