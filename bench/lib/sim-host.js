// The simulator in its own process (forked by scripts/bench.js), so its CPU time, memory and
// event loop never mix with the Node-RED runtime being measured. Driven over IPC.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { ROOT, WORK } = require('./common');

let sim;

function log() {
  return typeof sim.requests === 'function' ? sim.requests() : sim.requests;
}

function summary() {
  const out = { total: 0, token: 0, tokenPost: 0, api: 0, graph: 0, status429: 0, apiOk: 0, resets: 0, byStatus: {} };
  for (const e of log()) {
    out.total++;
    out.byStatus[e.status] = (out.byStatus[e.status] || 0) + 1;
    if (e.reset) out.resets++;
    if (e.kind === 'token') {
      out.token++;
      if (e.method === 'POST') out.tokenPost++;
    } else if (e.kind === 'api' || e.kind === 'graph') {
      out[e.kind]++;
      if (e.status === 429) out.status429++;
      if (e.status >= 200 && e.status < 300) out.apiOk++;
    }
  }
  return out;
}

const commands = {
  async start(options) {
    const { startSimulator } = require(path.join(ROOT, 'dist', 'simulator', 'index.js'));
    const t0 = performance.now();
    sim = await startSimulator({ port: 0, maxLogEntries: 1_000_000, ...options });
    const caFile = path.join(WORK, `sim-ca-${process.pid}.pem`);
    fs.mkdirSync(WORK, { recursive: true });
    fs.writeFileSync(caFile, sim.caPem);
    return { url: sim.url, caPem: sim.caPem, caFile, startMs: performance.now() - t0 };
  },
  clearLog() {
    if (typeof sim.clearLog === 'function') sim.clearLog();
    else log().length = 0;
    return true;
  },
  summary,
  /** First request lines of the log (debugging: which URLs a flow really called). */
  sample({ n = 5, kind } = {}) {
    return log().filter((e) => !kind || e.kind === kind).slice(0, n).map((e) => ({ time: e.time, method: e.method, path: e.path, query: e.query, status: e.status, kind: e.kind }));
  },
  setRateLimits(value) {
    sim.setRateLimits(value);
    return true;
  },
  async close() {
    if (sim) await sim.close();
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('message', async ({ id, cmd, arg }) => {
  try {
    const value = await commands[cmd](arg);
    process.send({ id, ok: true, value });
  } catch (e) {
    process.send({ id, ok: false, error: e && e.stack ? e.stack : String(e) });
  }
});
process.on('disconnect', () => process.exit(0));
