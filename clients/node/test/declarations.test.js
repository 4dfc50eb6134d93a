// index.d.ts is written by hand: these checks keep it in step with the JavaScript.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";

import * as api from "../index.js";
import { PACKAGE_DIR } from "../test-support/support.js";

const declarations = readFileSync(`${PACKAGE_DIR}/index.d.ts`, "utf8");

function declaredValues() {
  const names = new Set();
  for (const match of declarations.matchAll(/^export declare (?:const|function|class) ([A-Za-z_$][\w$]*)/gm)) {
    names.add(match[1]);
  }
  return names;
}

/** The body of `export declare class Name { … }` (braces balanced). */
function classBody(name) {
  const start = declarations.indexOf(`export declare class ${name} `);
  assert.notEqual(start, -1, `index.d.ts declares no class ${name}`);
  const open = declarations.indexOf("{", start);
  let depth = 0;
  for (let i = open; i < declarations.length; i++) {
    if (declarations[i] === "{") depth++;
    if (declarations[i] === "}" && --depth === 0) return declarations.slice(open + 1, i);
  }
  throw new Error(`class ${name} is not closed`);
}

function publicMembers(prototype) {
  return Object.getOwnPropertyNames(prototype).filter((name) => name !== "constructor");
}

test("every export of index.js is declared in index.d.ts, and nothing more", () => {
  assert.deepEqual([...declaredValues()].sort(), Object.keys(api).sort());
});

test("each declared class's methods and getters are the JavaScript class's", () => {
  for (const name of ["AdminClient", "CreatedKey", "ThetaConsoleServer"]) {
    const body = classBody(name);
    const declared = new Set([...body.matchAll(/^ {2}(?:readonly )?([A-Za-z_$][\w$]*)[?<(:]/gm)].map((m) => m[1]));
    for (const member of publicMembers(api[name].prototype)) {
      assert.ok(declared.has(member), `index.d.ts: ${name} lacks ${member}`);
    }
  }
});

test("every declared AdminClient method exists", () => {
  const body = classBody("AdminClient");
  const methods = new Set([...body.matchAll(/^ {2}([A-Za-z_$][\w$]*)[<(]/gm)].map((m) => m[1]));
  for (const method of methods) {
    assert.equal(typeof api.AdminClient.prototype[method], "function", `AdminClient.${method} is declared, not defined`);
  }
});

test("the constants' declared values are the real ones", () => {
  const union = (type) => {
    const match = new RegExp(`export type ${type} =([^;]+);`).exec(declarations);
    assert.ok(match, `index.d.ts declares no type ${type}`);
    return [...match[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  };
  assert.deepEqual(union("Endpoint"), [...api.ENDPOINTS]);
  assert.deepEqual(union("Plan"), [...api.PLANS]);
  assert.deepEqual(union("Reason"), [...api.REASONS]);
  assert.match(declarations, /export declare const BINARY_VARIABLE: "THETA_CONSOLE_BIN";/);
  assert.equal(api.BINARY_VARIABLE, "THETA_CONSOLE_BIN");
  assert.match(declarations, /export declare const TOKEN_VARIABLE: "THETA_CONSOLE_ADMIN_TOKEN";/);
  assert.equal(api.TOKEN_VARIABLE, "THETA_CONSOLE_ADMIN_TOKEN");
});

test("the package imports nothing outside Node's own modules", () => {
  for (const file of ["index.js", ...readdirSync(`${PACKAGE_DIR}/lib`).map((name) => `lib/${name}`)]) {
    const source = readFileSync(`${PACKAGE_DIR}/${file}`, "utf8");
    for (const match of source.matchAll(/^(?:import|export)\b[^;]*?from "([^"]+)"/gms)) {
      assert.ok(/^(node:|\.\.?\/)/.test(match[1]), `${file} imports ${match[1]}`);
    }
  }
});
