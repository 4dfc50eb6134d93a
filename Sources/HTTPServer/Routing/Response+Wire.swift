extension Response {
    /// Serialises the status line, headers and body (RFC 9112 §4, §6).
    /// `Date` and `Content-Length` are always set here; handlers cannot get them wrong.
    func encode(into out: inout [UInt8], date: String, headOnly: Bool, close: Bool) {
        out.append(contentsOf: "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n".utf8)
        out.append(contentsOf: "Date: \(date)\r\n".utf8)
        for field in headers.fields {
            if field.name.caseInsensitiveEquals("Content-Length") || field.name.caseInsensitiveEquals("Connection")
                || field.name.caseInsensitiveEquals("Date") {
                continue
            }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        let bodyless = Response.hasNoBody(status: status)
        if !bodyless {
            out.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if !headOnly && !bodyless {
            out.append(contentsOf: body)
        }
    }

    /// Whether every header is safe to send: names are tokens, values hold no CR, LF or NUL.
    var hasValidHeaders: Bool {
        headers.fields.allSatisfy { field in
            !field.name.isEmpty && field.name.utf8.allSatisfy(isTokenByte)
                && field.value.utf8.allSatisfy { $0 != CR && $0 != LF && $0 != 0 }
        }
    }
}
