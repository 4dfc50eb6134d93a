import Foundation
import Testing
import TestSupport

/// The browser console, driven in headless Chromium through chromedriver, against the real binary on
/// a fresh database (plan Free). Skipped with a message where Chromium is missing, unless `CI` is set:
/// then a missing browser fails the test.
@Suite("Browser console", .keepsEvidence)
struct ConsoleScenarioTests {
    static let shouldRun = BrowserTools.available || BrowserTools.required

    @Test("Sign in, create a key, use it, delete it, hit the plan's limit, see inline errors",
          .enabled(if: shouldRun, "chromium and chromedriver are not installed (apt-get install chromium chromium-driver); set CI=1 to make this a failure"),
          .timeLimit(.minutes(5)))
    func consoleScenario() throws {
        guard BrowserTools.available else {
            Issue.record(Comment(rawValue: "CI is set but the browser scenario cannot run: \(BrowserTools.missingMessage)"))
            return
        }
        var steps = Stopwatch(title: "the console scenario")
        let harness = try BrowserHarness()
        defer { harness.stop() }
        let (server, adminToken, browser, page) = (harness.server, harness.adminToken, harness.browser, harness.page)
        let shots = Screenshots()
        steps.lap("start server, chromedriver and Chromium")

        // 1. Sign in: a wrong token is refused with a message; the right one opens APIs.
        try browser.navigate(to: page.base + "/")
        try page.wait("the sign-in form") { try page.isVisible("#signin-token") }
        #expect(try browser.bool("return matchMedia('(prefers-reduced-motion: reduce)').matches"))
        try shots.capture("sign-in", page: page)
        try page.fill("#signin-token", "not-the-admin-token-0000")
        try page.click("#signin-submit")
        try page.wait("the wrong-token message") { try page.isVisible("#signin-token-error") }
        #expect(try page.text("#signin-token-error") == "That admin token was not accepted. Check it and try again.")
        #expect(try page.attribute("#signin-token", "aria-invalid") == "true")
        #expect(try page.isVisible("#signin"))
        #expect(try browser.execute("return sessionStorage.length") as? Int == 0)

        try page.fill("#signin-token", adminToken)
        try page.click("#signin-submit")
        try page.wait("the APIs screen") { try page.isVisible("#view-apis") && page.isVisible("#keys-empty") }
        #expect(try browser.bool("return sessionStorage.getItem('theta-console.admin-token') === arguments[0]", [adminToken]))
        #expect(try browser.string("return document.cookie") == "")
        #expect(try browser.string("return location.hash") == "#/apis")
        #expect(try page.text("#plan-usage").contains("Free plan"))
        steps.lap("1. sign in (wrong token, then the right one)")

        // Keyboard only: Tab reaches Create New Key, Enter opens the dialog, focus stays inside it,
        // Esc closes it and focus returns to the button.
        #expect(try browser.activeElementID() == "apis-title")
        try browser.press(.tab)
        #expect(try browser.activeElementID() == "create-key")
        try browser.press(.enter)
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        #expect(try browser.activeElementID() == "key-name")
        for _ in 0..<10 {
            try browser.press(.tab)
            #expect(try page.focusIsInside("create-dialog"), "Tab left the open dialog")
        }
        for _ in 0..<4 {
            try browser.pressShiftTab()
            #expect(try page.focusIsInside("create-dialog"), "Shift+Tab left the open dialog")
        }
        try browser.press(.escape)
        try page.wait("the dialog to close on Esc") { try !page.isDialogOpen("create-dialog") }
        #expect(try browser.activeElementID() == "create-key")
        steps.lap("keyboard: Tab, Enter, focus trap, Esc, focus back")

        // 2. Create a key through the form: name, an expiry date next year, a rate limit.
        let nextYear = Calendar.current.component(.year, from: Date()) + 1
        try page.click("#create-key")
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        #expect(try page.attribute("#key-expires", "min") == (try browser.string("""
            const d = new Date(); return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
            """)))
        try page.fill("#key-name", "CI pipeline")
        #expect(try page.enterDate("#key-expires", year: nextYear, month: 12, day: 31) == "\(nextYear)-12-31")
        try page.fill("#key-rpm", "60")
        try page.click("#create-submit")
        try page.wait("the one-time key pop-up") { try page.isDialogOpen("reveal-dialog") }
        #expect(try !page.isDialogOpen("create-dialog"))
        steps.lap("2. create a key through the form")

        // 3. The pop-up shows the full key once, with a warning; the key works against POST /transcribe.
        let key = try page.text("#reveal-key")
        #expect(key.hasPrefix("sk-theta-") && key.count == 47, "not a key: \(key.count) characters")
        #expect(try page.text("#reveal-warning").contains("will not be shown again"))
        #expect(try page.text("#reveal-name") == "CI pipeline")
        // The state search below must be able to see the key while it is on screen, or its silence means nothing.
        #expect(try page.reachableState().contains(key))
        let accepted = try server.upload("/transcribe", key: key)
        #expect(accepted.status == 200, "transcribe with the new key: \(accepted.status) \(accepted.text)")
        try page.click("#reveal-copy")
        try page.wait("the copy confirmation") { try !page.text("#reveal-copy-status").isEmpty }
        steps.lap("3. read the key from the pop-up; /transcribe → 200")

        // 4. Closing the pop-up removes the key from the page: DOM, field values, JS-reachable state, storage.
        try page.click("#reveal-done")
        // The close event (which returns the focus) is dispatched after the dialog closes: wait for it.
        try page.wait("the pop-up to close") { try !page.isDialogOpen("reveal-dialog") && browser.activeElementID() == "create-key" }
        let keyBody = String(key.dropFirst("sk-theta-".count))
        let stateAfter = try page.reachableState()
        #expect(!stateAfter.contains(keyBody), "the key is still reachable in the page after the pop-up closed")
        #expect(try !browser.pageSource().contains(keyBody), "the key is still in the page source")
        // Re-opening anything shows nothing of it.
        try page.click("#create-key")
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        #expect(try page.text("#reveal-key").isEmpty)
        #expect(try !page.reachableState().contains(keyBody))
        try browser.press(.escape)
        try page.wait("the dialog to close") { try !page.isDialogOpen("create-dialog") }
        // The list shows the hint only.
        let keyID = try browser.string("""
            const row = [...document.querySelectorAll('#keys-body tr')].find(r => r.querySelector('.cell-main').textContent === 'CI pipeline');
            return row ? row.dataset.keyId : '';
            """)
        #expect(keyID.hasPrefix("key_"))
        let row = "#keys-body tr[data-key-id=\"\(keyID)\"]"
        #expect(try page.text("\(row) .key-hint") == "sk-theta-\(keyBody.prefix(4))…\(keyBody.suffix(4))")
        #expect(try page.text("\(row) .badge") == "Active")
        // Picked as Dec 31: stored as the next local midnight, shown as the end of Dec 31.
        #expect(try page.text("\(row) [data-label=Expires] time .d") == "Dec 31, \(nextYear)")
        #expect(try page.text("\(row) [data-label=Expires] time .t") == "end of day")
        steps.lap("4. close the pop-up; the key is gone from the page")

        // 5. Delete through the row's button and a confirmation dialog; the row shows inactive.
        try page.click("\(row) button[data-action=delete]")
        try page.wait("the confirmation dialog") { try page.isDialogOpen("confirm-dialog") }
        let warning = try page.text("#confirm-desc")
        #expect(warning.contains("stop working immediately"))
        #expect(warning.contains("cannot be recovered"))
        #expect(try browser.activeElementID() == "confirm-cancel", "the safe choice should have focus")
        try page.click("#confirm-delete")
        try page.wait("the row to show inactive") { try page.exists("\(row)[data-status=inactive]") }
        #expect(try page.text("\(row) .badge") == "Inactive")
        #expect(try !page.exists("\(row) button[data-action=delete]"))
        #expect(try !page.isDialogOpen("confirm-dialog"))
        steps.lap("5. delete the key (confirmation dialog)")

        // 6. The deleted key is refused.
        let refused = try server.upload("/transcribe", key: key)
        #expect(refused.status == 401)
        #expect(refused.detail == "API key is inactive.")
        steps.lap("6. /transcribe with the deleted key → 401")

        // 7. Plan Free allows one active key: make one, then the next is refused inside the dialog.
        let production = try createThroughForm(page, name: "production backend")
        #expect(try server.upload("/transcribe", key: production).status == 200)
        try page.click("#create-key")
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        try page.fill("#key-name", "staging")
        try page.click("#create-submit")
        try page.wait("the plan's refusal") { try page.isVisible("#create-error") }
        #expect(try page.text("#create-error").contains("the Free plan allows 1 active API key; deactivate one or change the plan"))
        #expect(try page.isDialogOpen("create-dialog"))
        try browser.press(.escape)
        try page.wait("the dialog to close") { try !page.isDialogOpen("create-dialog") }
        steps.lap("7. plan Free: the second active key is refused in the dialog")

        // 8. Validation errors appear next to their fields: the browser's own checks, then the API's 422.
        try page.click("#create-key")
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        #expect(try !page.isVisible("#create-error"), "a reopened dialog starts clean")
        try page.click("#create-submit")
        try page.wait("the empty-name error") { try page.isVisible("#key-name-error") }
        #expect(try page.text("#key-name-error") == "Enter a name for the key.")
        #expect(try page.attribute("#key-name", "aria-invalid") == "true")
        #expect(try browser.activeElementID() == "key-name")
        try page.fill("#key-name", "validation check")
        #expect(try !page.isVisible("#key-name-error"), "typing clears the error")
        for bad in ["0", "101"] {
            try page.fill("#key-rpm", bad)
            try page.click("#create-submit")
            try page.wait("the rate-limit error for \(bad)") { try page.isVisible("#key-rpm-error") }
            #expect(try page.text("#key-rpm-error") == "Enter a whole number from 1 to 100.")
            #expect(try browser.activeElementID() == "key-rpm")
        }
        try page.fill("#key-rpm", "100")
        try page.enterDate("#key-expires", year: 2020, month: 1, day: 1)
        try page.click("#create-submit")
        try page.wait("the past-date error") { try page.isVisible("#key-expires-error") }
        #expect(try page.text("#key-expires-error").contains("cannot expire in the past"))
        try page.paste("#key-expires", "")
        // A pasted name with a bidi override passes the browser's checks; the API's 422 lands under the name.
        try page.paste("#key-name", "evil\u{202E}name")
        try page.click("#create-submit")
        try page.wait("the API's 422 under the name") { try page.isVisible("#key-name-error") }
        #expect(try page.text("#key-name-error") == "name must not contain control characters")
        #expect(try !page.isVisible("#key-rpm-error") && !page.isVisible("#key-expires-error") && !page.isVisible("#create-error"))
        try browser.press(.escape)
        try page.wait("the dialog to close") { try !page.isDialogOpen("create-dialog") }
        steps.lap("8. inline validation errors (browser and API)")

        // Billing: the plan, the balance after two 1-second charges, and the charges in the history.
        try waitForCharges(server, page: page, count: 2)
        try page.click("a[data-route=billing]")
        try page.wait("the credit history") { try page.exists("#ledger-body tr[data-kind=charge]") }
        #expect(try page.text("#plan-value") == "Free")
        #expect(try page.text("#balance-value") == "0.1992")
        #expect(try page.text("#plan-keys") == "1 of 1 active")
        #expect(try browser.execute("return document.querySelectorAll('#ledger-body tr[data-kind=charge]').length") as? Int == 2)
        #expect(try page.text("#ledger-body tr[data-kind=charge] .cell-details").contains("/transcribe · 1 s of audio"))
        #expect(try page.text("#ledger-body tr[data-kind=grant] .cell-amount") == "+0.20")
        // Audit: newest first, with the refused sign-in at the bottom.
        try page.click("a[data-route=audit]")
        try page.wait("the audit log") { try page.exists("#audit-body tr") }
        let actions = try browser.execute("return [...document.querySelectorAll('#audit-body tr')].map(r => r.dataset.action)") as? [String]
        #expect(actions == ["key.created", "key.deactivated", "key.created", "admin.auth_failed"])
        steps.lap("Billing and Audit screens")

        // Phone width: the sidebar becomes a drawer, tables become cards, nothing scrolls sideways.
        try browser.setViewport(width: Screenshots.phone.width, height: Screenshots.phone.height, scale: 2, mobile: true)
        try page.wait("the phone layout") { try page.isVisible("#menu-button") && !page.isVisible("#sidebar") }
        try page.click("#menu-button")
        try page.wait("the drawer") { try page.isVisible("#sidebar") }
        #expect(try page.attribute("#menu-button", "aria-expanded") == "true")
        #expect(try browser.string("return document.activeElement.dataset.route || ''") == "audit")
        try browser.press(.escape)
        try page.wait("the drawer to close on Esc") { try !page.isVisible("#sidebar") }
        #expect(try browser.activeElementID() == "menu-button")
        for route in ["apis", "billing", "audit"] {
            try page.click("#menu-button")
            try page.wait("the drawer") { try page.isVisible("#sidebar") }
            try page.click("#sidebar a[data-route=\(route)]")
            try page.wait("\(route) on a phone") {
                try page.isVisible("#view-\(route)") && !page.isVisible("#sidebar") && page.exists("#view-\(route) .data-table tbody tr")
            }
            let width = try browser.execute("return document.documentElement.scrollWidth") as? Int ?? .max
            #expect(width <= Screenshots.phone.width, "\(route) scrolls sideways at phone width: \(width) px")
            // The data tables; a chart's table of numbers (Billing) stays a table, inside its own scroll box.
            let display = try browser.string("return getComputedStyle(document.querySelector('#view-\(route) .data-table tbody tr')).display")
            #expect(display != "table-row", "\(route): rows should be cards at phone width")
        }
        try browser.setViewport(width: Screenshots.desktop.width, height: Screenshots.desktop.height)
        steps.lap("phone layout: drawer, cards, no sideways scroll")

        // Sign out: the token leaves sessionStorage and the page.
        try page.click("#signout")
        try page.wait("the sign-in screen") { try page.isVisible("#signin-token") }
        #expect(try page.text("#signin-notice") == "You have signed out.")
        #expect(try browser.execute("return sessionStorage.length") as? Int == 0)
        #expect(try !page.reachableState().contains(adminToken))
        steps.lap("sign out")

        if shots.enabled {
            try captureScreens(page, server: server, adminToken: adminToken, productionKey: production, shots: shots)
            steps.lap("screenshots")
        }

        // The browser's console: nothing but the refusals this scenario asked for, and no secret anywhere in it.
        let (log, problems) = try harness.consoleProblems(allowingRefusals: [
            ("/v1/account", 401),  // step 1: the wrong token
            ("/v1/keys", 403),     // step 7: the plan's key count
            ("/v1/keys", 422),     // step 8: the API's validation
        ])
        #expect(problems.isEmpty, "browser console: \(problems)")
        #expect(!log.contains { $0.message.contains(keyBody) || $0.message.contains(adminToken) }, "a secret reached the console log")
        #expect(try !browser.bool("return performance.getEntries().some(e => e.name.includes(arguments[0]) || e.name.includes(arguments[1]))",
                                  [adminToken, keyBody]), "a secret reached a URL")
        #expect(try browser.bool("return performance.getEntriesByType('resource').every(e => e.name.startsWith(location.origin + '/'))"),
                "the console loaded something from another origin")
        steps.lap("browser console log")
        print(steps.summary)
    }

    @Test("Long lists page with the API's cursor, and the status filter asks the API",
          .enabled(if: shouldRun, "chromium and chromedriver are not installed (apt-get install chromium chromium-driver); set CI=1 to make this a failure"),
          .timeLimit(.minutes(3)))
    func pagingAndFilters() throws {
        guard BrowserTools.available else {
            Issue.record(Comment(rawValue: "CI is set but the browser scenario cannot run: \(BrowserTools.missingMessage)"))
            return
        }
        var steps = Stopwatch(title: "paging and filters")
        let harness = try BrowserHarness(serverArguments: ["--plan", "pro", "--max-key-rpm", "250"])
        defer { harness.stop() }
        let (server, page, browser) = (harness.server, harness.page, harness.browser)
        var secrets: [String] = []
        for number in 1...23 {
            secrets.append(try server.createKey(name: String(format: "key %02d", number)).secret)
        }
        for number in 1...3 {
            let id = try #require(server.get("/v1/keys?limit=100").object["data"] as? [[String: Any]])
                .first { $0["name"] as? String == String(format: "key %02d", number) }?["id"] as? String
            #expect(try server.delete("/v1/keys/\(try #require(id))").status == 200)
        }
        for _ in 0..<21 { #expect(try server.upload("/transcribe", key: secrets[22]).status == 200) }
        try waitForCharges(server, page: page, count: 21)
        steps.lap("23 keys, 3 deleted, 21 charges through the API")

        try browser.navigate(to: page.base + "/")
        try harness.signIn()
        let rows = { (view: String) in try browser.execute("return document.querySelectorAll('#\(view)-body tr').length") as? Int ?? -1 }
        try page.wait("the first page of keys") { try rows("keys") == 20 }
        #expect(try page.text("#keys-body tr:first-child .cell-main") == "key 23", "newest first")
        #expect(try page.isVisible("#keys-more"))
        #expect(try page.text("#keys-count") == "Showing the latest 20 keys")
        try page.click("#keys-more")
        try page.wait("the second page of keys") { try rows("keys") == 23 }
        #expect(try !page.isVisible("#keys-more"))
        #expect(try page.text("#keys-count") == "23 keys in all")
        #expect(try page.text("#keys-body tr:last-child .cell-main") == "key 01")

        try page.click("#key-filter input[value=inactive]")
        try page.wait("the inactive keys") { try rows("keys") == 3 && page.text("#keys-count") == "3 keys in all" }
        #expect(try browser.bool("return [...document.querySelectorAll('#keys-body tr')].every(r => r.dataset.status === 'inactive')"))
        try page.click("#key-filter input[value=expired]")
        try page.wait("no expired keys") { try rows("keys") == 0 && page.isVisible("#keys-empty") }
        #expect(try page.text("#keys-empty-title") == "No expired keys")
        try page.click("#key-filter input[value=active]")
        try page.wait("the active keys") { try rows("keys") == 20 && page.text("#keys-count") == "20 keys in all" }
        #expect(try !page.isVisible("#keys-more"), "exactly a page: nothing more to load")
        steps.lap("APIs: two pages, the filters")

        try page.click("#sidebar a[data-route=billing]")
        try page.wait("the first page of the credit history") { try rows("ledger") == 20 && page.isVisible("#ledger-more") }
        try page.click("#ledger-more")
        // The initial grant, serve --plan pro (plan change, Free's 0.20 expiring, Pro's 24 granted), 21 charges.
        try page.wait("the whole credit history") { try rows("ledger") == 25 && !page.isVisible("#ledger-more") }
        #expect(try page.text("#ledger-count") == "25 entries in all")
        #expect(try page.text("#ledger-body tr:last-child .cell-type") == "Grant")
        try page.click("#sidebar a[data-route=audit]")
        try page.wait("the first page of the audit log") { try rows("audit") == 25 && page.isVisible("#audit-more") }
        try page.click("#audit-more")
        try page.wait("the whole audit log") { try rows("audit") == 27 && !page.isVisible("#audit-more") }
        #expect(try page.text("#audit-body tr:last-child .cell-main") == "Account changed", "oldest last: serve --plan pro")
        steps.lap("Billing and Audit: two pages each")

        // serve --max-key-rpm 250: the form offers up to 250 (GET /v1/account says so), not 100.
        try page.click("#sidebar a[data-route=apis]")
        try page.click("#create-key")
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        try page.wait("the form's ceiling from the account") { try page.attribute("#key-rpm", "max") == "250" }
        #expect(try page.text("#key-rpm-hint") == "Requests per minute, from 1 to 250.")
        #expect(try page.value("#key-rpm") == "100", "the default stays the documented 100")
        try page.fill("#key-name", "contract key")
        try page.fill("#key-rpm", "250")
        try page.click("#create-submit")
        try page.wait("the one-time key pop-up") { try page.isDialogOpen("reveal-dialog") }
        try page.click("#reveal-done")
        try page.wait("the pop-up to close") { try !page.isDialogOpen("reveal-dialog") }
        let created = try #require(server.get("/v1/keys?limit=1").object["data"] as? [[String: Any]]).first
        #expect(created?["name"] as? String == "contract key" && created?["rate_limit_rpm"] as? Int == 250)
        steps.lap("a 250-RPM key through the form")

        // A downgrade past the key limit keeps the keys and says so on the Billing screen.
        #expect(try page.isVisible("#billing-over-limit") == false)
        #expect(try server.patch("/v1/account", json: #"{"plan": "starter"}"#).status == 200)
        try page.click("#sidebar a[data-route=billing]")
        try page.wait("the over-the-limit banner") { try page.isVisible("#billing-over-limit") }
        #expect(try page.text("#billing-over-limit").hasPrefix("21 active keys, but Starter allows 3: 18 over the limit."))
        steps.lap("a downgrade past the key limit, on the Billing screen")

        let (_, problems) = try harness.consoleProblems()
        #expect(problems.isEmpty, "browser console: \(problems)")
        print(steps.summary)
    }

    @Test("Keys expiring within 7 days get a badge, and the banner counts them all through the API",
          .enabled(if: shouldRun, "chromium and chromedriver are not installed (apt-get install chromium chromium-driver); set CI=1 to make this a failure"),
          .timeLimit(.minutes(3)))
    func expiryWarnings() throws {
        guard BrowserTools.available else {
            Issue.record(Comment(rawValue: "CI is set but the browser scenario cannot run: \(BrowserTools.missingMessage)"))
            return
        }
        var steps = Stopwatch(title: "expiry warnings")
        let harness = try BrowserHarness(serverArguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "pro"])
        defer { harness.stop() }
        let (server, page, browser) = (harness.server, harness.page, harness.browser)
        // The oldest keys are the ones with an expiry, so the first page (the 20 newest) shows none of them.
        // Times left are counted from 00:01:00, after the clock moves a minute below.
        var ids: [String: String] = [:]
        for (name, expiry) in [("expired", "2030-01-01T00:01:00Z"), ("deleted", "2030-01-02T00:00:00Z"),
                               ("seven days", "2030-01-08T00:01:00Z"), ("seven days and a second", "2030-01-08T00:01:01Z"),
                               ("two days", "2030-01-03T12:00:00Z"), ("five hours", "2030-01-01T05:01:00Z"),
                               ("rolled", "2030-01-05T00:01:00Z")] {
            ids[name] = try server.createKey(name: name, extra: #", "expires_at": "\#(expiry)""#).id
        }
        #expect(try server.delete("/v1/keys/\(try #require(ids["deleted"]))").status == 200)
        // Rolled with an hour's grace: the successor, with the same expiry, is the one to warn about.
        #expect(try server.post("/v1/keys/\(try #require(ids["rolled"]))/roll", json: #"{"grace_seconds": 3600}"#).status == 201)
        for number in 1...20 { _ = try server.createKey(name: String(format: "filler %02d", number)) }
        try advanceClock(server, seconds: 60)
        steps.lap("28 keys, 8 with an expiry, one rolled; the clock moved a minute")

        try browser.navigate(to: page.base + "/")
        try harness.signIn()
        let rows = { try browser.execute("return document.querySelectorAll('#keys-body tr').length") as? Int ?? -1 }
        let badges = {
            try browser.execute("""
                return [...document.querySelectorAll('#keys-body tr')].filter(r => r.querySelector('.badge-expiring'))
                  .map(r => r.querySelector('.cell-main').textContent + ': ' + r.querySelector('.badge-expiring [aria-hidden]').textContent);
                """) as? [String] ?? ["?"]
        }
        try page.wait("the first page and the banner") { try rows() == 20 && page.exists("#keys-expiring .banner") }
        #expect(try page.attribute("#keys-expiring", "role") == "status")
        #expect(try page.text("#keys-expiring") == "4 keys expire within 7 days. Create replacements before they stop working.")
        #expect(try badges().isEmpty, "no key on the first page expires soon: the banner's count is the API's")
        try page.click("#keys-more")
        try page.wait("the second page") { try rows() == 28 }
        // Exactly 7 days left is within 7 days; 7 days and a second is not; expired, deleted and rolled
        // keys get no badge (the first "rolled" is the successor).
        #expect(try badges() == ["rolled: 4 days left", "five hours: 5 hrs left", "two days: 2 days left", "seven days: 7 days left"])
        // The badge abbreviates; a screen reader gets the words.
        let fiveHours = "#keys-body tr[data-key-id=\"\(try #require(ids["five hours"]))\"]"
        #expect(try page.text("\(fiveHours) .badge-expiring .visually-hidden") == "5 hours left")
        // Text on a tinted background, AA contrast; and the wider Expires cell still fits at 1280 px.
        for css in ["#keys-body .badge-expiring", "#keys-expiring .banner"] {
            let ratio = try browser.execute(Self.contrastScript, [css]) as? Double ?? 0
            #expect(ratio >= 4.5, "\(css): contrast \(ratio):1")
        }
        let overflow = try browser.execute("const s = document.querySelector('#view-apis .table-scroll'); return s.scrollWidth - s.clientWidth") as? Int
        #expect(overflow == 0, "the key table scrolls sideways at 1280 px by \(overflow ?? -1) px")
        steps.lap("banner 4 from the API, badges on page 2 only")

        // Deleting an expiring key updates the banner; its row loses the badge.
        try page.click("\(fiveHours) button[data-action=delete]")
        try page.wait("the confirmation dialog") { try page.isDialogOpen("confirm-dialog") }
        try page.click("#confirm-delete")
        try page.wait("the banner to count 3") { try page.text("#keys-expiring").hasPrefix("3 keys expire within 7 days.") }
        #expect(try !page.exists("\(fiveHours) .badge-expiring"))
        steps.lap("delete one: the banner counts 3")

        // A week on, one second is left on one key; a second later none: the banner goes.
        try advanceClock(server, seconds: 604_800)
        try page.click("#sidebar a[data-route=apis]")
        try page.wait("the banner to count 1, and the first page again") {
            try page.text("#keys-expiring") == "1 key expires within 7 days. Create a replacement before it stops working."
                && rows() == 20 && page.isVisible("#keys-more")
        }
        try page.click("#keys-more")
        try page.wait("the second page") { try rows() == 28 }
        #expect(try badges() == ["seven days and a second: 1 sec left"])
        try advanceClock(server, seconds: 1)
        try page.click("#sidebar a[data-route=apis]")
        try page.wait("the banner to go") { try page.text("#keys-expiring").isEmpty && rows() == 20 }
        #expect(try !page.exists("#keys-expiring .banner"))
        steps.lap("the clock moves: 1, then none")

        let (_, problems) = try harness.consoleProblems()
        #expect(problems.isEmpty, "browser console: \(problems)")
        print(steps.summary)
    }

    @Test("Roll a key from its row with a grace period, and allowed IP ranges in the create dialog and on the row",
          .enabled(if: shouldRun, "chromium and chromedriver are not installed (apt-get install chromium chromium-driver); set CI=1 to make this a failure"),
          .timeLimit(.minutes(3)))
    func rollAndAllowlists() throws {
        guard BrowserTools.available else {
            Issue.record(Comment(rawValue: "CI is set but the browser scenario cannot run: \(BrowserTools.missingMessage)"))
            return
        }
        var steps = Stopwatch(title: "roll and allowlists")
        let harness = try BrowserHarness(serverArguments: ["--fake-time", "2030-01-01T00:00:00Z", "--plan", "pro"])
        defer { harness.stop() }
        let (server, page, browser) = (harness.server, harness.page, harness.browser)
        let legacy = try server.createKey(name: "legacy client")
        let batch = try server.createKey(name: "batch job")
        let vanishing = try server.createKey(name: "vanishing")
        let retired = try server.createKey(name: "retired")
        #expect(try server.delete("/v1/keys/\(retired.id)").status == 200)
        let trial = try server.createKey(name: "trial", extra: #", "expires_at": "2030-01-01T00:00:30Z""#)
        let wide = try server.createKey(name: "branch offices", extra: #", "allowed_cidrs": ["198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24", "2001:db8::/32"]"#)
        try advanceClock(server, seconds: 60)
        steps.lap("6 keys (one deleted, one expired, one with 4 ranges); the clock moved a minute")

        try browser.navigate(to: page.base + "/")
        try harness.signIn()
        let rows = { try browser.execute("return document.querySelectorAll('#keys-body tr').length") as? Int ?? -1 }
        try page.wait("the keys") { try rows() == 6 }
        let row = { (id: String) in "#keys-body tr[data-key-id=\"\(id)\"]" }
        let focusedRow = {
            try browser.string("return document.activeElement.tagName + ' ' + (document.activeElement.closest('tr')?.dataset.keyId ?? '')")
        }
        let rollable = try browser.execute("""
            return [...document.querySelectorAll('#keys-body tr')].filter(r => r.querySelector('button[data-action=roll]'))
              .map(r => r.querySelector('.cell-main').textContent).sort();
            """) as? [String]
        #expect(rollable == ["batch job", "branch offices", "legacy client", "vanishing"], "Roll only on active keys")
        #expect(try !page.exists("\(row(retired.id)) button[data-action=roll]") && !page.exists("\(row(trial.id)) button[data-action=roll]"))
        #expect(try page.attribute("\(row(legacy.id)) button[data-action=roll]", "aria-label") == "Roll key legacy client")
        // Allowlists on the rows: none reads "Any address"; four show two and "+2 more", all four for screen readers.
        #expect(try page.text("\(row(legacy.id)) .allowlist") == "Allowed from: Any address")
        let shownRanges = { (id: String) in
            try browser.execute("return [...document.querySelectorAll(arguments[0] + ' .allowlist .cidr')].map(c => c.textContent)", [row(id)]) as? [String]
        }
        #expect(try shownRanges(wide.id) == ["198.51.100.0/24", "203.0.113.0/24"])
        #expect(try page.text("\(row(wide.id)) .cidr-more") == "+2 more")
        #expect(try page.text("\(row(wide.id)) .allowlist .visually-hidden")
                == "Allowed from 4 ranges: 198.51.100.0/24, 203.0.113.0/24, 192.0.2.0/24, 2001:db8::/32")
        #expect(try page.attribute("\(row(wide.id)) .allowlist", "title")?.hasSuffix("192.0.2.0/24, 2001:db8::/32") == true)
        steps.lap("Roll on active rows only; allowlists on the rows")

        // Keyboard: the dialog opens with the chosen grace focused, Tab stays inside, Esc closes, focus returns.
        let legacyRoll = "\(row(legacy.id)) button[data-action=roll]"
        try page.click(legacyRoll)
        try page.wait("the roll dialog") { try page.isDialogOpen("roll-dialog") }
        #expect(try page.attribute("#roll-dialog", "role") == "alertdialog")
        #expect(try page.text("#roll-name") == "“legacy client”")
        #expect(try browser.string("return document.activeElement.name + '=' + document.activeElement.value") == "roll-grace=3600",
                "the grace choice (1 h unless changed) has focus")
        #expect(try page.attribute("#roll-dialog input[value=\"3600\"]", "aria-label") == "In 1 hour")
        for _ in 0..<4 {
            try browser.press(.tab)
            #expect(try page.focusIsInside("roll-dialog"), "Tab left the roll dialog")
        }
        for _ in 0..<4 {
            try browser.pressShiftTab()
            #expect(try page.focusIsInside("roll-dialog"), "Shift+Tab left the roll dialog")
        }
        try browser.press(.escape)
        try page.wait("the roll dialog to close on Esc") { try !page.isDialogOpen("roll-dialog") }
        #expect(try browser.bool("return document.activeElement === document.querySelector(arguments[0])", [legacyRoll]))
        #expect(try server.upload("/transcribe", key: legacy.secret).status == 200, "Esc rolled nothing")
        steps.lap("keyboard: focus, Tab, Esc, focus back")

        // Roll with 1 h: the pop-up shows the new key once; both keys work during the grace.
        try page.click(legacyRoll)
        try page.wait("the roll dialog") { try page.isDialogOpen("roll-dialog") }
        try page.click("#roll-dialog label:has(input[value=\"900\"])")
        #expect(try page.text("#roll-grace-hint").hasPrefix("The old key keeps working for 15 minutes after the roll"))
        try browser.press(.arrowRight)
        #expect(try browser.string("return document.querySelector('input[name=roll-grace]:checked').value") == "3600")
        #expect(try page.text("#roll-grace-hint").hasPrefix("The old key keeps working for 1 hour after the roll"))
        try page.click("#roll-submit")
        try page.wait("the one-time key pop-up") { try page.isDialogOpen("reveal-dialog") }
        #expect(try !page.isDialogOpen("roll-dialog"))
        let rolledKey = try page.text("#reveal-key")
        #expect(rolledKey.hasPrefix("sk-theta-") && rolledKey.count == 47, "not a key: \(rolledKey.count) characters")
        #expect(try page.text("#reveal-name") == "legacy client")
        #expect(try page.text("#reveal-rolled").hasPrefix("The old key, sk-theta-"))
        #expect(try page.text("#reveal-rolled").contains("keeps working for 1 hour"))
        let fresh = try server.upload("/transcribe", key: rolledKey)
        #expect(fresh.status == 200, "the rolled-to key: \(fresh.status) \(fresh.text)")
        #expect(try server.upload("/transcribe", key: legacy.secret).status == 200, "the old key works in its grace")
        let successor = try #require(server.get("/v1/keys/\(legacy.id)").object["rolled_to"] as? String)
        try page.wait("the list behind the pop-up to show the new key") { try page.exists(row(successor)) }
        try page.click("#reveal-done")
        try page.wait("the pop-up to close") { try !page.isDialogOpen("reveal-dialog") }
        #expect(try !page.reachableState().contains(String(rolledKey.dropFirst("sk-theta-".count))), "the rolled key stayed in the page")
        // Focus lands on the new key's row (the Roll button that opened the dialog is gone). The dialog's
        // `close` event, which moves it there, comes a task after `open` turns false: wait for it.
        try page.wait("focus on the new key's row") { try focusedRow() == "TH \(successor)" }
        // The old row: still active, rolled to the new key, works until the grace ends; no second roll.
        #expect(try page.text("\(row(legacy.id)) .badge") == "Active")
        #expect(try page.exists("\(row(legacy.id)) [data-rolled-to=\"\(successor)\"]"))
        #expect(try page.text("\(row(legacy.id)) [data-rolled-to] .visually-hidden") == successor)
        #expect(try page.text("\(row(legacy.id)) .roll-grace").hasPrefix("works until"))
        #expect(try page.attribute("\(row(legacy.id)) .roll-grace time", "datetime") == "2030-01-01T01:01:00Z")
        #expect(try !page.exists("\(row(legacy.id)) button[data-action=roll]"))
        #expect(try page.exists("\(row(legacy.id)) button[data-action=delete]"), "a key in its grace can still be deleted")
        // The new row: rolled from the old one, and rollable itself.
        #expect(try page.text("\(row(successor)) [data-rolled-from=\"\(legacy.id)\"]").hasPrefix("Rolled from"))
        #expect(try page.exists("\(row(successor)) button[data-action=roll]"))
        steps.lap("roll with 1 h: new key 200, old key 200, rows linked")

        // Roll with "now": the old key is refused at once.
        try page.click("\(row(batch.id)) button[data-action=roll]")
        try page.wait("the roll dialog") { try page.isDialogOpen("roll-dialog") }
        try page.click("#roll-dialog label:has(input[value=\"0\"])")
        #expect(try page.text("#roll-grace-hint").hasPrefix("At once"))
        try page.click("#roll-submit")
        try page.wait("the one-time key pop-up") { try page.isDialogOpen("reveal-dialog") }
        let batchKey = try page.text("#reveal-key")
        #expect(try page.text("#reveal-rolled").hasSuffix("has stopped working."))
        let refused = try server.upload("/transcribe", key: batch.secret)
        #expect(refused.status == 401 && refused.detail == "API key is inactive.", "\(refused.status) \(refused.text)")
        #expect(try server.upload("/transcribe", key: batchKey).status == 200)
        try page.click("#reveal-done")
        try page.wait("the old row to show inactive") { try page.exists("\(row(batch.id))[data-status=inactive]") }
        #expect(try page.exists("\(row(batch.id)) [data-rolled-to]") && !page.exists("\(row(batch.id)) .roll-grace"))
        #expect(try !page.exists("\(row(batch.id)) button"))
        steps.lap("roll with now: old key 401")

        // A 409 lands in the dialog: the key was deleted elsewhere while the dialog was open.
        try page.click("\(row(vanishing.id)) button[data-action=roll]")
        try page.wait("the roll dialog") { try page.isDialogOpen("roll-dialog") }
        #expect(try server.delete("/v1/keys/\(vanishing.id)").status == 200)
        try page.click("#roll-submit")
        try page.wait("the 409 in the dialog") { try page.isVisible("#roll-error") }
        #expect(try page.text("#roll-error") == "The key was not rolled: \(vanishing.id) is inactive; only an active key can be rolled")
        #expect(try page.attribute("#roll-error", "role") == "alert")
        #expect(try page.isDialogOpen("roll-dialog") && !page.isDialogOpen("reveal-dialog"))
        // The list behind the dialog was reloaded: the row shows the key as it is now, and gets the focus back.
        try page.wait("the row to show inactive") { try page.exists("\(row(vanishing.id))[data-status=inactive]") }
        try browser.press(.escape)
        try page.wait("the roll dialog to close") { try !page.isDialogOpen("roll-dialog") }
        try page.wait("focus on the key's row") { try focusedRow() == "TH \(vanishing.id)" }
        steps.lap("a 409 shows its detail in the dialog")

        // The grace ends an hour on: the old key gets 401, and its row shows it stopped.
        try advanceClock(server, seconds: 3600)
        #expect(try server.upload("/transcribe", key: legacy.secret).status == 401)
        #expect(try server.upload("/transcribe", key: rolledKey).status == 200)
        try page.click("#sidebar a[data-route=apis]")
        try page.wait("the old row to show inactive") { try page.exists("\(row(legacy.id))[data-status=inactive]") }
        #expect(try page.exists("\(row(legacy.id)) [data-rolled-to=\"\(successor)\"]") && !page.exists("\(row(legacy.id)) .roll-grace"))
        steps.lap("the grace ends: old key 401")

        // Create with an allowlist: a bad range gets the API's 422 under the field; two good ones reach the row.
        try page.click("#create-key")
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        try page.fill("#key-name", "office scanner")
        try page.fill("#key-cidrs", "203.0.113.0/24\n10.0.0.1/8")
        try page.click("#create-submit")
        try page.wait("the API's 422 under the ranges") { try page.isVisible("#key-cidrs-error") }
        #expect(try page.text("#key-cidrs-error") == "Range 2: 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?")
        #expect(try page.attribute("#key-cidrs", "aria-invalid") == "true")
        #expect(try browser.activeElementID() == "key-cidrs")
        #expect(try !page.isVisible("#create-error") && !page.isVisible("#key-name-error"))
        try page.fill("#key-cidrs", "203.0.113.0/24, 2001:db8::/32")
        #expect(try !page.isVisible("#key-cidrs-error"), "typing clears the error")
        try page.click("#create-submit")
        try page.wait("the one-time key pop-up") { try page.isDialogOpen("reveal-dialog") }
        let scannerKey = try page.text("#reveal-key")
        #expect(try page.isVisible("#reveal-rolled") == false, "a create says nothing about an old key")
        // The test client connects from 127.0.0.1, which is on neither range.
        let outside = try server.upload("/transcribe", key: scannerKey)
        #expect(outside.status == 401 && outside.detail?.hasPrefix("API key is not allowed from this address") == true,
                "\(outside.status) \(outside.text)")
        try page.click("#reveal-done")
        try page.wait("the pop-up to close") { try !page.isDialogOpen("reveal-dialog") }
        let scanner = try browser.string("""
            const row = [...document.querySelectorAll('#keys-body tr')].find(r => r.querySelector('.cell-main').textContent === 'office scanner');
            return row ? row.dataset.keyId : '';
            """)
        #expect(scanner.hasPrefix("key_"))
        #expect(try shownRanges(scanner) == ["203.0.113.0/24", "2001:db8::/32"])
        #expect(try !page.exists("\(row(scanner)) .cidr-more"))
        steps.lap("create: 422 under the ranges, then two ranges on the row")

        // Everything at once still fits 1280 px; at phone width nothing scrolls sideways, dialogs included.
        let overflow = try browser.execute("const s = document.querySelector('#view-apis .table-scroll'); return s.scrollWidth - s.clientWidth") as? Int
        #expect(overflow == 0, "the key table scrolls sideways at 1280 px by \(overflow ?? -1) px")
        try browser.setViewport(width: Screenshots.phone.width, height: Screenshots.phone.height, scale: 2, mobile: true)
        try page.wait("the phone layout") { try page.isVisible("#menu-button") }
        let sideways = { (what: String) in
            let width = try browser.execute("return document.documentElement.scrollWidth") as? Int ?? .max
            #expect(width <= Screenshots.phone.width, "\(what) scrolls sideways at phone width: \(width) px")
        }
        try sideways("the key cards")
        try page.click("\(row(scanner)) button[data-action=roll]")
        try page.wait("the roll dialog") { try page.isDialogOpen("roll-dialog") }
        try sideways("the roll dialog")
        #expect(try browser.bool("const d = document.getElementById('roll-dialog'); return d.scrollWidth <= d.clientWidth"),
                "the roll dialog scrolls sideways at phone width")
        try browser.press(.escape)
        try page.wait("the roll dialog to close") { try !page.isDialogOpen("roll-dialog") }
        try page.click("#create-key")
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        #expect(try browser.bool("const d = document.getElementById('create-dialog'); return d.scrollWidth <= d.clientWidth"),
                "the create dialog scrolls sideways at phone width")
        try browser.press(.escape)
        try page.wait("the create dialog to close") { try !page.isDialogOpen("create-dialog") }
        try browser.setViewport(width: Screenshots.desktop.width, height: Screenshots.desktop.height)
        steps.lap("1280 px and phone width")

        try page.click("#sidebar a[data-route=audit]")
        try page.wait("the audit log") { try page.exists("#audit-body tr[data-action=\"key.rolled\"]") }
        #expect(try page.text("#audit-body tr[data-action=\"key.rolled\"] .cell-main") == "Key rolled")

        let (_, problems) = try harness.consoleProblems(allowingRefusals: [
            ("/v1/keys/\(vanishing.id)/roll", 409),  // deleted while its roll dialog was open
            ("/v1/keys", 422),                        // a bad range
        ])
        #expect(problems.isEmpty, "browser console: \(problems)")
        print(steps.summary)
    }

    /// WCAG 2 contrast of an element's text colour on its own background colour (both opaque here).
    private static let contrastScript = """
        const style = getComputedStyle(document.querySelector(arguments[0]));
        const luminance = (css) => {
          const [r, g, b] = css.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((c) => c / 255)
            .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const [high, low] = [luminance(style.color), luminance(style.backgroundColor)].sort((a, b) => b - a);
        return (high + 0.05) / (low + 0.05);
        """

    private func advanceClock(_ server: ServerProcess, seconds: Int) throws {
        let moved = try server.post("/v1/clock", json: #"{"advance_seconds": \#(seconds)}"#)
        #expect(moved.status == 200, "moving the clock: \(moved.status) \(moved.text)")
    }

    /// Creates a key through the dialog, closes the pop-up, and returns the key it showed.
    private func createThroughForm(_ page: ConsolePage, name: String) throws -> String {
        try page.click("#create-key")
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        try page.fill("#key-name", name)
        try page.click("#create-submit")
        try page.wait("the one-time key pop-up") { try page.isDialogOpen("reveal-dialog") }
        let key = try page.text("#reveal-key")
        try page.click("#reveal-done")
        try page.wait("the pop-up to close") { try !page.isDialogOpen("reveal-dialog") }
        return key
    }

    /// Usage reaches the ledger within a second (the server writes it in batches).
    private func waitForCharges(_ server: ServerProcess, page: ConsolePage, count: Int) throws {
        try page.wait("\(count) charges in the ledger") {
            let entries = try server.get("/v1/account/ledger?limit=100").object["data"] as? [[String: Any]] ?? []
            return entries.filter { $0["kind"] as? String == "charge" }.count >= count
        }
    }

    /// The README's screenshots: a few keys (one expired, one deleted, one rolled, one with an allowlist), usage
    /// on a paid plan, the dialogs.
    private func captureScreens(_ page: ConsolePage, server: ServerProcess, adminToken: String, productionKey: String,
                                shots: Screenshots) throws {
        try page.fill("#signin-token", adminToken)
        try page.click("#signin-submit")
        // Signing in again returns to the screen that was open (Audit); go to APIs.
        try page.wait("the Audit screen") { try page.isVisible("#view-audit") }
        try page.click("#sidebar a[data-route=apis]")
        try page.wait("the APIs screen") { try page.isVisible("#view-apis") && page.exists("#keys-body tr") }

        #expect(try server.patch("/v1/account", json: #"{"plan": "starter", "balance": 5}"#).status == 200)
        let soon = RFC3339Text.string(from: Date().addingTimeInterval(2))
        #expect(try server.post("/v1/keys", json: #"{"name": "contractor trial", "expires_at": "\#(soon)", "rate_limit_rpm": 20}"#).status == 201)

        try page.click("#create-key")
        try page.wait("the create dialog") { try page.isDialogOpen("create-dialog") }
        try page.fill("#key-name", "mobile app (iOS)")
        try page.enterDate("#key-expires", year: Calendar.current.component(.year, from: Date()) + 1, month: 6, day: 30)
        try page.fill("#key-rpm", "30")
        try shots.capture("create-key", page: page)
        try page.click("#create-submit")
        try page.wait("the one-time key pop-up") { try page.isDialogOpen("reveal-dialog") }
        let mobileKey = try page.text("#reveal-key")
        // Never a real-looking key in a committed picture.
        let redacted = "sk-theta-" + String(repeating: "•", count: 38)
        try shots.capture("key-pop-up", page: page) {
            try page.browser.execute("document.getElementById('reveal-key').textContent = arguments[0]", [redacted])
        }
        try page.click("#reveal-done")
        try page.wait("the pop-up to close") { try !page.isDialogOpen("reveal-dialog") }

        for seconds in [3.2, 7.5, 12.0] {
            #expect(try server.upload("/transcribe", key: productionKey, audio: AudioFiles.wav(seconds: seconds)).status == 200)
        }
        for seconds in [2.0, 4.4] {
            #expect(try server.upload("/transcribe", key: mobileKey, audio: AudioFiles.wav(seconds: seconds)).status == 200)
        }
        try waitForCharges(server, page: page, count: 7)
        try page.wait("the trial key to expire", timeout: 5) {
            (try server.get("/v1/keys?status=expired").object["data"] as? [Any])?.count == 1
        }

        // Made once the trial has expired: Starter allows 3 active keys.
        #expect(try server.post("/v1/keys", json: #"{"name": "office scanner", "allowed_cidrs": ["203.0.113.0/24", "198.51.100.0/24", "2001:db8:1234::/48"]}"#).status == 201)

        try page.browser.navigate(to: page.base + "/") // a fresh load: the token stays in the tab, the list is new
        let rowCount = { try page.browser.execute("return document.querySelectorAll('#keys-body tr').length") as? Int }
        try page.wait("five keys, three of them used") {
            try rowCount() == 5
                && page.browser.execute("return document.querySelectorAll('#keys-body [data-label=\"Last used\"] time').length") as? Int == 3
        }
        // Roll the production key with an hour's grace: the old row then says where it went and until when.
        try page.click("#keys-body button[aria-label=\"Roll key production backend\"]")
        try page.wait("the roll dialog") { try page.isDialogOpen("roll-dialog") }
        try shots.capture("roll-key", page: page)
        try page.click("#roll-submit")
        try page.wait("the one-time key pop-up") { try page.isDialogOpen("reveal-dialog") }
        try page.click("#reveal-done")
        try page.wait("the pop-up to close, and the new key's row") { try !page.isDialogOpen("reveal-dialog") && rowCount() == 6 }
        // Every status at once, and the widest columns: still no sideways scrolling at 1280 px.
        let overflow = try page.browser.execute("const s = document.querySelector('#view-apis .table-scroll'); return s.scrollWidth - s.clientWidth") as? Int
        #expect(overflow == 0, "the key table scrolls sideways at 1280 px by \(overflow ?? -1) px")
        try shots.capture("apis", page: page)
        // The Billing screenshots come from billingCharts(), on a fake clock with two cycles and a top-up.
        try page.browser.navigate(to: page.base + "/#/audit")
        try page.wait("the audit log") { try page.exists("#audit-body tr") }
        try shots.capture("audit", page: page)
    }
}

/// Seconds per step of the scenario, printed at the end so its run time is on record.
struct Stopwatch {
    let title: String
    private var start = Date()
    private var last = Date()
    private var laps: [(String, TimeInterval)] = []

    init(title: String) {
        self.title = title
    }

    mutating func lap(_ name: String) {
        let now = Date()
        laps.append((name, now.timeIntervalSince(last)))
        last = now
    }

    var summary: String {
        let lines = laps.map { String(format: "  %6.2f s  %@", $0.1, $0.0) }
        return (["BrowserTests, \(title): \(String(format: "%.1f", Date().timeIntervalSince(start))) s in all"] + lines)
            .joined(separator: "\n")
    }
}

/// RFC 3339 UTC with whole seconds, as the admin API takes it.
enum RFC3339Text {
    static func string(from date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
