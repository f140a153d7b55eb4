// What the client starts and which documents it hands over: kept apart from
// the VS Code API so that it is tested without VS Code.

"use strict";

/** The language server command: `<path> lsp [extra args]` over stdio. */
function serverOptions(path, extraArgs, transportKind) {
  const command = typeof path === "string" && path.trim() !== "" ? path.trim() : "guifan";
  const args = ["lsp", ...(Array.isArray(extraArgs) ? extraArgs.filter((a) => typeof a === "string") : [])];
  const run = { command, args, transport: transportKind.stdio };
  return { run, debug: run };
}

/** The documents the server works on: rule files and their test files. */
function clientOptions(watcher) {
  return {
    documentSelector: [
      { scheme: "file", language: "guifan" },
      { scheme: "file", pattern: "**/*.test.toml" },
    ],
    synchronize: { fileEvents: watcher },
  };
}

module.exports = { serverOptions, clientOptions };
