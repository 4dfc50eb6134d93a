@testable import HTTPServer
import Testing

/// What a parse run produced: heads, body bytes per request, ends, and the terminal error if any.
struct ParseRun {
    var heads: [RequestHead] = []
    var bodies: [[UInt8]] = []
    var ends = 0
    var error: HTTPParseError?

    var body: String { String(decoding: bodies.first ?? [], as: UTF8.self) }
}

/// Feeds wire bytes to a fresh parser, whole or one byte at a time, and records every event.
func parse(_ wire: String, oneByteAtATime: Bool = false, limits: HTTPLimits = HTTPLimits()) -> ParseRun {
    parse(Array(wire.utf8), oneByteAtATime: oneByteAtATime, limits: limits)
}

func parse(_ wire: [UInt8], oneByteAtATime: Bool = false, limits: HTTPLimits = HTTPLimits()) -> ParseRun {
    var parser = HTTPRequestParser(limits: limits)
    var input = InputBuffer()
    var run = ParseRun()
    let pieces: [ArraySlice<UInt8>] = oneByteAtATime ? wire.indices.map { wire[$0...$0] } : [wire[...]]
    for piece in pieces {
        input.append(piece)
        do {
            while let event = try parser.next(&input) {
                switch event {
                case .head(let head):
                    run.heads.append(head)
                    run.bodies.append([])
                case .body(let bytes):
                    run.bodies[run.bodies.count - 1].append(contentsOf: bytes)
                case .end:
                    run.ends += 1
                }
            }
        } catch {
            run.error = error
            return run
        }
        input.compact()
    }
    return run
}

/// Runs both ways and insists they agree: byte-at-a-time feeding must not change the outcome. A
/// difference fails the calling test (and only that one).
func parseBothWays(_ wire: String, limits: HTTPLimits = HTTPLimits(), sourceLocation: SourceLocation = #_sourceLocation) -> ParseRun {
    let whole = parse(wire, limits: limits)
    let trickled = parse(wire, oneByteAtATime: true, limits: limits)
    if !(whole.heads == trickled.heads && whole.bodies == trickled.bodies && whole.ends == trickled.ends
        && whole.error == trickled.error) {
        let describe = { (run: ParseRun) in run.error.map { "\($0)" } ?? "\(run.heads.count) heads, \(run.ends) ends" }
        let message = "byte-at-a-time parse differs for \(wire.debugDescription): whole \(describe(whole)), byte at a time \(describe(trickled))"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
    return whole
}
