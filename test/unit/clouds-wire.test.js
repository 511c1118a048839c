'use strict';
// Every cloud, on the wire: connections to the real Microsoft host names are routed to the
// simulator (which presents a certificate for those names), so the test sees exactly which
// sign-in host, tenant path, token audience, API host and Graph host each cloud uses.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const tls = require('node:tls');
const { startSimulator, generateSelfSignedCertificate, DEMO } = require('../../dist/simulator/index.js');
const { MdeConnection } = require('../../dist/client/connection.js');
const { listAlerts } = require('../../dist/client/mde/alerts.js');
const { runHuntingQuery } = require('../../dist/client/hunting/hunting.js');

const MICROSOFT_HOSTS = [
  'login.microsoftonline.com', 'login.microsoftonline.us',
  'api.security.microsoft.com', 'us.api.security.microsoft.com', 'eu.api.security.microsoft.com', 'uk.api.security.microsoft.com', 'au.api.security.microsoft.com', 'swa.api.security.microsoft.com',
  'ina.api.security.microsoft.com', 'aea.api.security.microsoft.com',
  'api-gcc.securitycenter.microsoft.us', 'api-gov.securitycenter.microsoft.us',
  'graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us',
];

const EXPECTED = [
  { cloud: 'commercial', region: '', login: 'login.microsoftonline.com', api: 'api.security.microsoft.com', graph: 'graph.microsoft.com', aud: 'https://api.securitycenter.microsoft.com', graphAud: 'https://graph.microsoft.com' },
  { cloud: 'commercial', region: 'eu', login: 'login.microsoftonline.com', api: 'eu.api.security.microsoft.com', graph: 'graph.microsoft.com', aud: 'https://api.securitycenter.microsoft.com', graphAud: 'https://graph.microsoft.com' },
  { cloud: 'commercial', region: 'au', login: 'login.microsoftonline.com', api: 'au.api.security.microsoft.com', graph: 'graph.microsoft.com', aud: 'https://api.securitycenter.microsoft.com', graphAud: 'https://graph.microsoft.com' },
  { cloud: 'commercial', region: 'ina', login: 'login.microsoftonline.com', api: 'ina.api.security.microsoft.com', graph: 'graph.microsoft.com', aud: 'https://api.securitycenter.microsoft.com', graphAud: 'https://graph.microsoft.com' },
  { cloud: 'commercial', region: 'aea', login: 'login.microsoftonline.com', api: 'aea.api.security.microsoft.com', graph: 'graph.microsoft.com', aud: 'https://api.securitycenter.microsoft.com', graphAud: 'https://graph.microsoft.com' },
  // Government audience sources disagree: the connection may name the MDE audience itself.
  { cloud: 'gcc-high', mdeAudience: 'https://api-gov.securitycenter.microsoft.us', login: 'login.microsoftonline.us', api: 'api-gov.securitycenter.microsoft.us', graph: 'graph.microsoft.us', aud: 'https://api-gov.securitycenter.microsoft.us', graphAud: 'https://graph.microsoft.us' },
  { cloud: 'gcc', login: 'login.microsoftonline.com', api: 'api-gcc.securitycenter.microsoft.us', graph: 'graph.microsoft.com', aud: 'https://securitycenter.onmicrosoft.com/windowsatpservice', graphAud: 'https://graph.microsoft.com' },
  { cloud: 'gcc-high', login: 'login.microsoftonline.us', api: 'api-gov.securitycenter.microsoft.us', graph: 'graph.microsoft.us', aud: 'https://securitycenter.onmicrosoft.us/windowsatpservice', graphAud: 'https://graph.microsoft.us' },
  { cloud: 'dod', login: 'login.microsoftonline.us', api: 'api-gov.securitycenter.microsoft.us', graph: 'dod-graph.microsoft.us', aud: 'https://securitycenter.onmicrosoft.us/windowsatpservice', graphAud: 'https://dod-graph.microsoft.us' },
];

describe('clouds on the wire', () => {
  let sim;
  let cert;
  /** The simulator Microsoft host names are routed to (a test may swap in another one). */
  let target;
  const originalConnect = tls.connect;
  before(async () => {
    cert = generateSelfSignedCertificate({ commonName: 'simulator', altNames: { dns: ['localhost', ...MICROSOFT_HOSTS], ips: ['127.0.0.1'] } });
    sim = await startSimulator({ port: 0, tls: { keyPem: cert.keyPem, certPem: cert.certPem } });
    target = sim;
    // Route TLS connections for Microsoft hosts to the simulator; SNI and Host stay the real names.
    tls.connect = function (...args) {
      const options = typeof args[0] === 'object' ? { ...args[0] } : { port: args[0], host: args[1], ...(typeof args[2] === 'object' ? args[2] : {}) };
      if (MICROSOFT_HOSTS.includes(options.host) || MICROSOFT_HOSTS.includes(options.servername)) {
        options.servername = options.servername || options.host;
        options.host = '127.0.0.1';
        options.port = target.port;
        return originalConnect.call(this, options, typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined);
      }
      return originalConnect.apply(this, args);
    };
  });
  after(async () => {
    tls.connect = originalConnect;
    await sim.close();
  });

  function connect(cloud) {
    return new MdeConnection({
      tenantId: DEMO.tenantId,
      clientId: DEMO.apps.socAutomation.clientId,
      credential: { kind: 'secret', clientSecret: DEMO.apps.socAutomation.secret },
      cloud,
      caCertificatePem: cert.certPem,
      rateLimits: false,
    });
  }

  for (const c of EXPECTED) {
    it(`${c.cloud}${c.region ? ` (${c.region})` : ''}${c.mdeAudience ? ` with MDE audience ${c.mdeAudience}` : ''}: sign-in, audience, API and Graph hosts`, async () => {
      sim.clearLog();
      const connection = connect({ cloud: c.cloud, region: c.region, mdeAudience: c.mdeAudience });
      try {
        const token = await connection.getToken('mde');
        assert.equal(token.audience, c.aud);
        const result = await listAlerts(connection.http, { maxResults: 1, pageSize: 1 });
        assert.equal(result.alerts.length, 1);
        const hunt = await runHuntingQuery(connection.http, 'DeviceInfo | take 1', { api: 'graph' });
        assert.equal(hunt.results.length, 1);
        const graphToken = await connection.getToken('graph');
        assert.equal(graphToken.audience, c.graphAud);
      } finally {
        await connection.close();
      }
      const tokens = sim.requests.filter((r) => r.kind === 'token');
      assert.deepEqual([...new Set(tokens.map((r) => r.host))], [c.login]);
      assert.ok(tokens.every((r) => r.path === `/${DEMO.tenantId}/oauth2/v2.0/token`), 'tenant-specific v2 token endpoint');
      assert.equal(sim.requests.filter((r) => r.kind === 'discovery').length, 0, 'msal knows Microsoft hosts: no discovery call');
      assert.deepEqual(sim.requests.filter((r) => r.kind === 'api').map((r) => `${r.host}${r.path}`), [`${c.api}/api/alerts`]);
      assert.deepEqual(sim.requests.filter((r) => r.kind === 'graph').map((r) => `${r.host}${r.path}`), [`${c.graph}/v1.0/security/runHuntingQuery`]);
    });
  }
});

describe('token audience and host must belong together', () => {
  // Same routing as above, in its own suite so each case can pick the simulator's audience table.
  let cert;
  let target;
  const originalConnect = tls.connect;
  const started = [];
  before(() => {
    cert = generateSelfSignedCertificate({ commonName: 'simulator', altNames: { dns: ['localhost', ...MICROSOFT_HOSTS], ips: ['127.0.0.1'] } });
    tls.connect = function (...args) {
      const options = typeof args[0] === 'object' ? { ...args[0] } : { port: args[0], host: args[1], ...(typeof args[2] === 'object' ? args[2] : {}) };
      if (MICROSOFT_HOSTS.includes(options.host) || MICROSOFT_HOSTS.includes(options.servername)) {
        options.servername = options.servername || options.host;
        options.host = '127.0.0.1';
        options.port = target.port;
        return originalConnect.call(this, options, typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined);
      }
      return originalConnect.apply(this, args);
    };
  });
  after(async () => {
    tls.connect = originalConnect;
    await Promise.all(started.map((s) => s.close()));
  });
  async function simulatorWith(options = {}) {
    target = await startSimulator({ port: 0, tls: { keyPem: cert.keyPem, certPem: cert.certPem }, ...options });
    started.push(target);
    return target;
  }
  async function listWith(cloud) {
    const connection = new MdeConnection({
      tenantId: DEMO.tenantId,
      clientId: DEMO.apps.socAutomation.clientId,
      credential: { kind: 'secret', clientSecret: DEMO.apps.socAutomation.secret },
      cloud,
      caCertificatePem: cert.certPem,
      rateLimits: false,
    });
    try {
      const token = await connection.getToken('mde');
      const result = await listAlerts(connection.http, { maxResults: 1, pageSize: 1 }).then((r) => r, (e) => e);
      return { aud: token.audience, result };
    } finally {
      await connection.close();
    }
  }

  it('a commercial MDE audience presented to the US Government host is refused with 401', async () => {
    const sim = await simulatorWith();
    const { aud, result } = await listWith({ cloud: 'gcc-high', mdeAudience: 'https://api.securitycenter.microsoft.com' });
    assert.equal(aud, 'https://api.securitycenter.microsoft.com');
    assert.equal(result.status, 401);
    assert.equal(result.code, 'Unauthorized');
    const api = sim.requests.filter((r) => r.kind === 'api');
    assert.ok(api.length >= 1 && api.every((r) => r.host === 'api-gov.securitycenter.microsoft.us' && r.status === 401));
  });

  it('a US Government audience presented to a commercial host is refused with 401', async () => {
    await simulatorWith();
    const { result } = await listWith({ cloud: 'commercial', region: 'eu', mdeAudience: 'https://securitycenter.onmicrosoft.us/windowsatpservice' });
    assert.equal(result.status, 401);
  });

  it('when the service takes only one government audience, the per-connection override is what makes it work', async () => {
    await simulatorWith({ hostAudiences: { 'api-gov.securitycenter.microsoft.us': ['https://api-gov.securitycenter.microsoft.us'] } });
    const byDefault = await listWith({ cloud: 'dod' });
    assert.equal(byDefault.aud, 'https://securitycenter.onmicrosoft.us/windowsatpservice');
    assert.equal(byDefault.result.status, 401, 'the default audience is refused by this host');
    const overridden = await listWith({ cloud: 'dod', mdeAudience: 'https://api-gov.securitycenter.microsoft.us/' });
    assert.equal(overridden.aud, 'https://api-gov.securitycenter.microsoft.us');
    assert.equal(overridden.result.alerts.length, 1);
  });

  it('an audience the directory does not know is a token error, not an API call', async () => {
    const sim = await simulatorWith();
    const connection = new MdeConnection({
      tenantId: DEMO.tenantId,
      clientId: DEMO.apps.socAutomation.clientId,
      credential: { kind: 'secret', clientSecret: DEMO.apps.socAutomation.secret },
      cloud: { cloud: 'gcc-high', mdeAudience: 'api://not-a-resource' },
      caCertificatePem: cert.certPem,
      rateLimits: false,
    });
    try {
      // AADSTS500011: the resource principal was not found (the message is errors.ts's).
      // The sentence blames the override, not the subscription, and names the audience sent.
      await assert.rejects(connection.getToken('mde'), (e) => {
        assert.equal(e.aadsts, 500011);
        assert.match(e.message, /no API with the audience "api:\/\/not-a-resource"/);
        assert.match(e.hint, /MDE audience override in the connection's Advanced settings/);
        assert.doesNotMatch(e.message, /not provisioned/);
        return true;
      });
    } finally {
      await connection.close();
    }
    assert.equal(sim.requests.filter((r) => r.kind === 'api').length, 0);
  });

  it('a malformed audience is refused before anything is sent', () => {
    for (const bad of ['http://api-gov.securitycenter.microsoft.us', 'https://x/.default', 'not a uri', 'https://x?y=1']) {
      assert.throws(
        () => new MdeConnection({ tenantId: DEMO.tenantId, clientId: DEMO.apps.socAutomation.clientId, credential: { kind: 'secret', clientSecret: 'x' }, cloud: { cloud: 'dod', mdeAudience: bad } }),
        (e) => e.code === 'InvalidInput' && /audience/.test(e.message),
        bad,
      );
    }
  });
});

describe('trust', () => {
  it('a process started with NODE_EXTRA_CA_CERTS reaches the simulator with no CA configured', async () => {
    const fs = require('node:fs');
    const os = require('node:os');
    const path = require('node:path');
    const { execFile } = require('node:child_process');
    const sim = await startSimulator({ port: 0 });
    try {
      const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ca-')), 'ca.pem');
      fs.writeFileSync(caFile, sim.caPem);
      const script = `
        const { MdeConnection } = require(${JSON.stringify(require.resolve('../../dist/client/connection.js'))});
        const c = new MdeConnection({ tenantId: ${JSON.stringify(DEMO.tenantId)}, clientId: ${JSON.stringify(DEMO.apps.socAutomation.clientId)},
          credential: { kind: 'secret', clientSecret: ${JSON.stringify(DEMO.apps.socAutomation.secret)} },
          cloud: { cloud: 'custom', authorityHost: ${JSON.stringify(sim.url)}, apiBaseUrl: ${JSON.stringify(sim.url)} } });
        c.getToken('mde').then((t) => { console.log(t.roles.length); return c.close(); }, (e) => { console.log('ERR ' + e.code); return c.close(); });`;
      const run = (env) =>
        new Promise((resolve) => execFile(process.execPath, ['-e', script], { env: { ...process.env, ...env } }, (_e, stdout) => resolve(stdout.trim())));
      assert.match(await run({ NODE_EXTRA_CA_CERTS: caFile }), /^\d+$/, 'trusted through NODE_EXTRA_CA_CERTS');
      assert.match(await run({ NODE_EXTRA_CA_CERTS: '' }), /^ERR /, 'and refused without it');
    } finally {
      await sim.close();
    }
  });
});
