/// The header section of one form-data part (RFC 7578 §4).
public struct MultipartPartHead: Sendable, Equatable {
    /// The `name` parameter of `Content-Disposition: form-data`: the form field's name.
    public let name: String
    /// `filename*` (RFC 8187) when present, else `filename`; nil for a plain field.
    public let filename: String?
    /// The part's `Content-Type`, as sent; nil when absent (RFC 7578 §4.4: text/plain is meant).
    public let contentType: String?
    /// Every header field of the part, in order.
    public let headers: HTTPHeaders

    public init(name: String, filename: String?, contentType: String?, headers: HTTPHeaders) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.headers = headers
    }

    public static func == (a: MultipartPartHead, b: MultipartPartHead) -> Bool {
        a.name == b.name && a.filename == b.filename && a.contentType == b.contentType
            && a.headers.fields.elementsEqual(b.headers.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
