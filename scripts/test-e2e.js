#!/usr/bin/env node
// npm run test:e2e: the editor in a real Chromium (Debian's package) driven by playwright-core,
// against a real Node-RED with this package installed from its tarball and the bundled simulator.
// Node's built-in runner; spec output on stdout, TAP in test-results/e2e.tap, screenshots in
// test-results/screenshots/. `--update-docs` also copies the README screenshots to docs/screenshots/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const README_SHOTS = ['02-test-connection-roles.png', '08-playbook-01-report.png'];

if (!fs.existsSync(chromium)) {
  console.error(
    `test:e2e needs Chromium at ${chromium}, and it is missing.\n` +
      'On Debian / Ubuntu: sudo apt-get update && sudo apt-get install -y chromium\n' +
      '(.ci/run installs it), or set CHROMIUM_PATH to another Chromium / Chrome binary.',
  );
  process.exit(1);
}

const files = fs
  .readdirSync(path.join(root, 'test', 'e2e'))
  .filter((f) => f.endsWith('.test.js'))
  .sort()
  .map((f) => path.join('test', 'e2e', f));
if (!files.length) {
  console.error('test:e2e: no test/e2e/*.test.js files found.');
  process.exit(1);
}

const resultsDir = path.join(root, 'test-results');
fs.rmSync(path.join(resultsDir, 'screenshots'), { recursive: true, force: true });
fs.mkdirSync(resultsDir, { recursive: true });
const tap = path.join(resultsDir, 'e2e.tap');
const started = Date.now();
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, CHROMIUM_PATH: chromium } },
);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
const status = r.status === null ? 1 : r.status;
console.log(`\ntest:e2e ${status === 0 ? 'passed' : 'FAILED'} in ${seconds} s (TAP: ${path.relative(root, tap)}, screenshots: test-results/screenshots/)`);

if (status === 0 && process.argv.includes('--update-docs')) {
  const docs = path.join(root, 'docs', 'screenshots');
  fs.mkdirSync(docs, { recursive: true });
  for (const f of README_SHOTS) {
    const from = path.join(resultsDir, 'screenshots', f);
    if (fs.existsSync(from)) fs.copyFileSync(from, path.join(docs, f));
  }
  console.log(`Copied ${README_SHOTS.join(', ')} to docs/screenshots/.`);
}
process.exit(status);
