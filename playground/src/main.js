// The playground: catalogue policies in an editor, checked as you type,
// decided and explained in the page by the engine compiled to WebAssembly.
import { EditorState } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { setDiagnostics } from '@codemirror/lint';
import { guifanHighlighting } from './language.js';
import { encodeState, decodeState } from './share.js';
import { localToRfc3339, rfc3339ToLocal } from './zone.js';
import init, * as engine from './guifan_wasm.js';

const $ = (id) => document.getElementById(id);
const TABS = ['policy', 'schema', 'params', 'records', 'test'];

/** Everything the page holds. */
const state = {
  catalogue: null,
  policy: null, // the catalogue entry being edited
  schema: [], // [{path, text}], as edited
  schemaFile: 0,
  texts: { policy: '', params: '', records: '', test: '' },
  at: '',
  tab: 'policy',
  baseline: null, // Map subject → decided rules, or null
  lastRun: null,
  problems: [],
};

let view;
const editorStates = new Map();

/** Calls the engine; a trap (which the engine is built never to reach) becomes a problem. */
function call(name, ...args) {
  try {
    return JSON.parse(engine[name](...args));
  } catch (e) {
    return { problems: [{ code: 'guifan::playground::engine', severity: 'error', message: String(e), anchor: '' }] };
  }
}

function workspace() {
  const files = state.schema.map((f) => ({ path: f.path, text: f.text }));
  if (state.policy) files.push({ path: state.policy.path, text: state.texts.policy });
  return JSON.stringify({ files, params: state.texts.params, records: state.texts.records, at: state.at });
}

function currentPath(tab = state.tab) {
  if (tab === 'policy') return state.policy && state.policy.path;
  if (tab === 'schema') return state.schema[state.schemaFile] && state.schema[state.schemaFile].path;
  if (tab === 'params') return 'params.toml';
  if (tab === 'records') return 'records';
  return state.policy && state.policy.test ? state.policy.test.path : 'test.toml';
}

function tabText(tab) {
  return tab === 'schema' ? state.schema[state.schemaFile].text : state.texts[tab];
}

function setTabText(tab, text) {
  if (tab === 'schema') state.schema[state.schemaFile].text = text;
  else state.texts[tab] = text;
}

function zone() {
  return ((state.texts.policy.match(/^\s*zone\s+(\S+)/m) || [])[1]) || 'UTC';
}

// ------------------------------------------------------------------ editor

function stateKey(tab = state.tab) {
  return tab === 'schema' ? `schema:${state.schemaFile}` : tab;
}

function makeState(tab) {
  const language = tab === 'policy' || tab === 'schema' ? guifanHighlighting : [];
  return EditorState.create({
    doc: tabText(tab),
    extensions: [
      basicSetup,
      language,
      keymap.of([{ key: 'Mod-Shift-f', run: () => { formatOpen(); return true; } }]),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': `${tab} editor`, lang: 'zh-Hans' }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) {
          setTabText(tab, u.state.doc.toString());
          schedule();
        }
      }),
    ],
  });
}

function showTab(tab) {
  if (view) editorStates.set(stateKey(), view.state);
  state.tab = tab;
  for (const b of document.querySelectorAll('[role="tab"]')) {
    b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  }
  $('schema-file').hidden = tab !== 'schema';
  let s = editorStates.get(stateKey());
  if (!s || s.doc.toString() !== tabText(tab)) s = makeState(tab);
  view.setState(s);
  showDiagnostics();
}

/** Replaces a tab's text (a policy picked, a format, a shared state). */
function replaceText(tab, text) {
  setTabText(tab, text);
  editorStates.delete(stateKey(tab));
  if (tab === state.tab) view.setState(makeState(tab));
}

// ------------------------------------------------------------------ checking and running

let timer = null;
// The workspace the problems and decisions on show were computed from.
let shown = null;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 150);
}

function refresh() {
  timer = null;
  const sent = workspace();
  const checked = call('check', sent);
  state.problems = checked.problems || [];
  renderProblems();
  showDiagnostics();
  const run = call('run', sent);
  state.lastRun = run;
  renderRun(run);
  shown = sent;
}

/** Whether what the page shows was decided from what is in its editors now (no edit still waiting). */
function settled() {
  return timer === null && shown === workspace();
}

function showDiagnostics() {
  if (!view) return;
  const path = currentPath();
  const length = view.state.doc.length;
  const diagnostics = state.problems
    .filter((p) => p.path === path && p.from)
    .map((p) => ({
      from: Math.min(p.from.offset, length),
      to: Math.min(Math.max(p.to.offset, p.from.offset), length),
      severity: p.severity === 'note' ? 'info' : p.severity,
      message: p.message + (p.help ? `\nhelp: ${p.help}` : ''),
      source: p.code,
    }));
  view.dispatch(setDiagnostics(view.state, diagnostics));
}

function tabOf(path) {
  if (state.policy && path === state.policy.path) return 'policy';
  const schema = state.schema.findIndex((f) => f.path === path);
  if (schema >= 0) return ['schema', schema];
  if (path === 'params.toml') return 'params';
  if (path === 'records') return 'records';
  return null;
}

function goTo(problem) {
  const where = tabOf(problem.path);
  if (!where) return;
  if (Array.isArray(where)) {
    editorStates.set(stateKey(), view.state);
    state.schemaFile = where[1];
    $('schema-file').value = String(where[1]);
    showTab('schema');
  } else {
    showTab(where);
  }
  const at = Math.min(problem.from.offset, view.state.doc.length);
  view.dispatch({ selection: { anchor: at, head: Math.min(problem.to.offset, view.state.doc.length) }, scrollIntoView: true });
  view.focus();
}

function renderProblems() {
  const list = $('problem-list');
  list.replaceChildren();
  for (const p of state.problems) {
    const li = document.createElement('li');
    li.tabIndex = 0;
    li.className = `sev-${p.severity}`;
    li.dataset.code = p.code;
    if (p.from) li.dataset.line = p.from.line;
    const place = p.path ? `${p.path}${p.from ? `:${p.from.line}:${p.from.column}` : ''} ` : '';
    const link = document.createElement('a');
    link.href = `diagnostics.html#${p.anchor}`;
    link.target = '_blank';
    link.textContent = p.code;
    li.append(`${place}${p.severity} [`, link, `] ${p.message}${p.help ? ` — ${p.help}` : ''}`);
    const open = () => goTo(p);
    li.addEventListener('click', (e) => { if (e.target !== link) open(); });
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    list.append(li);
  }
  $('problem-count').textContent = String(state.problems.length);
}

/** The rules that decided, per subject, of a run. */
function rulesBySubject(run) {
  const out = new Map();
  for (const d of run.decided || []) {
    const subject = d.output.subject;
    out.set(subject, (d.output.decisions || []).map((x) => x.rule).join(', '));
  }
  return out;
}

function effectText(e) {
  const args = Object.entries(e).filter(([k]) => k !== 'kind');
  return args.length ? `${e.kind}(${args.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')})` : e.kind;
}

function renderRun(run) {
  const summary = $('summary');
  const errors = (run.problems || []).filter((p) => p.severity === 'error');
  summary.dataset.records = String(run.records || 0);
  summary.dataset.decisions = String(run.decisions || 0);
  summary.textContent = errors.length
    ? `Not run: ${errors.length} problem${errors.length === 1 ? '' : 's'} (see Problems).`
    : `${run.records} records · ${run.decisions} decisions${run.errors.length ? ` · ${run.errors.length} records not decided` : ''}`;
  for (const p of run.errors || []) {
    if (!state.problems.includes(p)) state.problems.push(p);
  }
  if ((run.errors || []).length || (run.problems || []).length) {
    for (const p of run.problems || []) {
      if (!state.problems.some((q) => q.message === p.message)) state.problems.push(p);
    }
    renderProblems();
  }
  const now = rulesBySubject(run);
  const changed = new Set();
  const changes = $('change-list');
  changes.replaceChildren();
  if (state.baseline && !errors.length) {
    const subjects = new Set([...state.baseline.keys(), ...now.keys()]);
    for (const s of subjects) {
      const before = state.baseline.get(s);
      const after = now.get(s);
      if (before === after) continue;
      changed.add(s);
      const li = document.createElement('li');
      li.dataset.subject = s;
      li.textContent = `${s}: ${before || '(no decisions)'} → ${after === undefined ? '(not in the records)' : after || '(no decisions)'}`;
      changes.append(li);
    }
  }
  $('changes').hidden = changed.size === 0;
  const body = document.querySelector('#decisions tbody');
  body.replaceChildren();
  for (const d of run.decided || []) {
    const { subject, decisions } = d.output;
    const rows = decisions.length ? decisions : [null];
    for (const x of rows) {
      const tr = document.createElement('tr');
      tr.tabIndex = 0;
      tr.dataset.subject = subject;
      if (changed.has(subject)) tr.classList.add('changed');
      const cells = x
        ? [subject, x.rule, x.effects.map(effectText).join('; '), x.message || '']
        : [subject, 'no decisions', '', ''];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (!x && i === 1) td.className = 'none';
        if (i === 3) { td.className = 'message'; td.lang = 'zh-Hans'; }
        tr.append(td);
      });
      tr.addEventListener('click', () => explain(subject));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') explain(subject); });
      body.append(tr);
    }
  }
}

function explain(subject) {
  const answer = call('explain', workspace(), subject);
  $('explain').hidden = false;
  $('explain-subject').textContent = subject;
  const out = $('explain-body');
  out.replaceChildren();
  if (!answer.explanation) {
    out.textContent = (answer.problems || []).map((p) => p.message).join('\n');
    return;
  }
  for (const policy of answer.explanation.policies) {
    const h = document.createElement('h3');
    h.textContent = `${policy.policy} — ${policy.applies}`;
    out.append(h);
    const rules = document.createElement('ul');
    for (const rule of policy.rules) {
      const li = document.createElement('li');
      li.textContent = `${rule.status === 'fired' ? '●' : '○'} ${rule.rule}: ${rule.status}${rule.version ? ` (version ${rule.version})` : ''}`;
      const checks = document.createElement('ul');
      for (const c of rule.checks) {
        const item = document.createElement('li');
        const mark = c.held === true ? '✓' : c.held === false ? '✗' : '·';
        item.className = c.held === true ? 'held' : c.held === false ? 'failed' : 'skipped';
        const has = (v) => v !== null && v !== undefined;
        const values = has(c.left) && has(c.right) ? ` — ${c.left} vs ${c.right}` : has(c.left) ? ` — ${c.left}` : '';
        item.textContent = `${mark} ${c.text}${values}`;
        if (c.distance) {
          const d = document.createElement('span');
          d.className = 'distance';
          d.textContent = ` (to flip: ${c.distance})`;
          item.append(d);
        }
        checks.append(item);
      }
      li.append(checks);
      rules.append(li);
    }
    out.append(rules);
  }
  const details = document.createElement('details');
  const sum = document.createElement('summary');
  sum.textContent = 'As guifan explain prints it';
  const pre = document.createElement('pre');
  pre.textContent = answer.text;
  details.append(sum, pre);
  out.append(details);
}

// ------------------------------------------------------------------ actions

function formatOpen() {
  if (state.tab !== 'policy' && state.tab !== 'schema') return;
  const answer = call('format', currentPath(), tabText(state.tab));
  if (answer.text !== null && answer.text !== undefined) replaceText(state.tab, answer.text);
  schedule();
}

function runTests() {
  $('tests').hidden = false;
  const test = state.texts.test;
  if (!test.trim()) { $('test-output').textContent = 'This policy has no test file.'; return; }
  const answer = call('test', workspace(), test);
  const lines = [];
  if (answer.problems && answer.problems.length) lines.push(...answer.problems.map((p) => p.message));
  else {
    lines.push(`${answer.passed} passed, ${answer.failures.length} failed`);
    for (const f of answer.failures) lines.push(`✗ ${f.case} (line ${f.line}): ${f.message}`);
  }
  $('test-output').textContent = lines.join('\n');
}

function setAt(text) {
  state.at = text;
  $('at').value = text;
  $('local').value = rfc3339ToLocal(text, zone());
  $('zone-label').textContent = `in ${zone()}`;
}

function keepBaseline() {
  if (state.lastRun) state.baseline = rulesBySubject(state.lastRun);
  renderRun(state.lastRun || {});
}

/** Opens a catalogue policy with its example records. */
function openPolicy(entry, overrides = {}) {
  state.policy = entry;
  state.texts.policy = overrides.text ?? entry.text;
  state.texts.test = entry.test ? entry.test.text : '';
  state.texts.params = overrides.params ?? '';
  let records = overrides.records;
  let at = overrides.at;
  if (records === undefined) {
    const made = entry.test ? call('examples', workspace(), entry.test.text) : { records: '' };
    records = (entry.example ? entry.example.records : '') + (made.records || '');
    at = at || (entry.example && entry.example.at) || made.at;
  }
  state.texts.records = records;
  $('policy').value = entry.path;
  setAt(at || new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
  editorStates.clear();
  showTab(state.tab);
  state.baseline = null;
  refresh();
  keepBaseline();
}

async function share() {
  const changedSchema = state.schema.filter((f, i) => f.text !== state.catalogue.schema[i].text);
  const fragment = await encodeState({
    policy: state.policy.path,
    text: state.texts.policy,
    params: state.texts.params,
    records: state.texts.records,
    at: state.at,
    schema: changedSchema,
  });
  history.replaceState(null, '', fragment);
  try { await navigator.clipboard.writeText(location.href); } catch { /* no clipboard here */ }
  $('share').textContent = 'Link copied';
  setTimeout(() => { $('share').textContent = 'Share'; }, 1500);
}

function setTheme(theme) {
  document.documentElement.dataset.theme = theme;
  $('theme').textContent = theme === 'dark' ? 'Light' : 'Dark';
  $('theme').setAttribute('aria-pressed', String(theme === 'dark'));
  try { localStorage.setItem('guifan-theme', theme); } catch { /* private mode */ }
}

// ------------------------------------------------------------------ start

async function start() {
  let saved = null;
  try { saved = localStorage.getItem('guifan-theme'); } catch { /* private mode */ }
  setTheme(saved || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  const [catalogue] = await Promise.all([fetch('catalogue.json').then((r) => r.json()), init()]);
  state.catalogue = catalogue;
  state.schema = catalogue.schema.map((f) => ({ ...f }));
  for (const [i, f] of state.schema.entries()) $('schema-file').append(new Option(f.path, String(i)));
  for (const p of catalogue.policies) $('policy').append(new Option(`${p.id} (${p.path})`, p.path));
  view = new EditorView({ parent: $('editor'), state: EditorState.create({ doc: '' }) });

  const shared = await decodeState(location.hash);
  const byPath = (path) => catalogue.policies.find((p) => p.path === path);
  if (shared && byPath(shared.policy)) {
    for (const f of shared.schema || []) {
      const i = state.schema.findIndex((s) => s.path === f.path);
      if (i >= 0) state.schema[i].text = f.text;
    }
    openPolicy(byPath(shared.policy), shared);
  } else {
    openPolicy(byPath('douyin/zero_deposit_trial.policy') || catalogue.policies[0]);
  }

  $('policy').addEventListener('change', (e) => openPolicy(byPath(e.target.value)));
  $('schema-file').addEventListener('change', (e) => {
    editorStates.set(stateKey(), view.state);
    state.schemaFile = Number(e.target.value);
    showTab('schema');
  });
  for (const b of document.querySelectorAll('[role="tab"]')) b.addEventListener('click', () => showTab(b.dataset.tab));
  $('at').addEventListener('change', (e) => { setAt(e.target.value.trim()); schedule(); });
  $('local').addEventListener('change', (e) => {
    const text = localToRfc3339(e.target.value, zone());
    if (text) { setAt(text); schedule(); }
  });
  $('format').addEventListener('click', formatOpen);
  $('run-tests').addEventListener('click', runTests);
  $('baseline').addEventListener('click', keepBaseline);
  $('share').addEventListener('click', share);
  $('theme').addEventListener('click', () => setTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'));
  performance.mark('guifan-first-decisions');
  // What the page would send the engine now (read by the browser tests).
  window.guifanPlayground = { workspace: () => JSON.parse(workspace()), settled };
  document.body.dataset.ready = 'true';
}

start().catch((e) => { $('summary').textContent = `The playground could not start: ${e}`; });
