// The lookup order: THETA_CONSOLE_BIN (set but unusable is an error), the bundled binary, PATH,
// then a build of the checkout. Each case runs in its own node process with its own environment.

import assert from "node:assert/strict";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { VERSION, findBinary } from "../index.js";
import { INDEX_URL, PACKAGE_DIR, REPOSITORY, runNode } from "../test-support/support.js";

let realBinary;
let scratch;
let onPath; // a folder holding only a symlink named theta-console
let copyURL; // the package copied outside the checkout, with a bundled binary
let copyWithoutBinaryURL; // the package copied outside the checkout, without one

before(async () => {
  realBinary = await findBinary({ build: false });
  scratch = mkdtempSync(join(tmpdir(), "theta-node-binary-"));
  onPath = join(scratch, "path");
  mkdirSync(onPath);
  symlinkSync(realBinary, join(onPath, "theta-console"));
  for (const [name, bundled] of [
    ["with-binary", true],
    ["without-binary", false],
  ]) {
    const copy = join(scratch, name);
    for (const part of ["index.js", "index.d.ts", "package.json", "lib"]) {
      cpSync(join(PACKAGE_DIR, part), join(copy, part), { recursive: true });
    }
    if (bundled) {
      mkdirSync(join(copy, "bin"));
      symlinkSync(realBinary, join(copy, "bin", "theta-console"));
    }
  }
  copyURL = pathToFileURL(join(scratch, "with-binary", "index.js")).href;
  copyWithoutBinaryURL = pathToFileURL(join(scratch, "without-binary", "index.js")).href;
});

after(() => rmSync(scratch, { recursive: true, force: true }));

/** findBinary({ build: false }) in a fresh process: `{ binary }` or `{ error: { name, message } }`. */
async function lookUp(moduleURL, env) {
  const script = `
    import { findBinary } from ${JSON.stringify(moduleURL)};
    try {
      console.log(JSON.stringify({ binary: await findBinary({ build: false }) }));
    } catch (error) {
      console.log(JSON.stringify({ error: { name: error.name, message: error.message } }));
    }`;
  const result = await runNode(script, { env });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test("THETA_CONSOLE_BIN comes first, before a bundled binary and PATH", async () => {
  const found = await lookUp(copyURL, { PATH: onPath, THETA_CONSOLE_BIN: realBinary });
  assert.deepEqual(found, { binary: realBinary });
});

test("THETA_CONSOLE_BIN set to a missing file is an error; it never falls through to PATH", async () => {
  const missing = join(scratch, "no-such-binary");
  const found = await lookUp(INDEX_URL, { PATH: onPath, THETA_CONSOLE_BIN: missing });
  assert.equal(found.error?.name, "BinaryNotFoundError");
  assert.equal(found.error.message, `THETA_CONSOLE_BIN=${missing}: no such file`);
});

test("THETA_CONSOLE_BIN set to a file that is not executable, or to a folder, is an error", async () => {
  const plain = join(scratch, "plain-file");
  writeFileSync(plain, "#!/bin/sh\n");
  chmodSync(plain, 0o644);
  const notExecutable = await lookUp(INDEX_URL, { PATH: onPath, THETA_CONSOLE_BIN: plain });
  assert.equal(notExecutable.error?.message, `THETA_CONSOLE_BIN=${plain}: not executable`);
  const folder = await lookUp(INDEX_URL, { PATH: onPath, THETA_CONSOLE_BIN: onPath });
  assert.equal(folder.error?.message, `THETA_CONSOLE_BIN=${onPath}: not a file`);
});

test("THETA_CONSOLE_BIN may name a command on PATH", async () => {
  const found = await lookUp(INDEX_URL, { PATH: onPath, THETA_CONSOLE_BIN: "theta-console" });
  assert.deepEqual(found, { binary: join(onPath, "theta-console") });
});

test("a bundled bin/theta-console comes before PATH", async () => {
  const found = await lookUp(copyURL, { PATH: onPath });
  assert.deepEqual(found, { binary: join(scratch, "with-binary", "bin", "theta-console") });
});

test("with THETA_CONSOLE_BIN unset and no bundled binary, theta-console on PATH starts", async () => {
  const script = `
    import { startThetaConsole } from ${JSON.stringify(copyWithoutBinaryURL)};
    const server = await startThetaConsole();
    try {
      const account = await server.admin.account();
      console.log(JSON.stringify({ binary: server.binary, plan: account.plan }));
    } finally {
      await server.stop();
    }`;
  const result = await runNode(script, { env: { PATH: onPath } });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { binary: join(onPath, "theta-console"), plan: "free" });
  assert.equal(result.stderr, "", "no version warning: the binary on PATH is this client's version");
});

test("nothing found outside a checkout: the error names every way", async () => {
  const empty = join(scratch, "empty");
  mkdirSync(empty, { recursive: true });
  const found = await lookUp(copyWithoutBinaryURL, { PATH: empty });
  assert.equal(found.error?.name, "BinaryNotFoundError");
  const { message } = found.error;
  assert.match(message, /THETA_CONSOLE_BIN is not set/);
  assert.ok(message.includes(`no bundled binary at ${join(scratch, "without-binary", "bin", "theta-console")}`), message);
  assert.match(message, /no 'theta-console' is on PATH/);
  assert.match(message, /not inside a theta-console source checkout/);
});

test("inside the checkout, the last way is a build, which needs swift on PATH", async () => {
  const empty = join(scratch, "empty");
  mkdirSync(empty, { recursive: true });
  const script = `
    import { findBinary } from ${JSON.stringify(INDEX_URL)};
    findBinary().then((binary) => console.log(binary), (error) => console.log(error.name + ": " + error.message));`;
  const result = await runNode(script, { env: { PATH: empty } });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^BinaryNotFoundError: /);
  assert.ok(result.stdout.includes(`the source checkout at ${REPOSITORY} cannot be built: no 'swift' on PATH`), result.stdout);
  assert.match(result.stdout, /THETA_CONSOLE_BIN is not set/);
});

test("a binary of another version still starts, with a warning", async () => {
  const other = join(scratch, "other-version");
  writeFileSync(
    other,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo 0.0.1; exit 0; fi\nexec ${JSON.stringify(realBinary)} "$@"\n`,
  );
  chmodSync(other, 0o755);
  const script = `
    import { startThetaConsole } from ${JSON.stringify(INDEX_URL)};
    const server = await startThetaConsole({ binary: ${JSON.stringify(other)} });
    await server.stop();`;
  const result = await runNode(script, { env: { PATH: onPath } });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stderr.includes(`${other} is theta-console 0.0.1; this client is ${VERSION}`), result.stderr);
});
