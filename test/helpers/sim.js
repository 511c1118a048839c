// Simulator fixtures for flow tests: start one, and build an mde-config node pointed at it.
'use strict';
const path = require('node:path');
const { startSimulator, DEMO } = require(path.resolve(__dirname, '..', '..', 'dist', 'simulator', 'index.js'));

const TENANT = DEMO.tenantId;
const APPS = {
  soc: DEMO.apps.socAutomation,
  readOnly: DEMO.apps.readOnly,
  noRoles: DEMO.apps.noRoles,
  certificate: DEMO.apps.certificate,
};

const running = new Set();

/** Fast defaults for tests; callers override. Closed by the flow suite after each test. */
async function simulator(options = {}) {
  const sim = await startSimulator({ port: 0, actionTimings: { pendingMs: 40, inProgressMs: 80 }, ...options });
  running.add(sim);
  return sim;
}

async function closeSimulators() {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((sim) => sim.close()));
}

function configNode(sim, overrides = {}) {
  return {
    id: 'cfg',
    type: 'mde-config',
    name: 'simulator',
    tenantId: TENANT,
    clientId: APPS.soc.clientId,
    authMethod: 'secret',
    cloud: 'custom',
    region: '',
    apiBaseUrl: sim.url,
    authorityHost: sim.url,
    graphBaseUrl: sim.url,
    caCertificate: sim.caPem,
    isolationCap: 5,
    isolationWindowMinutes: 10,
    ...overrides,
  };
}

/** Client-library ConnectionSettings for a simulator (custom cloud, its CA, governor lifted). */
function connectionSettings(sim, app = DEMO.apps.socAutomation, overrides = {}) {
  return {
    tenantId: DEMO.tenantId,
    clientId: app.clientId,
    credential: { kind: 'secret', clientSecret: app.secret },
    cloud: { cloud: 'custom', authorityHost: sim.url, apiBaseUrl: sim.url, graphBaseUrl: sim.url },
    caCertificatePem: sim.caPem,
    rateLimits: false,
    ...overrides,
  };
}

function secretCredentials(secret = APPS.soc.secret, id = 'cfg') {
  return { [id]: { clientSecret: secret } };
}

const apiRequests = (sim, pred = () => true) => sim.requests.filter((r) => (r.kind === 'api' || r.kind === 'graph') && pred(r));
const tokenRequests = (sim) => sim.requests.filter((r) => r.kind === 'token');

/** Resolves with the next message a helper node receives (or rejects after ms). */
function nextMessage(node, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no message on ${node.id} within ${ms} ms`)), ms);
    node.once('input', (msg) => {
      clearTimeout(t);
      resolve(msg);
    });
  });
}

function collect(node, count, ms = 10000) {
  return new Promise((resolve, reject) => {
    const msgs = [];
    const t = setTimeout(() => reject(new Error(`got ${msgs.length}/${count} messages on ${node.id} within ${ms} ms`)), ms);
    node.on('input', (msg) => {
      msgs.push(msg);
      if (msgs.length === count) {
        clearTimeout(t);
        resolve(msgs);
      }
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { connectionSettings, simulator, closeSimulators, configNode, secretCredentials, TENANT, APPS, apiRequests, tokenRequests, nextMessage, collect, sleep };
