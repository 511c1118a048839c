'use strict';
// Config node + token node in a real Node-RED runtime against the simulator.
const { describe, it } = require('node:test');
const { useFlowSuite } = require('../helpers/flow-suite');
const assert = require('node:assert/strict');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, APPS, TENANT, tokenRequests, nextMessage, collect, sleep } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'token tests' };

function tokenFlow(sim, { cfg = {}, token = {} } = {}) {
  return [
    tab,
    { ...configNode(sim, cfg), z: undefined },
    { id: 'tok', type: 'mde-token', z: 'tab', name: 'token', config: 'cfg', audience: 'mde', requiredRoles: '', wires: [['out']], ...token },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

function decode(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

describe('mde-token node', () => {
  let sim;
  useFlowSuite();

  it('puts a Bearer header and the decoded roles on the message, keeping the rest of msg', async () => {
    sim = await simulator();
    useFreshStateDir();
    await helper.load([nodes.config, nodes.token], tokenFlow(sim), secretCredentials());
    const out = helper.getNode('out');
    const got = nextMessage(out);
    helper.getNode('tok').receive({ payload: 'keep me', topic: 'alert-42', custom: { a: 1 } });
    const msg = await got;
    assert.equal(msg.payload, 'keep me');
    assert.equal(msg.topic, 'alert-42');
    assert.deepEqual(msg.custom, { a: 1 });
    assert.match(msg.headers.Authorization, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = decode(msg.headers.Authorization.slice(7));
    assert.equal(claims.tid, TENANT);
    assert.equal(claims.appid, APPS.soc.clientId);
    assert.equal(msg.token.tenantId, TENANT);
    assert.equal(msg.token.appId, APPS.soc.clientId);
    assert.ok(msg.token.roles.includes('Machine.Isolate'));
    assert.ok(new Date(msg.token.expiresOn).getTime() > Date.now() + 50 * 60_000);
  });

  it('gets a Microsoft Graph token when the audience is graph', async () => {
    sim = await simulator();
    useFreshStateDir();
    await helper.load([nodes.config, nodes.token], tokenFlow(sim, { token: { audience: 'graph', requiredRoles: 'ThreatHunting.Read.All' } }), secretCredentials());
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('tok').receive({ payload: 1 });
    const msg = await got;
    assert.equal(decode(msg.headers.Authorization.slice(7)).aud, 'https://graph.microsoft.com');
    assert.deepEqual(msg.token.roles, APPS.soc.graphRoles);
  });

  it('authenticates with a certificate (client assertion) and derives the thumbprint from the certificate', async () => {
    sim = await simulator();
    useFreshStateDir();
    const cert = sim.demoCertificate;
    await helper.load([nodes.config, nodes.token], tokenFlow(sim, { cfg: { clientId: APPS.certificate.clientId, authMethod: 'certificate' } }), {
      cfg: { privateKeyPem: cert.keyPem, certificatePem: cert.certPem },
    });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('tok').receive({});
    const msg = await got;
    const claims = decode(msg.headers.Authorization.slice(7));
    assert.equal(claims.appid, APPS.certificate.clientId);
    assert.equal(claims.appidacr, '2');
  });

  it('accepts a PEM pasted into a password field without its newlines', async () => {
    sim = await simulator();
    useFreshStateDir();
    const cert = sim.demoCertificate;
    const flatten = (pem) => pem.replace(/\n/g, ' ');
    await helper.load([nodes.config, nodes.token], tokenFlow(sim, { cfg: { clientId: APPS.certificate.clientId, authMethod: 'certificate' } }), {
      cfg: { privateKeyPem: flatten(cert.keyPem), thumbprint: cert.thumbprintSha256.replace(/(..)(?!$)/g, '$1:') },
    });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('tok').receive({});
    assert.equal(decode((await got).headers.Authorization.slice(7)).appidacr, '2');
  });

  it('sends exactly one token request for 100 concurrent messages', async () => {
    sim = await simulator();
    useFreshStateDir();
    await helper.load([nodes.config, nodes.token], tokenFlow(sim), secretCredentials());
    const all = collect(helper.getNode('out'), 100);
    const tok = helper.getNode('tok');
    for (let i = 0; i < 100; i++) tok.receive({ payload: i });
    const msgs = await all;
    assert.equal(msgs.length, 100);
    assert.equal(new Set(msgs.map((m) => m.headers.Authorization)).size, 1);
    assert.equal(tokenRequests(sim).length, 1);
  });

  it('refreshes the token when it nears expiry instead of handing out a stale one', async () => {
    // 302 s lifetime: usable for ~2 s before the 5-minute refresh margin.
    sim = await simulator({ tokenLifetimeSec: 302 });
    useFreshStateDir();
    await helper.load([nodes.config, nodes.token], tokenFlow(sim), secretCredentials());
    const out = helper.getNode('out');
    const tok = helper.getNode('tok');
    let got = nextMessage(out);
    tok.receive({});
    const first = await got;
    assert.equal(tokenRequests(sim).length, 1);
    await sleep(2500);
    got = nextMessage(out);
    tok.receive({});
    const second = await got;
    assert.equal(tokenRequests(sim).length, 2);
    assert.notEqual(second.headers.Authorization, first.headers.Authorization);
    assert.ok(new Date(second.token.expiresOn).getTime() > Date.now());
  });

  const tokenErrors = [
    { name: 'a wrong client secret', creds: () => secretCredentials('not-the-secret'), cfg: {}, aadsts: 'AADSTS7000215', code: 'InvalidClientSecret', words: /secret VALUE/ },
    { name: 'an unknown tenant', creds: () => secretCredentials(), cfg: { tenantId: '00000000-1111-2222-3333-444444444444' }, aadsts: 'AADSTS90002', code: 'TenantNotFound', words: /tenant ID/ },
    { name: 'an app that is not in the tenant', creds: () => secretCredentials(), cfg: { clientId: '11111111-2222-4333-8444-555555555555' }, aadsts: 'AADSTS700016', code: 'ApplicationNotFound', words: /consent/ },
  ];
  for (const tc of tokenErrors) {
    it(`routes ${tc.name} to a Catch node with the AADSTS code and a plain-language hint`, async () => {
      sim = await simulator();
      useFreshStateDir();
      await helper.load([nodes.config, nodes.token], tokenFlow(sim, { cfg: tc.cfg }), tc.creds());
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('tok').receive({ payload: 'p', topic: 't' });
      const msg = await caught;
      assert.match(msg.error.message, new RegExp(tc.aadsts));
      assert.match(msg.error.message, tc.words);
      assert.equal(msg.error.code, tc.code);
      assert.equal(msg.error.source.id, 'tok');
      assert.equal(msg.topic, 't', 'the failed message is passed to Catch intact');
      assert.equal(msg.headers, undefined, 'no half-built Authorization header');
    });
  }

  it('fails with the missing role named when the token lacks a required role', async () => {
    sim = await simulator();
    useFreshStateDir();
    await helper.load(
      [nodes.config, nodes.token],
      tokenFlow(sim, { cfg: { clientId: APPS.noRoles.clientId }, token: { requiredRoles: 'Machine.Read.All, Alert.Read.All' } }),
      secretCredentials(APPS.noRoles.secret),
    );
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('tok').receive({});
    const msg = await caught;
    assert.equal(msg.error.code, 'MissingRoles');
    assert.match(msg.error.message, /Machine\.Read\.All, Alert\.Read\.All/);
    assert.match(msg.error.message, /Grant admin consent/);
  });

  it('fails clearly, before any request, when the config has no secret or an invalid tenant', async () => {
    sim = await simulator();
    useFreshStateDir();
    await helper.load([nodes.config, nodes.token], tokenFlow(sim, { cfg: { tenantId: 'not a tenant!' } }), secretCredentials());
    const atDeploy = helper.getNode('tok').status.args.map((a) => a[0]);
    assert.deepEqual(atDeploy.at(-1), { fill: 'red', shape: 'ring', text: 'InvalidInput' }, 'the broken setting shows at deploy');
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('tok').receive({});
    const msg = await caught;
    assert.match(msg.error.message, /tenant/i);
    assert.equal(tokenRequests(sim).length, 0);
  });

  it('refuses an unknown audience or a wrong-typed role list at deploy and per message, with no token requested', async () => {
    sim = await simulator();
    for (const [token, message] of [
      [{ audience: 'azure' }, /"audience" is "azure".*"mde" or "graph"/],
      [{ requiredRoles: 7 }, /"requiredRoles" is the number 7/],
    ]) {
      useFreshStateDir();
      await helper.load([nodes.config, nodes.token], tokenFlow(sim, { token }), secretCredentials());
      const atDeploy = helper.getNode('tok').status.args.map((a) => a[0]);
      assert.deepEqual(atDeploy.at(-1), { fill: 'red', shape: 'ring', text: 'InvalidSetting' });
      const caught = nextMessage(helper.getNode('caught'));
      helper.getNode('tok').receive({});
      const msg = await caught;
      assert.match(msg.error.message, message);
      assert.equal(msg.token, undefined, 'no token on the message');
      await helper.unload();
    }
    assert.equal(tokenRequests(sim).length, 0);
  });

  it('routes a missing config node to Catch instead of crashing', async () => {
    useFreshStateDir();
    const flow = [tab, { id: 'tok', type: 'mde-token', z: 'tab', config: '', wires: [['out']] }, { id: 'out', type: 'helper', z: 'tab' }, { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' }];
    await helper.load([nodes.config, nodes.token], flow);
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('tok').receive({});
    const msg = await caught;
    assert.match(msg.error.message, /mde-config/);
    assert.equal(msg.error.code, 'NoConfig');
  });
});
