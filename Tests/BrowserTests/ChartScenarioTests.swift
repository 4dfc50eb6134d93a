import Foundation
import Testing
import TestSupport

/// The console's charts in headless Chromium, on a fake clock so cycles and days are the same on every
/// run: the Billing screen (balance over time, credits per day, the lots, Buy credits) and a key's page
/// (requests per hour by outcome, credits per day). Each chart's bars are checked against the API's own
/// numbers, value by value and in drawn height.
/// In the console suite itself: each scenario has its own server, chromedriver and Chromium.
extension ConsoleScenarioTests {
    @Test("Billing: Buy credits with inline 422 and 402, the balance line's marks and the daily bars match the ledger, the lots match the API",
          .enabled(if: shouldRun, "chromium and chromedriver are not installed (apt-get install chromium chromium-driver); set CI=1 to make this a failure"),
          .timeLimit(.minutes(4)))
    func billingCharts() throws {
        guard BrowserTools.available else {
            Issue.record(Comment(rawValue: "CI is set but the browser scenario cannot run: \(BrowserTools.missingMessage)"))
            return
        }
        var steps = Stopwatch(title: "billing charts")
        let harness = try BrowserHarness(serverArguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "pro"])
        defer { harness.stop() }
        let (server, page, browser) = (harness.server, harness.page, harness.browser)
        let shots = Screenshots()

        // Before any usage: the daily bars say so; Pro may buy credits; one lot, this cycle's 24.
        try browser.navigate(to: page.base + "/#/billing")
        try harness.signIn(expecting: "billing")
        try page.wait("the charts") { try page.exists("#balance-chart svg.chart-svg") && page.exists("#spend-chart .chart-empty") }
        #expect(try page.text("#spend-chart .chart-empty") == "No usage yet")
        #expect(try page.isVisible("#topup-card"))
        let firstLots = try lots(page)
        #expect(firstLots == [["monthly", "24.00"]], "lots: \(firstLots)")  // cycle 0's, spent, is not listed
        steps.lap("no usage yet; Buy credits on Pro")

        // Usage on three days of cycle 1, then the clock crosses Feb 1 (cycle 1's leftover expires, cycle 2's
        // 24 arrive) and one more request.
        // Each day's charges are in the ledger before the clock moves on: a charge still unwritten when the clock
        // crosses a cycle's end is paid from the next cycle's grant (see the report on the branch).
        let key = try server.createKey(name: "batch job").secret
        var ledger: [LedgerEntry] = []
        var charges = 0
        for (time, seconds) in [("2030-01-01T00:00:00Z", [1.0, 3.0]), ("2030-01-03T10:00:00Z", [10.0]),
                                ("2030-01-20T08:00:00Z", [2.0, 7.0]), ("2030-02-02T12:00:00Z", [5.0])] {
            try setClock(server, to: time)
            for duration in seconds {
                #expect(try server.upload("/transcribe", key: key, audio: AudioFiles.wav(seconds: duration)).status == 200)
            }
            charges += seconds.count
            ledger = try waitForLedger(server, page: page, charges: charges)
        }
        steps.lap("6 charges over 4 days, across a cycle's end")

        try page.click("#sidebar a[data-route=billing]")
        try page.wait("the daily bars") { try page.exists("#spend-chart .chart-bar") && page.text("#plan-value") == "Pro" }
        // The daily bars are the ledger's charges per UTC day, value by value and in height.
        let previousStart = "2030-01-01T00:00:00Z"
        var expected: [String: Int] = [:]
        for entry in ledger where entry.kind == "charge" { expected[String(entry.time.prefix(10)), default: 0] -= entry.micro }
        let bars = try drawnBars(page, chart: "#spend-chart")
        #expect(bars.values.mapValues { $0.micro } == expected, "bars \(bars.values) vs ledger \(expected)")
        #expect(bars.values.values.reduce(0) { $0 + $1.micro } == 11_200, "28 s of audio at 0.0004 credits a second")
        for (day, bar) in bars.values {
            #expect(abs(bar.height - Double(bar.micro) / 1e6 * bars.scale) < 0.6, "\(day): \(bar.height) px for \(bar.micro) µcredits")
        }
        #expect(bars.buckets == 33, "a bar slot for each day from Jan 1 to Feb 2, today on the server's clock")
        // … and the account's usage per day, bucket by bucket.
        let accountDays = try usage(server, "/v1/account/usage?granularity=day&from=\(previousStart)")
        #expect(accountDays.count == 33)
        #expect(Dictionary(accountDays.filter { $0.micro != 0 }.map { (String($0.start.prefix(10)), $0.micro) }) { a, _ in a } == expected)
        // The balance line: its end is the balance; a mark for each grant, expiry and top-up since the previous cycle began.
        let account = try server.get("/v1/account").object
        #expect(account["cycle"] as? Int == 2)
        let marked = try browser.execute("return [...document.querySelectorAll('#balance-chart .chart-marker[data-kind]')].map(m => m.dataset.kind).sort()") as? [String]
        let inRange = ledger.filter { $0.time >= previousStart && ["grant", "expire", "top_up", "adjustment"].contains($0.kind) }.map(\.kind).sorted()
        #expect(marked == inRange && inRange == ["expire", "expire", "grant", "grant"], "marks \(marked ?? []) vs ledger \(inRange)")
        let lineEnd = try page.attribute("#balance-chart svg.chart-svg path.chart-line", "data-end")
        #expect(micro(lineEnd) == micro(account["balance"]), "the line ends at \(lineEnd ?? "-"), the balance is \(account["balance"] ?? "-")")
        #expect(try page.text("#balance-chart .chart-guide-label:last-of-type") == "Cycle 2 (current)")
        // The numbers behind the line, for screen readers and for copying: a row per day.
        #expect(try browser.execute("return document.querySelectorAll('#balance-chart details tbody tr').length") as? Int == 33)
        #expect(try page.attribute("#spend-chart svg.chart-svg", "aria-label")?.hasPrefix("Credits spent per day, Jan 1 – Feb 28 (UTC): 0.0112 credits in all") == true)
        // The lots: cycle 2's grant less one request; cycle 1's has expired and is not listed.
        let laterLots = try lots(page)
        #expect(laterLots == [["monthly", "23.998"]], "lots: \(laterLots)")
        steps.lap("bars = ledger per day; marks = grants and expiries; lots")

        // The tooltip: the keyboard reaches the chart, End shows the last day with usage, exactly.
        try browser.execute("document.querySelector('#spend-chart svg.chart-svg').focus()")
        try page.wait("the tooltip") { try page.attribute("#spend-chart .chart-tip", "visibility") == "visible" }
        #expect(try page.text("#spend-chart .chart-tip") == "Feb 20.002 credits")
        try browser.press(.escape)
        #expect(try page.attribute("#spend-chart .chart-tip", "visibility") == "hidden")
        #expect(try browser.string("return location.hash") == "#/billing")
        // Every chart colour is ≥ 3:1 on white (WCAG 1.4.11, non-text contrast).
        let contrasts = try browser.execute(Self.fillContrastScript, ["#view-billing .chart-bar, #view-billing .chart-marker, #view-billing .chart-line"]) as? [Double] ?? []
        #expect(!contrasts.isEmpty && contrasts.allSatisfy { $0 >= 3 }, "chart contrasts: \(contrasts)")
        steps.lap("tooltip by keyboard; contrast")

        // Buy credits: below 10, the API's 422 under the field; 12.50 then goes through.
        let refusal = try server.post("/v1/account/top-ups", json: #"{"amount": "5"}"#)
        #expect(refusal.status == 422)
        try page.fill("#topup-amount", "5")
        try page.click("#topup-submit")
        try page.wait("the 422 under the amount") { try page.isVisible("#topup-amount-error") }
        #expect(try page.text("#topup-amount-error") == refusal.detail)
        #expect(try page.attribute("#topup-amount", "aria-invalid") == "true")
        #expect(try browser.activeElementID() == "topup-amount")
        try page.fill("#topup-amount", "12.50")
        #expect(try !page.isVisible("#topup-amount-error"), "typing clears the error")
        try page.click("#topup-submit")
        try page.wait("the new balance, lot, history row and mark") {
            try page.text("#balance-value") == "36.498"
                && lots(page) == [["top_up", "12.50"], ["monthly", "23.998"]]
                && page.exists("#ledger-body tr:first-child[data-kind=top_up]")
                && page.exists("#balance-chart .chart-marker[data-kind=top_up]")
        }
        #expect(try micro(page.attribute("#balance-chart svg.chart-svg path.chart-line", "data-end")) == 36_498_000)
        #expect(try drawnBars(page, chart: "#spend-chart").values.mapValues { $0.micro } == expected, "a top-up is not spending")
        steps.lap("Buy credits: 422 inline, then 12.50")

        if shots.enabled {
            try shots.capture("billing", page: page)
            try shots.capture("billing-credits", page: page) {
                try page.browser.execute("document.getElementById('spend-chart').closest('.card').scrollIntoView()")
            }
        }

        // Phone width: the charts fit, nothing scrolls sideways.
        try browser.setViewport(width: Screenshots.phone.width, height: Screenshots.phone.height, scale: 2, mobile: true)
        try page.wait("the phone layout") { try page.isVisible("#menu-button") }
        try page.wait("the charts redrawn narrow") {
            try browser.bool("return [...document.querySelectorAll('#view-billing svg.chart-svg')].every(s => s.getBoundingClientRect().right <= 390)")
        }
        #expect(try browser.execute("return document.documentElement.scrollWidth") as? Int ?? .max <= Screenshots.phone.width)
        try browser.setViewport(width: Screenshots.desktop.width, height: Screenshots.desktop.height)
        steps.lap("phone width")

        // The plan changes to Starter behind the form: its 402 lands under the field; shown again, the form is gone.
        #expect(try server.patch("/v1/account", json: #"{"plan": "starter"}"#).status == 200)
        let notAllowed = try server.post("/v1/account/top-ups", json: #"{"amount": "10"}"#)
        #expect(notAllowed.status == 402)
        try page.fill("#topup-amount", "10")
        try page.click("#topup-submit")
        try page.wait("the 402 under the amount") { try page.isVisible("#topup-amount-error") }
        #expect(try page.text("#topup-amount-error").hasPrefix(try #require(notAllowed.detail)))
        try page.click("#sidebar a[data-route=billing]")
        try page.wait("Starter, without Buy credits") { try page.text("#plan-value") == "Starter" && !page.isVisible("#topup-card") }
        steps.lap("402 inline; Starter has no Buy credits")

        let (_, problems) = try harness.consoleProblems(allowingRefusals: [
            ("/v1/account/top-ups", 422),  // 5 credits
            ("/v1/account/top-ups", 402),  // on Starter
        ])
        #expect(problems.isEmpty, "browser console: \(problems)")
        print(steps.summary)
    }

    @Test("A key's page: requests per hour stacked by outcome and credits per day match GET /v1/keys/{id}/usage; Esc and Back return to the row",
          .enabled(if: shouldRun, "chromium and chromedriver are not installed (apt-get install chromium chromium-driver); set CI=1 to make this a failure"),
          .timeLimit(.minutes(4)))
    func keyUsageCharts() throws {
        guard BrowserTools.available else {
            Issue.record(Comment(rawValue: "CI is set but the browser scenario cannot run: \(BrowserTools.missingMessage)"))
            return
        }
        var steps = Stopwatch(title: "a key's usage")
        let harness = try BrowserHarness(serverArguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "pro"])
        defer { harness.stop() }
        let (server, page, browser) = (harness.server, harness.page, harness.browser)
        let shots = Screenshots()
        let batch = try server.createKey(name: "batch job", extra: #", "rate_limit_rpm": 2"#)
        let idle = try server.createKey(name: "idle key")
        // The page is built on GET /v1/keys/{id}/usage; a server without that route cannot show it.
        let probe = try server.get("/v1/keys/\(batch.id)/usage?granularity=day")
        if probe.status == 404 {
            try Test.cancel("GET /v1/keys/{id}/usage answers 404 on this build: the key page's charts have no data to check")
        }

        // Jan 1 and Jan 5: days of use; Jan 10: hours of use with every outcome. The last request is a 200,
        // so the key's last use is the clock's time.
        let junk = Array("this is not audio".utf8)
        var made: [String: Int] = ["ok": 0, "client": 0, "limited": 0]
        func send(_ audio: [UInt8], expect status: Int) throws {
            let answer = try server.upload("/transcribe", key: batch.secret, audio: audio)
            #expect(answer.status == status, "\(answer.status) \(answer.text)")
            made[status == 200 ? "ok" : status == 429 ? "limited" : "client", default: 0] += 1
        }
        try setClock(server, to: "2030-01-01T09:00:00Z")
        try send(AudioFiles.wav(seconds: 4), expect: 200)
        try setClock(server, to: "2030-01-05T09:00:00Z")
        try send(AudioFiles.wav(seconds: 9), expect: 200)
        let dayTotals = made
        made = ["ok": 0, "client": 0, "limited": 0]
        try setClock(server, to: "2030-01-09T14:10:00Z")  // 24 h before the last request's hour ends
        try send(junk, expect: 400)
        try send(AudioFiles.wav(seconds: 2), expect: 200)
        try setClock(server, to: "2030-01-10T03:30:00Z")
        try send(AudioFiles.wav(seconds: 1), expect: 200)
        try send(AudioFiles.wav(seconds: 1), expect: 200)
        try send(AudioFiles.wav(seconds: 1), expect: 429)
        try setClock(server, to: "2030-01-10T13:05:00Z")
        try send(junk, expect: 400)
        try send(AudioFiles.wav(seconds: 3), expect: 200)
        #expect(made == ["ok": 4, "client": 2, "limited": 1])
        _ = try waitForLedger(server, page: page, charges: 6)
        steps.lap("requests on 4 days, 7 in the last 24 h: 200, 400 and 429")

        try browser.navigate(to: page.base + "/")
        try harness.signIn()
        let row = "#keys-body tr[data-key-id=\"\(batch.id)\"]"
        try page.wait("the keys") { try page.exists(row) }
        // A click anywhere on the row (here its rate limit) opens the key's page; the heading gets the focus.
        try page.click("\(row) td[data-label='Rate limit']")
        try page.wait("the key's page") { try page.isVisible("#view-key") && page.text("#key-title") == "batch job" }
        #expect(try browser.string("return location.hash") == "#/keys/\(batch.id)")
        #expect(try browser.activeElementID() == "key-title")
        #expect(try page.attribute("#sidebar a[data-route=apis]", "aria-current") == "page")
        try page.wait("both charts") { try page.exists("#key-hours-chart .chart-bar") && page.exists("#key-days-chart .chart-bar") }
        steps.lap("row click → #/keys/{id}")

        // Requests per hour: 24 slots ending with the last request's hour; each outcome's segments sum to the API's buckets.
        let hours = try usage(server, key: batch.id, granularity: "hour", from: "2030-01-09T14:00:00Z", to: "2030-01-10T14:00:00Z")
        #expect(hours.count == 24)
        let drawn = try drawnBars(page, chart: "#key-hours-chart")
        #expect(drawn.buckets == 24)
        var fromAPI: [String: Int] = [:]
        for bucket in hours {
            for (status, count) in bucket.requests {
                let code = Int(status) ?? 0
                fromAPI[code == 200 ? "ok" : code == 429 ? "limited" : (400..<500).contains(code) ? "client" : "other", default: 0] += count
            }
        }
        #expect(drawn.byKey == fromAPI, "drawn \(drawn.byKey) vs the API's \(fromAPI)")
        #expect(fromAPI == made, "the API's \(fromAPI) vs the requests made \(made)")
        for segment in drawn.segments {
            #expect(abs(segment.height - segment.value * drawn.scale) < 0.6, "\(segment.key) at \(segment.start): \(segment.height) px for \(segment.value)")
        }
        // Told apart without colour: a pattern for each refusal, and the labels in the legend.
        #expect(try page.attribute("#key-hours-chart rect.chart-bar[data-key=client]", "fill")?.hasSuffix("-diagonal)") == true)
        #expect(try page.attribute("#key-hours-chart rect.chart-bar[data-key=limited]", "fill")?.hasSuffix("-crosshatch)") == true)
        #expect(try page.attribute("#key-hours-chart rect.chart-bar[data-key=ok]", "fill") == nil)
        #expect(try page.text("#key-hours-chart .chart-legend") == "200 OK4xx refused429 rate limited")
        // Credits per day: 30 days, the key's charges per day.
        let days = try usage(server, key: batch.id, granularity: "day", from: "2029-12-12T00:00:00Z", to: "2030-01-11T00:00:00Z")
        let dayBars = try drawnBars(page, chart: "#key-days-chart")
        #expect(dayBars.buckets == 30 && days.count == 30)
        var dayCredits: [String: Int] = [:]
        for bucket in days where bucket.micro != 0 { dayCredits[String(bucket.start.prefix(10))] = bucket.micro }
        #expect(dayBars.values.mapValues { $0.micro } == dayCredits)
        #expect(dayCredits == ["2030-01-01": 1600, "2030-01-05": 3600, "2030-01-09": 800, "2030-01-10": 2000])
        #expect(dayTotals["ok"] == 2)
        steps.lap("hours by outcome and days = the usage API")

        // The tooltip by keyboard: the last hour with usage, every outcome named; the table of numbers has 24 rows.
        try browser.execute("document.querySelector('#key-hours-chart svg.chart-svg').focus()")
        try page.wait("the tooltip") { try page.attribute("#key-hours-chart .chart-tip", "visibility") == "visible" }
        #expect(try page.text("#key-hours-chart .chart-tip") == "Jan 10, 13:00–14:00 UTC200 OK: 14xx refused: 1429 rate limited: 0Total: 2 requests")
        try browser.press(.escape)
        #expect(try page.isVisible("#view-key"), "the first Esc closes the tooltip only")
        #expect(try browser.execute("return document.querySelectorAll('#key-hours-chart details tbody tr').length") as? Int == 24)
        let contrasts = try browser.execute(Self.fillContrastScript, ["#key-hours-chart rect.chart-bar[data-key=ok], #key-days-chart .chart-bar"]) as? [Double] ?? []
        #expect(!contrasts.isEmpty && contrasts.allSatisfy { $0 >= 3 }, "chart contrasts: \(contrasts)")
        let outlines = try browser.execute(Self.strokeContrastScript, ["#key-hours-chart rect.chart-bar[data-key=client], #key-hours-chart rect.chart-bar[data-key=limited]"]) as? [Double] ?? []
        #expect(!outlines.isEmpty && outlines.allSatisfy { $0 >= 3 }, "patterned outlines: \(outlines)")
        steps.lap("tooltip, table, contrast")

        if shots.enabled {
            try shots.capture("key-usage", page: page) {
                try page.settle() // the charts are redrawn for the new width first
                // Focused afresh (Esc above closed the tooltip, not the focus): the latest hour's tooltip shows.
                try page.browser.execute("document.activeElement.blur(); document.querySelector('#key-hours-chart svg.chart-svg').focus()")
            }
            try browser.execute("document.getElementById('key-title').focus()")
        }

        // Phone width: nothing scrolls sideways.
        try browser.setViewport(width: Screenshots.phone.width, height: Screenshots.phone.height, scale: 2, mobile: true)
        try page.wait("the charts redrawn narrow") {
            try browser.bool("return [...document.querySelectorAll('#view-key svg.chart-svg')].every(s => s.getBoundingClientRect().right <= 390)")
        }
        #expect(try browser.execute("return document.documentElement.scrollWidth") as? Int ?? .max <= Screenshots.phone.width)
        try browser.setViewport(width: Screenshots.desktop.width, height: Screenshots.desktop.height)

        // Esc returns to the list, focus on the key's link; Enter opens it again; the browser's Back returns too.
        try browser.execute("document.getElementById('key-title').focus()")
        try browser.press(.escape)
        try page.wait("the list, focus on the row's link") {
            try browser.string("return location.hash") == "#/apis"
                && browser.string("return document.activeElement.closest('tr')?.dataset.keyId ?? ''") == batch.id
        }
        #expect(try browser.string("return document.activeElement.className").contains("key-link"))
        try browser.press(.enter)
        try page.wait("the key's page again") { try browser.activeElementID() == "key-title" && page.text("#key-title") == "batch job" }
        try browser.command("POST", "/back")
        try page.wait("Back to the list, focus on the row's link") {
            try browser.string("return location.hash") == "#/apis"
                && browser.string("return document.activeElement.closest('tr')?.dataset.keyId ?? ''") == batch.id
        }
        steps.lap("Esc, Enter, Back; focus restored")

        // A key never used: both charts say so.
        try page.click("#keys-body tr[data-key-id=\"\(idle.id)\"] .key-link")
        try page.wait("the idle key's page") { try page.text("#key-title") == "idle key" && page.exists("#key-days-chart .chart-empty") }
        #expect(try page.text("#key-hours-chart .chart-empty") == "No usage yet")
        #expect(try page.text("#key-days-chart .chart-empty") == "No usage yet")
        steps.lap("no usage yet")

        let (_, problems) = try harness.consoleProblems()
        #expect(problems.isEmpty, "browser console: \(problems)")
        print(steps.summary)
    }

    // MARK: - Reading the page and the API

    /// WCAG 2 contrast of each element's computed `fill` on white.
    static let fillContrastScript = colourContrastScript(property: "fill")
    static let strokeContrastScript = colourContrastScript(property: "stroke")

    private static func colourContrastScript(property: String) -> String {
        """
        const luminance = (css) => {
          const [r, g, b] = css.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((c) => c / 255)
            .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        return [...document.querySelectorAll(arguments[0])].map((e) => getComputedStyle(e).\(property))
          .filter((c) => c.startsWith('rgb')).map((c) => 1.05 / (luminance(c) + 0.05));
        """
    }

    struct Bar { let micro: Int; let height: Double }
    struct Segment { let start: String; let key: String; let value: Double; let height: Double }
    struct DrawnBars {
        let buckets: Int
        let scale: Double
        let segments: [Segment]
        /// Per bucket day (the first 10 characters of its start) for one-series charts.
        var values: [String: Bar] {
            Dictionary(segments.map { (String($0.start.prefix(10)), Bar(micro: Int(($0.value * 1e6).rounded()), height: $0.height)) }) { a, _ in a }
        }
        var byKey: [String: Int] {
            segments.reduce(into: [:]) { $0[$1.key, default: 0] += Int($1.value.rounded()) }
        }
    }

    /// Every drawn segment of a bar chart, with its bucket, its value and its height in pixels.
    private func drawnBars(_ page: ConsolePage, chart: String) throws -> DrawnBars {
        let raw = try page.browser.execute("""
            const svg = document.querySelector(arguments[0] + ' svg.chart-svg');
            const buckets = [...svg.querySelectorAll('.chart-bucket')];
            return { scale: Number(svg.dataset.scale), buckets: buckets.length, segments: buckets.flatMap((g) =>
              [...g.querySelectorAll('rect.chart-bar')].map((r) => [g.dataset.start, r.dataset.key, Number(r.dataset.value), Number(r.getAttribute('height'))])) };
            """, [chart]) as? [String: Any] ?? [:]
        let segments = (raw["segments"] as? [[Any]] ?? []).map {
            Segment(start: $0[0] as? String ?? "", key: $0[1] as? String ?? "", value: number($0[2]), height: number($0[3]))
        }
        return DrawnBars(buckets: raw["buckets"] as? Int ?? -1, scale: number(raw["scale"]), segments: segments)
    }

    /// The lots table: kind and what is left, top to bottom.
    private func lots(_ page: ConsolePage) throws -> [[String]] {
        try page.browser.execute("""
            return [...document.querySelectorAll('#lots-body tr')].map((r) => [r.dataset.kind, r.querySelector('.cell-left').textContent]);
            """) as? [[String]] ?? []
    }

    struct LedgerEntry { let time: String; let kind: String; let micro: Int }

    /// The whole ledger, newest first, once it lists `charges` charges.
    private func waitForLedger(_ server: ServerProcess, page: ConsolePage, charges: Int) throws -> [LedgerEntry] {
        var entries: [LedgerEntry] = []
        try page.wait("\(charges) charges in the ledger") {
            entries = []
            var after = ""
            repeat {
                let object = try server.get("/v1/account/ledger?limit=100&after=\(after)").object
                for item in object["data"] as? [[String: Any]] ?? [] {
                    entries.append(LedgerEntry(time: item["time"] as? String ?? "", kind: item["kind"] as? String ?? "",
                                               micro: micro(item["amount"])))
                }
                after = object["has_more"] as? Bool == true ? object["next_cursor"] as? String ?? "" : ""
            } while !after.isEmpty
            return entries.filter { $0.kind == "charge" }.count >= charges
        }
        return entries
    }

    struct UsageBucket { let start: String; let requests: [String: Int]; let micro: Int }

    private func usage(_ server: ServerProcess, key: String, granularity: String, from: String, to: String) throws -> [UsageBucket] {
        try usage(server, "/v1/keys/\(key)/usage?granularity=\(granularity)&from=\(from)&to=\(to)")
    }

    private func usage(_ server: ServerProcess, _ path: String) throws -> [UsageBucket] {
        let answer = try server.get(path)
        #expect(answer.status == 200, "usage: \(answer.status) \(answer.text)")
        return (answer.object["buckets"] as? [[String: Any]] ?? []).map { bucket in
            let requests = (bucket["requests"] as? [String: Any] ?? [:]).mapValues { Int(number($0)) }
            return UsageBucket(start: bucket["start"] as? String ?? "", requests: requests, micro: micro(bucket["credits"]))
        }
    }

    private func setClock(_ server: ServerProcess, to time: String) throws {
        let moved = try server.post("/v1/clock", json: #"{"now": "\#(time)"}"#)
        #expect(moved.status == 200, "moving the clock: \(moved.status) \(moved.text)")
    }
}

/// A JSON number (or numeric string) as a Double.
private func number(_ value: Any?) -> Double {
    switch value {
    case let number as NSNumber: return number.doubleValue
    case let text as String: return Double(text) ?? .nan
    default: return .nan
    }
}

/// Credits in millionths, exact for the API's 6-decimal amounts.
private func micro(_ value: Any?) -> Int {
    let credits = number(value)
    return credits.isNaN ? Int.min : Int((credits * 1e6).rounded())
}
