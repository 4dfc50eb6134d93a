extension MultipartParser {
    /// The boundary of a `multipart/form-data` Content-Type value (RFC 7578 §4.1, RFC 2046 §5.1.1).
    public static func boundary(fromContentType value: String, limits: MultipartLimits = MultipartLimits()) throws(MultipartError) -> String {
        // A missing Content-Type arrives here as "".
        guard value.utf8.contains(where: { $0 != SP && $0 != HTAB }) else {
            throw MultipartError("Content-Type is not multipart/form-data")
        }
        let parsed = try ParameterizedValue(value, field: "Content-Type")
        guard parsed.value.caseInsensitiveEquals("multipart/form-data") else {
            throw MultipartError("Content-Type is not multipart/form-data")
        }
        guard let parameter = parsed["boundary"] else { throw MultipartError("multipart/form-data Content-Type has no boundary") }
        let boundary = String(decoding: parameter.value, as: UTF8.self)
        try validate(boundary: boundary, limits: limits)
        return boundary
    }

    /// RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace.
    static func validate(boundary: String, limits: MultipartLimits) throws(MultipartError) {
        let bytes = Array(boundary.utf8)
        guard !bytes.isEmpty else { throw MultipartError("multipart boundary is empty") }
        guard bytes.count <= limits.maxBoundaryLength else {
            throw MultipartError("multipart boundary is longer than \(limits.maxBoundaryLength) characters")
        }
        guard bytes.allSatisfy({ isBoundaryByte($0) || $0 == SP }), bytes.last != SP else {
            throw MultipartError("multipart boundary has characters RFC 2046 does not allow")
        }
    }

    /// bcharsnospace: DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?".
    private static func isBoundaryByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "+"), UInt8(ascii: "_"),
             UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"),
             UInt8(ascii: "="), UInt8(ascii: "?"):
            return true
        default: return false
        }
    }
}
