import KeyStore
import ThetaConsole

/// `scan --format sarif`: the findings as one SARIF 2.1.0 log (OASIS), for code-scanning tools.
///
/// One rule, `theta-console-api-key`; a live key (active, or unknown to the database) is an `error`,
/// an inactive or expired one a `note`. Columns are Unicode code points, as the scanner counts them.
/// The message and the fingerprint carry the hint, never the key (decisions.md, Leak scanner).
struct SARIFLog {
    static let ruleID = "theta-console-api-key"
    static let schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

    private var results: [(file: String, finding: LeakFinding, deactivated: Bool)] = []

    mutating func add(file: String, _ finding: LeakFinding, deactivated: Bool) {
        results.append((file, finding, deactivated))
    }

    /// The whole log. `succeeded` is false when some path could not be read.
    func render(_ totals: LeakScan.Totals, succeeded: Bool) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.field("$schema", Self.schema)
        json.field("version", "2.1.0")
        json.beginArray("runs")
        json.beginObject()
        json.beginObject("tool")
        json.beginObject("driver")
        json.field("name", "theta-console")
        json.beginArray("rules")
        writeRule(to: &json)
        json.endArray()
        json.endObject()
        json.endObject()
        json.beginArray("invocations")
        json.beginObject()
        json.field("executionSuccessful", succeeded)
        json.endObject()
        json.endArray()
        json.field("columnKind", "unicodeCodePoints")
        json.beginArray("results")
        for result in results { write(result.file, result.finding, deactivated: result.deactivated, to: &json) }
        json.endArray()
        json.beginObject("properties")
        json.field("filesScanned", totals.files)
        json.field("bytesScanned", totals.bytes)
        json.field("lookalikes", totals.lookalikes)
        json.field("binaryFilesSkipped", totals.binary)
        json.field("keysDeactivated", totals.deactivated)
        json.endObject()
        json.endObject()
        json.endArray()
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }

    private func writeRule(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", Self.ruleID)
        json.field("name", "LeakedThetaConsoleAPIKey")
        json.beginObject("shortDescription")
        json.field("text", "A theta-console API key (sk-theta-…) with a valid checksum")
        json.endObject()
        json.beginObject("fullDescription")
        json.field("text", "The text holds an sk-theta- API key whose CRC-32 checksum is valid, so it is almost "
                   + "certainly a real key. Anyone who reads the text can use it until it is deactivated.")
        json.endObject()
        json.beginObject("help")
        json.field("text", "Deactivate the key (theta-console keys deactivate KEY_ID, or theta-console scan --db FILE "
                   + "--deactivate), then remove it from the file and from its history.")
        json.endObject()
        json.beginObject("defaultConfiguration")
        json.field("level", "error")
        json.endObject()
        json.beginObject("properties")
        json.beginArray("tags")
        json.value("security")
        json.value("secret")
        json.endArray()
        json.field("precision", "very-high")
        json.endObject()
        json.endObject()
    }

    private func write(_ file: String, _ finding: LeakFinding, deactivated: Bool, to json: inout JSONWriter) {
        let line = finding.finding.line, column = finding.finding.column
        json.beginObject()
        json.field("ruleId", Self.ruleID)
        json.field("ruleIndex", 0)
        json.field("level", finding.isLive ? "error" : "note")
        json.beginObject("message")
        var text = "theta-console API key \(finding.finding.hint) (\(finding.status))"
        if let id = finding.record?.id { text += ", \(id)" }
        if deactivated { text += "; deactivated by this scan" }
        json.field("text", text)
        json.endObject()
        json.beginArray("locations")
        json.beginObject()
        json.beginObject("physicalLocation")
        json.beginObject("artifactLocation")
        json.field("uri", Self.uriReference(file))
        json.endObject()
        json.beginObject("region")
        json.field("startLine", line)
        json.field("startColumn", column)
        json.field("endLine", line)
        json.field("endColumn", column + APIKeyFormat.length)
        json.endObject()
        json.endObject()
        json.endObject()
        json.endArray()
        json.beginObject("partialFingerprints")
        json.field("keyHint/v1", finding.finding.hint)
        json.endObject()
        json.beginObject("properties")
        json.field("keyId", finding.record?.id)
        json.field("status", finding.status)
        json.field("deactivated", deactivated)
        json.endObject()
        json.endObject()
    }

    /// A path as a relative or absolute URI reference: bytes outside RFC 3986's unreserved set
    /// and `/` are percent-encoded.
    static func uriReference(_ path: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
