// Every bundled rule file tokenized with the grammar, as VS Code does:
// no illegal escape, and the words that start declarations and entries
// are keywords wherever they begin a line.

"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.join(__dirname, "..", "..", "..", "rules");

function ruleFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return ruleFiles(p);
    return /\.(policy|schema)$/.test(e.name) ? [p] : [];
  });
}

async function grammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () =>
      vsctm.parseRawGrammar(
        fs.readFileSync(path.join(__dirname, "..", "syntaxes", "guifan.tmLanguage.json"), "utf8"),
        "guifan.tmLanguage.json",
      ),
  });
  return registry.loadGrammar("source.guifan");
}

const LEADING = /^\s*(policy|kind|record|effect|platform|rule|param|let|title|source|subject|zone|currency|effective)\b(?!\s*:)/;

test("every bundled rule file tokenizes without an illegal token", async () => {
  const g = await grammar();
  const files = ruleFiles(root);
  assert.ok(files.length >= 17, `rule files under ${root}`);
  for (const file of files) {
    let state = vsctm.INITIAL;
    const lines = fs.readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      const r = g.tokenizeLine(line, state);
      state = r.ruleStack;
      for (const t of r.tokens) {
        const scopes = t.scopes.join(" ");
        assert.ok(!scopes.includes("invalid"), `${file}:${i + 1}: ${line.slice(t.startIndex, t.endIndex)} is ${scopes}`);
      }
      const lead = LEADING.exec(line);
      if (lead && !line.trimStart().startsWith("//")) {
        const at = line.indexOf(lead[1]);
        const token = r.tokens.find((t) => t.startIndex <= at && at < t.endIndex);
        const scopes = token.scopes.join(" ");
        assert.ok(/keyword/.test(scopes), `${file}:${i + 1}: \`${lead[1]}\` is ${scopes}`);
      }
    });
  }
});
