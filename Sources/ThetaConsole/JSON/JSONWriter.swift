import HTTPServer

/// Writes JSON objects field by field into bytes, in the order given. Faster and more predictable
/// than JSONEncoder for the few flat shapes this API returns.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = []

    public init() {
        bytes.reserveCapacity(256)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma.removeLast()
    }

    public mutating func beginArray(_ name: String? = nil) {
        if let name { key(name) } else { separate() }
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma.removeLast()
    }

    public mutating func beginObject(_ name: String) {
        key(name)
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONString.append(value, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
    }

    public mutating func field(_ name: String, _ value: Int?) {
        key(name)
        bytes.append(contentsOf: (value.map(String.init) ?? "null").utf8)
    }

    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A number written exactly as given (already formatted, e.g. "0.0004").
    public mutating func field(_ name: String, raw: String) {
        key(name)
        bytes.append(contentsOf: raw.utf8)
    }

    public mutating func value(_ string: String) {
        separate()
        JSONString.append(string, to: &bytes)
    }

    private mutating func key(_ name: String) {
        separate()
        JSONString.append(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func separate() {
        guard !needsComma.isEmpty else { return }
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }
}
