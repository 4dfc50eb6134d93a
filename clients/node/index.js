// theta-console for Node tests: start the server, drive its admin API, verify what the app sent.
// No dependencies: node:child_process, node:crypto and the built-in fetch.

export { AdminClient, PLANS, creditsLiteral } from "./lib/admin.js";
export { makeWav } from "./lib/audio.js";
export { BINARY_VARIABLE, BUNDLED_BINARY, findBinary } from "./lib/binary.js";
export { AdminAPIError, BinaryNotFoundError, ServerStartError, ThetaConsoleError } from "./lib/errors.js";
export { ENDPOINTS, REASONS } from "./lib/journal.js";
export { CreatedKey, maskSecret } from "./lib/keys.js";
export { TOKEN_VARIABLE, ThetaConsoleServer, startThetaConsole } from "./lib/server.js";
export { VERSION } from "./lib/version.js";
