'use strict';
// The mde-simulator CLI: start-up banner, stable certificate files, clean stop, port in use.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');

const CLI = path.join(__dirname, '../../dist/simulator/cli.js');

function run(args) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

async function waitForText(get, re, ms = 5000) {
  const end = Date.now() + ms;
  while (!re.test(get())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}: ${get()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return get().match(re);
}

test('CLI prints URL, tenant, apps and CA file; reuses --cert-dir; stops on SIGTERM; port in use exits 1', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mde-sim-cli-'));
  try {
    const p = run(['--port', '0', '--cert-dir', dir, '--alerts', '3', '--process-events', '10', '--quiet']);
    const [, port] = await waitForText(p.out, /listening on https:\/\/127\.0\.0\.1:(\d+)/);
    await waitForText(p.out, /Control/);
    const text = p.out();
    assert.match(text, /7d3c6a52-9f14-4e8b-a0c2-5b1e9d4f6a83/);
    assert.match(text, /3b9e4f27-8c1d-4a6e-b5f0-2d7a9c3e1f64\s+SimSecret~SOC-automation/);
    assert.match(text, new RegExp(`CA certificate\\s+${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/simulator-cert\\.pem`));
    const ca = fs.readFileSync(path.join(dir, 'simulator-cert.pem'), 'utf8');
    const body = await new Promise((resolve, reject) => https.get({ host: 'localhost', port: Number(port), path: '/_simulator/health', ca, agent: false }, (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => resolve(JSON.parse(b))); }).on('error', reject));
    assert.equal(body.alerts, 3);

    const busy = run(['--port', port, '--cert-dir', dir]);
    assert.equal(await busy.exited, 1);
    assert.match(busy.err(), /already in use/);
    assert.equal(busy.err().trim().split('\n').length, 1);

    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);

    // A second start reuses the same CA file instead of minting a new one.
    const again = run(['--port', '0', '--cert-dir', dir, '--alerts', '1', '--process-events', '10', '--quiet']);
    await waitForText(again.out, /Control/);
    assert.equal(fs.readFileSync(path.join(dir, 'simulator-cert.pem'), 'utf8'), ca);
    again.child.kill('SIGINT');
    assert.equal(await again.exited, 0);

    const bad = run(['--nope']);
    assert.equal(await bad.exited, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
