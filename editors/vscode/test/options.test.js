// The client's options, without VS Code.

"use strict";

const test = require("node:test");
const assert = require("node:assert");
const { serverOptions, clientOptions } = require("../src/options");

const kinds = { stdio: 0 };

test("the server is `guifan lsp` by default", () => {
  const { run, debug } = serverOptions(undefined, undefined, kinds);
  assert.deepStrictEqual(run, { command: "guifan", args: ["lsp"], transport: 0 });
  assert.deepStrictEqual(debug, run);
});

test("the configured path and extra arguments are used", () => {
  const { run } = serverOptions(" /opt/guifan/bin/guifan ", ["--verbose", 3], kinds);
  assert.strictEqual(run.command, "/opt/guifan/bin/guifan");
  assert.deepStrictEqual(run.args, ["lsp", "--verbose"]);
});

test("rule files and test files go to the server", () => {
  const options = clientOptions("watcher");
  assert.deepStrictEqual(options.documentSelector, [
    { scheme: "file", language: "guifan" },
    { scheme: "file", pattern: "**/*.test.toml" },
  ]);
  assert.strictEqual(options.synchronize.fileEvents, "watcher");
});
