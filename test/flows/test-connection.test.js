'use strict';
// POST /mde-config/test-connection with a stored credential (the dialog posts the __PWRD__
// placeholder): the stored secret is used only by a deployed mde-config node, only towards its
// deployed cloud, hosts and CA, and never leaves in a response.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, tokenRequests, APPS } = require('../helpers/sim');
const { generateSelfSignedCertificate } = require(path.resolve(__dirname, '..', '..', 'dist', 'simulator', 'index.js'));

const tab = { id: 'tab', type: 'tab', label: 'test connection' };
const PLACEHOLDER = '__PWRD__';

/** A node type of another package that also keeps a `clientSecret` credential. */
function otherNodeModule(RED) {
  function OtherNode(def) {
    RED.nodes.createNode(this, def);
  }
  RED.nodes.registerType('other-vendor-config', OtherNode, { credentials: { clientSecret: { type: 'password' } } });
}

/** A plain TCP listener standing for a host the dialog user controls: counts every connection. */
async function listener() {
  const sockets = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.destroy();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${server.address().port}`,
    get connections() {
      return sockets.length;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('mde-config Test connection with a stored credential', () => {
  let sim;
  useFlowSuite();

  // What the dialog posts for the deployed node 'cfg' when nothing was changed.
  function dialogValues(overrides = {}) {
    const cfg = configNode(sim);
    return {
      id: 'cfg',
      tenantId: cfg.tenantId,
      clientId: cfg.clientId,
      authMethod: 'secret',
      cloud: 'custom',
      region: '',
      apiBaseUrl: sim.url,
      authorityHost: sim.url,
      graphBaseUrl: sim.url,
      caCertificate: sim.caPem,
      clientSecret: PLACEHOLDER,
      certificatePem: '',
      privateKeyPem: '',
      privateKeyPassphrase: '',
      thumbprint: '',
      ...overrides,
    };
  }

  const testConnection = (body) => helper.request().post('/mde-config/test-connection').send(body).expect(200);

  async function deploy(canary) {
    useFreshStateDir();
    sim.setApp(APPS.soc.clientId, { secret: canary });
    await helper.load([nodes.config], [tab, configNode(sim)], secretCredentials(canary));
  }

  it('uses the stored secret with the deployed hosts and reports the roles', async () => {
    sim = await simulator();
    const canary = 'CANARY-stored-secret-0e6b2a91';
    await deploy(canary);
    const res = await testConnection(dialogValues());
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.ok(res.body.audiences.mde.roles.includes('Machine.Isolate'));
    assert.ok(res.body.audiences.graph.roles.includes('ThreatHunting.Read.All'));
    assert.ok(res.body.nodes.every((n) => n.ok));
    assert.equal(tokenRequests(sim).length, 2, 'one token per audience, from the deployed authority');
    assert.ok(!JSON.stringify(res.body).includes(canary));
  });

  it('sends nothing to an authority or API host changed in the dialog and asks for the secret again', async () => {
    sim = await simulator();
    const canary = 'CANARY-stored-secret-5d1c7f40';
    await deploy(canary);
    // A second simulator accepts any request with the same CA: the old route handed it the secret.
    const elsewhere = await simulator();
    const raw = await listener();
    try {
      const variants = [
        { authorityHost: elsewhere.url },
        { apiBaseUrl: elsewhere.url, graphBaseUrl: elsewhere.url },
        { authorityHost: elsewhere.url, apiBaseUrl: elsewhere.url, graphBaseUrl: elsewhere.url },
        { authorityHost: raw.url, apiBaseUrl: raw.url, graphBaseUrl: raw.url },
        { graphBaseUrl: raw.url },
      ];
      for (const changed of variants) {
        const res = await testConnection(dialogValues(changed));
        assert.equal(res.body.ok, false, JSON.stringify(changed));
        assert.equal(res.body.error.code, 'RetypeSecret');
        assert.match(res.body.error.message, /You changed the .*(authority host|API host|Graph host).* Type the secret .* again/);
        assert.ok(!JSON.stringify(res.body).includes(canary));
      }
      assert.equal(elsewhere.requests.length, 0, 'the other host received no request at all');
      assert.equal(raw.connections, 0, 'nothing even connected to the listener');
      assert.equal(tokenRequests(sim).length, 0, 'and nothing went to the deployed host either');
    } finally {
      await raw.close();
    }
  });

  it('refuses a changed CA certificate or cloud with the stored secret, naming what changed', async () => {
    sim = await simulator();
    await deploy('CANARY-stored-secret-93a0be17');
    const otherCa = generateSelfSignedCertificate({ commonName: 'someone else', altNames: { dns: ['localhost'], ips: ['127.0.0.1'] } }).certPem;
    assert.match(otherCa, /BEGIN CERTIFICATE/);
    const ca = await testConnection(dialogValues({ caCertificate: otherCa }));
    assert.equal(ca.body.error.code, 'RetypeSecret');
    assert.match(ca.body.error.message, /changed the CA certificate/);
    const cloud = await testConnection(dialogValues({ cloud: 'commercial', region: 'eu' }));
    assert.equal(cloud.body.error.code, 'RetypeSecret');
    assert.match(cloud.body.error.message, /changed the cloud, authority host, API host, Graph host, CA certificate/);
    assert.equal(sim.requests.length, 0);
  });

  it('refuses the placeholder for a node that is not deployed', async () => {
    sim = await simulator();
    await deploy('CANARY-stored-secret-7a2c11de');
    const res = await testConnection(dialogValues({ id: 'not-deployed-yet' }));
    assert.equal(res.body.error.code, 'RetypeSecret');
    assert.match(res.body.error.message, /only used by a deployed Defender connection/);
    const noId = await testConnection(dialogValues({ id: undefined }));
    assert.equal(noId.body.error.code, 'RetypeSecret');
    assert.equal(sim.requests.length, 0);
  });

  it('never reads the clientSecret of another node type, even when it would work', async () => {
    sim = await simulator();
    useFreshStateDir();
    const canary = 'CANARY-other-node-secret-c4f9';
    // The other node's secret is valid for the simulator's app: before the fix the test succeeded with it.
    sim.setApp(APPS.soc.clientId, { secret: canary });
    await helper.load([nodes.config, otherNodeModule], [tab, { id: 'other', type: 'other-vendor-config', z: 'tab' }], { other: { clientSecret: canary } });
    assert.ok(helper.getNode('other'), 'the other node is deployed');
    const res = await testConnection(dialogValues({ id: 'other' }));
    assert.equal(res.body.ok, false);
    assert.equal(res.body.error.code, 'RetypeSecret');
    assert.ok(!JSON.stringify(res.body).includes(canary), 'the other node\'s secret never appears');
    assert.equal(tokenRequests(sim).length, 0, 'its secret was never sent');
  });

  it('still tests a typed secret against any host the dialog names (nothing stored is involved)', async () => {
    sim = await simulator();
    await deploy('CANARY-stored-secret-2b8e6f03');
    const elsewhere = await simulator();
    const res = await testConnection(dialogValues({ id: 'cfg', clientSecret: APPS.soc.secret, authorityHost: elsewhere.url, apiBaseUrl: elsewhere.url, graphBaseUrl: elsewhere.url }));
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.equal(tokenRequests(elsewhere).length, 2);
    assert.equal(sim.requests.length, 0);
    assert.ok(!JSON.stringify(res.body).includes(APPS.soc.secret));
  });
});
