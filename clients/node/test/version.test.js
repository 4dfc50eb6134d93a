import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { promisify } from "node:util";

import { VERSION, findBinary } from "../index.js";
import { PACKAGE_DIR, readRepositoryFile } from "../test-support/support.js";

const packageJSON = JSON.parse(readFileSync(`${PACKAGE_DIR}/package.json`, "utf8"));

test("package.json's version is the Python client's __version__", () => {
  const python = readRepositoryFile("clients", "python", "src", "theta_console", "_version.py");
  const match = /^__version__ = "([^"]+)"$/m.exec(python);
  assert.ok(match, "_version.py states no __version__");
  assert.match(packageJSON.version, /^\d+\.\d+\.\d+$/);
  assert.equal(packageJSON.version, match[1]);
});

test("VERSION is read from package.json", () => {
  assert.equal(VERSION, packageJSON.version);
});

test("theta-console --version shows the package's version", async () => {
  const binary = await findBinary();
  const { stdout } = await promisify(execFile)(binary, ["--version"]);
  assert.ok(stdout.includes(packageJSON.version), `${binary} --version printed ${JSON.stringify(stdout)}`);
});

test("package.json: an ES module whose exports give the types first, and no dependencies", () => {
  assert.equal(packageJSON.name, "theta-console");
  assert.equal(packageJSON.type, "module");
  assert.deepEqual(Object.keys(packageJSON.exports["."]), ["types", "default"]);
  assert.equal(packageJSON.exports["."].types, "./index.d.ts");
  assert.equal(packageJSON.exports["."].default, "./index.js");
  for (const field of ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]) {
    assert.equal(packageJSON[field], undefined, `package.json has ${field}`);
  }
});
