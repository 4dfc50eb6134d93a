extension Response {
    /// Serialises the status line, headers and body (RFC 9112 §4, §6).
    /// `Date` and `Content-Length` are always set here; handlers cannot get them wrong.
    func encode(into out: inout [UInt8], date: String, headOnly: Bool, close: Bool, everyResponseHeaders: [UInt8] = []) {
        // Appended piece by piece: string interpolation built (and freed) a String per line; the
        // numbers are small strings, which live inline, not on the heap.
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: HTTPStatus.reason(status).utf8)
        out.append(contentsOf: "\r\nDate: ".utf8)
        out.append(contentsOf: date.utf8)
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: everyResponseHeaders)
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
            out.append(contentsOf: "Content-Length: ".utf8)
            out.append(contentsOf: String(body.count).utf8)
            out.append(contentsOf: "\r\n".utf8)
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
            !field.name.isEmpty && field.name.allUTF8(isTokenByte)
                && field.value.allUTF8 { $0 != CR && $0 != LF && $0 != 0 }
        }
    }
}
