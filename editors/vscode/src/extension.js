// The Guifan extension: starts `guifan lsp` (the path is a setting) and
// hands it the .policy, .schema and *.test.toml files of the workspace.
// Everything the editor shows comes from the server.

"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");
const { serverOptions, clientOptions } = require("./options");

/** @type {LanguageClient | undefined} */
let client;

function start() {
  const config = vscode.workspace.getConfiguration("guifan");
  const server = serverOptions(config.get("server.path"), config.get("server.extraArgs"), TransportKind);
  const watcher = vscode.workspace.createFileSystemWatcher("**/{*.policy,*.schema,*.test.toml,guifan.toml}");
  client = new LanguageClient("guifan", "Guifan", server, clientOptions(watcher));
  return client.start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("guifan.restartServer", async () => {
      if (client) {
        await client.stop();
      }
      await start();
    }),
  );
  await start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
