'use strict';
// The connection's request timeout (mde-config, advanced) in a real Node-RED runtime: it reaches
// the wire, a wrong value is refused, and messages wait out a brief token-endpoint outage within it.
const { describe, it } = require('node:test');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, tokenRequests, nextMessage, sleep } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'request timeout' };

function alertsFlow(sim, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'alerts', type: 'mde-alerts', z: 'tab', name: '', config: 'cfg', mode: 'list', timeField: 'alertCreationTime', since: '', sinceType: 'str', maxResults: 5, pageSize: 5, outputMode: 'array', wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

async function load(sim, cfg) {
  useFreshStateDir();
  await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, cfg), secretCredentials());
}

/** Sends `count` messages, `gapMs` apart; resolves with how many reached the output and the Catch node. */
async function sendSpread(count, gapMs, ms = 30_000) {
  const outcome = { ok: 0, caught: [] };
  helper.getNode('out').on('input', () => outcome.ok++);
  helper.getNode('caught').on('input', (m) => outcome.caught.push(m.error));
  for (let i = 0; i < count; i++) {
    helper.getNode('alerts').receive({ payload: i });
    await sleep(gapMs);
  }
  const until = Date.now() + ms;
  while (outcome.ok + outcome.caught.length < count && Date.now() < until) await sleep(20);
  return outcome;
}

describe('mde-config request timeout', () => {
  let sim;
  useFlowSuite();

  it('reaches the wire: a GET slower than the setting is abandoned and sent again', async () => {
    sim = await simulator();
    await load(sim, { requestTimeout: '1' });
    sim.setFaults({ slow: [{ pathIncludes: '/api/alerts', delayMs: 4_000, count: 1 }] });
    const out = nextMessage(helper.getNode('out'), 20_000);
    helper.getNode('alerts').receive({});
    assert.equal((await out).payload.length, 5);
    // The abandoned attempt is logged by the simulator when its late answer goes out.
    const until = Date.now() + 10_000;
    while (apiRequests(sim, (r) => r.path === '/api/alerts').length < 2 && Date.now() < until) await sleep(50);
    assert.equal(apiRequests(sim, (r) => r.path === '/api/alerts').length, 2);
  });

  it('without the setting a slow answer is awaited', async () => {
    sim = await simulator();
    await load(sim);
    sim.setFaults({ slow: [{ pathIncludes: '/api/alerts', delayMs: 1_500, count: 1 }] });
    const out = nextMessage(helper.getNode('out'), 20_000);
    helper.getNode('alerts').receive({});
    await out;
    assert.equal(apiRequests(sim, (r) => r.path === '/api/alerts').length, 1);
  });

  it('a wrong value is refused at deploy and per message, naming the setting, what came and what is allowed', async () => {
    sim = await simulator();
    for (const [value, shown] of [[true, 'boolean true'], ['abc', '"abc"'], [0, 'got 0'], [3600, 'got 3600'], [{ s: 1 }, 'an object']]) {
      await load(sim, { requestTimeout: value });
      const warned = JSON.stringify(helper.log().args);
      assert.match(warned, /requestTimeout/, `deploy warning for ${JSON.stringify(value)}`);
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('alerts').receive({});
      const err = (await caught).error;
      assert.match(err.message, /request timeout \(requestTimeout\).*from 1 to 900/);
      assert.ok(err.message.includes(shown), err.message);
      await helper.unload();
    }
    assert.equal(apiRequests(sim).length + tokenRequests(sim).length, 0, 'nothing was sent');
  });

  it('one 503 from the token endpoint: messages sent meanwhile wait for the token instead of failing', async () => {
    sim = await simulator();
    await load(sim, { requestTimeout: 10 });
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: '/oauth2/v2.0/token' }] });
    const outcome = await sendSpread(6, 250);
    assert.deepEqual(outcome.caught.map((e) => e.code), []);
    assert.equal(outcome.ok, 6);
    assert.deepEqual(tokenRequests(sim).map((r) => r.status), [503, 200]);
  });

  it('one 500 without Retry-After: no minute of failures (msal would wait 60 s)', async () => {
    sim = await simulator();
    await load(sim, { requestTimeout: 10 });
    sim.setFaults({ failNext: [{ status: 500, pathIncludes: '/oauth2/v2.0/token' }] });
    const outcome = await sendSpread(4, 250);
    assert.deepEqual(outcome.caught.map((e) => e.code), []);
    assert.equal(outcome.ok, 4);
  });

  it('a longer outage ends in a clear error once the request timeout is spent, and recovery follows', async () => {
    sim = await simulator();
    await load(sim, { requestTimeout: 2 });
    sim.setFaults({ tokenEndpointDown: true });
    const caught = nextMessage(helper.getNode('caught'), 20_000);
    helper.getNode('alerts').receive({});
    const err = (await caught).error;
    assert.equal(err.code, 'TokenServiceUnavailable');
    assert.match(err.message, /Entra ID is temporarily unavailable/);
    assert.match(err.message, /request timeout/);
    assert.ok(tokenRequests(sim).length >= 2, 'it asked again while the timeout allowed');
    sim.setFaults({});
    const out = nextMessage(helper.getNode('out'), 20_000);
    helper.getNode('alerts').receive({});
    assert.equal((await out).payload.length, 5);
  });
});
