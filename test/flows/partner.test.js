'use strict';
// Partner (MSSP) connections: one multi-tenant app, several customer tenants, against the
// simulator's customer tenants (each with its own data and consent state).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, tokenRequests, nextMessage, collect } = require('../helpers/sim');
const { DEMO } = require('../../dist/simulator/index.js');

const PARTNER = DEMO.apps.partner;
const [NORTHWIND, TAILSPIN, WOODGROVE] = DEMO.customers;
const tab = { id: 'tab', type: 'tab', label: 'partner tests' };
const listed = (customers = DEMO.customers) => customers.map((c) => ({ tenant: c.id, name: c.displayName }));

function partnerConfig(sim, overrides = {}) {
  return configNode(sim, { tenantId: '', clientId: PARTNER.clientId, mode: 'partner', tenants: listed(), ...overrides });
}

function alertsFlow(sim, props = {}, cfg = {}) {
  return [
    tab,
    partnerConfig(sim, cfg),
    { id: 'alerts', type: 'mde-alerts', z: 'tab', name: '', config: 'cfg', mode: 'list', timeField: 'alertCreationTime', since: '', sinceType: 'str', maxResults: 1000, pageSize: 10000, outputMode: 'array', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** The tenant each API request was authenticated for (the simulator reads it from the token). */
const apiTenants = (sim) => apiRequests(sim).map((r) => r.tenantId);

describe('partner (MSSP) connections', () => {
  let sim;
  useFlowSuite();

  async function deploy(flow, creds = secretCredentials(PARTNER.secret)) {
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alerts, nodes.hunting, nodes.isolate, nodes.alertTrigger, nodes.token], flow, creds);
  }

  it('each message reaches its own customer tenant only, with that tenant\'s token, tagged msg.mde.tenantId', async () => {
    sim = await simulator();
    await deploy(alertsFlow(sim));
    const out = helper.getNode('out');
    for (const c of [NORTHWIND, TAILSPIN, WOODGROVE, NORTHWIND]) {
      const got = nextMessage(out, 20000);
      helper.getNode('alerts').receive({ tenantId: c.id, topic: 'keep' });
      const msg = await got;
      assert.equal(msg.topic, 'keep');
      assert.equal(msg.mde.tenantId, c.id);
      assert.ok(msg.payload.length > 0);
      assert.ok(msg.payload.every((a) => a.aadTenantId === c.id), `an alert of another tenant reached ${c.displayName}`);
      const own = sim.tenant(c.id).state.alerts.map((a) => a.id).sort();
      assert.deepEqual(msg.payload.map((a) => a.id).sort(), own);
    }
    // One token per tenant (cached per tenant), each asked at that tenant's authority.
    assert.deepEqual(tokenRequests(sim).map((r) => r.path.split('/')[1]), [NORTHWIND.id, TAILSPIN.id, WOODGROVE.id]);
    assert.deepEqual(apiTenants(sim), [NORTHWIND.id, TAILSPIN.id, WOODGROVE.id, NORTHWIND.id]);
  });

  it('mde-token gives each message a token of its own tenant (tid), one token request per tenant', async () => {
    sim = await simulator();
    const flow = [
      tab,
      partnerConfig(sim),
      { id: 'tok', type: 'mde-token', z: 'tab', name: 'token', config: 'cfg', audience: 'mde', requiredRoles: '', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ];
    await deploy(flow);
    const tids = [];
    for (const c of [WOODGROVE, NORTHWIND, WOODGROVE]) {
      const got = nextMessage(helper.getNode('out'), 20000);
      helper.getNode('tok').receive({ tenantId: c.id });
      const msg = await got;
      const token = msg.token.accessToken;
      assert.equal(msg.token.tenantId, c.id);
      const claims = JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString('utf8'));
      tids.push(claims.tid);
      assert.equal(msg.mde.tenantId, c.id);
    }
    assert.deepEqual(tids, [WOODGROVE.id, NORTHWIND.id, WOODGROVE.id]);
    assert.deepEqual(tokenRequests(sim).map((r) => r.path.split('/')[1]), [WOODGROVE.id, NORTHWIND.id]);
  });

  it('the node\'s Tenant setting can read the tenant elsewhere (msg.customer.tenant); a stored setting of the wrong type is refused', async () => {
    sim = await simulator();
    await deploy(alertsFlow(sim, { tenant: 'customer.tenant', tenantType: 'msg' }));
    const got = nextMessage(helper.getNode('out'), 20000);
    helper.getNode('alerts').receive({ tenantId: NORTHWIND.id, customer: { tenant: WOODGROVE.id } });
    const msg = await got;
    assert.equal(msg.mde.tenantId, WOODGROVE.id);
    assert.ok(msg.payload.every((a) => a.aadTenantId === WOODGROVE.id));
    await helper.unload();
    await deploy(alertsFlow(sim, { tenant: 'customer', tenantType: 'jsonata' }));
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('alerts').receive({ customer: NORTHWIND.id });
    const refused = await caught;
    assert.equal(refused.mde.error.code, 'InvalidSetting');
    assert.match(refused.error.message, /tenantType/);
  });

  it('a verified domain on the list works as the tenant, in any case', async () => {
    sim = await simulator();
    await deploy(alertsFlow(sim, {}, { tenants: [{ tenant: TAILSPIN.domain, name: 'Tailspin' }] }));
    const got = nextMessage(helper.getNode('out'), 20000);
    helper.getNode('alerts').receive({ tenantId: TAILSPIN.domain.toUpperCase() });
    const msg = await got;
    assert.equal(msg.mde.tenantId, TAILSPIN.domain);
    assert.ok(msg.payload.every((a) => a.aadTenantId === TAILSPIN.id));
  });

  for (const [label, message, code] of [
    ['a tenant not on the list (one the app is even consented in)', { tenantId: DEMO.tenantId }, 'TenantNotListed'],
    ['an unknown tenant', { tenantId: 'unknown-sim.onmicrosoft.com' }, 'TenantNotListed'],
    ['no msg.tenantId', {}, 'TenantRequired'],
    ['a tenant that is not text', { tenantId: { id: NORTHWIND.id } }, 'InvalidInput'],
  ]) {
    it(`refuses ${label} before any request (not even a token)`, async () => {
      sim = await simulator();
      await deploy(alertsFlow(sim));
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('alerts').receive(message);
      const msg = await caught;
      assert.equal(msg.mde.error.code, code);
      assert.equal(sim.requests.length, 0);
      if (code === 'TenantNotListed') assert.match(msg.error.message, /not on the customer tenant list/);
      if (code === 'TenantRequired') assert.match(msg.error.message, /msg\.tenantId/);
    });
  }

  for (const [label, tenants, pattern] of [
    ['a malformed tenant ID', [{ tenant: '7d3c6a52-9f14-4e8b-a0c2', name: 'bad' }], /Customer tenant 1: the tenant is "7d3c6a52-9f14-4e8b-a0c2"/],
    ['a duplicate (case differs)', [{ tenant: NORTHWIND.id, name: 'a' }, { tenant: NORTHWIND.id.toUpperCase(), name: 'b' }], /Customer tenant 2 repeats customer tenant 1/],
    ['an empty list', [], /empty/],
    ['a list that is not a list', 'northwind', /customer tenant list \(tenants\) is "northwind"/],
    ['/common', [{ tenant: 'common', name: 'x' }], /the tenant is "common"/],
    ['a cloud another Entra serves', [{ tenant: NORTHWIND.id, name: 'x', cloud: 'gcc-high' }], /cloud is "gcc-high"; allowed with a custom app registration: empty/],
    ['an unknown entry property', [{ tenant: NORTHWIND.id, name: 'x', secret: 'y' }], /unknown property "secret"/],
  ]) {
    it(`refuses ${label} in the tenant list at deploy (InvalidSetting) and per message, with 0 requests`, async () => {
      sim = await simulator();
      await deploy(alertsFlow(sim, {}, { tenants }));
      const node = helper.getNode('alerts');
      // Deploy-time: red status ring with the code, before any message.
      assert.deepEqual(node.status.args.map((a) => a[0]).at(-1), { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
      const caught = nextMessage(helper.getNode('caught'));
      node.receive({ tenantId: NORTHWIND.id });
      const msg = await caught;
      assert.equal(msg.mde.error.code, 'InvalidSetting');
      assert.match(msg.error.message, pattern);
      assert.equal(sim.requests.length, 0);
    });
  }

  it('a 429 storm in one tenant does not hold back another tenant', async () => {
    // The simulator's budgets are per tenant: two alert lists a minute, then 429 + Retry-After.
    sim = await simulator({ rateLimits: { alerts: [{ limit: 2, windowMs: 60_000 }] } });
    await deploy(alertsFlow(sim, { maxResults: 5 }));
    const out = helper.getNode('out');
    const received = [];
    out.on('input', (msg) => received.push(msg.mde.tenantId));
    const twoFirst = collect(out, 2, 20000);
    for (let i = 0; i < 3; i++) helper.getNode('alerts').receive({ tenantId: NORTHWIND.id, payload: i });
    await twoFirst;
    // Wait until Northwind's third list has been answered 429 (the storm is on).
    while (!apiRequests(sim, (r) => r.status === 429).length) await new Promise((r) => setTimeout(r, 20));
    const other = nextMessage(helper.getNode('out'), 20000);
    helper.getNode('alerts').receive({ tenantId: TAILSPIN.id });
    const msg = await other;
    assert.equal(msg.mde.tenantId, TAILSPIN.id);
    // Tailspin went through while Northwind was still held back by its Retry-After.
    assert.deepEqual(received, [NORTHWIND.id, NORTHWIND.id, TAILSPIN.id]);
    const throttled = apiRequests(sim, (r) => r.status === 429);
    assert.ok(throttled.every((r) => r.tenantId === NORTHWIND.id));
    assert.deepEqual(apiRequests(sim, (r) => r.tenantId === TAILSPIN.id).map((r) => r.status), [200]);
  });

  it('the blast-radius cap and the action journal are kept per tenant', async () => {
    sim = await simulator();
    const flow = [
      tab,
      partnerConfig(sim, { isolationCap: 1 }),
      {
        id: 'iso', type: 'mde-isolate', z: 'tab', name: '', config: 'cfg', action: 'isolate', isolationType: 'Full',
        machine: 'machineId', machineType: 'msg', machineBy: 'id', comment: 'partner test', wait: false, timeoutSeconds: 30, pollSeconds: 0.05,
        dryRun: false, protectedIds: '', protectedNames: '', protectedTags: 'DoNotIsolate', conflictWindowSeconds: 300, wires: [['ok'], ['fail']],
      },
      { id: 'ok', type: 'helper', z: 'tab' },
      { id: 'fail', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    const stateDir = useFreshStateDir();
    await helper.load([nodes.config, nodes.isolate], flow, secretCredentials(PARTNER.secret));
    const machineOf = (c, i) => sim.tenant(c.id).state.machines.filter((m) => m.osPlatform.startsWith('Windows'))[i].id;
    const send = async (c, i, target) => {
      const got = nextMessage(helper.getNode(target), 20000);
      helper.getNode('iso').receive({ tenantId: c.id, machineId: machineOf(c, i) });
      return got;
    };
    const first = await send(NORTHWIND, 0, 'ok');
    assert.equal(first.mde.tenantId, NORTHWIND.id);
    // Northwind's cap (1) is used up: a second Northwind isolation is refused ...
    const refused = await send(NORTHWIND, 1, 'caught');
    assert.equal(refused.mde.error.code, 'BlastRadiusCap');
    assert.equal(refused.mde.tenantId, NORTHWIND.id);
    // ... while Tailspin and Woodgrove each still have theirs.
    assert.equal((await send(TAILSPIN, 0, 'ok')).mde.tenantId, TAILSPIN.id);
    assert.equal((await send(WOODGROVE, 0, 'ok')).mde.tenantId, WOODGROVE.id);
    const posts = apiRequests(sim, (r) => r.method === 'POST' && r.path.endsWith('/isolate'));
    assert.deepEqual(posts.map((r) => r.tenantId), [NORTHWIND.id, TAILSPIN.id, WOODGROVE.id]);
    // Each isolation went to the machine of its own tenant.
    for (const c of [NORTHWIND, TAILSPIN, WOODGROVE]) {
      assert.equal(sim.tenant(c.id).state.actions.filter((a) => a.type === 'Isolate').length, 1);
    }
    // On disk: one isolation ledger per tenant, under the tenant's own key.
    const file = JSON.parse(require('node:fs').readFileSync(require('node:path').join(stateDir, 'mde-action-journal.json'), 'utf8'));
    assert.deepEqual(Object.keys(file.guards).sort(), [NORTHWIND, TAILSPIN, WOODGROVE].map((c) => `cfg|tenant:${c.id}`).sort());
  });

  it('indicators: each tenant has its own blocking cap and never-block domain, and its indicators stay in its tenant', async () => {
    sim = await simulator();
    const tailspinDomain = TAILSPIN.domain;
    const flow = [
      tab,
      partnerConfig(sim, {
        blockCap: 1,
        // Tailspin listed by its verified domain: that domain joins Tailspin's never-block list only.
        tenants: [{ tenant: NORTHWIND.id, name: NORTHWIND.displayName }, { tenant: tailspinDomain, name: TAILSPIN.displayName }],
      }),
      { id: 'ind', type: 'mde-indicators', z: 'tab', name: '', config: 'cfg', mode: 'submit', source: 'msg', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    useFreshStateDir();
    await helper.load([nodes.config, nodes.indicators], flow, secretCredentials(PARTNER.secret));
    const tailspin = tailspinDomain;
    const block = (tenantId, value) => ({ tenantId, payload: { indicatorValue: value, indicatorType: 'DomainName', action: 'Block', title: 'partner block', description: 'partner test' } });
    const send = async (msg, target) => {
      const got = nextMessage(helper.getNode(target), 20000);
      helper.getNode('ind').receive(msg);
      return got;
    };
    assert.equal((await send(block(NORTHWIND.id, 'evil-one.example'), 'out')).mde.tenantId, NORTHWIND.id);
    // Northwind's cap (1) is used up; Tailspin still has its own.
    const capped = await send(block(NORTHWIND.id, 'evil-two.example'), 'caught');
    assert.equal(capped.mde.error.code, 'BlockCap');
    assert.equal((await send(block(tailspin, 'evil-two.example'), 'out')).mde.tenantId, tailspin);
    const northwind = sim.tenant(NORTHWIND.id).state.indicators.map((i) => i.indicatorValue);
    const other = sim.tenant(TAILSPIN.id).state.indicators.map((i) => i.indicatorValue);
    assert.deepEqual(northwind, ['evil-one.example']);
    assert.deepEqual(other, ['evil-two.example']);
    // A tenant given by its domain never blocks that domain; another tenant may (it is not theirs).
    const own = await send(block(tailspin, `portal.${tailspinDomain}`), 'caught');
    assert.equal(own.mde.error.code, 'NeverBlock');
    assert.equal(sim.tenant(TAILSPIN.id).state.indicators.length, 1);
  });

  /**
   * Sends one action in `customer`, restarts Node-RED while it is pending, and returns the resumed
   * message; the journal record must be kept under the tenant and the POST sent once, in that tenant.
   */
  async function resumedInTenant(customer, actionNode, outputs, loadNodes, postPath) {
    sim = await simulator({ actionTimings: { pendingMs: 1500, inProgressMs: 300 } });
    const machine = sim.tenant(customer.id).state.machines.find((m) => /^Windows/.test(m.osPlatform) && !(m.machineTags || []).length);
    const flow = [
      tab,
      partnerConfig(sim),
      { ...actionNode, id: 'act', z: 'tab', name: '', config: 'cfg', machine: 'machineId', machineType: 'msg', machineBy: 'id', wait: true, timeoutSeconds: 30, pollSeconds: 0.05, dryRun: false, protectedIds: '', protectedNames: '', wires: outputs.map((o) => [o]) },
      ...outputs.map((id) => ({ id, type: 'helper', z: 'tab' })),
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    const stateDir = useFreshStateDir();
    const file = require('node:path').join(stateDir, 'mde-action-journal.json');
    const journal = () => (require('node:fs').existsSync(file) ? require('node:fs').readFileSync(file, 'utf8') : '');
    await helper.load([nodes.config, ...loadNodes], flow, secretCredentials(PARTNER.secret));
    helper.getNode('act').receive({ tenantId: customer.id, machineId: machine.id, topic: 'across restart' });
    for (let i = 0; i < 500 && !journal().includes('"actionId"'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(journal(), new RegExp(`act\\|tenant:${customer.id}`), 'the record is kept under the tenant');
    await helper.unload();
    helper.settings({ mdeConfigStateDir: stateDir });
    await helper.load([nodes.config, ...loadNodes], flow, secretCredentials(PARTNER.secret));
    const msg = await nextMessage(helper.getNode(outputs[0]), 20000);
    assert.equal(msg.mde.resumed, true);
    assert.equal(msg.mde.tenantId, customer.id);
    assert.equal(msg.topic, 'across restart');
    assert.equal(msg.payload.status, 'Succeeded');
    const posts = apiRequests(sim, (r) => r.method === 'POST' && postPath.test(r.path));
    assert.deepEqual(posts.map((r) => r.tenantId), [customer.id], `sent once, in ${customer.displayName}`);
    return msg;
  }

  it('a machine action pending in a customer tenant is resumed after a restart in that tenant, sent once, tagged with it', async () => {
    await resumedInTenant(
      TAILSPIN,
      { type: 'mde-machine-action', action: 'scan', scanType: 'Quick', sha1: 'sha1', sha1Type: 'msg', actionId: 'actionId', actionIdType: 'msg', liveScript: '', liveArgs: '', livePath: '', comment: 'partner resume', protectedTags: '', allowOffboard: false, allowLiveResponse: false },
      ['ok'],
      [nodes.machineAction],
      /runAntiVirusScan$/i,
    );
    assert.equal(sim.tenant(TAILSPIN.id).state.actions.length, 1);
  });

  it('an isolation pending in a customer tenant is resumed after a restart in that tenant, sent once', async () => {
    await resumedInTenant(
      WOODGROVE,
      { type: 'mde-isolate', action: 'isolate', isolationType: 'Full', comment: 'partner resume', protectedTags: 'DoNotIsolate', conflictWindowSeconds: 300 },
      ['ok', 'fail'],
      [nodes.isolate],
      /\/isolate$/i,
    );
  });

  describe('Test connection (consent status per tenant)', () => {
    const PLACEHOLDER = '__PWRD__';
    const dialog = (overrides = {}) => {
      const cfg = partnerConfig(sim);
      return {
        id: 'cfg', mode: 'partner', tenants: cfg.tenants, tenantId: '', clientId: cfg.clientId, authMethod: 'secret', cloud: 'custom', region: '',
        apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem,
        clientSecret: PLACEHOLDER, certificatePem: '', privateKeyPem: '', privateKeyPassphrase: '', thumbprint: '', ...overrides,
      };
    };
    const testConnection = (body) => helper.request().post('/mde-config/test-connection').send(body).expect(200);

    it('reports each tenant: consented, not consented (AADSTS7000229 + its admin consent link), fewer roles, not found', async () => {
      sim = await simulator();
      const canary = 'CANARY-partner-secret-7c41e9d2';
      sim.setApp(PARTNER.clientId, { secret: canary });
      sim.setConsent(WOODGROVE.id, PARTNER.clientId, false);
      sim.setConsent(TAILSPIN.id, PARTNER.clientId, { roles: ['Alert.Read.All'], graphRoles: ['SecurityAlert.Read.All'] });
      const tenants = [...listed(), { tenant: 'gone-sim.onmicrosoft.com', name: 'Gone' }];
      await deploy([tab, partnerConfig(sim, { tenants })], secretCredentials(canary));
      const res = await testConnection(dialog({ tenants }));
      const body = res.body;
      assert.equal(body.partner, true);
      assert.equal(body.ok, false);
      const by = Object.fromEntries(body.tenants.map((t) => [t.name, t]));
      const northwind = by[NORTHWIND.displayName];
      assert.equal(northwind.ok, true);
      assert.equal(northwind.consent, 'granted');
      assert.equal(northwind.consentUrl, undefined);
      assert.equal(northwind.audiences.mde.tenantId, NORTHWIND.id);
      assert.ok(northwind.nodes.every((n) => n.ok));

      const woodgrove = by[WOODGROVE.displayName];
      assert.equal(woodgrove.ok, false);
      assert.equal(woodgrove.consent, 'missing');
      assert.equal(woodgrove.error.aadsts, 7000229);
      assert.equal(woodgrove.error.code, 'NotConsented');
      assert.equal(woodgrove.consentUrl, `${sim.url}/${WOODGROVE.id}/adminconsent?client_id=${PARTNER.clientId}`);

      const tailspin = by[TAILSPIN.displayName];
      assert.equal(tailspin.ok, true);
      assert.equal(tailspin.consent, 'partial');
      assert.deepEqual(tailspin.audiences.mde.roles, ['Alert.Read.All']);
      const isolate = tailspin.nodes.find((n) => n.type === 'mde-isolate');
      assert.ok(isolate && !isolate.ok && isolate.missing.join(' ').includes('Machine.Isolate'));
      assert.equal(tailspin.consentUrl, `${sim.url}/${TAILSPIN.id}/adminconsent?client_id=${PARTNER.clientId}`);

      const gone = by.Gone;
      assert.equal(gone.ok, false);
      assert.equal(gone.error.aadsts, 90002);
      assert.equal(gone.error.code, 'TenantNotFound');
      assert.equal(gone.consent, 'unknown');
      assert.equal(gone.consentUrl, undefined);
      // Tokens were asked at each tenant's own authority, nowhere else.
      const asked = new Set(tokenRequests(sim).map((r) => r.path.split('/')[1]));
      assert.deepEqual([...asked].sort(), [NORTHWIND.id, TAILSPIN.id, WOODGROVE.id, 'gone-sim.onmicrosoft.com'].sort());
      assert.ok(!JSON.stringify(body).includes(canary));
    });

    it('refuses a bad tenant list in the dialog with its reason and sends nothing', async () => {
      sim = await simulator();
      await deploy([tab, partnerConfig(sim)]);
      const res = await testConnection(dialog({ tenants: [{ tenant: NORTHWIND.id, name: 'a' }, { tenant: NORTHWIND.id, name: 'b' }] }));
      assert.equal(res.body.ok, false);
      assert.equal(res.body.error.code, 'InvalidSetting');
      assert.match(res.body.error.message, /repeats customer tenant 1/);
      assert.equal(sim.requests.length, 0);
    });
  });

  it('the canary secret appears once: in the credentials, never in the flows, admin responses, logs or messages', async () => {
    sim = await simulator();
    const canary = 'CANARY-partner-secret-3f9a0b6e';
    sim.setApp(PARTNER.clientId, { secret: canary });
    sim.setConsent(WOODGROVE.id, PARTNER.clientId, false);
    const flow = alertsFlow(sim);
    await deploy(flow, secretCredentials(canary));
    const out = helper.getNode('out');
    const caught = helper.getNode('caught');
    const messages = [];
    out.on('input', (m) => messages.push(m));
    caught.on('input', (m) => messages.push(m));
    const all = collect(out, 2, 20000);
    const failed = nextMessage(caught, 20000);
    for (const c of [NORTHWIND, WOODGROVE, TAILSPIN]) helper.getNode('alerts').receive({ tenantId: c.id });
    await all;
    const err = await failed;
    assert.equal(err.mde.tenantId, WOODGROVE.id);
    assert.equal(err.mde.error.code, 'NotConsented');
    // What the runtime would write to the flows file (credentials go to their own encrypted file).
    const flows = { body: helper._redNodes.getFlows().flows };
    const tested = await helper.request().post('/mde-config/test-connection').send({
      id: 'cfg', mode: 'partner', tenants: listed(), tenantId: '', clientId: PARTNER.clientId, authMethod: 'secret', cloud: 'custom', region: '',
      apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem, clientSecret: '__PWRD__',
    }).expect(200);
    assert.equal(tested.body.tenants.length, 3);
    const log = helper.log().args.map(([entry]) => {
      try {
        return JSON.stringify(entry) + String(entry?.msg?.stack ?? '');
      } catch {
        return String(entry);
      }
    }).join('\n');
    const places = { flows: JSON.stringify(flows.body), testConnection: JSON.stringify(tested.body), messages: JSON.stringify(messages), log };
    for (const [where, text] of Object.entries(places)) assert.ok(!text.includes(canary), `the secret leaked into ${where}`);
    assert.equal(helper.getNode('cfg').credentials.clientSecret, canary);
  });

  describe('fan-out: one message, every tenant', () => {
    it('mde-alerts "all tenants": one output per tenant with msg.parts; a join node reassembles them', async () => {
      sim = await simulator();
      const { coreNode } = require('../helpers/node-red');
      const flow = alertsFlow(sim, { tenantScope: 'all', wires: [['out', 'join']] });
      flow.push({ id: 'join', type: 'join', z: 'tab', x: 100, y: 100, mode: 'auto', build: 'array', timeout: '', count: '', reduceRight: false, wires: [['joined']] });
      flow.push({ id: 'joined', type: 'helper', z: 'tab' });
      useFreshStateDir();
      await helper.load([nodes.config, nodes.alerts, coreNode('sequence/17-split.js')], flow, secretCredentials(PARTNER.secret));
      const outs = collect(helper.getNode('out'), 3, 20000);
      const joined = nextMessage(helper.getNode('joined'), 20000);
      helper.getNode('alerts').receive({ topic: 'all' });
      const msgs = await outs;
      assert.deepEqual(msgs.map((m) => m.mde.tenantId), [NORTHWIND.id, TAILSPIN.id, WOODGROVE.id]);
      assert.deepEqual(msgs.map((m) => m.parts.index), [0, 1, 2]);
      assert.ok(msgs.every((m) => m.parts.count === 3 && m.parts.id === msgs[0].parts.id));
      for (const m of msgs) assert.ok(m.payload.every((a) => a.aadTenantId === m.mde.tenantId));
      assert.deepEqual(msgs[0].mde.fanOut, { tenants: 3, succeeded: 3, failed: [] });
      const whole = await joined;
      assert.equal(whole.payload.length, 3);
      assert.deepEqual(whole.payload.map((list) => list[0].aadTenantId), [NORTHWIND.id, TAILSPIN.id, WOODGROVE.id]);
    });

    it('a tenant without consent gets its own error (Catch) and does not fail the others', async () => {
      sim = await simulator();
      sim.setConsent(TAILSPIN.id, PARTNER.clientId, false);
      await deploy(alertsFlow(sim, { tenantScope: 'all' }));
      const outs = collect(helper.getNode('out'), 2, 20000);
      const caught = nextMessage(helper.getNode('caught'), 20000);
      helper.getNode('alerts').receive({});
      const msgs = await outs;
      assert.deepEqual(msgs.map((m) => m.mde.tenantId), [NORTHWIND.id, WOODGROVE.id]);
      assert.ok(msgs.every((m) => m.parts.count === 2));
      const failure = await caught;
      assert.equal(failure.mde.tenantId, TAILSPIN.id);
      assert.equal(failure.mde.error.code, 'NotConsented');
      assert.equal(failure.mde.error.aadsts, 7000229);
      assert.match(failure.error.message, /no administrator of that tenant has consented/);
      assert.deepEqual(msgs[0].mde.fanOut, { tenants: 3, succeeded: 2, failed: [{ tenantId: TAILSPIN.id, code: 'NotConsented' }] });
      // Nothing was asked of Tailspin's API (no token), nothing of one tenant went to another.
      assert.deepEqual(apiTenants(sim).sort(), [NORTHWIND.id, WOODGROVE.id].sort());
    });

    it('mde-hunting "all tenants" in split output: rows of each tenant nest inside the tenant parts', async () => {
      sim = await simulator();
      const flow = [
        tab,
        partnerConfig(sim),
        { id: 'hunt', type: 'mde-hunting', z: 'tab', name: '', config: 'cfg', query: 'DeviceInfo | summarize count() by DeviceName | take 2', api: 'graph', timespan: '', allowRaw: false, convertDates: false, outputMode: 'split', tenantScope: 'all', wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ];
      await deploy(flow);
      const received = [];
      helper.getNode('out').on('input', (m) => received.push(m));
      const failure = nextMessage(helper.getNode('caught'), 4000).catch(() => undefined);
      helper.getNode('hunt').receive({});
      // Let the three queries answer.
      while (apiRequests(sim).length < 3) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await failure, undefined, 'no tenant failed');
      assert.ok(received.length >= 3);
      const tenantsSeen = [...new Set(received.map((m) => m.mde.tenantId))];
      assert.deepEqual(tenantsSeen, [NORTHWIND.id, TAILSPIN.id, WOODGROVE.id]);
      for (const m of received) {
        assert.equal(typeof m.parts.index, 'number');
        assert.equal(m.parts.parts.count, 3);
        assert.equal(m.parts.parts.index, tenantsSeen.indexOf(m.mde.tenantId));
      }
      const machineNames = (c) => new Set(sim.tenant(c.id).state.machines.map((x) => x.computerDnsName));
      for (const m of received) assert.ok(machineNames(DEMO.customers.find((c) => c.id === m.mde.tenantId)).has(m.payload.DeviceName));
    });
  });

  describe('mde-alert-trigger on a partner connection', () => {
    function triggerFlow() {
      return [
        tab,
        partnerConfig(sim),
        {
          id: 'trigger', type: 'mde-alert-trigger', z: 'tab', name: '', config: 'cfg', source: 'alerts', mode: 'created',
          interval: 3600, lookback: 60, overlap: 5, severity: '', statusFilter: '', serviceSource: '', classification: '', determination: '', assignedTo: '',
          wires: [['out']],
        },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'on-complete', type: 'complete', z: 'tab', scope: ['trigger'], wires: [['polled']] },
        { id: 'polled', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: ['trigger'], wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ];
    }
    async function pollNow() {
      const done = nextMessage(helper.getNode('polled'), 60_000);
      helper.getNode('trigger').receive({ payload: 'poll now' });
      return done;
    }

    it('polls every tenant: one message per new alert, tagged with its tenant; a tenant without consent is reported and the others go on; checkpoints per tenant', async () => {
      sim = await simulator();
      const stateDir = useFreshStateDir();
      await helper.load([nodes.config, nodes.alertTrigger], triggerFlow(), secretCredentials(PARTNER.secret));
      const received = [];
      const caught = [];
      helper.getNode('out').on('input', (m) => received.push(m));
      helper.getNode('caught').on('input', (m) => caught.push(m));
      // Woodgrove has not consented yet (tokens are cached per tenant: a consent removed later only shows at the next token).
      sim.setConsent(WOODGROVE.id, PARTNER.clientId, false);
      await pollNow(); // the first poll after deploy sets the checkpoints
      assert.equal(caught.length, 1);
      assert.equal(caught[0].mde.tenantId, WOODGROVE.id);
      assert.equal(caught[0].mde.error.code, 'NotConsented');
      received.length = 0;
      caught.length = 0;
      const fresh = {};
      for (const c of DEMO.customers) fresh[c.id] = sim.tenant(c.id).addAlerts(2, { severity: 'High' }).map((a) => a.id);
      await pollNow();
      // Northwind and Tailspin report theirs, each tagged with its own tenant; Woodgrove fails on its own again.
      assert.deepEqual(received.map((m) => [m.mde.tenantId, m.topic]).sort(), [...fresh[NORTHWIND.id].map((id) => [NORTHWIND.id, id]), ...fresh[TAILSPIN.id].map((id) => [TAILSPIN.id, id])].sort());
      assert.deepEqual(caught.map((m) => m.mde.tenantId), [WOODGROVE.id]);

      // Consent given: Woodgrove's new alerts come, tagged Woodgrove; nothing again from the others.
      sim.setConsent(WOODGROVE.id, PARTNER.clientId, true);
      received.length = 0;
      await pollNow();
      assert.ok(received.length >= 2);
      assert.ok(received.every((m) => m.mde.tenantId === WOODGROVE.id));
      for (const id of fresh[WOODGROVE.id]) assert.ok(received.some((m) => m.topic === id));
      const woodgroveIds = new Set(sim.tenant(WOODGROVE.id).state.alerts.map((a) => a.id));
      assert.ok(received.every((m) => woodgroveIds.has(m.topic)));
      await helper.unload();
      const file = JSON.parse(require('node:fs').readFileSync(require('node:path').join(stateDir, 'mde-trigger-checkpoints.json'), 'utf8'));
      const keys = JSON.stringify(file);
      for (const c of DEMO.customers) assert.ok(keys.includes(`trigger|${c.id}|alerts`), `no checkpoint for ${c.displayName}`);
    });
  });

  it('a single-tenant connection ignores msg.tenantId and adds no msg.mde.tenantId', async () => {
    sim = await simulator();
    useFreshStateDir();
    const flow = alertsFlow(sim);
    flow[1] = configNode(sim);
    await helper.load([nodes.config, nodes.alerts], flow, secretCredentials());
    const got = nextMessage(helper.getNode('out'), 20000);
    helper.getNode('alerts').receive({ tenantId: NORTHWIND.id });
    const msg = await got;
    assert.equal(msg.mde.tenantId, undefined);
    assert.ok(msg.payload.every((a) => a.aadTenantId === DEMO.tenantId));
  });
});
