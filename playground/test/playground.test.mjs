// The playground in a real browser: Debian's Chromium driven by
// playwright-core (never a downloaded browser), against the page served by
// `guifan serve --playground` on loopback. Needs playground/build.sh run
// first and the guifan binary built (GUIFAN_BIN, else target/debug/guifan).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const playground = path.resolve(here, '..');
const root = path.resolve(playground, '..');
const dist = path.join(playground, 'dist');
const results = path.join(playground, 'test-results');
const bin = process.env.GUIFAN_BIN || path.join(root, 'target', 'debug', 'guifan');
const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';

let server;
let base;
// Launched with a fresh, empty profile of its own (playwright makes one per launch).
let browser;

before(async () => {
  fs.mkdirSync(results, { recursive: true });
  server = spawn(bin, ['serve', '--rules', path.join(root, 'rules'), '--playground', dist, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  base = await new Promise((resolve, reject) => {
    let err = '';
    server.stderr.on('data', (chunk) => {
      err += chunk;
      const m = /the playground is at (http:\/\/\S+)\r?\n/.exec(err);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`guifan serve ended (${code}): ${err}`)));
  });
  browser = await chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill();
});

async function open(url = base) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  page.on('requestfailed', (r) => errors.push(`${r.url()}: ${r.failure() && r.failure().errorText}`));
  await page.goto(url);
  try {
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  } catch (e) {
    const summary = await page.textContent('#summary').catch(() => '?');
    throw new Error(`the page did not start: ${summary}; ${errors.join('; ')}`);
  }
  await page.waitForFunction(() => Number(document.getElementById('summary').dataset.decisions) > 0);
  await settle(page);
  // Since the navigation started, by the page's own clock.
  const firstDecisionsMs = await page.evaluate(() => performance.getEntriesByName('guifan-first-decisions')[0].startTime);
  return { page, errors, firstDecisionsMs: Math.round(firstDecisionsMs) };
}

/** Waits until the page shows what its editors hold: an edit is decided after a pause, not per key. */
const settle = (page) => page.waitForFunction(() => window.guifanPlayground.settled());
const decisions = (page) => page.$eval('#summary', (e) => Number(e.dataset.decisions));
const workspace = (page) => page.evaluate(() => window.guifanPlayground.workspace());

/** Decides the page's workspace with `guifan run`: its rule files in a directory, its records, its time. */
function guifanRun(ws) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guifan-pg-'));
  for (const f of ws.files) {
    fs.mkdirSync(path.dirname(path.join(dir, 'rules', f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'rules', f.path), f.text);
  }
  fs.writeFileSync(path.join(dir, 'records.jsonl'), ws.records);
  const out = execFileSync(bin, ['run', '--rules', path.join(dir, 'rules'), '--data', path.join(dir, 'records.jsonl'), '--at', ws.at], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return out.trim().split('\n').reduce((n, line) => n + JSON.parse(line).decisions.length, 0);
}

/** Puts the cursor at the end of the first editor line holding `text`. */
async function endOfLine(page, text) {
  await page.locator('.cm-line', { hasText: text }).first().click();
  await page.keyboard.press('End');
}

test('the trial policy opens with its records decided, and a lower cap decides as guifan run does', async () => {
  const { page, errors, firstDecisionsMs } = await open();
  console.log(`first decisions ${firstDecisionsMs} ms after navigation`);
  assert.equal(await page.$eval('#policy', (e) => e.value), 'douyin/zero_deposit_trial.policy');
  // Another policy, then the trial again, picked as a user does.
  await page.selectOption('#policy', 'kuaishou/report_escalation.policy');
  await page.waitForFunction(() => document.getElementById('policy').value === 'kuaishou/report_escalation.policy');
  await page.selectOption('#policy', 'douyin/zero_deposit_trial.policy');
  await page.waitForFunction(() => Number(document.getElementById('summary').dataset.decisions) > 0);
  await settle(page);
  const before = await decisions(page);
  assert.ok(await page.locator('#decisions tbody tr').count() > 10);
  assert.equal(before, guifanRun(await workspace(page)));

  await endOfLine(page, 'param personal_listing_cap');
  for (let i = 0; i < 3; i++) await page.keyboard.press('Backspace');
  await page.keyboard.type('90');
  await page.waitForFunction((n) => Number(document.getElementById('summary').dataset.decisions) !== n, before);
  await settle(page);
  const ws = await workspace(page);
  assert.match(ws.files.find((f) => f.path.endsWith('.policy')).text, /param personal_listing_cap: int = 90\n/);
  const after90 = await decisions(page);
  assert.equal(after90, guifanRun(ws));
  assert.ok(after90 > before, `${before} → ${after90}`);
  // What changed: the subjects whose decisions the edit changed, against the baseline.
  await page.waitForSelector('#changes:not([hidden])');
  assert.ok(await page.locator('#change-list li').count() >= 1);
  assert.ok(await page.locator('#decisions tr.changed').count() >= 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a misspelt field is a diagnostic at its line, squiggled and listed with its docs link', async () => {
  const { page } = await open();
  const ws = await workspace(page);
  const text = ws.files.find((f) => f.path.endsWith('.policy')).text;
  const lines = text.split('\n');
  // The subject line, near the top (the editor draws only the lines in view).
  const index = lines.findIndex((l) => /^\s*subject /.test(l));
  assert.ok(index >= 0);
  await endOfLine(page, lines[index].trim());
  await page.keyboard.type(' and listings_onlin > 0');
  const item = page.locator('#problem-list li[data-code="guifan::check::unknown_field"]');
  await item.waitFor();
  assert.equal(await item.getAttribute('data-line'), String(index + 1));
  assert.equal(await item.locator('a').getAttribute('href'), 'diagnostics.html#guifan-check-unknown_field');
  await page.waitForSelector('.cm-lintRange-error');
  assert.match(await page.textContent('#summary'), /Not run/);
  // The docs page has the row the link points at.
  const docs = await (await fetch(new URL('diagnostics.html', base))).text();
  assert.match(docs, /id="guifan-check-unknown_field"/);
  await page.close();
});

test('explaining a subject shows each comparison, its values and the distance to flip it', async () => {
  const { page } = await open();
  await page.locator('#decisions tbody tr[data-subject="dy-e2"]').first().click();
  await page.waitForSelector('#explain:not([hidden])');
  const body = await page.textContent('#explain-body');
  assert.match(body, /douyin\.zero_deposit_trial\.listing_cap: fired/);
  assert.match(body, /✓ listings_online > .*— 150 vs 100/);
  assert.match(body, /to flip: /);
  await page.screenshot({ path: path.join(results, 'playground.png') });
  await page.close();
});

test('the state is shared as a URL and comes back whole', async () => {
  const { page } = await open();
  await page.click('[data-tab="params"]');
  await page.locator('#editor .cm-content').click();
  await page.keyboard.type('["douyin.zero_deposit_trial"]\npersonal_listing_cap = 95\n');
  await page.waitForFunction(() => window.guifanPlayground.workspace().params.includes('95'));
  await settle(page);
  await page.click('#theme');
  await page.click('#share');
  await page.waitForFunction(() => location.hash.startsWith('#s='));
  const url = page.url();
  const sent = await workspace(page);
  const count = await decisions(page);
  const second = await open(url);
  assert.deepEqual(await workspace(second.page), sent);
  assert.equal(await decisions(second.page), count);
  await page.screenshot({ path: path.join(results, 'playground-dark.png') });
  await page.close();
  await second.page.close();
});

test('the tests of the policy run in the page', async () => {
  const { page } = await open();
  await page.click('#run-tests');
  assert.match(await page.textContent('#test-output'), /^\d+ passed, 0 failed/);
  await page.close();
});

test('budgets: the engine under 1.5 MB gzipped; 10,000 records decided in the page (measured)', async () => {
  const wasm = fs.readFileSync(path.join(dist, 'guifan_wasm_bg.wasm'));
  const gzipped = zlib.gzipSync(wasm, { level: 9 }).length;
  console.log(`engine: ${wasm.length} bytes, ${gzipped} gzipped`);
  assert.ok(gzipped < 1.5 * 1024 * 1024, `${gzipped} bytes gzipped`);
  const { page } = await open();
  const timing = await page.evaluate(async () => {
    const engine = await import('./guifan_wasm.js');
    const ws = window.guifanPlayground.workspace();
    const lines = ws.records.trim().split('\n');
    const many = [];
    for (let i = 0; many.length < 10000; i++) {
      const record = JSON.parse(lines[i % lines.length]);
      record.id = `m-${i}`;
      many.push(JSON.stringify(record));
    }
    ws.records = many.join('\n');
    const text = JSON.stringify(ws);
    const started = performance.now();
    const run = JSON.parse(engine.run(text));
    return { ms: performance.now() - started, records: run.records, errors: run.errors.length };
  });
  console.log(`10,000 records decided in the page in ${timing.ms.toFixed(0)} ms`);
  assert.equal(timing.records, 10000);
  assert.equal(timing.errors, 0);
  await page.close();
});
