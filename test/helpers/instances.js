// Several Node-RED runtimes, each in its own process (./instance-child.js), for the shared-state
// tests: start them with the same flow against one simulator and one Redis, inject messages,
// read what reached their probes (from files, so a killed instance's output stays readable), kill
// one. Every wait has a generous timeout and nothing asserts a duration.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');

const running = new Set();

function startInstance(name, { flows, credentials = {}, settings = {}, probes = [], killAfter, recordDir }) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `mde-inst-${name}-`));
  const child = fork(path.join(__dirname, 'instance-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: process.env });
  let seq = 0;
  const replies = new Map();
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = true;
    for (const r of replies.values()) r.reject(new Error(`instance ${name} exited (${signal || code})`));
    replies.clear();
    resolve({ code, signal });
  }));
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.ready) resolve();
      else if (m.reply !== undefined && replies.has(m.reply)) {
        replies.get(m.reply).resolve(m.value);
        replies.delete(m.reply);
      }
    });
    exit.then(({ code, signal }) => reject(new Error(`instance ${name} exited before it was ready (${signal || code})`)));
  });
  const ask = (m) =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error(`instance ${name} is not running`));
      const id = ++seq;
      replies.set(id, { resolve, reject });
      child.send({ ...m, seq: id });
    });
  child.send({ name, userDir, recordDir, flows, credentials, settings, probes, killAfter });
  const instance = {
    name,
    child,
    ready,
    exit,
    get exited() {
      return exited;
    },
    inject: (node, msg = {}) => ask({ cmd: 'inject', node, msg }),
    status: (node) => ask({ cmd: 'status', node }),
    eval: (node, expr) => ask({ cmd: 'eval', node, expr }),
    /** Messages that reached `probe` on this instance (read from its record file). */
    records: (probe) => readRecords(path.join(recordDir, `${name}.${probe}.jsonl`)),
    async stop() {
      running.delete(instance);
      if (!exited) await ask({ cmd: 'stop' }).catch(() => undefined);
      await exit;
      fs.rmSync(userDir, { recursive: true, force: true });
    },
    async kill() {
      running.delete(instance);
      if (!exited) child.kill('SIGKILL');
      await exit;
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
  running.add(instance);
  return instance;
}

function readRecords(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Resolves once `count()` >= n (polled), rejects after `timeoutMs` saying what it saw. */
async function waitUntil(what, count, n, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await count();
    if (c >= n) return c;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${c} of ${n}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopAllInstances() {
  await Promise.all([...running].map((i) => i.kill()));
}

function recordDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mde-records-'));
}

module.exports = { startInstance, stopAllInstances, waitUntil, recordDir, readRecords };
