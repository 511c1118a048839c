'use strict';
// The simulator's partner (MSSP) side: customer tenants with their own data, admin consent per
// tenant, and Entra's documented errors for an app that is not consented in a tenant.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startSimulator, DEMO } = require('../../dist/simulator/index.js');
const { request, getToken, decode } = require('../fixtures/simulator-client.js');

const partner = DEMO.apps.partner;
const [northwind, tailspin, woodgrove] = DEMO.customers;

function tokenRequest(sim, tenant, resource = 'https://api.securitycenter.microsoft.com') {
  return request(sim, 'POST', `/${tenant}/oauth2/v2.0/token`, {
    form: { grant_type: 'client_credentials', client_id: partner.clientId, client_secret: partner.secret, scope: `${resource}/.default` },
  });
}

describe('simulator: partner customer tenants', () => {
  let sim;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim.close());

  test('the partner app gets a token in each customer tenant, tid = that tenant', async () => {
    for (const c of DEMO.customers) {
      for (const tenant of [c.id, c.domain]) {
        const r = await tokenRequest(sim, tenant);
        assert.equal(r.status, 200, r.text);
        assert.equal(decode(r.json.access_token).payload.tid, c.id);
      }
    }
  });

  test('each customer sees only its own alerts, machines and incidents', async () => {
    const seen = new Map();
    for (const c of DEMO.customers) {
      const token = await getToken(sim, 'partner', { tenant: c.id });
      const alerts = await request(sim, 'GET', '/api/alerts', { token });
      assert.equal(alerts.status, 200);
      assert.ok(alerts.json.value.length > 0);
      assert.ok(alerts.json.value.every((a) => a.aadTenantId === c.id), 'an alert of another tenant was returned');
      const machines = await request(sim, 'GET', '/api/machines', { token });
      const domain = `${c.domain.split('.')[0]}.local`;
      assert.ok(machines.json.value.every((m) => m.computerDnsName.endsWith(`.${domain}`)), 'a machine of another tenant was returned');
      const graphToken = await getToken(sim, 'partner', { tenant: c.id, resource: 'https://graph.microsoft.com' });
      const incidents = await request(sim, 'GET', '/v1.0/security/incidents', { token: graphToken });
      assert.equal(incidents.status, 200);
      assert.ok(incidents.json.value.every((i) => i.tenantId === c.id));
      seen.set(c.id, new Set(alerts.json.value.map((a) => a.id)));
    }
    const [a, b, c] = [...seen.values()];
    for (const id of a) assert.ok(!b.has(id) && !c.has(id), 'two tenants share an alert');
    // The demo tenant keeps its historical data set.
    const demoToken = await getToken(sim, 'socAutomation');
    const demo = await request(sim, 'GET', '/api/alerts', { token: demoToken });
    assert.equal(demo.json.value.length, 60);
    assert.ok(demo.json.value.every((x) => x.aadTenantId === DEMO.tenantId));
  });

  test('alerts published for one customer (control route ?tenant=) appear only there', async () => {
    const made = await request(sim, 'POST', `/_simulator/alerts?tenant=${tailspin.domain}`, { json: { severity: 'High', title: 'Tailspin only' } });
    assert.equal(made.status, 201);
    assert.equal(made.json.aadTenantId, tailspin.id);
    const mine = await request(sim, 'GET', '/api/alerts', { token: await getToken(sim, 'partner', { tenant: tailspin.id }) });
    assert.ok(mine.json.value.some((a) => a.id === made.json.id));
    const other = await request(sim, 'GET', '/api/alerts', { token: await getToken(sim, 'partner', { tenant: woodgrove.id }) });
    assert.ok(!other.json.value.some((a) => a.id === made.json.id));
    const state = await request(sim, 'GET', `/_simulator/state?tenant=${tailspin.id}`);
    assert.equal(state.json.counts.machines, 8);
    const unknown = await request(sim, 'POST', '/_simulator/alerts?tenant=nowhere-sim.onmicrosoft.com', { json: {} });
    assert.equal(unknown.status, 404);
  });

  test('consent revoked: AADSTS7000229 (no service principal) in that tenant only; granted again: tokens again', async () => {
    const off = await request(sim, 'POST', '/_simulator/consent', { json: { tenantId: woodgrove.id, clientId: partner.clientId, granted: false } });
    assert.equal(off.status, 200);
    const refused = await tokenRequest(sim, woodgrove.id);
    assert.equal(refused.status, 401);
    assert.equal(refused.json.error, 'invalid_client');
    assert.deepEqual(refused.json.error_codes, [7000229]);
    assert.match(refused.json.error_description, new RegExp(`^AADSTS7000229: The client application ${partner.clientId} is missing service principal in the tenant ${woodgrove.id}`));
    assert.equal((await tokenRequest(sim, northwind.id)).status, 200);
    await request(sim, 'POST', '/_simulator/consent', { json: { tenantId: woodgrove.id, clientId: partner.clientId, granted: true } });
    assert.equal((await tokenRequest(sim, woodgrove.id)).status, 200);
  });

  test('consent with fewer roles: the token carries only those roles in that tenant', async () => {
    sim.setConsent(northwind.id, partner.clientId, { roles: ['Alert.Read.All'], graphRoles: [] });
    try {
      const t = decode((await tokenRequest(sim, northwind.id)).json.access_token).payload;
      assert.deepEqual(t.roles, ['Alert.Read.All']);
      const g = decode((await tokenRequest(sim, northwind.id, 'https://graph.microsoft.com')).json.access_token).payload;
      assert.equal(g.roles, undefined);
      const other = decode((await tokenRequest(sim, tailspin.id)).json.access_token).payload;
      assert.ok(other.roles.includes('Machine.Isolate'));
    } finally {
      sim.setConsent(northwind.id, partner.clientId, true);
    }
  });

  test('tenant not found (AADSTS90002) and Defender not provisioned (AADSTS650052)', async () => {
    const missing = await tokenRequest(sim, 'nowhere-sim.onmicrosoft.com');
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json.error_codes, [90002]);
    const local = await startSimulator({ tenants: [{ ...DEMO.tenants.find((t) => t.id === tailspin.id), mdeMissing: true }] });
    try {
      const r = await tokenRequest(local, tailspin.id);
      assert.deepEqual(r.json.error_codes, [650052]);
      assert.match(r.json.error_description, /^AADSTS650052: The app is trying to access a service 'fc780465-2017-40d4-a0c5-307022471b92'\(WindowsDefenderATP\) that your organization/);
      // Graph is still there.
      assert.equal((await tokenRequest(local, tailspin.id, 'https://graph.microsoft.com')).status, 200);
    } finally {
      await local.close();
    }
  });

  test('a single-tenant app stays AADSTS700016 in a tenant it is not registered in', async () => {
    const r = await request(sim, 'POST', `/${northwind.id}/oauth2/v2.0/token`, {
      form: { grant_type: 'client_credentials', client_id: DEMO.apps.socAutomation.clientId, client_secret: DEMO.apps.socAutomation.secret, scope: 'https://api.securitycenter.microsoft.com/.default' },
    });
    assert.deepEqual(r.json.error_codes, [700016]);
  });
});
