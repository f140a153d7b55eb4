// Assembles the playground in dist/: the page, its script (esbuild), the
// engine (pkg/, made by build.sh with wasm-bindgen), the bundled catalogue
// (rules/ and tests/examples/) and docs/diagnostics.md as HTML.
import { build } from 'esbuild';
import { marked } from 'marked';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dist = path.resolve(here, '..', 'dist');
const pkg = path.resolve(here, '..', 'pkg');

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });

await build({
  entryPoints: [path.join(here, '..', 'src', 'main.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outfile: path.join(dist, 'main.js'),
  external: ['./guifan_wasm.js'],
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) {
  fs.copyFileSync(path.join(here, '..', 'src', f), path.join(dist, f));
}
for (const f of ['guifan_wasm.js', 'guifan_wasm_bg.wasm']) {
  fs.copyFileSync(path.join(pkg, f), path.join(dist, f));
}

/** Every file under `dir` whose name passes `keep`, as paths relative to `base`, sorted. */
function walk(dir, keep, base = dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full, keep, base));
    else if (keep(entry.name)) out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out.sort();
}

const rules = path.join(root, 'rules');
const read = (p) => fs.readFileSync(path.join(rules, p), 'utf8');
const catalogue = { schema: [], policies: [] };
for (const p of walk(rules, (n) => n.endsWith('.schema'))) {
  catalogue.schema.push({ path: p, text: read(p) });
}
const policyId = (text) => (text.match(/^\s*policy\s+([a-z0-9_.]+)/m) || [])[1];
const tests = new Map();
for (const p of walk(rules, (n) => n.endsWith('.test.toml'))) {
  const text = read(p);
  const id = (text.match(/^policy\s*=\s*"([^"]+)"/m) || [])[1];
  if (id && !tests.has(id)) tests.set(id, { path: p, text });
}
const examples = new Map();
const exampleDir = path.join(root, 'tests', 'examples');
for (const p of walk(exampleDir, (n) => n.endsWith('.json'))) {
  const example = JSON.parse(fs.readFileSync(path.join(exampleDir, p), 'utf8'));
  examples.set(p.replace(/\.json$/, ''), example);
}
for (const p of walk(rules, (n) => n.endsWith('.policy'))) {
  const text = read(p);
  const id = policyId(text);
  const example = examples.get((id || '').replace('.', '_'));
  catalogue.policies.push({
    id,
    path: p,
    text,
    test: tests.get(id) || null,
    // The catalogue's own example, when it has one: its records and time.
    example: example
      ? { at: example.at, records: example.records.map((r) => JSON.stringify(r)).join('\n') + '\n' }
      : null,
  });
}
fs.writeFileSync(path.join(dist, 'catalogue.json'), JSON.stringify(catalogue));

const diagnostics = fs.readFileSync(path.join(root, 'docs', 'diagnostics.md'), 'utf8');
fs.writeFileSync(
  path.join(dist, 'diagnostics.html'),
  `<!doctype html><html lang="en"><meta charset="utf-8"><title>Guifan diagnostics</title>
<link rel="stylesheet" href="style.css"><body class="doc">${marked.parse(diagnostics)}</body></html>`,
);
console.log(`playground: ${catalogue.policies.length} policies in ${path.relative(process.cwd(), dist)}`);
