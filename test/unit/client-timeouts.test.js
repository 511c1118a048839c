'use strict';
// Timeouts and connection reuse of the client against the simulator: per-request timeouts,
// hunting never resent after a timeout (a 429 still is), keep-alive sockets kept when requests
// start from setImmediate callbacks (as Node-RED delivers messages), token-endpoint blips waited out.
const { test, describe, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { connectionSettings, sleep } = require('../helpers/sim');

const { startSimulator } = require('../../dist/simulator/index.js');
const { MdeConnection } = require('../../dist/client/connection.js');
const errors = require('../../dist/client/errors.js');
const { listAlerts } = require('../../dist/client/mde/alerts.js');
const { runHuntingQuery } = require('../../dist/client/hunting/hunting.js');

let sim;
const open = [];

function connect(over = {}) {
  const c = new MdeConnection(connectionSettings(sim, undefined, { retry: { baseDelayMs: 20, limit: 4 }, ...over }));
  open.push(c);
  return c;
}

const requests = (pred) => sim.requests.filter(pred);
const huntingCalls = () => requests((r) => /runHuntingQuery|advancedqueries/i.test(r.path));

/** The simulator logs a request when it answers; wait until `n` matching answers are logged. */
async function waitForLogged(pred, n, ms = 10_000) {
  const until = Date.now() + ms;
  while (requests(pred).length < n && Date.now() < until) await sleep(20);
  return requests(pred).length;
}

before(async () => {
  sim = await startSimulator({ port: 0, rateLimits: false });
});
afterEach(async () => {
  sim.setFaults({});
  await Promise.all(open.splice(0).map((c) => c.close()));
  sim.clearLog();
});
after(() => sim.close());

describe('hunting timeouts', () => {
  for (const api of ['graph', 'mde']) {
    test(`${api}: a query that outlasts the timeout is sent exactly once and fails with a Timeout error`, async () => {
      const c = connect();
      sim.setFaults({ slow: [{ pathIncludes: api === 'graph' ? 'runHuntingQuery' : 'advancedqueries', delayMs: 1_500 }] });
      await assert.rejects(runHuntingQuery(c.http, 'DeviceInfo | take 1', { api, timeoutMs: 300 }), (e) => {
        assert.ok(e instanceof errors.MdeNetworkError);
        assert.equal(e.code, 'Timeout');
        assert.match(e.message, /hunting query got no answer within 0\.3 s/);
        assert.match(e.message, /not sent again/);
        return true;
      });
      assert.equal(c.http.stats.requests, 1, 'the client sent one attempt');
      // The simulator logs the (late) answer; nothing else follows.
      assert.equal(await waitForLogged((r) => /runHuntingQuery|advancedqueries/i.test(r.path), 1), 1);
      await sleep(300);
      assert.equal(huntingCalls().length, 1, 'the simulator saw one query');
    });
  }

  test('a 429 with Retry-After is still retried', async () => {
    const c = connect();
    sim.setFaults({ failNext: [{ status: 429, pathIncludes: 'runHuntingQuery', retryAfter: 1 }] });
    const r = await runHuntingQuery(c.http, 'DeviceInfo | take 1', { api: 'graph', timeoutMs: 5_000 });
    assert.equal(r.results.length, 1);
    assert.deepEqual(huntingCalls().map((x) => x.status), [429, 200]);
  });

  test('a 504 from the hunting service is not resent either; a 503 is', async () => {
    const c = connect();
    sim.setFaults({ failNext: [{ status: 504, pathIncludes: 'runHuntingQuery' }] });
    await assert.rejects(runHuntingQuery(c.http, 'DeviceInfo | take 1', { api: 'graph' }), (e) => e.status === 504 && /not sent again/.test(e.message));
    assert.equal(huntingCalls().length, 1);
    sim.clearLog();
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: 'runHuntingQuery', retryAfter: 0 }] });
    await runHuntingQuery(c.http, 'DeviceInfo | take 1', { api: 'graph' });
    assert.deepEqual(huntingCalls().map((x) => x.status), [503, 200]);
  });
});

describe('request timeout of the connection', () => {
  test('reaches the wire: a GET slower than it is abandoned and sent again', async () => {
    const c = connect({ timeoutMs: 300 });
    sim.setFaults({ slow: [{ pathIncludes: '/api/alerts', delayMs: 1_500, count: 1 }] });
    const r = await listAlerts(c.http, { pageSize: 5, maxResults: 5 });
    assert.equal(r.alerts.length, 5);
    assert.equal(c.http.stats.requests, 2, 'one attempt timed out, the second answered');
    assert.equal(await waitForLogged((r) => r.path === '/api/alerts', 2), 2);
  });

  test('without it the same slow answer is awaited (default 30 s)', async () => {
    const c = connect();
    sim.setFaults({ slow: [{ pathIncludes: '/api/alerts', delayMs: 500, count: 1 }] });
    await listAlerts(c.http, { pageSize: 5, maxResults: 5 });
    assert.equal(c.http.stats.requests, 1);
  });

  test('a per-request timeout must be a positive number', async () => {
    const c = connect();
    for (const timeoutMs of [0, -1, Number.NaN, '30']) {
      await assert.rejects(c.http.request({ audience: 'mde', family: 'alerts', method: 'GET', path: '/api/alerts', timeoutMs }), (e) => e.code === 'InvalidInput' && /timeout/i.test(e.message));
    }
  });
});

/**
 * The simulator in a child process: the socket-reuse race only shows when the answer arrives on
 * its own, as from a real service (an in-process server answers in step with the client).
 */
async function startSimulatorProcess() {
  const script = `
    const { startSimulator } = require(${JSON.stringify(require.resolve('../../dist/simulator/index.js'))});
    startSimulator({ port: 0, rateLimits: false, alerts: 5 }).then((s) => {
      process.stdout.write(JSON.stringify({ url: s.url, caPem: s.caPem }) + '\\n');
      process.on('disconnect', () => s.close().then(() => process.exit(0)));
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let out = '';
  const info = await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    child.on('exit', (code) => reject(new Error(`simulator process exited (${code})`)));
  });
  return { ...info, stop: () => new Promise((resolve) => { child.once('exit', resolve); child.disconnect(); }) };
}

describe('keep-alive', () => {
  test('requests started from setImmediate callbacks (as Node-RED delivers messages) reuse the pooled TLS connections', async () => {
    const remote = await startSimulatorProcess();
    try {
      const c = new MdeConnection(connectionSettings(remote));
      open.push(c);
      let opened = 0;
      const create = c.agent.createConnection;
      c.agent.createConnection = function (...args) {
        opened++;
        return create.apply(this, args);
      };
      const call = () => new Promise((resolve, reject) => setImmediate(() => c.http.request({ audience: 'mde', family: 'alerts', method: 'GET', path: '/api/alerts', searchParams: { $top: 1 } }).then(resolve, reject)));
      for (let i = 0; i < 300; i++) await call();
      await Promise.all(Array.from({ length: 300 }, call));
      // The pool holds 16 sockets, and the token request shares it.
      assert.ok(opened <= 16, `${opened} TLS connections opened for 600 calls`);
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await remote.stop();
    }
  });
});

describe('token endpoint blips', () => {
  test('one 503 (Retry-After 1) is waited out: concurrent callers share one wait and get a token', async () => {
    const c = connect({ timeoutMs: 10_000 });
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: '/oauth2/v2.0/token' }] });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => c.getToken('mde')));
    assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
    assert.deepEqual(requests((r) => r.kind === 'token').map((r) => r.status), [503, 200]);
  });

  test('one 500 without Retry-After costs a short back-off, not msal\'s 60 s', async () => {
    const c = connect({ timeoutMs: 10_000 });
    sim.setFaults({ failNext: [{ status: 500, pathIncludes: '/oauth2/v2.0/token' }] });
    const t = await c.getToken('mde');
    assert.ok(t.accessToken);
    assert.deepEqual(requests((r) => r.kind === 'token').map((r) => r.status), [500, 200]);
  });

  test('an outage longer than the timeout ends in a clear TokenServiceUnavailable', async () => {
    const c = connect({ timeoutMs: 1_500 });
    sim.setFaults({ tokenEndpointDown: true });
    await assert.rejects(c.getToken('mde'), (e) => {
      assert.ok(e instanceof errors.MdeAuthError);
      assert.equal(e.code, 'TokenServiceUnavailable');
      assert.match(e.message, /temporarily unavailable/);
      assert.match(e.message, /request timeout/);
      return true;
    });
    assert.ok(requests((r) => r.kind === 'token').length >= 2, 'it asked again while the budget lasted');
  });

  test('a refused secret is not waited for', async () => {
    const c = connect({ credential: { kind: 'secret', clientSecret: 'wrong' }, timeoutMs: 10_000 });
    await assert.rejects(c.getToken('mde'), (e) => e.code === 'InvalidClientSecret');
    assert.equal(requests((r) => r.kind === 'token').length, 1);
  });
});
