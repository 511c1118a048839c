#!/usr/bin/env node
// npm test: builds, then runs the unit and flow suites with Node's built-in runner twice —
// Node 20 + Node-RED 4.x, and Node 22 (fetched from the npm registry by npx) + Node-RED 5.x —
// and ends with one "N passed, N failed" line over both runs.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const suiteArg = args.includes('--suite') ? args[args.indexOf('--suite') + 1] : 'all';
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : 'all'; // 4 | 5 | all
const suites = suiteArg === 'all' ? ['unit', 'flows'] : [suiteArg];

function testFiles() {
  const files = [];
  for (const suite of suites) {
    const dir = path.join(root, 'test', suite);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.test.js')) files.push(path.join('test', suite, f));
  }
  return files;
}

function runBuild() {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status || 1);
}

// The tests talk to simulators on loopback; a proxy set for this shell (HTTPS_PROXY ...) would
// reroute them. The proxy tests set these variables themselves.
function withoutProxyVariables(env) {
  const out = { ...env };
  for (const name of ['https_proxy', 'http_proxy', 'no_proxy', 'all_proxy']) {
    delete out[name];
    delete out[name.toUpperCase()];
  }
  return out;
}

function run(label, command, commandArgs, env) {
  const tap = path.join(root, 'test-results', `${label}.tap`);
  fs.mkdirSync(path.dirname(tap), { recursive: true });
  console.log(`\n=== ${label} ===`);
  const started = Date.now();
  const r = spawnSync(
    command,
    [...commandArgs, '--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...testFiles()],
    { stdio: 'inherit', cwd: root, env: { ...withoutProxyVariables(process.env), ...env } },
  );
  const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  const count = (name) => {
    const m = text.match(new RegExp(`^# ${name} (\\d+)$`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  const result = { label, pass: count('pass'), fail: count('fail'), skipped: count('skipped'), exit: r.status, seconds: (Date.now() - started) / 1000 };
  // A runner that died before reporting counts as a failure, not as zero tests.
  if (r.status !== 0 && result.fail === 0) result.fail = 1;
  return result;
}

runBuild();
const results = [];
if (only === 'all' || only === '4') {
  results.push(run('node20-node-red4', process.execPath, [], { MDE_NODE_RED: '4' }));
}
if (only === 'all' || only === '5') {
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  results.push(run('node22-node-red5', npx, ['-y', '-p', 'node@22', 'node'], { MDE_NODE_RED: '5' }));
}
console.log('');
for (const r of results) console.log(`${r.label}: ${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped (${r.seconds.toFixed(1)} s)`);
const pass = results.reduce((n, r) => n + r.pass, 0);
const fail = results.reduce((n, r) => n + r.fail, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
console.log(`${pass} passed, ${fail} failed, ${skipped} skipped`);
process.exit(fail === 0 && pass > 0 ? 0 : 1);
