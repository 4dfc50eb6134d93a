import FoundationEssentials
import HTTPServer
import KeyStore

/// `/v1/clock`, only when `serve --fake-time` started a manual clock: lets a test suite move time,
/// to see keys expire and rate-limit windows slide without waiting.
struct ClockAPI: Sendable {
    let kit: RouteKit
    let clock: ManualClock
    let store: KeyStore
    let recorder: UsageRecorder

    func register(in router: inout RouterBuilder) {
        kit.route(&router, .GET, "/v1/clock", show)
        kit.route(&router, .POST, "/v1/clock") { request in try move(request) }
    }

    private func show(_ request: Request) throws -> Reply {
        .now(.json(200, Self.json(clock)))
    }

    private func move(_ request: Request) throws -> Reply {
        let body = try JSONBody.object(request.body, allowed: ["advance_seconds", "now"])
        switch (body["advance_seconds"], body["now"]) {
        case (let advance?, nil):
            guard case .number(let text) = advance, let seconds = Double(text), seconds >= 0, seconds <= 10 * 365 * 86_400 else {
                throw HTTPError(422, "advance_seconds must be a number from 0 to 315360000")
            }
            guard clock.now().addingTimeInterval(seconds) <= Self.latest else {
                throw HTTPError(422, "the clock cannot pass 9999-12-31T23:59:59Z")
            }
            clock.advance(by: seconds)
        case (nil, let now?):
            guard let text = now.stringValue, let date = RFC3339.date(from: text) else {
                throw HTTPError(422, "now must be an RFC 3339 time")
            }
            guard date >= clock.now() else { throw HTTPError(422, "now must not move the clock backwards") }
            guard date <= Self.latest else { throw HTTPError(422, "the clock cannot pass 9999-12-31T23:59:59Z") }
            clock.set(date)
        default:
            throw HTTPError(422, "give exactly one of advance_seconds or now")
        }
        // Usage from before the move is written first (the writer keeps queue order), then every
        // cycle start the move passed is applied, in order, before the answer.
        recorder.flush { _ in }
        return kit.afterWrite({ done in store.applyDueCycles(then: done) }) { [clock] _ in
            .json(200, Self.json(clock))
        }
    }

    /// RFC 3339 has four-digit years: the clock stops short of year 10000.
    static let latest = Date(timeIntervalSince1970: 253_402_300_799)  // 9999-12-31T23:59:59Z

    private static func json(_ clock: ManualClock) -> [UInt8] {
        let now = clock.now()
        var json = JSONWriter()
        json.beginObject()
        json.field("now", RFC3339.string(from: now))
        json.field("unix", raw: JSONWriter.fixed(now.timeIntervalSince1970, decimals: 3) ?? "null")
        json.endObject()
        return json.bytes
    }
}
