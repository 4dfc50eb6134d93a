// Shared by every fuzz target: input plumbing, the chunkings a differential run compares, and the
// one way a broken invariant is reported (a trap with a message, which libFuzzer records as a crash).

#if canImport(Glibc)
import Glibc
#endif

/// Known findings to step around while they are open, so fuzzing can go on past them:
/// FUZZ_SKIP=name,name (each harness names the findings it can skip). Empty by default.
let skippedFindings: Set<String> = {
    guard let raw = getenv("FUZZ_SKIP") else { return [] }
    return Set(String(cString: raw).split(separator: ",").map { String($0) })
}()

func skipping(_ finding: String) -> Bool { skippedFindings.contains(finding) }

/// Stops the run with `message` when an invariant is broken.
@inline(never)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("fuzz invariant broken: \(message())", file: file, line: line) }
}

/// The fuzzer's input as an array (libFuzzer passes a null pointer for the empty input).
func inputBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// FNV-1a: a deterministic seed taken from the input itself, so a crashing file replays exactly
/// and stays a plain wire string / audio file / JSON body that a unit test can paste.
func fnv1a(_ bytes: some Collection<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return hash
}

/// xorshift64*: enough randomness to pick piece lengths.
struct SplitRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}

/// How one run cuts the input into the pieces it feeds.
enum Chunking: CustomStringConvertible {
    case whole
    case byteAtATime
    case splitAt(Int)
    case pieces(seed: UInt64)

    /// The chunkings every differential target compares with `.whole`.
    static func all(for bytes: [UInt8]) -> [Chunking] {
        let seed = fnv1a(bytes)
        return [.whole, .byteAtATime, .splitAt(Int(seed % UInt64(bytes.count + 1))), .pieces(seed: seed)]
    }

    /// Cut points (exclusive ends) covering `0..<count`, every piece non-empty.
    func ends(count: Int) -> [Int] {
        guard count > 0 else { return [] }
        switch self {
        case .whole:
            return [count]
        case .byteAtATime:
            return Array(1...count)
        case .splitAt(let at):
            return at > 0 && at < count ? [at, count] : [count]
        case .pieces(let seed):
            var random = SplitRandom(seed: seed)
            // Mostly small pieces, where carried-over state lives, with the odd long one.
            let scales = [1, 2, 3, 5, 16, 97, 1024]
            var ends: [Int] = []
            var at = 0
            while at < count {
                let scale = scales[random.next(below: scales.count)]
                at = min(count, at + 1 + random.next(below: scale))
                ends.append(at)
            }
            return ends
        }
    }

    /// The input as the slices this chunking feeds.
    func pieces(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var start = 0
        return ends(count: bytes.count).map { end in
            defer { start = end }
            return bytes[start..<end]
        }
    }

    var description: String {
        switch self {
        case .whole: return "whole"
        case .byteAtATime: return "byte-at-a-time"
        case .splitAt(let at): return "split at \(at)"
        case .pieces(let seed): return "random pieces (seed \(seed))"
        }
    }
}

/// Bytes as a Swift string literal, for failure messages that can be pasted into a test.
func swiftLiteral(_ bytes: some Collection<UInt8>, limit: Int = 400) -> String {
    var out = "\""
    for byte in bytes.prefix(limit) {
        switch byte {
        case 0x0D: out += "\\r"
        case 0x0A: out += "\\n"
        case 0x09: out += "\\t"
        case 0x22: out += "\\\""
        case 0x5C: out += "\\\\"
        case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
        default: out += "\\u{\(String(byte, radix: 16))}"
        }
    }
    return out + (bytes.count > limit ? "\"…(\(bytes.count) bytes)" : "\"")
}
