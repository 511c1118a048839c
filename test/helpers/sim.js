// Simulator fixtures for flow tests: start one, and build an mde-config node pointed at it.
'use strict';
const path = require('node:path');
const { startSimulator } = require(path.resolve(__dirname, '..', '..', 'dist', 'simulator', 'index.js'));

const TENANT = '7d3c6a52-9f14-4e8b-a0c2-5b1e9d4f6a83';
const APPS = {
  soc: { clientId: '3b9e4f27-8c1d-4a6e-b5f0-2d7a9c3e1f64', secret: 'SimSecret~SOC-automation' },
  readOnly: { clientId: '5c2a8d91-6e3f-4b7a-9d04-1f8b6e2c7a35', secret: 'SimSecret~read-only' },
  noRoles: { clientId: '9a4f1c63-2d8e-4f5b-8c17-6e3b9a0d2f48', secret: 'SimSecret~no-roles' },
  certificate: { clientId: '2e7b5d18-4a9c-4e3f-b621-8d0f3c5a9e72' },
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

module.exports = { simulator, closeSimulators, configNode, secretCredentials, TENANT, APPS, apiRequests, tokenRequests, nextMessage, collect, sleep };
