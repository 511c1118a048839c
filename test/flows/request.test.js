'use strict';
// mde-request in a real Node-RED runtime against the simulator: templated paths that no value can
// reshape, paging by @odata.nextLink and by $skip, POSTs never replayed, nextLinks kept on our host.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, nextMessage, collect, apiRequests } = require('../helpers/sim');
const { compilePathTemplate, renderPath } = require(path.resolve(__dirname, '..', '..', 'dist', 'client', 'request', 'path.js'));

const tab = { id: 'tab', type: 'tab', label: 'request tests' };

function flow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'req', type: 'mde-request', z: 'tab', name: '', config: 'cfg', api: 'mde', method: 'GET', path: '/api/machines/{{machineId}}', query: '', paging: 'none', pageSize: 100, maxItems: 10000, output: 'array', safeToResend: false, wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe('mde-request node', () => {
  let sim;
  useFlowSuite();

  async function load(props, cfg) {
    useFreshStateDir();
    await helper.load([nodes.config, nodes.request], flow(sim, props, cfg), secretCredentials());
  }

  async function run(props, msg = {}, { expectError = false, cfg } = {}) {
    await load(props, cfg);
    const got = nextMessage(helper.getNode(expectError ? 'caught' : 'out'), 20000);
    helper.getNode('req').receive({ topic: 'keep', ...msg });
    return got;
  }

  it('GETs a machine by a templated ID read from a dotted msg path; msg passes through', async () => {
    sim = await simulator();
    const machine = sim.state.machines[3];
    const msg = await run({ path: '/api/machines/{{alert.machineId}}' }, { alert: { machineId: machine.id } });
    assert.equal(msg.topic, 'keep');
    assert.equal(msg.payload.id, machine.id);
    assert.equal(msg.payload.computerDnsName, machine.computerDnsName);
    assert.deepEqual(msg.mde, { request: `GET /api/machines/${machine.id}`, status: 200, pages: 1, count: undefined });
    const calls = apiRequests(sim);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].path, `/api/machines/${machine.id}`);
    assert.equal(calls[0].family, 'machines');
  });

  it('a hostile value stays one encoded segment (or is refused) and never reaches another resource', async () => {
    sim = await simulator({ alerts: 20 });
    const parts = compilePathTemplate('/api/machines/{{machineId}}', 'mde');
    assert.equal(renderPath(parts, { machineId: '../alerts' }), '/api/machines/..%2Falerts');
    assert.equal(renderPath(parts, { machineId: 'a/b' }), '/api/machines/a%2Fb');
    assert.equal(renderPath(parts, { machineId: 'x?y=1' }), '/api/machines/x%3Fy%3D1');
    assert.equal(renderPath(parts, { machineId: "x')#" }), '/api/machines/x%27%29%23');
    for (const value of ['../alerts', 'a/b', 'x?y=1', 'x#frag']) {
      sim.clearLog();
      const e = await run({}, { machineId: value }, { expectError: true });
      assert.equal(e.mde.error.status, 404, `${value}: ${e.error.message}`);
      const calls = apiRequests(sim);
      assert.equal(calls.length, 1, value);
      // The simulator logs the decoded path: the whole value arrived as the machine ID, no query.
      assert.equal(calls[0].path, `/api/machines/${value}`, value);
      assert.equal(calls[0].query, '', value);
      assert.ok(!calls.some((c) => c.path === '/api/alerts'), value);
      await helper.unload();
    }
    for (const [value, code, reason] of [
      ['..', 'InvalidPathValue', /dot segment/],
      ['.', 'InvalidPathValue', /dot segment/],
      ['', 'InvalidPathValue', /empty string/],
      ['a\nb', 'InvalidPathValue', /control character/],
      [{ id: 1 }, 'InvalidPathValue', /an object/],
    ]) {
      sim.clearLog();
      const e = await run({}, { machineId: value }, { expectError: true });
      assert.equal(e.error.code, code, JSON.stringify(value));
      assert.match(e.error.message, reason);
      assert.match(e.error.message, /\{\{machineId\}\}/);
      assert.equal(apiRequests(sim).length, 0, JSON.stringify(value));
      await helper.unload();
    }
  });

  it('a missing template value is refused, naming the placeholder, before any request', async () => {
    sim = await simulator();
    const e = await run({ path: '/api/machines/{{machine.id}}/logonusers' }, { machine: { name: 'x' } }, { expectError: true });
    assert.equal(e.error.code, 'MissingPathValue');
    assert.match(e.error.message, /\{\{machine\.id\}\} \(msg\.machine\.id\)/);
    assert.equal(apiRequests(sim).length, 0);
  });

  it('nextLink paging on Graph alerts_v2 collects every page; split mode sends one message per alert', async () => {
    sim = await simulator({ alerts: 45, graphPageSize: 7 });
    const msg = await run({ api: 'graph', path: '/v1.0/security/alerts_v2', paging: 'nextLink' });
    const expected = sim.state.alerts.length;
    assert.equal(msg.payload.length, expected);
    assert.equal(new Set(msg.payload.map((a) => a.id)).size, expected);
    assert.equal(msg.mde.pages, Math.ceil(expected / 7));
    assert.equal(msg.mde.count, expected);
    assert.equal(msg.mde.truncated, false);
    const calls = apiRequests(sim);
    assert.equal(calls.length, Math.ceil(expected / 7));
    assert.ok(calls.every((c) => c.family === 'graph-alerts' && c.path === '/v1.0/security/alerts_v2'));
    await helper.unload();

    await load({ api: 'graph', path: '/v1.0/security/alerts_v2', paging: 'nextLink', maxItems: 10, output: 'split' });
    const got = collect(helper.getNode('out'), 10);
    helper.getNode('req').receive({ topic: 'keep' });
    const msgs = await got;
    assert.deepEqual(msgs.map((m) => m.parts.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(msgs.every((m) => m.parts.count === 10 && m.mde.truncated === true && m.topic === 'keep'));
  });

  it('$skip paging on MDE /api/machines: page size, max items, query parameters from the dialog and msg', async () => {
    sim = await simulator({ machines: 24 });
    const msg = await run({ path: '/api/machines', paging: 'skip', pageSize: 5 });
    assert.equal(msg.payload.length, sim.state.machines.length);
    assert.equal(msg.mde.pages, Math.ceil((sim.state.machines.length + 1) / 5));
    const calls = apiRequests(sim);
    assert.deepEqual(calls.map((c) => new URLSearchParams(c.query).get('$skip')), [null, '5', '10', '15', '20']);
    assert.ok(calls.every((c) => new URLSearchParams(c.query).get('$top') === '5'));
    await helper.unload();

    sim.clearLog();
    const windows = sim.state.machines.filter((m) => m.osPlatform === sim.state.machines[0].osPlatform);
    const filtered = await run(
      { path: '/api/machines', paging: 'skip', pageSize: 2, maxItems: 3, query: '{"$orderby": "computerDnsName"}' },
      { query: { $filter: `osPlatform eq '${sim.state.machines[0].osPlatform}'` } },
    );
    assert.equal(filtered.payload.length, Math.min(3, windows.length));
    assert.ok(filtered.payload.every((m) => m.osPlatform === sim.state.machines[0].osPlatform));
    const q = new URLSearchParams(apiRequests(sim)[0].query);
    assert.equal(q.get('$orderby'), 'computerDnsName');
    await helper.unload();

    sim.clearLog();
    const e = await run({ path: '/api/machines', paging: 'skip' }, { query: { $skip: 10 } }, { expectError: true });
    assert.match(e.error.message, /\$skip, which \$skip paging sets itself/);
    await helper.unload();
    const e2 = await run({ path: '/api/machines' }, { query: { $top: [1] } }, { expectError: true });
    assert.match(e2.error.message, /msg\.query\.\$top is an array/);
    assert.equal(apiRequests(sim).length, 0);
  });

  it('a POST that gets a 5xx is sent exactly once; "safe to resend" resends it', async () => {
    sim = await simulator();
    const machine = sim.state.machines[0];
    sim.setFaults({ failNext: [{ status: 500, pathIncludes: '/tags' }] });
    const props = { method: 'POST', path: '/api/machines/{{machineId}}/tags' };
    const e = await run(props, { machineId: machine.id, payload: { Value: 'req-test', Action: 'Add' } }, { expectError: true });
    assert.equal(e.mde.error.status, 500);
    assert.match(e.error.message, /not sent again automatically/);
    assert.equal(apiRequests(sim, (r) => r.method === 'POST').length, 1);
    assert.ok(!sim.state.machines[0].machineTags.includes('req-test'));
    await helper.unload();

    sim.clearLog();
    sim.setFaults({ failNext: [{ status: 503, retryAfter: 0, pathIncludes: '/tags' }] });
    const ok = await run({ ...props, safeToResend: true }, { machineId: machine.id, payload: { Value: 'req-test', Action: 'Add' } });
    assert.equal(ok.mde.status, 200);
    assert.ok(ok.payload.machineTags.includes('req-test'));
    assert.equal(apiRequests(sim, (r) => r.method === 'POST').length, 2);
    await helper.unload();

    // A POST body must be JSON: the inject node's timestamp is refused, nothing sent.
    sim.clearLog();
    const bad = await run(props, { machineId: machine.id, payload: 1700000000000 }, { expectError: true });
    assert.equal(bad.error.code, 'InvalidBody');
    assert.equal(apiRequests(sim).length, 0);
  });

  it('DELETEs an indicator by a templated ID (204, no body); a DELETE that gets a 503 is resent, being idempotent', async () => {
    sim = await simulator();
    const submitted = await run({ method: 'POST', path: '/api/indicators' }, {
      payload: { indicatorValue: 'a'.repeat(40), indicatorType: 'FileSha1', action: 'Alert', title: 'request DELETE test', description: 'added then removed' },
    });
    const id = String(submitted.payload.id);
    assert.equal(sim.state.indicators.length, 1);
    await helper.unload();

    sim.clearLog();
    sim.setFaults({ failNext: [{ status: 503, retryAfter: 0, pathIncludes: `/api/indicators/${id}` }] });
    const deleted = await run({ method: 'DELETE', path: '/api/indicators/{{indicator.id}}' }, { indicator: { id } });
    assert.equal(deleted.mde.status, 204);
    assert.equal(deleted.mde.request, `DELETE /api/indicators/${id}`);
    assert.equal(sim.state.indicators.length, 0, 'the indicator is gone');
    const calls = apiRequests(sim, (r) => r.method === 'DELETE');
    assert.deepEqual(calls.map((c) => c.status), [503, 204], 'one 503, then the resent DELETE');
    await helper.unload();

    // Deleting it again: the 404 reaches the Catch node with MDE's status.
    const gone = await run({ method: 'DELETE', path: '/api/indicators/{{indicator.id}}' }, { indicator: { id } }, { expectError: true });
    assert.equal(gone.mde.error.status, 404);
  });

  it('PATCHes a Graph alert with msg.payload as the body, through the Graph alerts budget', async () => {
    sim = await simulator({ alerts: 5 });
    const alert = sim.state.alerts.find((a) => a.status !== 'InProgress');
    const msg = await run({ api: 'graph', method: 'PATCH', path: '/v1.0/security/alerts_v2/{{alertId}}' }, { alertId: alert.id, payload: { status: 'inProgress' } });
    assert.equal(msg.mde.status, 200);
    assert.equal(msg.payload.id, alert.id);
    assert.equal(msg.payload.status, 'inProgress');
    assert.equal(sim.state.alerts.find((a) => a.id === alert.id).status, 'InProgress');
    const calls = apiRequests(sim);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].method, 'PATCH');
    assert.equal(calls[0].family, 'graph-alerts');
  });

  it('a nextLink to another host is refused: nothing is sent there', async () => {
    sim = await simulator({ alerts: 10 });
    const other = await simulator();
    sim.setFaults({
      failNext: [{ status: 200, pathIncludes: 'alerts_v2', body: { value: [{ id: 'a1' }], '@odata.nextLink': `${other.url}/v1.0/security/alerts_v2?$skiptoken=x` } }],
    });
    const e = await run({ api: 'graph', path: '/v1.0/security/alerts_v2', paging: 'nextLink' }, {}, { expectError: true });
    assert.equal(e.error.code, 'ForeignNextLink');
    assert.match(e.error.message, /another host/);
    assert.equal(other.requests.length, 0, 'the other host got nothing, no token request either');
    assert.equal(apiRequests(sim).length, 1);
    await helper.unload();

    // A link that comes back again would page forever: stopped at its second sight.
    sim.clearLog();
    const loop = { value: [{ id: 'a1' }], '@odata.nextLink': `${sim.url}/v1.0/security/alerts_v2?$skiptoken=loop` };
    sim.setFaults({ failNext: [{ status: 200, pathIncludes: 'alerts_v2', count: 2, body: loop }] });
    const again = await run({ api: 'graph', path: '/v1.0/security/alerts_v2', paging: 'nextLink' }, {}, { expectError: true });
    assert.equal(again.error.code, 'InvalidResponse');
    assert.match(again.error.message, /same @odata\.nextLink twice/);
    assert.equal(apiRequests(sim).length, 2);
  });

  it('refuses unknown settings with a red status at deploy and for every message, before any request', async () => {
    sim = await simulator();
    const machine = sim.state.machines[0];
    const cases = [
      [{ api: 'defender' }, 'api', /"defender"; allowed: "mde" or "graph"/],
      [{ api: undefined }, 'api', /nothing/],
      [{ method: 'PUT' }, 'method', /"PUT"; allowed: "GET" or "POST" or "PATCH" or "DELETE"/],
      [{ method: 'get' }, 'method', /"get"/],
      [{ paging: 'all' }, 'paging', /"all"/],
      [{ method: 'POST', paging: 'skip' }, 'paging', /only GET reads pages/],
      [{ output: 'lines' }, 'output', /"lines"/],
      [{ output: 'split' }, 'output', /without paging/],
      [{ safeToResend: 'yes' }, 'safeToResend', /"yes"; allowed: true or false/],
      [{ paging: 'skip', pageSize: 'ten' }, 'pageSize', /"ten"/],
      [{ paging: 'skip', pageSize: 0 }, 'pageSize', /from 1 to 10000/],
      [{ maxItems: -1, paging: 'nextLink' }, 'maxItems', /-1/],
      [{ query: '{bad json' }, 'query', /JSON object/],
      [{ query: '{"$filter": {"a": 1}}' }, 'query', /an object/],
      [{ path: 'https://evil.example/api/machines' }, 'path', /absolute URL/],
      [{ path: '//evil.example/api/machines' }, 'path', /absolute URL/],
      [{ path: '/v1.0/security/alerts_v2' }, 'path', /must start with \/api\//],
      [{ api: 'graph', path: '/api/machines' }, 'path', /must start with \/v1\.0\/ or \/beta\//],
      [{ path: '/api/machines/../alerts' }, 'path', /'\.' or '\.\.' segment/],
      [{ path: '/api/machines?$top=1' }, 'path', /query parameters/],
      [{ path: '/api/machines/x{{machineId}}' }, 'path', /inside a segment/],
      [{ path: '/api/machines/{{machineId}}y' }, 'path', /inside a segment/],
      [{ path: '/api/machines/%2e%2e/alerts' }, 'path', /'%'/],
      [{ path: '/api/machines\\..\\alerts' }, 'path', /cannot hold/],
    ];
    for (const [props, setting, reason] of cases) {
      const label = JSON.stringify(props);
      await load(props);
      const node = helper.getNode('req');
      const red = node.status.args.map((a) => a[0]).find((st) => st && st.fill === 'red');
      assert.ok(red, `${label}: red status at deploy`);
      assert.equal(red.text, 'InvalidSetting', label);
      const caught = nextMessage(helper.getNode('caught'));
      node.receive({ machineId: machine.id, payload: {} });
      const msg = await caught;
      assert.equal(msg.error.code, 'InvalidSetting', label);
      assert.ok(msg.error.message.includes(`"${setting}"`), `${label}: ${msg.error.message}`);
      assert.match(msg.error.message, reason, label);
      await helper.unload();
    }
    assert.equal(apiRequests(sim).length, 0, 'nothing was sent');

    // Inherited properties are never read: {{constructor.name}} finds no own value on msg.
    const e = await run({ path: '/api/machines/{{constructor.name}}' }, {}, { expectError: true });
    assert.equal(e.error.code, 'MissingPathValue');
    assert.equal(apiRequests(sim).length, 0);
    await helper.unload();

    // The dialog's own values deploy cleanly.
    await load({ pageSize: '100', maxItems: '10000' });
    assert.ok(!helper.getNode('req').status.args.some((a) => a[0] && a[0].fill === 'red'));
  });
});
