import Foundation
import Glibc
import TestSupport

/// The console as a test sees it: queries and actions by CSS selector, with polling waits.
struct ConsolePage {
    let browser: WebDriverSession
    let base: String

    // MARK: - Reading

    func isVisible(_ css: String) throws -> Bool {
        try browser.bool("""
            const element = document.querySelector(arguments[0]);
            if (!element) return false;
            const style = getComputedStyle(element);
            return element.getClientRects().length > 0 && style.visibility !== 'hidden' && style.display !== 'none';
            """, [css])
    }

    func exists(_ css: String) throws -> Bool {
        try browser.bool("return document.querySelector(arguments[0]) !== null", [css])
    }

    /// The element's text content, trimmed ("" when there is no such element).
    func text(_ css: String) throws -> String {
        try browser.string("const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : ''", [css])
    }

    func attribute(_ css: String, _ name: String) throws -> String? {
        try browser.execute("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null",
                            [css, name]) as? String
    }

    func value(_ css: String) throws -> String {
        try browser.string("return document.querySelector(arguments[0]).value", [css])
    }

    func isDialogOpen(_ id: String) throws -> Bool {
        try browser.bool("return document.getElementById(arguments[0]).open", [id])
    }

    func focusIsInside(_ id: String) throws -> Bool {
        try browser.bool("return document.getElementById(arguments[0]).contains(document.activeElement)", [id])
    }

    // MARK: - Acting

    func click(_ css: String) throws {
        do {
            try browser.element(css).click()
        } catch let error as WebDriverError {
            throw WebDriverError(status: error.status, error: error.error, message: "clicking \(css): \(error.message)")
        }
    }

    /// Clears a field and types into it, as a user would.
    func fill(_ css: String, _ text: String) throws {
        do {
            let field = try browser.element(css)
            try field.clear()
            if !text.isEmpty { try field.type(text) }
        } catch let error as WebDriverError {
            throw WebDriverError(status: error.status, error: error.error, message: "filling \(css): \(error.message)")
        }
    }

    /// Sets a field's value as a paste would (for characters a keyboard cannot type), firing `input`.
    func paste(_ css: String, _ text: String) throws {
        try browser.execute("""
            const field = document.querySelector(arguments[0]);
            field.value = arguments[1];
            field.dispatchEvent(new Event('input', { bubbles: true }));
            """, [css, text])
    }

    /// Types a date into `<input type="date">` the way a user does (month, day, year in en-US), falling back
    /// to setting the value if the picker's segments would not take the keys. Returns the field's value.
    @discardableResult
    func enterDate(_ css: String, year: Int, month: Int, day: Int) throws -> String {
        let iso = String(format: "%04d-%02d-%02d", year, month, day)
        let field = try browser.element(css)
        try field.clear()
        try field.type(String(format: "%02d%02d%04d", month, day, year))
        if try value(css) != iso { try paste(css, iso) }
        return try value(css)
    }

    // MARK: - Waiting

    /// Polls `condition` every 50 ms until it holds, or throws after `timeout` seconds.
    func wait(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: (any Error)?
        while Date() < deadline {
            do {
                if try condition() { return }
            } catch {
                lastError = error
            }
            usleep(50_000)
        }
        throw ClientError("timed out after \(timeout) s waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
    }

    /// Before a screenshot: waits until no animation or transition is running (the stylesheet's
    /// last ≤ 200 ms), rather than for a fixed time.
    func settle() throws {
        try wait("animations to finish") {
            try browser.bool("return document.getAnimations().every(a => a.playState !== 'running')")
        }
    }

    // MARK: - Everything the page holds

    /// Every string the page can reach, serialised: the DOM (outerHTML, and the live values of form fields,
    /// which outerHTML omits), window's enumerable properties (depth-limited, cycle-safe), sessionStorage,
    /// localStorage, cookies, history state, the URL, resource URLs, and the current selection.
    func reachableState() throws -> String {
        try browser.string("""
            const seen = new WeakSet();
            const out = [];
            function walk(value, depth) {
              if (value === null || value === undefined) return String(value);
              const type = typeof value;
              if (type === 'string') return value;
              if (type === 'number' || type === 'boolean' || type === 'bigint') return String(value);
              if (type !== 'object' || depth > 5 || seen.has(value)) return '';
              seen.add(value);
              if (value instanceof Node) return '';
              let keys;
              try { keys = Object.keys(value); } catch (e) { return ''; }
              const parts = [];
              for (const key of keys.slice(0, 1000)) {
                let child;
                try { child = value[key]; } catch (e) { continue; }
                parts.push(key + '=' + walk(child, depth + 1));
              }
              if (Array.isArray(value) || value instanceof Map || value instanceof Set) {
                try { for (const item of value) parts.push(walk(item, depth + 1)); } catch (e) {}
              }
              return '{' + parts.join(',') + '}';
            }
            for (const key of Object.keys(window)) {
              try { out.push('window.' + key + ':' + walk(window[key], 0)); } catch (e) {}
            }
            for (const storage of [sessionStorage, localStorage]) {
              for (let i = 0; i < storage.length; i++) out.push('storage:' + storage.key(i) + '=' + storage.getItem(storage.key(i)));
            }
            out.push('cookie:' + document.cookie);
            out.push('history:' + JSON.stringify(history.state));
            out.push('location:' + location.href);
            out.push('title:' + document.title);
            for (const entry of performance.getEntries()) out.push('resource:' + entry.name);
            for (const field of document.querySelectorAll('input, textarea, select')) out.push('field:' + field.id + '=' + field.value);
            out.push('selection:' + String(getSelection()));
            out.push('text:' + document.body.innerText);
            out.push('html:' + document.documentElement.outerHTML);
            return out.join('\\n');
            """)
    }
}
