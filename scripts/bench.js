#!/usr/bin/env node
// npm run bench: real flows in a real Node-RED runtime against the bundled simulator (loopback).
// Every figure is a ratio against a baseline measured in the same run (median of several
// repetitions); no absolute time is asserted. Prints a table and writes bench/results.json.
//
//   node scripts/bench.js                 all eight figures
//   node scripts/bench.js --only 2,4      some figures
//   node scripts/bench.js --quick         fewer messages / repetitions (smoke test of the harness)
//   BENCH_CPU_PROF=1 node scripts/bench.js --only 4    CPU profiles of every child in bench/.work/prof
//   BENCH_NODE_RED=5 npx -y -p node@22 node scripts/bench.js    Node 22 + Node-RED 5.x
//
// The simulator runs in its own process; each measured runtime (Node-RED or a bare `got`
// client) runs in a fresh child process, so memory and event-loop figures are not polluted.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork, spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const benchDir = path.join(root, 'bench');
const workDir = path.join(benchDir, '.work');
const resultsFile = path.join(benchDir, 'results.json');

const FIGURES = [
  { id: '1', file: 'fig1-tokens.js', title: 'Token requests under concurrency' },
  { id: '2', file: 'fig2-overhead.js', title: 'Per-call overhead' },
  { id: '3', file: 'fig3-saturation.js', title: 'Rate-limit saturation' },
  { id: '4', file: 'fig4-hunting.js', title: '100,000-row advanced hunting result' },
  { id: '5', file: 'fig5-paging.js', title: 'Paging 25,000 alerts' },
  { id: '6', file: 'fig6-coldstart.js', title: 'Cold start' },
  { id: '7', file: 'fig7-trigger.js', title: 'Alert trigger: idle cost, latency, backlog' },
  { id: '8', file: 'fig8-shared.js', title: 'Several instances on one tenant: shared budget (Redis)' },
];

function parseArgs(argv) {
  const out = { only: null, quick: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') out.only = String(argv[++i] || '').split(',').map((s) => s.trim()).filter(Boolean);
    else if (a.startsWith('--only=')) out.only = a.slice(7).split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--quick') out.quick = true;
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 13).join('\n').replace(/^\/\/ ?/gm, ''));
      process.exit(0);
    } else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  return out;
}

function ensureBuilt() {
  const needed = ['dist/nodes/mde-config.js', 'dist/nodes/mde-alerts.js', 'dist/nodes/mde-hunting.js', 'dist/simulator/index.js'];
  if (needed.every((f) => fs.existsSync(path.join(root, f)))) return;
  console.log('dist/ is missing or incomplete: building first (npm run build) ...');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error('build failed');
    process.exit(r.status || 1);
  }
}

/** Child environment: no proxies (loopback only), quiet Node-RED. */
function childEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(k)) delete env[k];
  delete env.NODE_OPTIONS;
  return env;
}

let profCount = 0;
function profArgs(label) {
  if (!process.env.BENCH_CPU_PROF) return [];
  const dir = path.join(workDir, 'prof');
  fs.mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${String(++profCount).padStart(3, '0')}-${label}.cpuprofile`];
}

/** Forks bench/lib/child.js to run `job` of a figure module; resolves with the job's value. */
function runChild(modulePath, job, params, opts = {}) {
  return new Promise((resolve, reject) => {
    const label = `${path.basename(modulePath, '.js')}-${job}`;
    const execArgv = [...(opts.execArgv || []), ...profArgs(label)];
    const child = fork(path.join(benchDir, 'lib', 'child.js'), [modulePath, job], {
      cwd: root,
      env: childEnv(opts.env),
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.send(params);
    let settled = false;
    const timeout = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`${label} did not finish within ${opts.timeoutMs || 240_000} ms`));
    }, opts.timeoutMs || 240_000);
    child.once('message', (m) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      if (m && m.ok) resolve(m.value);
      else reject(new Error(`${label} failed:\n${m && m.error}`));
    });
    child.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      reject(new Error(`${label} exited (${signal || code}) without a result`));
    });
  });
}

/** The simulator in its own process, driven over IPC. */
function startSimHost(options) {
  const child = fork(path.join(benchDir, 'lib', 'sim-host.js'), [], { cwd: root, env: childEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let seq = 0;
  const pending = new Map();
  child.on('message', (m) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`simulator: ${m.error}`));
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`simulator process exited (${code})`));
    pending.clear();
  });
  const call = (cmd, arg) =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, arg });
    });
  return call('start', options).then((info) => ({
    url: info.url,
    caPem: info.caPem,
    caFile: info.caFile,
    startMs: info.startMs,
    clearLog: () => call('clearLog'),
    summary: () => call('summary'),
    sample: (arg) => call('sample', arg),
    setRateLimits: (v) => call('setRateLimits', v),
    close: async () => {
      await call('close').catch(() => {});
      try {
        fs.unlinkSync(info.caFile);
      } catch {
        /* ignore */
      }
    },
    /** What the child processes get: plain data only. */
    toJSON: () => ({ url: info.url, caPem: info.caPem, caFile: info.caFile }),
  }));
}

// ------------------------------------------------------------------ table

function fmt(v) {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a >= 1000) return Math.round(v).toLocaleString('en-US');
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    if (Number.isInteger(v)) return String(v);
    return a >= 1 ? v.toFixed(2) : v.toFixed(3);
  }
  if (Array.isArray(v)) return v.length ? v.join(', ') : 'none';
  return String(v);
}

function withUnit(v, unit) {
  const s = fmt(v);
  if (s === '-' || !unit || Array.isArray(v)) return s;
  return `${s} ${unit}`;
}

function tableRows(rows) {
  return rows.map((r) => [
    r.figure,
    r.label,
    withUnit(r.ours, r.unit),
    withUnit(r.baseline, r.baselineUnit ?? r.unit),
    r.ratio === null || r.ratio === undefined ? '-' : fmt(r.ratio),
    r.target ? r.target.text : '-',
    r.pass === true ? 'PASS' : r.pass === false ? 'MISS' : 'info',
  ]);
}

const HEAD = ['Fig', 'Measure', 'Ours', 'Baseline', 'Ratio', 'Target', 'Result'];

function renderText(rows) {
  const data = [HEAD, ...tableRows(rows)];
  const w = HEAD.map((_, i) => Math.max(...data.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(w[i])).join('  ');
  return [line(data[0]), w.map((n) => '-'.repeat(n)).join('  '), ...data.slice(1).map(line)].join('\n');
}

function renderMarkdown(rows) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...tableRows(rows).map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

// ------------------------------------------------------------------ main

async function main() {
  const args = parseArgs(process.argv.slice(2));
  ensureBuilt();
  fs.mkdirSync(workDir, { recursive: true });
  const { nodeRedVersion, rmrf } = require(path.join(benchDir, 'lib', 'common.js'));
  const pkg = require(path.join(root, 'package.json'));
  const startedAt = new Date();
  const t0 = Date.now();
  const selected = FIGURES.filter((f) => !args.only || args.only.includes(f.id));

  const ctx = {
    quick: args.quick,
    log: (s) => console.log(s),
    sim: (options) => startSimHost(options),
    child: (modulePath, job, params, opts) => runChild(modulePath, job, JSON.parse(JSON.stringify(params)), opts),
  };

  console.log(`node-red-contrib-defender-endpoint ${pkg.version} bench: Node ${process.versions.node}, Node-RED ${nodeRedVersion()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model?.trim() ?? 'unknown'})`);
  console.log('All figures are ratios against a baseline measured in this run; absolute times are informational only.\n');

  const figures = [];
  const rows = [];
  let crashed = 0;
  for (const f of selected) {
    const ft0 = Date.now();
    console.log(`Figure ${f.id}: ${f.title}`);
    try {
      const mod = require(path.join(benchDir, 'figures', f.file));
      const res = await mod.run(ctx);
      const seconds = (Date.now() - ft0) / 1000;
      figures.push({ id: f.id, title: f.title, seconds, ...res });
      rows.push(...res.rows);
      console.log(`  done in ${seconds.toFixed(1)} s\n`);
    } catch (e) {
      crashed++;
      console.error(`  figure ${f.id} crashed: ${e && e.stack ? e.stack : e}\n`);
      figures.push({ id: f.id, title: f.title, error: String(e && e.stack ? e.stack : e) });
      rows.push({ figure: f.id, label: `${f.title}: crashed`, ours: null, baseline: null, ratio: null, target: null, pass: false });
    }
  }

  const table = renderText(rows);
  console.log(table);
  const cpus = os.cpus();
  const results = {
    package: { name: pkg.name, version: pkg.version },
    date: startedAt.toISOString(),
    durationSeconds: (Date.now() - t0) / 1000,
    quick: args.quick,
    machine: {
      platform: `${os.platform()} ${os.release()}`,
      arch: os.arch(),
      cpus: cpus.length,
      cpuModel: cpus[0]?.model?.trim(),
      totalMemMB: Math.round(os.totalmem() / 2 ** 20),
      loadavg: os.loadavg(),
    },
    versions: { node: process.versions.node, nodeRed: nodeRedVersion(), v8: process.versions.v8 },
    method: 'Each figure: ratio of our value to a baseline measured in the same run. Values are medians over repetitions; ratios are medians of per-repetition paired ratios where repetitions are paired. pass/fail is informational.',
    table: rows,
    markdownTable: renderMarkdown(rows),
    figures,
  };
  fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(root, resultsFile)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (!process.env.BENCH_KEEP_WORK) {
    // only what the run created: Node-RED user dirs and the simulator CA files
    for (const e of fs.readdirSync(workDir)) if (/^(nr|cold)-|^sim-ca-\d+\.pem$/.test(e)) rmrf(path.join(workDir, e));
  }
  if (crashed) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
