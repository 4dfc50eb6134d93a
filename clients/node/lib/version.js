// The release this client belongs to: package.json's version, the same as `theta-console --version`.

import { readFileSync } from "node:fs";

export const VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
