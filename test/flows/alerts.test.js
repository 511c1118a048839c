'use strict';
// mde-alerts in a real Node-RED runtime against the simulator.
const { describe, it } = require('node:test');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, nextMessage, collect, APPS, TENANT } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'alerts tests' };

function alertsFlow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'alerts', type: 'mde-alerts', z: 'tab', name: '', config: 'cfg', mode: 'list', timeField: 'alertCreationTime', since: '', sinceType: 'str', maxResults: 1000, pageSize: 10000, outputMode: 'array', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

describe('mde-alerts node', () => {
  let sim;
  useFlowSuite();

  async function run(props, msg = {}, { cfg, expectError = false } = {}) {
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, props, cfg), secretCredentials());
    const target = helper.getNode(expectError ? 'caught' : 'out');
    const got = nextMessage(target, 20000);
    helper.getNode('alerts').receive({ payload: 'in', topic: 'keep', ...msg });
    return got;
  }

  it('lists alerts filtered by severity and status, passing the rest of msg through', async () => {
    sim = await simulator({ alerts: 120 });
    const msg = await run({ severity: 'High', statusFilter: 'New,InProgress' });
    assert.equal(msg.topic, 'keep');
    assert.ok(Array.isArray(msg.payload));
    const expected = sim.state.alerts.filter((a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status));
    assert.ok(expected.length > 0, 'the seed has matching alerts');
    assert.equal(msg.payload.length, expected.length);
    assert.ok(msg.payload.every((a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status)));
    assert.equal(msg.mde.count, expected.length);
    assert.match(msg.mde.filter, /severity eq 'High'/);
  });

  // The filter was called `status`; the editor keeps a node's status display in node.status and
  // deployed { fill, shape, text } in its place once the node had shown a status.
  it('a flow saved before the rename with status as text still filters on it', async () => {
    sim = await simulator({ alerts: 120 });
    const msg = await run({ status: 'Resolved' });
    const expected = sim.state.alerts.filter((a) => a.status === 'Resolved');
    assert.ok(expected.length > 0);
    assert.deepEqual(msg.payload.map((a) => a.id).sort(), expected.map((a) => a.id).sort());
    assert.equal(msg.mde.filter, "status eq 'Resolved'");
  });

  it('a status display left by the editor is refused at deploy and per message, never taken as "no filter"', async () => {
    sim = await simulator({ alerts: 20 });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { status: { fill: 'green', shape: 'dot', text: '12 alerts' } }), secretCredentials());
    const node = helper.getNode('alerts');
    assert.deepEqual(node.status.args.map((a) => a[0]).at(-1), { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
    assert.ok(node.error.args.some((a) => /older version/.test(String(a[0]))), 'the reason is logged at deploy');
    const caught = nextMessage(helper.getNode('caught'));
    node.receive({ topic: 'keep' });
    const msg = await caught;
    assert.equal(msg.error.code, 'InvalidSetting');
    assert.match(msg.error.message, /called "status"/);
    assert.match(msg.error.message, /an object with the keys "fill", "shape", "text"/);
    assert.match(msg.error.message, /choose the statuses again/);
    assert.equal(apiRequests(sim).length, 0, 'nothing was sent');
  });

  it('statusFilter wins over a leftover status; one that is not text is refused with its name', async () => {
    sim = await simulator({ alerts: 60 });
    const msg = await run({ statusFilter: 'New', status: { fill: 'green', shape: 'dot', text: '3 alerts' } });
    assert.ok(msg.payload.length > 0 && msg.payload.every((a) => a.status === 'New'));
    await helper.unload();
    const bad = await run({ statusFilter: ['New'] }, {}, { expectError: true });
    assert.equal(bad.error.code, 'InvalidSetting');
    assert.match(bad.error.message, /"statusFilter" must be text .*got an array of 1 item/);
  });

  it('takes filters from msg.filter over the dialog values', async () => {
    sim = await simulator({ alerts: 120 });
    const msg = await run({ severity: 'High' }, { filter: { severity: ['Low'] } });
    assert.ok(msg.payload.length > 0);
    assert.ok(msg.payload.every((a) => a.severity === 'Low'));
  });

  it('filters on a time window given as a duration', async () => {
    sim = await simulator({ alerts: 200 });
    const msg = await run({ since: '24h', sinceType: 'str' });
    const cutoff = Date.now() - 24 * 3600_000;
    const expected = sim.state.alerts.filter((a) => Date.parse(a.alertCreationTime) >= cutoff - 1000);
    assert.ok(msg.payload.length > 0 && msg.payload.length < sim.state.alerts.length);
    assert.ok(Math.abs(msg.payload.length - expected.length) <= 1);
    assert.ok(msg.payload.every((a) => Date.parse(a.alertCreationTime) >= cutoff - 60_000));
  });

  it('pages across 25,000 alerts with $top/$skip', async () => {
    sim = await simulator({ alerts: 25_000 });
    const msg = await run({ maxResults: 100000, pageSize: 10000 });
    assert.equal(msg.payload.length, 25_000);
    assert.equal(msg.mde.pages, 3);
    assert.equal(new Set(msg.payload.map((a) => a.id)).size, 25_000, 'no alert twice, none missing');
    const pages = apiRequests(sim, (r) => /\/alerts$/.test(r.path));
    assert.equal(pages.length, 3);
  });

  it('stops at the total limit and says the list was truncated', async () => {
    sim = await simulator({ alerts: 300 });
    const msg = await run({ maxResults: 120, pageSize: 50 });
    assert.equal(msg.payload.length, 120);
    assert.equal(msg.mde.truncated, true);
  });

  it('emits one message per alert with msg.parts in split mode', async () => {
    sim = await simulator({ alerts: 40 });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { outputMode: 'split', severity: '' }), secretCredentials());
    const all = collect(helper.getNode('out'), 40);
    helper.getNode('alerts').receive({ topic: 'keep' });
    const msgs = await all;
    assert.equal(new Set(msgs.map((m) => m.parts.id)).size, 1);
    assert.deepEqual(msgs.map((m) => m.parts.index).sort((a, b) => a - b), [...Array(40).keys()]);
    assert.ok(msgs.every((m) => m.parts.count === 40 && m.topic === 'keep' && typeof m.payload.id === 'string'));
  });

  it('gets one alert by ID with its related machine and evidence', async () => {
    sim = await simulator();
    const alert = sim.state.alerts.find((a) => a.machineId);
    const msg = await run({ mode: 'get', alertId: 'alertId', alertIdType: 'msg', related: 'machine', expandEvidence: true }, { alertId: alert.id });
    assert.equal(msg.payload.id, alert.id);
    assert.ok(Array.isArray(msg.payload.evidence) && msg.payload.evidence.length > 0);
    assert.equal(msg.mde.related.machine.id, alert.machineId);
  });

  // Hostile or mistyped inputs, as an attacker or an unlucky flow author would send them. Each
  // must reach Catch with the property named and what came described, before any request.
  const HOSTILE_FILTERS = [
    ['severity as a number', { filter: { severity: 42 } }, [/msg\.filter\.severity/, /the number 42/, /High/]],
    ['severity as an object', { filter: { severity: { High: true } } }, [/msg\.filter\.severity/, /an object with the key "High"/]],
    ['severity as a boolean', { filter: { severity: true } }, [/msg\.filter\.severity/, /the boolean true/]],
    ['severity null', { filter: { severity: null } }, [/msg\.filter\.severity/, /null/]],
    ['a non-text item in a list', { filter: { severity: ['High', 7] } }, [/msg\.filter\.severity\[1\]/, /the number 7/]],
    ['a JSON "__proto__" key', { filter: JSON.parse('{"__proto__": ["High"]}') }, [/msg\.filter/, /"__proto__"/]],
    ['an object with a foreign prototype', { filter: Object.create(['High']) }, [/msg\.filter/, /plain object/]],
    ['msg.filter as a boolean', { filter: true }, [/msg\.filter/, /the boolean true/]],
    ['msg.filter as an array', { filter: ['High'] }, [/msg\.filter/, /an array of 1 item/]],
    ['a misspelt key', { filter: { severty: ['High'] } }, [/msg\.filter/, /"severty"/, /did you mean "severity"/]],
    ['pageSize NaN', { filter: { pageSize: NaN } }, [/msg\.filter\.pageSize/, /NaN/, /1 to 10000/]],
    ['pageSize Infinity', { filter: { pageSize: Infinity } }, [/msg\.filter\.pageSize/, /Infinity/]],
    ['pageSize with SQL', { filter: { pageSize: '10; DROP' } }, [/msg\.filter\.pageSize/, /"10; DROP"/]],
    ['pageSize true', { filter: { pageSize: true } }, [/msg\.filter\.pageSize/, /the boolean true/]],
    ['pageSize 0', { filter: { pageSize: 0 } }, [/msg\.filter\.pageSize/, /the number 0/]],
    ['maxResults "all"', { filter: { maxResults: 'all' } }, [/msg\.filter\.maxResults/, /"all"/, /1 to 100000/]],
    ['incidentId true', { filter: { incidentId: true } }, [/msg\.filter\.incidentId/, /the boolean true/]],
    ['incidentId negative', { filter: { incidentId: -4 } }, [/msg\.filter\.incidentId/, /-4/]],
    ['assignedTo as an object', { filter: { assignedTo: { upn: 'a@x' } } }, [/msg\.filter\.assignedTo/, /an object with the key "upn"/]],
    ['assignedTo as an array', { filter: { assignedTo: ['a@x', 'b@x'] } }, [/msg\.filter\.assignedTo/, /an array of 2 items/]],
    ['rawFilter as an object', { filter: { rawFilter: { status: 'New' } } }, [/msg\.filter\.rawFilter/, /an object with the key "status"/]],
    ['a 1 MB rawFilter', { filter: { rawFilter: `status eq '${'x'.repeat(1024 * 1024)}'` } }, [/msg\.filter\.rawFilter/, /at most 4000/]],
    ['an impossible date', { filter: { since: '2026-02-30' } }, [/msg\.filter\.since/, /"2026-02-30"/, /28 days/]],
    ['an impossible time', { filter: { until: '2026-01-31T24:10:00Z' } }, [/msg\.filter\.until/, /time of day/]],
    ['since as a boolean', { filter: { since: true } }, [/msg\.filter\.since/, /the boolean true/]],
    ['epoch seconds for since', { filter: { since: 1767225600 } }, [/msg\.filter\.since/, /milliseconds/]],
    ['an unknown time field', { filter: { timeField: 'firstEventTime' } }, [/msg\.filter\.timeField/, /"firstEventTime"/, /lastUpdateTime/]],
    ['a malformed device ID', { filter: { machineId: "x' or 1 eq 1" } }, [/msg\.filter\.machineId/, /40-character/]],
    ['expandEvidence as text', { filter: { expandEvidence: 'yes' } }, [/msg\.filter\.expandEvidence/, /true or false/]],
    ['an order with a statement', { filter: { orderBy: 'severity; drop' } }, [/msg\.filter\.orderBy/, /asc or desc/]],
    ['a filter too long for a URL', { filter: { detectionSource: Array.from({ length: 40 }, (_, i) => `Source${i}-${'y'.repeat(200)}`) } }, [/too long/, /URL/]],
  ];

  for (const [name, msgProps, patterns] of HOSTILE_FILTERS) {
    it(`refuses ${name} at Catch, naming the property, with no request sent`, async () => {
      sim = await simulator({ alerts: 20 });
      const msg = await run({ severity: 'High' }, msgProps, { expectError: true });
      for (const re of patterns) assert.match(msg.error.message, re);
      assert.doesNotMatch(msg.error.message, /\[object Object\]/);
      assert.ok(msg.error.message.length < 600, 'the message stays short');
      assert.equal(msg.topic, 'keep', 'the message itself reaches Catch');
      assert.equal(apiRequests(sim, (r) => /\/alerts$/.test(r.path)).length, 0, 'nothing was sent to /api/alerts');
    });
  }

  const BAD_SETTINGS = [
    ['an unknown mode', { mode: 'List' }, /"mode".*"List"/],
    ['an unknown output mode', { outputMode: 'lines' }, /"outputMode".*"lines"/],
    ['an unknown time field', { timeField: 'firstEventTime' }, /"timeField".*"firstEventTime"/],
    ['an unknown related entity', { related: 'everything' }, /"related".*"everything"/],
    ['a page size that is not a number', { pageSize: 'abc' }, /"pageSize".*"abc"/],
    ['an evidence flag that is text', { expandEvidence: 'true' }, /"expandEvidence".*"true"/],
    ['an impossible since date', { since: '2026-04-31', sinceType: 'str' }, /"since".*30 days/],
    ['an unknown since type', { since: 'x', sinceType: 'jsonata' }, /"sinceType".*"jsonata"/],
  ];

  for (const [name, props, re] of BAD_SETTINGS) {
    it(`shows ${name} at deploy (red status) and refuses every message, never falling back to a default`, async () => {
      sim = await simulator({ alerts: 20 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, props), secretCredentials());
      const statuses = helper.getNode('alerts').status.args.map((a) => a[0]);
      assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
      assert.ok(helper.getNode('alerts').error.args.some((a) => re.test(String(a[0]))), 'the reason is logged at deploy');
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('alerts').receive({ payload: 'in' });
      const msg = await caught;
      assert.equal(msg.error.code, 'InvalidSetting');
      assert.match(msg.error.message, re);
      assert.equal(apiRequests(sim).length, 0, 'nothing was sent');
    });
  }

  it('lists one device\'s alerts from /api/machines/{id}/alerts, with the other filters applied', async () => {
    sim = await simulator({ alerts: 300 });
    const counts = new Map();
    for (const a of sim.state.alerts) counts.set(a.machineId, (counts.get(a.machineId) ?? 0) + 1);
    const [machineId] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    const expected = sim.state.alerts.filter((a) => a.machineId === machineId && a.status !== 'Resolved');
    assert.ok(expected.length > 0);
    const msg = await run({ machineId: machineId.toUpperCase(), statusFilter: 'New,InProgress,Unknown' });
    assert.deepEqual(msg.payload.map((a) => a.id).sort(), expected.map((a) => a.id).sort());
    const sent = apiRequests(sim, (r) => /alerts$/.test(r.path));
    assert.deepEqual(sent.map((r) => r.path), [`/api/machines/${machineId}/alerts`]);
    assert.doesNotMatch(decodeURIComponent(sent[0].query), /machineId/, 'machineId is not an /api/alerts filter');
    assert.equal(msg.mde.path, `/api/machines/${machineId}/alerts`);
  });

  it('reads the time window from msg when told to, and refuses a message that lacks it instead of listing everything', async () => {
    sim = await simulator({ alerts: 200 });
    const ok = await run({ since: 'window', sinceType: 'msg' }, { window: '24h' });
    assert.ok(ok.payload.length > 0 && ok.payload.length < 200);
    await helper.unload();
    const msg = await run({ since: 'window', sinceType: 'msg' }, {}, { expectError: true });
    assert.match(msg.error.message, /msg\.window, which is not set/);
    assert.equal(apiRequests(sim, (r) => /\/alerts$/.test(r.path)).length, 1, 'only the first message was sent');
    await helper.unload();
    const bad = await run({ since: 'window', sinceType: 'msg' }, { window: { hours: 24 } }, { expectError: true });
    assert.match(bad.error.message, /since \(read from msg\.window\) must be .* got an object with the key "hours"/);
  });

  it('takes an empty value in msg.filter as "no condition", overriding the dialog', async () => {
    sim = await simulator({ alerts: 60 });
    const msg = await run({ severity: 'High' }, { filter: { severity: '' } });
    assert.equal(msg.payload.length, 60);
    assert.equal(msg.mde.filter, '');
  });

  // A hand-edited or imported flow can carry wrong types in the connection itself: the config
  // node must keep running and every node must say what is wrong with it, not "no connection".
  const BAD_CONNECTIONS = [
    ['a numeric tenant ID', { tenantId: 12345 }, /The Defender connection is not valid: The tenant ID must be text \(a GUID or a verified domain\), got the number 12345\./],
    ['a tenant ID object', { tenantId: { id: 'x' } }, /tenant ID must be text .* got an object with the key "id"/],
    ['a numeric client ID', { clientId: 42 }, /client ID must be text .* got the number 42/],
    ['an unknown sign-in method', { authMethod: 'cert' }, /authentication method must be "secret" or "certificate", got "cert"/],
    ['a numeric cloud', { cloud: 3 }, /cloud must be one of .* got the number 3/],
    ['an http:// MDE audience', { mdeAudience: 'http://api-gov.securitycenter.microsoft.us' }, /MDE token audience must be an https URL/],
    // The isolation rail is never defaulted: a cap of "lots" does not quietly become 5.
    ['an isolation cap that is not a number', { isolationCap: 'lots' }, /setting "isolationCap" is "lots"; allowed: a whole number, at least 1/, 'InvalidSetting'],
    ['a fractional isolation cap', { isolationCap: 2.5 }, /setting "isolationCap" is the number 2\.5; allowed: a whole number, at least 1/, 'InvalidSetting'],
    ['an isolation window of zero minutes', { isolationWindowMinutes: 0 }, /setting "isolationWindowMinutes" is the number 0; allowed: a number of minutes, at least 1/, 'InvalidSetting'],
  ];

  for (const [name, cfg, re, code = 'InvalidInput'] of BAD_CONNECTIONS) {
    it(`says what is wrong with a connection that has ${name}, at deploy and per message, sending nothing`, async () => {
      sim = await simulator({ alerts: 10 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, {}, cfg), secretCredentials());
      const config = helper.getNode('cfg');
      assert.ok(config && typeof config.connection === 'function', 'the config node is running');
      assert.deepEqual(helper.getNode('alerts').status.args.map((a) => a[0]).at(-1), { fill: 'red', shape: 'ring', text: code });
      assert.ok(helper.getNode('alerts').warn.args.some((a) => re.test(String(a[0]))), 'the reason is logged at deploy');
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('alerts').receive({ payload: 'in' });
      const msg = await caught;
      assert.match(msg.error.message, re);
      assert.doesNotMatch(msg.error.message, /No Defender connection/);
      assert.notEqual(msg.error.code, 'NoConfig');
      assert.equal(sim.requests.filter((r) => r.kind === 'token' || r.kind === 'api').length, 0, 'nothing was sent');
    });
  }

  it('still says "no connection" when the config node really is missing', async () => {
    sim = await simulator({ alerts: 10 });
    const msg = await run({ config: 'nope' }, {}, { expectError: true });
    assert.equal(msg.error.code, 'NoConfig');
    assert.match(msg.error.message, /No Defender connection/);
  });

  it('rejects an unknown severity before any request is sent', async () => {
    sim = await simulator();
    const msg = await run({ severity: 'Critical' }, {}, { expectError: true });
    assert.match(msg.error.message, /Critical/);
    assert.match(msg.error.message, /High/);
    assert.equal(apiRequests(sim).length, 0);
  });

  it('rejects a malformed alert ID before any request is sent', async () => {
    sim = await simulator();
    const msg = await run({ mode: 'get', alertId: 'alertId', alertIdType: 'msg' }, { alertId: "x' or 1 eq 1" }, { expectError: true });
    assert.equal(msg.error.code, 'InvalidInput');
    assert.equal(apiRequests(sim).length, 0);
  });

  it('quotes values so a quote in a filter value cannot break the OData filter', async () => {
    sim = await simulator();
    const target = sim.state.alerts[0];
    target.assignedTo = "o'brien@contoso-sim.com";
    const msg = await run({ assignedTo: "o'brien@contoso-sim.com" });
    assert.deepEqual(msg.payload.map((a) => a.id), [target.id]);
    const hostile = await (async () => {
      await helper.unload();
      return run({ assignedTo: "x' or severity ne 'nothing" });
    })();
    assert.equal(hostile.payload.length, 0, 'the hostile value stayed a literal');
  });

  it('absorbs a storm of 429s: every message is eventually answered, none fails', async () => {
    // The simulator allows 4 calls per second while the client's governor expects MDE's
    // 100 per minute, so a burst of 12 meets real 429s with Retry-After.
    sim = await simulator({ rateLimits: { alerts: [{ limit: 4, windowMs: 1000 }] } });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { maxResults: 5 }), secretCredentials());
    const all = collect(helper.getNode('out'), 12, 30000);
    let failures = 0;
    helper.getNode('caught').on('input', () => failures++);
    for (let i = 0; i < 12; i++) helper.getNode('alerts').receive({ payload: i });
    const msgs = await all;
    assert.equal(msgs.length, 12);
    assert.deepEqual(msgs.map((m) => m.payload.length), Array(12).fill(5));
    assert.equal(failures, 0);
    const throttled = apiRequests(sim, (r) => r.status === 429).length;
    assert.ok(throttled >= 1, 'the simulator really answered 429');
  });

  it('queues a burst inside the budget the governor is given, without a single 429', async () => {
    sim = await simulator({ rateLimits: { alerts: [{ limit: 4, windowMs: 1000 }] } });
    const dir = useFreshStateDir();
    helper.settings({ mdeConfigStateDir: dir, mdeConfigRateLimits: { alerts: [{ limit: 4, windowMs: 1000 }] } });
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { maxResults: 5 }), secretCredentials());
    const all = collect(helper.getNode('out'), 10, 30000);
    for (let i = 0; i < 10; i++) helper.getNode('alerts').receive({ payload: i });
    assert.equal((await all).length, 10);
    assert.equal(apiRequests(sim, (r) => r.status === 429).length, 0);
    assert.equal(apiRequests(sim, (r) => r.status === 200).length, 10);
  });

  it('routes an MDE 403 (missing role) to Catch with the role named', async () => {
    sim = await simulator();
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, {}, { clientId: APPS.noRoles.clientId }), secretCredentials(APPS.noRoles.secret));
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('alerts').receive({});
    const msg = await caught;
    assert.equal(msg.error.code, 'Forbidden');
    assert.match(msg.error.message, /Alert\.Read\.All/);
    assert.equal(msg.mde.error.status, 403);
  });

  // ------------------------------------------------------------------ Microsoft Graph source
  describe('Microsoft Graph source (api: graph)', () => {
    const graph = (props = {}) => ({ api: 'graph', alertShape: 'graph', timeField: 'createdDateTime', pageSize: 1000, maxResults: 100000, ...props });
    const graphLists = () => apiRequests(sim, (r) => r.kind === 'graph' && /\/security\/alerts_v2$/.test(r.path));
    const queryOf = (r) => new URLSearchParams(r.query.replace(/^\?/, ''));
    const ids = (alerts) => alerts.map((a) => a.id).sort();

    /** The node's whole list of a second node with no filter: what Graph holds, in Graph's shape. */
    async function everyGraphAlert() {
      const all = await run(graph());
      assert.equal(all.mde.truncated, false);
      await helper.unload();
      sim.clearLog();
      return all.payload;
    }

    it('maps the dialog filters to $filter on /v1.0/security/alerts_v2 and returns Graph alerts with evidence, msg passed through', async () => {
      sim = await simulator({ alerts: 150 });
      const all = await everyGraphAlert();
      const msg = await run(graph({ severity: 'high,medium', statusFilter: 'new,inProgress', serviceSource: 'microsoftDefenderForEndpoint', since: '30d' }));
      assert.equal(msg.topic, 'keep');
      const [req] = graphLists();
      assert.equal(graphLists().length, 1);
      assert.equal(req.method, 'GET');
      const q = queryOf(req);
      assert.match(q.get('$filter'), /^\(severity eq 'high' or severity eq 'medium'\) and \(status eq 'new' or status eq 'inProgress'\) and createdDateTime ge \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z and serviceSource eq 'microsoftDefenderForEndpoint'$/);
      assert.equal(q.get('$top'), '1000');
      const cutoff = Date.now() - 30 * 86400_000;
      const expected = all.filter((a) => ['high', 'medium'].includes(a.severity) && ['new', 'inProgress'].includes(a.status) && Date.parse(a.createdDateTime) >= cutoff - 60_000);
      assert.ok(expected.length > 0);
      assert.deepEqual(ids(msg.payload), ids(expected));
      assert.deepEqual({ ...msg.mde, filter: undefined }, { request: 'list alerts', api: 'graph', count: expected.length, pages: 1, truncated: false, filter: undefined, path: '/v1.0/security/alerts_v2' });
      for (const a of msg.payload) {
        assert.equal(a['@odata.type'], '#microsoft.graph.security.alert');
        assert.ok(Array.isArray(a.evidence), 'every Graph alert carries its evidence');
        assert.equal(a.alertCreationTime, undefined, 'no MDE API field names');
      }
    });

    // Each filter of msg.filter, on the wire and in the result (checked against the whole list).
    const FILTERS = [
      ['severity', { severity: ['high'] }, "severity eq 'high'", (a) => a.severity === 'high'],
      ['status', { status: 'new, resolved' }, "(status eq 'new' or status eq 'resolved')", (a) => ['new', 'resolved'].includes(a.status)],
      ['serviceSource', { serviceSource: ['microsoftDefenderForEndpoint'] }, "serviceSource eq 'microsoftDefenderForEndpoint'", (a) => a.serviceSource === 'microsoftDefenderForEndpoint'],
      ['classification', { classification: ['truePositive', 'falsePositive'] }, "(classification eq 'truePositive' or classification eq 'falsePositive')", (a) => ['truePositive', 'falsePositive'].includes(a.classification)],
      ['determination (an alias spelling)', { determination: ['other', 'clean'] }, "(determination eq 'other' or determination eq 'notMalicious')", (a) => ['other', 'notMalicious'].includes(a.determination)],
      ['assignedTo', { assignedTo: 'analyst1@contoso-sim.onmicrosoft.com' }, "assignedTo eq 'analyst1@contoso-sim.onmicrosoft.com'", (a) => a.assignedTo === 'analyst1@contoso-sim.onmicrosoft.com'],
      ['assignedTo null (unassigned)', { assignedTo: null }, 'assignedTo eq null', (a) => a.assignedTo === null],
      ['a createdDateTime range', { since: '2020-01-01T00:00:00Z', until: '2099-01-01T00:00:00Z' }, 'createdDateTime ge 2020-01-01T00:00:00.000Z and createdDateTime le 2099-01-01T00:00:00.000Z', () => true],
      ['a lastUpdateDateTime range', { timeField: 'lastUpdateDateTime', since: '3d' }, /^lastUpdateDateTime ge \d{4}-\d{2}-\d{2}T[\d:.]+Z$/, (a) => Date.parse(a.lastUpdateDateTime) >= Date.now() - 3 * 86400_000 - 60_000],
    ];

    it('maps every msg.filter property to $filter: ' + FILTERS.map((f) => f[0]).join(', '), async () => {
      sim = await simulator({ alerts: 150 });
      const all = await everyGraphAlert();
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, graph()), secretCredentials());
      for (const [name, filter, wire, keep] of FILTERS) {
        sim.clearLog();
        const got = nextMessage(helper.getNode('out'), 20000);
        helper.getNode('alerts').receive({ filter });
        const msg = await got;
        const sent = queryOf(graphLists()[0]).get('$filter');
        if (wire instanceof RegExp) assert.match(sent, wire, name);
        else assert.equal(sent, wire, name);
        assert.equal(msg.mde.filter, sent, name);
        const expected = all.filter(keep);
        // (Every simulated alert is from Defender for Endpoint, and the ranges are wide.)
        assert.ok((expected.length > 0 && expected.length < all.length) || /range|serviceSource/.test(name), `${name}: the seed has some alerts that match and some that do not`);
        assert.deepEqual(ids(msg.payload), ids(expected), name);
      }
    });

    it('detection source and incident ID are applied to each page (Graph documents no $filter on them), and msg.mde says so', async () => {
      sim = await simulator({ alerts: 150 });
      const all = await everyGraphAlert();
      const incident = all.find((a) => a.incidentId && all.filter((b) => b.incidentId === a.incidentId).length > 1).incidentId;
      const msg = await run(graph({ detectionSource: 'antivirus', incidentId: '' }), { filter: { incidentId: incident } });
      assert.equal(queryOf(graphLists()[0]).get('$filter'), null, 'nothing for the service to filter');
      assert.deepEqual(msg.mde.clientSideFilters, ['detectionSource', 'incidentId']);
      assert.deepEqual(ids(msg.payload), ids(all.filter((a) => a.detectionSource === 'antivirus' && a.incidentId === incident)));
      await helper.unload();
      const byNumber = await run(graph({ incidentId: incident }));
      assert.deepEqual(ids(byNumber.payload), ids(all.filter((a) => a.incidentId === incident)));
      assert.ok(byNumber.payload.length > 1);
    });

    it('pages through @odata.nextLink within the documented $top limit of 1000, no alert twice or missing', async () => {
      sim = await simulator({ alerts: 2500 });
      const msg = await run(graph({ pageSize: 1000 }));
      assert.equal(msg.payload.length, 2500);
      assert.equal(new Set(msg.payload.map((a) => a.id)).size, 2500);
      assert.equal(msg.mde.pages, 3);
      const pages = apiRequests(sim, (r) => r.kind === 'graph' && /alerts_v2/.test(r.path));
      assert.equal(pages.length, 3);
      assert.equal(queryOf(pages[0]).get('$top'), '1000');
      for (const later of pages.slice(1)) {
        assert.ok(queryOf(later).get('$skiptoken'), 'the next pages are the nextLink the service gave');
        assert.equal(queryOf(later).get('$skip'), null);
      }
      await helper.unload();
      const capped = await run(graph({ pageSize: 300, maxResults: 700 }));
      assert.equal(capped.payload.length, 700);
      assert.equal(capped.mde.truncated, true);
    });

    it('gets one alert by ID from Graph, with its evidence (the devices a playbook acts on)', async () => {
      sim = await simulator({ alerts: 20 });
      const stored = sim.state.alerts.find((a) => a.machineId);
      const msg = await run(graph({ mode: 'get', alertId: 'payload.id', alertIdType: 'msg' }), { payload: { id: stored.id } });
      assert.equal(msg.payload.id, stored.id);
      assert.equal(msg.payload['@odata.context'], undefined);
      const device = msg.payload.evidence.find((e) => e['@odata.type'] === '#microsoft.graph.security.deviceEvidence');
      assert.equal(device.mdeDeviceId, stored.machineId);
      assert.deepEqual(msg.mde, { request: 'get alert', api: 'graph', alertId: stored.id });
      assert.deepEqual(apiRequests(sim).map((r) => `${r.kind} ${r.method} ${r.path}`), [`graph GET /v1.0/security/alerts_v2/${stored.id}`]);
    });

    it('finds the same alert IDs as the MDE source for the same filters, and the MDE source can emit the same shape', async () => {
      sim = await simulator({ alerts: 200 });
      const fromGraph = await run(graph({ severity: 'high', statusFilter: 'new,inProgress', since: '7d' }));
      await helper.unload();
      const fromMde = await run({ api: 'mde', alertShape: 'mde', severity: 'High', statusFilter: 'New,InProgress', since: '7d', timeField: 'alertCreationTime' });
      await helper.unload();
      const mdeInGraphShape = await run({ api: 'mde', alertShape: 'graph', severity: 'High', statusFilter: 'New,InProgress', since: '7d', timeField: 'alertCreationTime', expandEvidence: true });
      assert.ok(fromGraph.payload.length > 0);
      assert.deepEqual(ids(fromMde.payload), ids(fromGraph.payload));
      assert.deepEqual(ids(mdeInGraphShape.payload), ids(fromGraph.payload));
      assert.ok(fromMde.payload.every((a) => typeof a.alertCreationTime === 'string' && a.severity === 'High'), 'the MDE shape keeps its own fields');
      const byId = new Map(fromGraph.payload.map((a) => [a.id, a]));
      for (const a of mdeInGraphShape.payload) {
        const g = byId.get(a.id);
        for (const key of ['severity', 'status', 'incidentId', 'createdDateTime', 'lastUpdateDateTime', 'serviceSource', 'detectionSource', 'classification', 'determination', 'assignedTo', 'title']) {
          assert.deepEqual(a[key], g[key], `${a.id} ${key}`);
        }
        assert.deepEqual(a.evidence.filter((e) => e['@odata.type'].endsWith('deviceEvidence')).map((e) => e.mdeDeviceId), g.evidence.filter((e) => e['@odata.type'].endsWith('deviceEvidence')).map((e) => e.mdeDeviceId));
      }
      assert.equal(mdeInGraphShape.mde.api, 'mde');
      assert.equal(mdeInGraphShape.mde.path, '/api/alerts');
    });

    // A filter the selected API does not have would otherwise be dropped and widen the query.
    const OTHER_API = [
      ['category on Graph', graph(), { category: ['Malware'] }, [/msg\.filter\.category is a filter of the MDE API only/, /Microsoft Graph/, /route on msg\.payload\.category/]],
      ['machineId on Graph', graph(), { machineId: 'a'.repeat(40) }, [/msg\.filter\.machineId is a filter of the MDE API only/, /deviceEvidence/]],
      ['rawFilter on Graph', graph(), { rawFilter: "title eq 'x'" }, [/msg\.filter\.rawFilter is a filter of the MDE API only/]],
      ['orderBy on Graph', graph(), { orderBy: 'severity desc' }, [/msg\.filter\.orderBy is a filter of the MDE API only/, /newest alerts first/]],
      ['an MDE time field on Graph', graph(), { timeField: 'alertCreationTime', since: '1h' }, [/msg\.filter\.timeField must be createdDateTime or lastUpdateDateTime/, /on Microsoft Graph it is createdDateTime/]],
      ['expandEvidence false on Graph', graph(), { expandEvidence: false }, [/msg\.filter\.expandEvidence cannot be false on Microsoft Graph/]],
      ['a page over Graph\'s $top limit', graph(), { pageSize: 5000 }, [/msg\.filter\.pageSize must be a whole number from 1 to 1000/]],
      ['an MDE severity name on Graph', graph(), { severity: ['UnSpecified'] }, [/msg\.filter\.severity must be .*unknown, informational, low, medium, high/]],
      ['classification on the MDE API', { api: 'mde' }, { classification: ['truePositive'] }, [/msg\.filter\.classification is a filter of Microsoft Graph only/, /reads alerts from the MDE API/]],
      ['serviceSource on the MDE API', { api: 'mde' }, { serviceSource: ['microsoftDefenderForEndpoint'] }, [/msg\.filter\.serviceSource is a filter of Microsoft Graph only/]],
      ['determination on a flow without api (MDE)', {}, { determination: ['malware'] }, [/msg\.filter\.determination is a filter of Microsoft Graph only/]],
      ['a Graph time field on the MDE API', { api: 'mde' }, { timeField: 'lastUpdateDateTime', since: '1h' }, [/on the MDE API it is lastUpdateTime/]],
      ['assignedTo null on the MDE API', { api: 'mde' }, { assignedTo: null }, [/msg\.filter\.assignedTo is null/, /Microsoft Graph only/]],
    ];
    for (const [name, props, filter, patterns] of OTHER_API) {
      it(`refuses ${name} at Catch, before any request`, async () => {
        sim = await simulator({ alerts: 10 });
        const msg = await run(props, { filter }, { expectError: true });
        for (const re of patterns) assert.match(msg.error.message, re);
        assert.equal(msg.topic, 'keep');
        assert.equal(apiRequests(sim).length, 0, 'nothing was sent');
      });
    }

    it("says which filters exist when msg.filter has an unknown one, listing the selected API's", async () => {
      sim = await simulator({ alerts: 10 });
      const msg = await run(graph(), { filter: { clasification: ['truePositive'] } }, { expectError: true });
      assert.match(msg.error.message, /unknown property "clasification" \(did you mean "classification"\?\)/);
      assert.match(msg.error.message, /Allowed on Microsoft Graph: severity, status, serviceSource, detectionSource, classification, determination/);
      assert.doesNotMatch(msg.error.message, /machineId|rawFilter/);
      assert.equal(apiRequests(sim).length, 0);
    });

    const GRAPH_WRONG_TYPES = [
      ['severity as a number', { severity: 3 }, /msg\.filter\.severity must be text .* got the number 3/],
      ['status as an object', { status: { new: true } }, /msg\.filter\.status .* got an object with the key "new"/],
      ['classification unknown', { classification: ['benign'] }, /msg\.filter\.classification must be .*truePositive/],
      ['determination as a boolean', { determination: true }, /msg\.filter\.determination .* the boolean true/],
      ['a detection source of the MDE API', { detectionSource: ['WindowsDefenderAv'] }, /msg\.filter\.detectionSource must be a Graph detection source/],
      ['serviceSource as null', { serviceSource: null }, /msg\.filter\.serviceSource is null/],
      ['assignedTo as an array', { assignedTo: ['a@x'] }, /msg\.filter\.assignedTo .* an array of 1 item/],
      ['incidentId as a boolean', { incidentId: true }, /msg\.filter\.incidentId .* the boolean true/],
      ['until before since', { since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' }, /"from" .* is later than "to"/],
    ];
    for (const [name, filter, re] of GRAPH_WRONG_TYPES) {
      it(`Graph: refuses ${name} before any request`, async () => {
        sim = await simulator({ alerts: 10 });
        const msg = await run(graph(), { filter }, { expectError: true });
        assert.match(msg.error.message, re);
        assert.equal(apiRequests(sim).length, 0);
      });
    }

    const GRAPH_BAD_SETTINGS = [
      ['an unknown api', { api: 'Graph' }, /"api" must be one of graph, mde, got "Graph"/],
      ['the MDE shape with Graph', graph({ alertShape: 'mde' }), /"alertShape" "mde" .* exists only when the MDE API serves the alerts/],
      ['an MDE-only dialog filter with Graph', graph({ category: 'Malware' }), /the node setting "category" is a filter of the MDE API only/],
      ['a device filter with Graph', graph({ machineId: 'b'.repeat(40) }), /the node setting "machineId" is a filter of the MDE API only/],
      ['a sort order with Graph', graph({ orderBy: 'alertCreationTime desc' }), /the node setting "orderBy" is a filter of the MDE API only/],
      ['related entities with Graph', graph({ mode: 'get', related: 'machine' }), /"related" "machine" asks the MDE API/],
      ['an MDE time field with Graph', graph({ timeField: 'alertCreationTime' }), /"timeField" must be createdDateTime or lastUpdateDateTime/],
      ['a page size over 1000 with Graph', graph({ pageSize: 10000 }), /"pageSize" must be a whole number from 1 to 1000/],
      ['MDE severities with Graph', graph({ severity: 'High,UnSpecified' }), /"severity" must be .*got "UnSpecified"/],
      ['a Graph-only filter with the MDE API', { api: 'mde', classification: 'truePositive' }, /the node setting "classification" is a filter of Microsoft Graph only/],
      ['an unknown alert shape', { api: 'mde', alertShape: 'v2' }, /"alertShape" must be one of graph, mde, got "v2"/],
    ];
    for (const [name, props, re] of GRAPH_BAD_SETTINGS) {
      it(`shows ${name} at deploy (red status) and refuses every message, sending nothing`, async () => {
        sim = await simulator({ alerts: 10 });
        useFreshStateDir();
        await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, props), secretCredentials());
        const node = helper.getNode('alerts');
        assert.deepEqual(node.status.args.map((a) => a[0]).at(-1), { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
        assert.ok(node.error.args.some((a) => re.test(String(a[0]))), `logged at deploy: ${node.error.args.map((a) => a[0]).join(' | ')}`);
        const caught = nextMessage(helper.getNode('caught'));
        node.receive({ payload: 'in' });
        const msg = await caught;
        assert.equal(msg.error.code, 'InvalidSetting');
        assert.match(msg.error.message, re);
        assert.equal(apiRequests(sim).length, 0);
      });
    }

    it('an editor-saved Graph node with the other API\'s fields left empty deploys and lists', async () => {
      sim = await simulator({ alerts: 30 });
      const msg = await run(graph({ category: '', machineId: '', rawFilter: '', orderBy: '', related: '', expandEvidence: false, detectionSource: '', incidentId: '', classification: '', determination: '', serviceSource: '' }));
      assert.equal(msg.payload.length, 30);
      assert.deepEqual(helper.getNode('alerts').status.args.map((a) => a[0]).filter((st) => st.fill === 'yellow'), [], 'no retirement status on Graph');
    });

    it('names SecurityAlert.Read.All on a Graph 403', async () => {
      sim = await simulator({ alerts: 5 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, graph(), { clientId: APPS.noRoles.clientId }), secretCredentials(APPS.noRoles.secret));
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('alerts').receive({});
      const msg = await caught;
      assert.equal(msg.error.code, 'Forbidden');
      assert.match(msg.error.message, /SecurityAlert\.Read\.All/);
    });

    it('Test connection lists SecurityAlert.Read.All for mde-alerts on Graph, Alert.Read.All on the MDE API', async () => {
      sim = await simulator({ alerts: 5 });
      useFreshStateDir();
      await helper.load([nodes.config], [tab]);
      const res = await helper
        .request()
        .post('/mde-config/test-connection')
        .send({ tenantId: TENANT, clientId: APPS.noRoles.clientId, authMethod: 'secret', cloud: 'custom', apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem, clientSecret: APPS.noRoles.secret })
        .expect(200);
      const rows = res.body.nodes.filter((n) => n.type === 'mde-alerts');
      assert.deepEqual(rows.map((n) => [n.label, n.audience, n.missing]), [
        ['List / get alerts (Graph)', 'graph', ['SecurityAlert.Read.All|SecurityAlert.ReadWrite.All']],
        ['List / get alerts (MDE API)', 'mde', ['Alert.Read.All|Alert.ReadWrite.All']],
      ]);
    });
  });

  // ------------------------------------------------------------------ the MDE API source
  describe('MDE API source', () => {
    it('api mde: lists from /api/alerts with a yellow status naming the retirement date at deploy', async () => {
      sim = await simulator({ alerts: 40 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { api: 'mde', alertShape: 'mde', statusFilter: 'New' }), secretCredentials());
      assert.deepEqual(helper.getNode('alerts').status.args.map((a) => a[0]).at(-1), { fill: 'yellow', shape: 'ring', text: 'MDE API retires 1 Feb 2027' });
      const got = nextMessage(helper.getNode('out'), 20000);
      helper.getNode('alerts').receive({});
      const msg = await got;
      assert.ok(msg.payload.length > 0 && msg.payload.every((a) => a.status === 'New'));
      assert.equal(msg.mde.api, 'mde');
      assert.deepEqual(apiRequests(sim).map((r) => `${r.kind} ${r.path}`), ['api /api/alerts']);
    });

    it('a flow saved without the api setting stays on the MDE API, in its own alert shape, with the yellow status', async () => {
      sim = await simulator({ alerts: 40 });
      useFreshStateDir();
      const flow = alertsFlow(sim, { severity: 'High' });
      assert.ok(!('api' in flow[2]) && !('alertShape' in flow[2]), 'a flow from before the API choice');
      await helper.load([nodes.config, nodes.alerts], flow, secretCredentials());
      assert.deepEqual(helper.getNode('alerts').status.args.map((a) => a[0]).at(-1), { fill: 'yellow', shape: 'ring', text: 'MDE API retires 1 Feb 2027' });
      const got = nextMessage(helper.getNode('out'), 20000);
      helper.getNode('alerts').receive({});
      const msg = await got;
      assert.ok(msg.payload.length > 0);
      assert.ok(msg.payload.every((a) => a.severity === 'High' && typeof a.alertCreationTime === 'string' && a.createdDateTime === undefined), "the MDE API's own fields, as before");
      assert.equal(apiRequests(sim, (r) => r.kind === 'graph').length, 0, 'Microsoft Graph is never called');
      assert.deepEqual(apiRequests(sim).map((r) => r.path), ['/api/alerts']);
    });

    it('a broken connection keeps its red status rather than the yellow one', async () => {
      sim = await simulator({ alerts: 5 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alerts], alertsFlow(sim, { api: 'mde' }, { tenantId: 12345 }), secretCredentials());
      assert.deepEqual(helper.getNode('alerts').status.args.map((a) => a[0]).at(-1), { fill: 'red', shape: 'ring', text: 'InvalidInput' });
    });
  });
});
