// Shared helpers for the benchmark: statistics, scratch directories, and an embedded Node-RED
// runtime (RED.init + RED.start) with a generated flow, used inside the per-figure child processes.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');

const ROOT = path.resolve(__dirname, '..', '..');
const WORK = path.join(ROOT, 'bench', '.work'); // git-ignored scratch space
const PKG_NAME = 'node-red-contrib-defender-endpoint';

// Demo identities of the bundled simulator.
// The simulator's demo identities (scripts/bench.js builds dist/ before loading this file).
const { DEMO } = require(path.join(ROOT, 'dist', 'simulator', 'index.js'));
const TENANT = DEMO.tenantId;
const APP = DEMO.apps.socAutomation;

// ------------------------------------------------------------------ statistics

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function round(x, digits = 3) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ------------------------------------------------------------------ scratch dirs

function mkWorkDir(prefix) {
  fs.mkdirSync(WORK, { recursive: true });
  return fs.mkdtempSync(path.join(WORK, `${prefix}-`));
}

function rmrf(dir) {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}

/** Which Node-RED this child runs: BENCH_NODE_RED=5 picks the node-red-5 alias (Node 22). */
function nodeRedModulePath() {
  const which = process.env.BENCH_NODE_RED === '5' ? 'node-red-5' : 'node-red';
  return path.dirname(require.resolve(`${which}/package.json`, { paths: [ROOT] }));
}

function nodeRedVersion() {
  return require(path.join(nodeRedModulePath(), 'package.json')).version;
}

/**
 * A Node-RED user directory holding flows.json / flows_cred.json (unencrypted) and, when
 * `withPackage`, node_modules/<our package> -> the repository (what `npm install <dir>` links).
 */
function makeUserDir({ flows = [], credentials = {}, withPackage = true, prefix = 'nr' } = {}) {
  const userDir = mkWorkDir(prefix);
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  if (withPackage) fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', PKG_NAME), 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true, dependencies: withPackage ? { [PKG_NAME]: 'file:' + ROOT } : {} }, null, 2));
  // Node-RED treats a node without x/y as a config node: give every tab node a position.
  const positioned = flows.map((n, i) => (n.z && n.x === undefined ? { x: 120 + 10 * i, y: 40 + 40 * i, ...n } : n));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(positioned));
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  return userDir;
}

/**
 * Boots Node-RED in this process with the given flows. Resolves once the flows are started.
 * The HTTP server is created (the editor/admin API is initialised as in a normal install) but
 * never listens: nothing here needs the editor over the network.
 */
async function startNodeRed({ flows = [], credentials = {}, settings = {}, withPackage = true, prefix = 'nr' } = {}) {
  const userDir = makeUserDir({ flows, credentials, withPackage, prefix });
  const tr = performance.now();
  const RED = require(nodeRedModulePath());
  const requireMs = performance.now() - tr;
  const server = http.createServer();
  const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
  const t0 = performance.now();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    uiPort: 0,
    httpNodeRoot: false,
    logging: { console: { level: process.env.BENCH_NR_LOG || 'error', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    mdeConfigStateDir: userDir,
    ...settings,
  });
  await RED.start();
  const tStarted = performance.now();
  await flowsStarted;
  const tFlows = performance.now();
  return {
    RED,
    userDir,
    requireMs,
    startMs: tStarted - t0,
    flowsMs: tFlows - t0,
    node: (id) => {
      const n = RED.nodes.getNode(id);
      if (!n) throw new Error(`node ${id} is not in the running flow (check the Node-RED log above)`);
      return n;
    },
    async stop() {
      try {
        await RED.stop();
      } catch {
        /* ignore */
      }
      rmrf(userDir);
    },
  };
}

/**
 * Listens on a node's input (a disabled debug node used as a sink) and counts messages.
 * `onMessage` sees each message; `waitFor(n)` resolves once n messages arrived in total.
 */
function sink(node, onMessage) {
  let count = 0;
  const waiters = [];
  node.on('input', (msg) => {
    count++;
    if (onMessage) onMessage(msg, count);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (count >= waiters[i].n) {
        waiters[i].resolve(count);
        waiters.splice(i, 1);
      }
    }
  });
  return {
    get count() {
      return count;
    },
    waitFor(n, timeoutMs = 120_000) {
      if (count >= n) return Promise.resolve(count);
      return new Promise((resolve, reject) => {
        const w = { n, resolve };
        waiters.push(w);
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${n} messages on ${node.id} (got ${count})`)), timeoutMs);
        const orig = w.resolve;
        w.resolve = (v) => {
          clearTimeout(t);
          orig(v);
        };
      });
    },
  };
}

/** Counts messages arriving on either of two sinks (success + catch). */
function outcome(okNode, errNode, { onOk, onErr } = {}) {
  let ok = 0;
  let err = 0;
  let waiter;
  const check = () => {
    if (waiter && ok + err >= waiter.n) {
      clearTimeout(waiter.t);
      const w = waiter;
      waiter = undefined;
      w.resolve({ ok, err });
    }
  };
  okNode.on('input', (msg) => {
    ok++;
    onOk?.(msg);
    check();
  });
  errNode.on('input', (msg) => {
    err++;
    onErr?.(msg);
    check();
  });
  return {
    get ok() {
      return ok;
    },
    get err() {
      return err;
    },
    waitFor(n, timeoutMs = 180_000) {
      return new Promise((resolve, reject) => {
        waiter = { n, resolve, t: setTimeout(() => reject(new Error(`timed out: ${ok} ok + ${err} failed of ${n}`)), timeoutMs) };
        check();
      });
    },
  };
}

// ------------------------------------------------------------------ flow building blocks

const TAB = { id: 'tab', type: 'tab', label: 'bench' };

function configNode(sim, id = 'cfg') {
  return {
    id,
    type: 'mde-config',
    name: 'simulator',
    tenantId: TENANT,
    clientId: APP.clientId,
    authMethod: 'secret',
    cloud: 'custom',
    region: '',
    apiBaseUrl: sim.url,
    authorityHost: sim.url,
    graphBaseUrl: sim.url,
    caCertificate: sim.caPem,
    isolationCap: 5,
    isolationWindowMinutes: 10,
  };
}

function configCredentials(id = 'cfg') {
  return { [id]: { clientSecret: APP.secret } };
}

/** A debug node with output off: only used as a place to listen for messages. */
function probe(id) {
  return { id, type: 'debug', z: 'tab', name: id, active: false, tosidebar: false, console: false, tostatus: false, complete: 'false', wires: [] };
}

function catchAll(target = 'caught') {
  return [
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [[target]] },
    probe(target),
  ];
}

/**
 * The flow many Node-RED users build by hand today: change node (form body) -> http request
 * (POST to the token endpoint) -> change node (Authorization header from the token) -> http
 * request (GET /api/alerts). It fetches one token per message.
 */
function handBuiltAlertsFlow(sim, caFile, { top = 100 } = {}) {
  const form = `grant_type=client_credentials&client_id=${APP.clientId}&client_secret=${encodeURIComponent(APP.secret)}&scope=${encodeURIComponent('https://api.securitycenter.microsoft.com/.default')}`;
  return [
    TAB,
    { id: 'tls', type: 'tls-config', name: 'simulator CA', cert: '', key: '', ca: caFile, certname: '', keyname: '', caname: '', servername: '', verifyservercert: true, alpnprotocol: '' },
    {
      id: 'prep', type: 'change', z: 'tab', name: 'token request',
      rules: [
        { t: 'set', p: 'payload', pt: 'msg', to: form, tot: 'str' },
        { t: 'set', p: 'headers', pt: 'msg', to: '{"content-type":"application/x-www-form-urlencoded"}', tot: 'json' },
      ],
      wires: [['token']],
    },
    { id: 'token', type: 'http request', z: 'tab', name: 'get token', method: 'POST', ret: 'obj', paytoqs: 'ignore', url: `${sim.url}/${TENANT}/oauth2/v2.0/token`, tls: 'tls', persist: false, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [], wires: [['auth']] },
    {
      id: 'auth', type: 'change', z: 'tab', name: 'Authorization',
      rules: [
        { t: 'set', p: 'headers', pt: 'msg', to: '{"Authorization": "Bearer " & payload.access_token}', tot: 'jsonata' },
        { t: 'delete', p: 'payload', pt: 'msg' },
      ],
      wires: [['alerts']],
    },
    { id: 'alerts', type: 'http request', z: 'tab', name: 'GET /api/alerts', method: 'GET', ret: 'obj', paytoqs: 'ignore', url: `${sim.url}/api/alerts?$top=${top}`, tls: 'tls', persist: false, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [], wires: [['out']] },
    probe('out'),
    ...catchAll(),
  ];
}

/** Our flow: mde-config + mde-alerts (list) -> out, catch -> caught. */
function ourAlertsFlow(sim, props = {}) {
  return [
    TAB,
    configNode(sim),
    { id: 'alerts', type: 'mde-alerts', z: 'tab', name: '', config: 'cfg', mode: 'list', timeField: 'alertCreationTime', since: '', sinceType: 'str', maxResults: 100, pageSize: 100, outputMode: 'array', wires: [['out']], ...props },
    probe('out'),
    ...catchAll(),
  ];
}

/**
 * The agent a user of bare `got` would write to trust the simulator: keep-alive, 16 sockets (like
 * MdeConnection's), the simulator CA as `ca`. (MdeConnection passes `ca: [...tls.rootCertificates,
 * ca]`, which costs per request; that cost is part of what the figures measure.)
 */
function bareAgent(caPem) {
  const https = require('node:https');
  return new https.Agent({ keepAlive: true, maxSockets: 16, ca: caPem });
}

async function loadGot() {
  return (await import('got')).default;
}

/** Run one child job: read params from IPC, call fn, send the JSON result back, exit. */
function childMain(fn) {
  process.once('message', async (params) => {
    let result;
    try {
      result = { ok: true, value: await fn(params) };
    } catch (e) {
      result = { ok: false, error: e && e.stack ? e.stack : String(e) };
    }
    process.send(result, () => process.exit(0));
  });
}

module.exports = {
  ROOT,
  WORK,
  PKG_NAME,
  TENANT,
  APP,
  median,
  round,
  mkWorkDir,
  rmrf,
  nodeRedModulePath,
  nodeRedVersion,
  makeUserDir,
  startNodeRed,
  sink,
  outcome,
  TAB,
  configNode,
  configCredentials,
  probe,
  catchAll,
  handBuiltAlertsFlow,
  ourAlertsFlow,
  bareAgent,
  loadGot,
  childMain,
};
