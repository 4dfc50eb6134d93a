// The testing guide's node:test example runs as written, with the package installed as
// `npm install ./clients/node` installs it (a link in node_modules).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { PACKAGE_DIR, REPOSITORY } from "../test-support/support.js";

// THETA_CONSOLE_GUIDE checks a draft of the guide; by default, the guide itself.
const GUIDE = process.env.THETA_CONSOLE_GUIDE ?? join(REPOSITORY, "docs", "testing-with-theta-console.md");

function nodeSection() {
  const text = readFileSync(GUIDE, "utf8");
  const start = /^## Node$/m.exec(text);
  assert.ok(start, `${GUIDE} has no "## Node" section`);
  const end = text.indexOf("\n## ", start.index + 1);
  return text.slice(start.index, end === -1 ? undefined : end);
}

test("the guide's node:test example passes", { timeout: 120000 }, async () => {
  const blocks = [...nodeSection().matchAll(/```js\n(.*?)```/gs)].map((match) => match[1]);
  const example = blocks.find((block) => block.startsWith("// transcribe.test.js"));
  assert.ok(example, "the Node section has no ```js block starting with // transcribe.test.js");

  const project = mkdtempSync(join(tmpdir(), "theta-node-guide-"));
  try {
    mkdirSync(join(project, "node_modules"));
    symlinkSync(PACKAGE_DIR, join(project, "node_modules", "theta-console"));
    writeFileSync(join(project, "transcribe.test.js"), example);
    writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module" }));
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // a test runner of its own, not a child of this one
    const result = await new Promise((done) => {
      execFile(process.execPath, ["--test", "--test-reporter=tap", "transcribe.test.js"], { cwd: project, env, timeout: 110000 },
        (error, stdout, stderr) => done({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }));
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^# pass 3$/m);
    assert.match(result.stdout, /^# fail 0$/m);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
