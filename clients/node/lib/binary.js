// Finding the theta-console binary.
//
// The order, first match wins (the Python plugin's order, with this package's own bundled binary
// where the wheel has its bundled one):
//
// 1. THETA_CONSOLE_BIN: a path (or a command name on PATH). Set but unusable is an error; it never
//    falls through to the next step, so a typo cannot silently test another build.
// 2. A bundled binary: bin/theta-console inside this package's folder, if there is one. Present but
//    not an executable file is an error too.
// 3. theta-console on PATH.
// 4. A build of the source checkout this package lives in, found by walking up from this file to a
//    folder holding theta-console's Package.swift and clients/node/package.json:
//    `swift build --product theta-console` there, then `swift build --show-bin-path`.
//
// Nothing found: BinaryNotFoundError, naming all four ways.

import { execFile, spawn } from "node:child_process";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { BinaryNotFoundError } from "./errors.js";

export const BINARY_VARIABLE = "THETA_CONSOLE_BIN";
const COMMAND = "theta-console";

/** This package's folder (clients/node in the repository). */
export const PACKAGE_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** Where a bundled binary would be. */
export const BUNDLED_BINARY = join(PACKAGE_DIR, "bin", COMMAND);

function statOrNull(path) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable file named `command` in the folders of `searchPath` (like `which`). */
export function which(command, searchPath = process.env.PATH ?? "") {
  for (const folder of searchPath.split(delimiter)) {
    if (folder === "") continue;
    const candidate = join(folder, command);
    if (statOrNull(candidate)?.isFile() && isExecutable(candidate)) return resolve(candidate);
  }
  return null;
}

function configuredBinary(configured, searchPath) {
  const candidate = configured.includes(sep) ? configured : (which(configured, searchPath) ?? configured);
  const found = statOrNull(candidate);
  if (found === null) throw new BinaryNotFoundError(`${BINARY_VARIABLE}=${configured}: no such file`);
  if (!found.isFile()) throw new BinaryNotFoundError(`${BINARY_VARIABLE}=${configured}: not a file`);
  if (!isExecutable(candidate)) throw new BinaryNotFoundError(`${BINARY_VARIABLE}=${configured}: not executable`);
  return isAbsolute(candidate) ? candidate : resolve(candidate);
}

function bundledBinary() {
  const found = statOrNull(BUNDLED_BINARY);
  if (found === null) return null;
  if (!found.isFile() || !isExecutable(BUNDLED_BINARY)) {
    throw new BinaryNotFoundError(`the bundled binary ${BUNDLED_BINARY} is not an executable file`);
  }
  return BUNDLED_BINARY;
}

/** Whether `folder` is theta-console's repository root (with this client in it). */
export function isSourceCheckout(folder) {
  const manifest = join(folder, "Package.swift");
  if (!statOrNull(manifest)?.isFile() || !statOrNull(join(folder, "clients", "node", "package.json"))?.isFile()) {
    return false;
  }
  try {
    return readFileSync(manifest, "utf8").includes('"theta-console"');
  } catch {
    return false;
  }
}

/** The repository this module lives in, found by walking up from its own location; or null. */
export function sourceCheckout(start = PACKAGE_DIR) {
  for (let folder = resolve(start); ; folder = dirname(folder)) {
    if (isSourceCheckout(folder)) return folder;
    if (dirname(folder) === folder) return null;
  }
}

let building = null; // one build per process, however many servers start at once

/** `swift build --product theta-console` in `root`; resolves with the built binary's path. */
export function buildFromSource(root, searchPath = process.env.PATH ?? "") {
  building ??= runBuild(root, searchPath).catch((error) => {
    building = null;
    throw error;
  });
  return building;
}

async function runBuild(root, searchPath) {
  const swift = which("swift", searchPath);
  if (swift === null) {
    throw new BinaryNotFoundError(
      `theta-console not found (${BINARY_VARIABLE} is not set, no bundled binary at ${BUNDLED_BINARY}, ` +
        `no '${COMMAND}' on PATH), and the source checkout at ${root} cannot be built: no 'swift' on PATH ` +
        `(Swift 6 is needed). Set ${BINARY_VARIABLE}=/path/to/theta-console or put it on PATH.`,
    );
  }
  const build = await new Promise((done) => {
    const output = [];
    const child = spawn(swift, ["build", "--product", COMMAND], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.on("error", (error) => done({ code: null, output: String(error) }));
    child.on("close", (code) => done({ code, output: Buffer.concat(output).toString("utf8") }));
  });
  if (build.code !== 0) {
    const tail = build.output.trimEnd().split("\n").slice(-30).join("\n");
    throw new BinaryNotFoundError(`swift build --product ${COMMAND} in ${root} failed (${build.code}):\n${tail}`);
  }
  const shown = await new Promise((done) => {
    execFile(swift, ["build", "--show-bin-path"], { cwd: root }, (error, stdout) => done({ error, stdout }));
  });
  const binary = join(shown.stdout.trim(), COMMAND);
  if (shown.error || !statOrNull(binary)?.isFile()) {
    throw new BinaryNotFoundError(`swift build in ${root} succeeded, but ${binary} is not there`);
  }
  return binary;
}

/**
 * The binary to run, found in the documented order (see the top of this file).
 * `build: false` stops before building the source checkout.
 */
export async function findBinary({ build = true } = {}) {
  const searchPath = process.env.PATH ?? "";
  const configured = process.env[BINARY_VARIABLE];
  if (configured) return configuredBinary(configured, searchPath);
  const bundled = bundledBinary();
  if (bundled !== null) return bundled;
  const onPath = which(COMMAND, searchPath);
  if (onPath !== null) return onPath;
  const root = sourceCheckout();
  if (root !== null && build) return buildFromSource(root, searchPath);
  const where =
    root !== null
      ? `the source checkout at ${root} was found, but building was turned off`
      : "and this package is not inside a theta-console source checkout, so there is nothing to build";
  throw new BinaryNotFoundError(
    `theta-console not found: ${BINARY_VARIABLE} is not set, there is no bundled binary at ${BUNDLED_BINARY}, ` +
      `no '${COMMAND}' is on PATH, ${where}. Set ${BINARY_VARIABLE}=/path/to/theta-console, put it on PATH, ` +
      "or use this package from the repository on a machine with Swift 6.",
  );
}
