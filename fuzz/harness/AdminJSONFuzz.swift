// fuzz target admin-json: the input is a request body for POST /v1/keys.
//
// Checks:
// - `JSONParser.parse` never traps; a failure's offset lies within the input;
// - a parsed value, written back out (strings through the project's `JSONString.append`), parses
//   to the same value, and writing that again gives the same bytes;
// - `JSONParser.parseKeepingSpans` agrees with `parse`: the same value, or the same Failure. For
//   a top-level object it notes one span per member, and each span, parsed alone, is that
//   member's value; for anything else, no spans;
// - what the parser accepts, Foundation's JSONSerialization accepts too (ours is the stricter one;
//   numbers beyond Double's range are left out, as Foundation refuses them);
// - the POST /v1/keys path (`KeySpecJSON`'s field reading, mirrored here because KeySpecJSON
//   imports KeyStore, then `KeySpec.validate`) never traps, and an accepted spec keeps its
//   promises: trimmed name of 1…100 code points, rate limit in range, expiry in whole seconds
//   after `now` that `RFC3339.string` writes as RFC 3339 and `RFC3339.date` reads back to the
//   same instant;
// - every string in the body, read as a timestamp, does not trap `RFC3339`; one it reads lies in
//   years 0000…9999 and is written back by `RFC3339.string` as the same (whole-second) instant;
// - every number in the body, read as a balance (PATCH /v1/account), does not trap
//   `Credits.parse`, which agrees with Foundation's Decimal: the exact micro-credits when the value
//   has at most 6 decimals and lies within ±1e12 credits, else nil; `Credits.format` reads back;
// - `JSONWriter.fixed` of the first 8 bytes as a Double gives plain decimal text within rounding
//   of the value, or nil for infinities and NaN.

import Foundation

/// A fixed clock: 2026-01-01T00:00:00Z.
let now = Date(timeIntervalSince1970: 1_767_225_600)

func write(_ value: JSONValue, to out: inout [UInt8]) {
    switch value {
    case .null: out += Array("null".utf8)
    case .bool(let b): out += Array((b ? "true" : "false").utf8)
    case .number(let text): out += Array(text.utf8)
    case .string(let s): JSONString.append(s, to: &out)
    case .array(let items):
        out.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    case .object(let members):
        out.append(UInt8(ascii: "{"))
        for (i, (name, item)) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.append(name, to: &out)
            out.append(UInt8(ascii: ":"))
            write(item, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

func strings(in value: JSONValue) -> [String] {
    switch value {
    case .string(let s): return [s]
    case .array(let items): return items.flatMap(strings)
    case .object(let members): return members.flatMap { [$0.0] + strings(in: $0.1) }
    default: return []
    }
}

func numbers(in value: JSONValue) -> [String] {
    switch value {
    case .number(let text): return [text]
    case .array(let items): return items.flatMap(numbers)
    case .object(let members): return members.flatMap { numbers(in: $0.1) }
    default: return []
    }
}

/// What `KeySpecJSON` (POST /v1/keys) does with a body before the store: nil where it would answer 4xx.
func createKeySpec(_ value: JSONValue, maxRPM: Int) -> KeySpec? {
    guard case .object(let members) = value,
          members.allSatisfy({ ["name", "expires_at", "rate_limit_rpm"].contains($0.0) }) else { return nil }
    func optionalString(_ field: String) -> String?? {
        guard let v = value[field], !v.isNull else { return .some(nil) }
        guard let s = v.stringValue else { return nil }
        return .some(s)
    }
    guard let name = optionalString("name"), let expiresAt = optionalString("expires_at") else { return nil }
    var rpm: Int?
    if let v = value["rate_limit_rpm"], !v.isNull {
        guard let int = v.intValue else { return nil }
        rpm = int
    }
    return try? KeySpec.validate(name: name, expiresAt: expiresAt, rateLimitRPM: rpm, now: now, maxRPM: maxRPM)
}

func checkSpec(_ spec: KeySpec, maxRPM: Int, body: [UInt8]) {
    let scalars = spec.name.unicodeScalars.count
    require((1...100).contains(scalars), "name of \(scalars) code points accepted from \(swiftLiteral(body))")
    require(spec.name == spec.name.trimmingCharacters(in: .whitespacesAndNewlines), "untrimmed name from \(swiftLiteral(body))")
    require((1...maxRPM).contains(spec.rateLimitRPM), "rate limit \(spec.rateLimitRPM) accepted from \(swiftLiteral(body))")
    if let expiry = spec.expiresAt {
        require(expiry > now && expiry.timeIntervalSince1970.rounded(.down) == expiry.timeIntervalSince1970,
                "expiry \(expiry.timeIntervalSince1970) accepted from \(swiftLiteral(body))")
        // The API writes expires_at with RFC3339.string; a client (and the CLI) must read it back.
        let written = RFC3339.string(from: expiry)
        require(RFC3339.date(from: written) == expiry,
                "expiry \(expiry.timeIntervalSince1970) is written as \(written.debugDescription), which does not read back; body \(swiftLiteral(body))")
    }
}

/// 0000-01-01T00:00:00Z up to the end of 9999-12-31T23:59:59Z: the instants a four-digit year can write.
let writableYears = -62_167_219_200.0..<253_402_300_800.0

func checkTimestamp(_ text: String) {
    if let date = RFC3339.date(from: text) {
        require(writableYears.contains(date.timeIntervalSince1970),
                "RFC3339.date(\(text.debugDescription)) is \(date.timeIntervalSince1970), outside four-digit years")
        let written = RFC3339.string(from: date)
        require(RFC3339.date(from: written) == Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)),
                "RFC3339 round trip of \(text.debugDescription) via \(written.debugDescription)")
    }
    _ = RFC3339.startOfDay(from: text)
}

/// `Credits.parse` against Decimal arithmetic.
func checkCredits(_ text: String) {
    let micro = Credits.parse(text)
    if let micro {
        require(micro.magnitude <= 1_000_000_000_000_000_000, "Credits.parse(\(text)) is \(micro)")
        require(Credits.parse(Credits.format(micro: micro)) == micro, "Credits.format(\(micro)) does not read back")
    }
    // Decimal holds 38 significant digits: compare only numbers it represents exactly.
    let parts = text.split(maxSplits: 1, whereSeparator: { $0 == "e" || $0 == "E" })
    let digits = parts[0].filter(\.isNumber).drop { $0 == "0" }.count
    guard digits <= 38, let exponent = parts.count == 2 ? Int(parts[1]) : 0, abs(exponent) <= 60,
          let decimal = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), !decimal.isNaN else { return }
    var scaled = decimal * Decimal(1_000_000)
    var rounded = Decimal()
    NSDecimalRound(&rounded, &scaled, 0, .plain)
    let expected: Int64? = rounded == scaled && rounded.magnitude <= Decimal(1_000_000_000_000_000_000)
        ? Int64(truncating: rounded as NSDecimalNumber) : nil
    require(micro == expected, "Credits.parse(\(text)) is \(micro.map(String.init) ?? "nil"), Decimal says \(expected.map(String.init) ?? "nil")")
}

func checkFixed(_ input: [UInt8]) {
    guard input.count >= 9 else { return }
    let bits = input.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    let value = Double(bitPattern: bits)
    let decimals = Int(input[8]) % 18
    let text = JSONWriter.fixed(value, decimals: decimals)
    guard value.isFinite else { return require(text == nil, "fixed(\(value)) is \(text ?? "nil")") }
    guard let text else { return require(false, "fixed(\(value), \(decimals)) is nil") }
    // -?(0|[1-9][0-9]*)(\.[0-9]{decimals})?
    var bytes = Array(text.utf8)[...]
    if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
    let integer = bytes.prefix { $0 != UInt8(ascii: ".") }
    let fraction = bytes.dropFirst(integer.count)
    let digits = { (s: ArraySlice<UInt8>) in s.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    require(!integer.isEmpty && digits(integer) && (integer.count == 1 || integer.first != 0x30)
            && (decimals == 0 ? fraction.isEmpty : fraction.count == decimals + 1 && fraction.first == UInt8(ascii: ".")
                && digits(fraction.dropFirst())),
            "fixed(\(value), \(decimals)) is \(text.debugDescription)")
    guard let parsed = Double(text) else { return require(false, "fixed(\(value), \(decimals)) is \(text.debugDescription)") }
    let tolerance = 0.5 * pow(10, -Double(decimals)) + 4 * value.ulp + 4 * parsed.ulp
    require(abs(parsed - value) <= tolerance, "fixed(\(value), \(decimals)) is \(text.debugDescription)")
}

/// `parseKeepingSpans` (a recording's members kept byte for byte) against `parse`.
func checkSpans(_ body: [UInt8], _ parsed: Result<JSONValue, JSONParser.Failure>) {
    let kept: (value: JSONValue, spans: [String: Range<Int>])
    do {
        kept = try JSONParser.parseKeepingSpans(body)
    } catch {
        guard case .failure(let failure) = parsed else {
            return require(false, "parseKeepingSpans refuses \(swiftLiteral(body)) (\(error.reason) at \(error.offset)), which parse accepts")
        }
        return require(error == failure, """
            parseKeepingSpans fails on \(swiftLiteral(body)) with \(error.reason) at \(error.offset), \
            parse with \(failure.reason) at \(failure.offset)
            """)
    }
    guard case .success(let value) = parsed else {
        return require(false, "parseKeepingSpans accepts \(swiftLiteral(body)), which parse refuses")
    }
    require(kept.value == value, "parseKeepingSpans reads \(swiftLiteral(body)) as a different value")
    guard case .object(let members) = value else {
        return require(kept.spans.isEmpty, "spans \(kept.spans) for a document that is not an object: \(swiftLiteral(body))")
    }
    require(kept.spans.count == members.count, "\(kept.spans.count) spans for \(members.count) members of \(swiftLiteral(body))")
    for (name, member) in members {
        guard let span = kept.spans[name] else { return require(false, "no span for member \(name.debugDescription) of \(swiftLiteral(body))") }
        guard span.lowerBound >= 0 && span.upperBound <= body.count else {
            return require(false, "span \(span) of member \(name.debugDescription) outside \(body.count) bytes")
        }
        let alone = try? JSONParser.parse(body[span])
        require(alone == member, """
            member \(name.debugDescription) of \(swiftLiteral(body)) has the span \(span), \(swiftLiteral(body[span])), \
            which does not parse to its value
            """)
    }
}

func fuzzAdminJSON(_ body: [UInt8]) {
    checkFixed(body)
    let value: JSONValue
    do {
        value = try JSONParser.parse(body)
    } catch {
        require(error.offset >= 0 && error.offset <= body.count, "failure offset \(error.offset) of \(body.count)")
        checkSpans(body, .failure(error))
        return
    }
    checkSpans(body, .success(value))

    var written: [UInt8] = []
    write(value, to: &written)
    let again: JSONValue
    do {
        again = try JSONParser.parse(written)
    } catch {
        return require(false, "\(swiftLiteral(body)) parses, but its rewrite \(swiftLiteral(written)) does not: \(error.reason) at \(error.offset)")
    }
    require(again == value, "\(swiftLiteral(body)) reads back as a different value via \(swiftLiteral(written))")
    var rewritten: [UInt8] = []
    write(again, to: &rewritten)
    require(rewritten == written, "rewriting \(swiftLiteral(body)) is not stable")

    // Foundation refuses numbers beyond Double's range (RFC 8259 §6 lets a parser limit range);
    // ours keeps number text, and `intValue` refuses what Int cannot hold.
    if numbers(in: value).allSatisfy({ Double($0)?.isFinite == true }) {
        require((try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil,
                "JSONParser accepts \(swiftLiteral(body)), which JSONSerialization refuses")
    }

    for maxRPM in [1, 100, 1000] {
        if let spec = createKeySpec(value, maxRPM: maxRPM) { checkSpec(spec, maxRPM: maxRPM, body: body) }
    }
    for string in strings(in: value).prefix(16) { checkTimestamp(string) }
    for number in numbers(in: value).prefix(16) { checkCredits(number) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzAdminJSON(inputBytes(data, size))
    return 0
}
