'use strict';
// No token and no client secret in what a Catch node or the log sees, whatever fails: timeouts,
// resets, untrusted TLS, 5xx, 401 and token-endpoint failures. Each scenario sends one message to
// a node watched by a Catch node (msg.error) and one to the same node on a tab without a Catch
// node (the error goes to the log). A canary secret makes a leak of the secret recognisable.
const { describe, it } = require('node:test');
const util = require('node:util');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, APPS, apiRequests, nextMessage, sleep } = require('../helpers/sim');

const { generateSelfSignedCertificate } = require(path.resolve(__dirname, '..', '..', 'dist', 'simulator', 'index.js'));

const CANARY_SECRET = 'Canary~Secret~5be1d0c3-NEVER-SHOW';
// Bearer tokens the simulator issues are JWTs; any JWT or bearer value in the output is a leak.
const JWT = /eyJ[\w-]*\.[\w-]+\.[\w-]*/;
const BEARER = /bearer\s+[\w\-.~+/]{16,}/i;

let untrustedTls;
const untrusted = () => (untrustedTls ??= generateSelfSignedCertificate({ commonName: 'localhost', altNames: { dns: ['localhost'], ips: ['127.0.0.1', '::1'] } }));

/** The simulator with the SOC app's secret replaced by the canary. */
const canarySimulator = (options = {}) => simulator({ apps: [{ clientId: APPS.soc.clientId, secret: CANARY_SECRET }], ...options });

function flow(sim, { node, cfg = {} }) {
  const config = configNode(sim, cfg);
  return [
    { id: 'watched', type: 'tab', label: 'with a Catch node' },
    { id: 'unwatched', type: 'tab', label: 'without a Catch node' },
    config,
    { ...node, id: 'caught-node', z: 'watched', config: 'cfg', wires: [['out']] },
    { ...node, id: 'logged-node', z: 'unwatched', config: 'cfg', wires: [['out2']] },
    { id: 'out', type: 'helper', z: 'watched' },
    { id: 'out2', type: 'helper', z: 'unwatched' },
    { id: 'catcher', type: 'catch', z: 'watched', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'watched' },
  ];
}

const alertsNode = { type: 'mde-alerts', name: '', mode: 'list', timeField: 'alertCreationTime', since: '', sinceType: 'str', maxResults: 10, pageSize: 10, outputMode: 'array' };

function isolateNode() {
  return {
    type: 'mde-isolate', name: '', action: 'isolate', isolationType: 'Full', machine: 'machineId', machineType: 'msg', machineBy: 'id',
    comment: 'leak test', wait: true, timeoutSeconds: 30, pollSeconds: 0.05, dryRun: false, protectedIds: '', protectedNames: '',
    protectedTags: 'DoNotIsolate', conflictWindowSeconds: 300,
  };
}

/** Two machines that may be isolated: one per copy of the node, so neither joins the other's action. */
function isolatableMachines(sim) {
  const ms = sim.state.machines.filter((x) => /^Windows/.test(x.osPlatform) && !(x.machineTags || []).includes('DoNotIsolate'));
  assert.ok(ms.length >= 2, 'the seed has two isolatable machines');
  return [{ machineId: ms[0].id }, { machineId: ms[1].id }];
}

/** Everything a log line can carry: the text Node-RED prints, the stack, and the whole object. */
function logText() {
  return helper
    .log()
    .args.map(([entry]) => {
      const m = entry && entry.msg;
      return [String(m), m && m.message, m && m.stack, util.inspect(entry, { depth: 8, showHidden: true }), safeJson(entry)].join('\n');
    })
    .join('\n');
}

function safeJson(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return '';
  }
}

function assertClean(text, where, tokens) {
  assert.ok(!text.includes(CANARY_SECRET), `${where} contains the client secret`);
  for (const t of tokens) assert.ok(!text.includes(t), `${where} contains an access token`);
  assert.doesNotMatch(text, JWT, `${where} contains a JWT`);
  assert.doesNotMatch(text, BEARER, `${where} contains a bearer value`);
}

/**
 * Loads the flow, sends one message to each copy of the node, and checks msg.error at the Catch
 * node and the log (the uncaught copy). Returns the caught message.
 */
async function expectCleanFailure(sim, { node, cfg, msgs = [{}, {}], before, waitMs = 30_000 }) {
  useFreshStateDir();
  const loaded = [nodes.config, nodes.alerts, nodes.isolate, nodes.token];
  await helper.load(loaded, flow(sim, { node, cfg }), { cfg: { clientSecret: CANARY_SECRET } });
  if (before) await before();
  const caught = nextMessage(helper.getNode('caught'), waitMs);
  helper.getNode('caught-node').receive({ payload: 'in', ...msgs[0] });
  const caughtMsg = await caught;
  const logged = waitForLoggedError(waitMs);
  helper.getNode('logged-node').receive({ payload: 'in', ...msgs[1] });
  await logged;

  const connection = helper.getNode('cfg').connection();
  const tokens = [connection.tokens.peek('mde'), connection.tokens.peek('graph')].filter(Boolean).map((t) => t.accessToken);
  assert.ok(caughtMsg.error && caughtMsg.error.message, 'the Catch node got an error');
  assertClean(JSON.stringify(caughtMsg.error), 'JSON.stringify(msg.error)', tokens);
  assertClean(JSON.stringify(caughtMsg), 'JSON.stringify(msg)', tokens);
  assertClean(util.inspect(caughtMsg.error, { depth: 8, showHidden: true }), 'util.inspect(msg.error)', tokens);
  assertClean(logText(), 'the log', tokens);
  return caughtMsg;
}

/** Resolves when the uncaught copy of the node has logged its error. */
async function waitForLoggedError(ms = 30_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (helper.log().args.some(([e]) => e && e.id === 'logged-node' && e.level === 20)) return;
    await sleep(25);
  }
  throw new Error('the node without a Catch node logged no error');
}

describe('no token or secret in msg.error or the log', () => {
  let sim;
  useFlowSuite();

  // A GET is resent after a timeout (four times, backing off), then fails with Timeout. An isolate
  // POST whose answer is lost is looked up instead (test/flows/isolate.test.js); its failures are
  // the OutcomeUnknown cases below.
  it('API timeout', async () => {
    sim = await canarySimulator();
    const msg = await expectCleanFailure(sim, {
      node: alertsNode,
      cfg: { requestTimeout: 1 },
      before: () => sim.setFaults({ slow: [{ pathIncludes: '/api/alerts', delayMs: 3_000, count: 10 }] }),
      waitMs: 60_000,
    });
    assert.equal(msg.error.code, 'Timeout');
  });

  it('connection reset on an isolate POST (the lookup finds no action: OutcomeUnknown)', async () => {
    sim = await canarySimulator();
    const msg = await expectCleanFailure(sim, {
      node: isolateNode(),
      msgs: isolatableMachines(sim),
      before: () => sim.setFaults({ failNext: [{ status: 0, pathIncludes: '/isolate', count: 2 }] }),
    });
    assert.equal(msg.error.code, 'OutcomeUnknown');
  });

  it('API host with a TLS certificate from an untrusted CA', async () => {
    sim = await canarySimulator();
    const api = await canarySimulator({ tls: untrusted() });
    const msg = await expectCleanFailure(sim, { node: alertsNode, cfg: { apiBaseUrl: api.url } });
    assert.equal(msg.error.code, 'NetworkError');
    assert.match(msg.error.message, /certificate|self.signed|verify/i);
  });

  it('5xx on an isolate POST (not resent; the lookup finds no action: OutcomeUnknown)', async () => {
    sim = await canarySimulator();
    const msg = await expectCleanFailure(sim, {
      node: isolateNode(),
      msgs: isolatableMachines(sim),
      before: () => sim.setFaults({ failNext: [{ status: 500, pathIncludes: '/isolate', count: 2 }] }),
    });
    assert.equal(msg.error.code, 'OutcomeUnknown');
    assert.equal(apiRequests(sim, (r) => r.method === 'POST' && r.path.endsWith('/isolate')).length, 2, 'one POST per message');
  });

  it('5xx on an API GET, after its retries', async () => {
    sim = await canarySimulator();
    const msg = await expectCleanFailure(sim, {
      node: alertsNode,
      before: () => sim.setFaults({ failNext: [{ status: 500, pathIncludes: '/api/alerts', count: 10 }] }),
      waitMs: 60_000,
    });
    assert.equal(msg.error.code, 'InternalServerError');
  });

  it('401 on an API call, also after a fresh token', async () => {
    sim = await canarySimulator();
    const msg = await expectCleanFailure(sim, {
      node: alertsNode,
      before: () => sim.setFaults({ failNext: [{ status: 401, pathIncludes: '/api/alerts', count: 4 }] }),
    });
    assert.equal(msg.error.code, 'Unauthorized');
  });

  it('token endpoint down for longer than the request timeout', async () => {
    sim = await canarySimulator();
    const msg = await expectCleanFailure(sim, { node: alertsNode, cfg: { requestTimeout: 1 }, before: () => sim.setFaults({ tokenEndpointDown: true }) });
    assert.equal(msg.error.code, 'TokenServiceUnavailable');
  });

  it('token endpoint resets the connection', async () => {
    sim = await canarySimulator();
    const msg = await expectCleanFailure(sim, {
      node: alertsNode,
      before: () => sim.setFaults({ failNext: [{ status: 0, pathIncludes: '/oauth2/v2.0/token', count: 2 }] }),
    });
    assert.equal(msg.error.code, 'NetworkError');
  });

  it('token endpoint too slow (timeout)', async () => {
    sim = await canarySimulator();
    const msg = await expectCleanFailure(sim, {
      node: alertsNode,
      cfg: { requestTimeout: 1 },
      before: () => sim.setFaults({ slow: [{ pathIncludes: '/oauth2/v2.0/token', delayMs: 3_000 }] }),
    });
    assert.equal(msg.error.code, 'Timeout');
  });

  it('token endpoint with a TLS certificate from an untrusted CA', async () => {
    sim = await canarySimulator();
    const authority = await canarySimulator({ tls: untrusted() });
    const msg = await expectCleanFailure(sim, { node: alertsNode, cfg: { authorityHost: authority.url } });
    assert.ok(['NetworkError', 'AuthorityUnreachable'].includes(msg.error.code), msg.error.code);
  });

  it('token endpoint refuses the secret (AADSTS7000215)', async () => {
    // The simulator knows another secret: the canary is what the node sends and must not echo.
    sim = await simulator();
    const msg = await expectCleanFailure(sim, { node: alertsNode });
    assert.equal(msg.error.code, 'InvalidClientSecret');
  });

  it('the token node itself: token endpoint failure', async () => {
    sim = await canarySimulator();
    const msg = await expectCleanFailure(sim, {
      node: { type: 'mde-token', name: '', audience: 'mde', requiredRoles: '' },
      before: () => sim.setFaults({ failNext: [{ status: 0, pathIncludes: '/oauth2/v2.0/token', count: 2 }] }),
    });
    assert.equal(msg.error.code, 'NetworkError');
  });
});
