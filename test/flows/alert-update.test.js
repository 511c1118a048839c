'use strict';
// mde-alert-update in a real Node-RED runtime against the simulator.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, nextMessage, collect, APPS } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'Triage' };

function flow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'upd', type: 'mde-alert-update', z: 'tab', name: '', config: 'cfg', target: 'alert', api: 'graph', targetId: 'alertId', targetIdType: 'msg', newStatus: '', assignedTo: '', classification: '', determination: '', comment: '', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const graphCalls = (sim, pred = () => true) => sim.requests.filter((r) => r.kind === 'graph' && pred(r));

describe('mde-alert-update node', () => {
  let sim;
  useFlowSuite();

  async function load(props, cfg) {
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alertUpdate], flow(sim, props, cfg), secretCredentials(cfg?.clientId === APPS.readOnly.clientId ? APPS.readOnly.secret : undefined));
  }

  async function send(msg, { expectError = false } = {}) {
    const got = nextMessage(helper.getNode(expectError ? 'caught' : 'out'), 20000);
    helper.getNode('upd').receive(msg);
    return got;
  }

  it('sets status, owner and a documented pair on a Graph alert, adds a comment templated from msg, passes msg through', async () => {
    sim = await simulator({ alerts: 30 });
    const a = sim.state.alerts.find((x) => x.status === 'New');
    await load({ newStatus: 'resolved', assignedTo: 'soc@contoso-sim.onmicrosoft.com', classification: 'truePositive', determination: 'malware', comment: 'Isolated {{payload.machine}} in flow {{flowName}} for {{id}}' });
    const msg = await send({ alertId: a.id, topic: 'keep', payload: { machine: 'ws-fin-0412' } });
    assert.equal(msg.topic, 'keep');
    assert.equal(msg.payload.id, a.id);
    assert.equal(msg.payload.status, 'resolved');
    assert.equal(msg.payload.classification, 'truePositive');
    assert.equal(msg.payload.determination, 'malware');
    assert.deepEqual(msg.mde.updated.sort(), ['assignedTo', 'classification', 'determination', 'status']);
    assert.equal(msg.mde.commented, true);
    assert.equal(msg.mde.comments.at(-1).comment, `Isolated ws-fin-0412 in flow Triage for ${a.id}`);
    // The same alert, seen by the MDE API's stored record.
    assert.equal(a.status, 'Resolved');
    assert.equal(a.comments.at(-1).comment, `Isolated ws-fin-0412 in flow Triage for ${a.id}`);
    assert.deepEqual(graphCalls(sim).map((r) => `${r.method} ${r.path.replace(a.id, '{id}')}`), ['PATCH /v1.0/security/alerts_v2/{id}', 'POST /v1.0/security/alerts_v2/{id}/comments']);
  });

  it('msg.update overrides the dialog; its comment is used as written; a comment alone leaves payload alone', async () => {
    sim = await simulator({ alerts: 10 });
    const a = sim.state.alerts[0];
    await load({ newStatus: 'inProgress', comment: 'from the dialog {{topic}}' });
    const msg = await send({ alertId: a.id, payload: 'original', update: { status: 'new', assignedTo: null, comment: 'Literal {{not a template}}' } });
    assert.equal(msg.payload.status, 'new');
    assert.equal(msg.payload.assignedTo, null);
    assert.equal(msg.mde.comments.at(-1).comment, 'Literal {{not a template}}');
    const only = await send({ alertId: a.id, payload: 'original', update: { status: undefined, comment: 'just a note' } });
    assert.equal(only.payload, 'original');
    assert.deepEqual(only.mde.updated, []);
    assert.equal(only.mde.commented, true);
  });

  it('refuses bad combinations and wrong types before sending anything', async () => {
    sim = await simulator({ alerts: 10 });
    const id = sim.state.alerts[0].id;
    await load({ classification: 'falsePositive', determination: 'malware', comment: 'x' });
    const bad = await send({ alertId: id }, { expectError: true });
    assert.equal(bad.error.code, 'InvalidInput');
    assert.match(bad.error.message, /malware does not go with classification falsePositive/);
    await helper.unload();
    await load({ comment: 'a note' });
    const cases = [
      [{ alertId: id, update: { determination: 'malware' } }, /needs its classification/],
      [{ alertId: id, update: { classification: 'truePositive', determination: 'notMalicious' } }, /does not go with/],
      [{ alertId: id, update: 'resolve it' }, /msg.update must be an object/],
      [{ alertId: id, update: { severity: 'low' } }, /unknown field "severity"/],
      [{ alertId: id, update: { status: 'active' } }, /Alert status "active" is not valid/],
      [{ alertId: 42 }, /alert ID must be text .*got the number 42/],
      [{}, /No alert ID: set msg.alertId/],
      [{ alertId: id, update: { comment: '' } }, /comment must be non-empty/],
    ];
    for (const [msg, message] of cases) {
      const e = await send(msg, { expectError: true });
      assert.match(e.error.message, message, JSON.stringify(msg));
    }
    assert.equal(graphCalls(sim).length, 0, 'nothing reached the API');
  });

  it('updates and comments an incident; incident statuses are checked', async () => {
    sim = await simulator({ alerts: 20 });
    const inc = sim.state.incidents[0];
    await load({ target: 'incident', targetId: 'payload.incidentId', newStatus: 'resolved', classification: 'informationalExpectedActivity', determination: 'securityTesting', comment: 'Red team exercise {{payload.ticket}}' });
    const msg = await send({ payload: { incidentId: inc.id, ticket: 'RT-7' } });
    assert.equal(msg.payload.id, inc.id);
    assert.equal(msg.payload.status, 'resolved');
    assert.equal(msg.payload.determination, 'securityTesting');
    assert.equal(inc.comments.at(-1).comment, 'Red team exercise RT-7');
    const e = await send({ payload: { incidentId: inc.id }, update: { status: 'inProgress' } }, { expectError: true });
    assert.match(e.error.message, /cannot be set: the update documents active and resolved/);
    const n = await send({ payload: { incidentId: Number(inc.id) } }, { expectError: true });
    assert.match(n.error.message, /Incident ID must be the incident's number as text/);
  });

  it('MDE API for alerts: one PATCH with the comment, payload in Graph shape, a yellow status recalling the retirement', async () => {
    sim = await simulator({ alerts: 10 });
    const a = sim.state.alerts.find((x) => x.status === 'New');
    await load({ api: 'mde', newStatus: 'inProgress', classification: 'falsePositive', determination: 'notEnoughDataToValidate', comment: 'Checked by {{flowName}}' });
    const atDeploy = helper.getNode('upd').status.args.map((x) => x[0]);
    assert.deepEqual(atDeploy.at(-1), { fill: 'yellow', shape: 'ring', text: 'MDE API retires 1 Feb 2027' });
    const msg = await send({ alertId: a.id });
    assert.equal(msg.payload.status, 'inProgress');
    assert.equal(msg.payload.classification, 'falsePositive');
    assert.equal(msg.payload.determination, 'notEnoughDataToValidate');
    assert.equal(msg.payload.comments.at(-1).comment, 'Checked by Triage');
    assert.equal(msg.payload.comments.at(-1).createdByDisplayName, 'SOC Automation (simulator)');
    assert.equal(msg.mde.api, 'mde');
    assert.equal(a.determination, 'InsufficientData');
    assert.deepEqual(apiRequests(sim).map((r) => `${r.kind} ${r.method}`), ['api PATCH']);
    const e = await send({ alertId: a.id, update: { assignedTo: null } }, { expectError: true });
    assert.match(e.error.message, /MDE API documents no way to unassign/);
  });

  // The property was called `status`; the editor keeps a node's status display in node.status and
  // deployed { fill, shape, text } in its place once the node had shown a status.
  describe('the status to set, renamed newStatus', () => {
    function legacyFlow(props) {
      // A flow saved before the rename: no newStatus at all.
      return flow(sim, props).map((n) => {
        if (n.id !== 'upd') return n;
        const { newStatus, ...rest } = n;
        return rest;
      });
    }

    it('a flow saved before the rename with status as text still sets that status', async () => {
      sim = await simulator({ alerts: 10 });
      const a = sim.state.alerts.find((x) => x.status === 'New');
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alertUpdate], legacyFlow({ status: 'resolved' }), secretCredentials());
      const msg = await send({ alertId: a.id });
      assert.equal(msg.payload.status, 'resolved');
      assert.deepEqual(msg.mde.updated, ['status']);
      assert.equal(a.status, 'Resolved');
    });

    it("a status display left by the editor ({ fill, shape, text }) is refused at deploy and per message, before any request", async () => {
      sim = await simulator({ alerts: 10 });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alertUpdate], legacyFlow({ status: { fill: 'green', shape: 'dot', text: 'updated alert da63…' }, comment: 'a note' }), secretCredentials());
      const upd = helper.getNode('upd');
      assert.deepEqual(upd.status.args.map((x) => x[0]).at(-1), { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
      assert.ok(upd.error.args.some((x) => /older version/.test(String(x[0]))), 'the reason is logged at deploy');
      const e = await send({ alertId: sim.state.alerts[0].id, topic: 'keep' }, { expectError: true });
      assert.equal(e.error.code, 'InvalidSetting');
      assert.match(e.error.message, /called "status"/);
      assert.match(e.error.message, /an object with the keys "fill", "shape", "text"/);
      assert.match(e.error.message, /Open the node, choose the status again and deploy/);
      assert.equal(e.topic, 'keep');
      assert.equal(graphCalls(sim).length + apiRequests(sim).length, 0, 'nothing was sent, not even the comment');
    });

    it('newStatus wins over a leftover status; a newStatus that is not text is refused', async () => {
      sim = await simulator({ alerts: 10 });
      const a = sim.state.alerts.find((x) => x.status === 'New');
      await load({ newStatus: 'inProgress', status: { fill: 'green', shape: 'dot', text: 'updated' } });
      const msg = await send({ alertId: a.id });
      assert.equal(msg.payload.status, 'inProgress');
      await helper.unload();
      await load({ newStatus: ['resolved'] });
      const e = await send({ alertId: a.id }, { expectError: true });
      assert.match(e.error.message, /"newStatus" must be text .*got an array of 1 item/);
      assert.equal(graphCalls(sim, (r) => r.method === 'PATCH').length, 1, 'only the first node sent anything');
    });
  });

  it('names the missing Graph permission on a 403', async () => {
    sim = await simulator({ alerts: 5 });
    await load({ newStatus: 'resolved' }, { clientId: APPS.readOnly.clientId });
    const e = await send({ alertId: sim.state.alerts[0].id }, { expectError: true });
    assert.equal(e.error.code, 'Forbidden');
    assert.match(e.error.message, /SecurityAlert\.ReadWrite\.All/);
    assert.equal(e.mde.error.status, 403);
  });

  it('a failing comment after the update says what was already changed, and is not sent twice', async () => {
    sim = await simulator({ alerts: 5 });
    const a = sim.state.alerts[0];
    await load({ newStatus: 'resolved', comment: 'done' });
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: '/comments', count: 1 }] });
    const e = await send({ alertId: a.id }, { expectError: true });
    assert.equal(e.error.code, 'ServiceUnavailable');
    assert.deepEqual(e.mde.updated, ['status']);
    assert.equal(e.mde.commented, false);
    assert.equal(graphCalls(sim, (r) => r.path.endsWith('/comments')).length, 1);
    assert.equal(a.status, 'Resolved');
  });

  it('bulk through repeated messages stays inside the governor budget: no 429, every alert updated', async () => {
    const budget = [{ limit: 5, windowMs: 1000 }];
    sim = await simulator({ alerts: 40, rateLimits: { 'graph-alerts': budget } });
    const dir = useFreshStateDir();
    helper.settings({ mdeConfigStateDir: dir, mdeConfigRateLimits: { 'graph-alerts': budget } });
    await helper.load([nodes.config, nodes.alertUpdate], flow(sim, { assignedTo: 'bulk@contoso-sim.onmicrosoft.com' }), secretCredentials());
    const ids = sim.state.alerts.slice(0, 15).map((a) => a.id);
    const all = collect(helper.getNode('out'), ids.length, 30000);
    let failures = 0;
    helper.getNode('caught').on('input', () => failures++);
    for (const id of ids) helper.getNode('upd').receive({ alertId: id });
    const msgs = await all;
    assert.deepEqual(msgs.map((m) => m.payload.id).sort(), [...ids].sort());
    assert.equal(failures, 0);
    assert.equal(graphCalls(sim, (r) => r.status === 429).length, 0);
    assert.ok(sim.state.alerts.slice(0, 15).every((a) => a.assignedTo === 'bulk@contoso-sim.onmicrosoft.com'));
  });

  it('Test connection lists the SecurityAlert.* and SecurityIncident.* roles next to these nodes', async () => {
    sim = await simulator({ alerts: 5 });
    useFreshStateDir();
    await helper.load([nodes.config], [tab]);
    const cfg = configNode(sim, { clientId: APPS.readOnly.clientId });
    const res = await helper
      .request()
      .post('/mde-config/test-connection')
      .send({ tenantId: cfg.tenantId, clientId: cfg.clientId, authMethod: 'secret', cloud: 'custom', apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem, clientSecret: APPS.readOnly.secret })
      .expect(200);
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    const byLabel = Object.fromEntries(res.body.nodes.map((n) => [n.label, n]));
    assert.deepEqual(byLabel['List / get incidents'], { type: 'mde-incidents', label: 'List / get incidents', audience: 'graph', needs: ['SecurityIncident.Read.All|SecurityIncident.ReadWrite.All'], missing: [], ok: true });
    assert.deepEqual(byLabel['Update / comment alert (Graph)'].missing, ['SecurityAlert.ReadWrite.All']);
    assert.deepEqual(byLabel['Update / comment incident'].missing, ['SecurityIncident.ReadWrite.All']);
    assert.deepEqual(byLabel['Update / comment alert (MDE API)'].missing, ['Alert.ReadWrite.All']);
    assert.equal(byLabel['List / get alerts (Graph)'].ok, true);
    assert.equal(byLabel['Alert trigger (incidents)'].ok, true);
  });
});
