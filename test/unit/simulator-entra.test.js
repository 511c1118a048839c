'use strict';
// Entra ID side of the simulator: certificates and TLS trust, discovery, v1/v2 tokens,
// certificate assertions and the documented AADSTS errors.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const https = require('node:https');
const { startSimulator, generateSelfSignedCertificate, DEMO } = require('../../dist/simulator/index.js');
const { request, decode } = require('../fixtures/simulator-client.js');

const MDE = 'https://api.securitycenter.microsoft.com';
const soc = DEMO.apps.socAutomation;

function b64u(x) {
  return Buffer.from(x).toString('base64url');
}

/** Client assertion as msal builds it (PS256 + x5t#S256, or RS256 + x5t). */
function assertion(sim, { alg = 'PS256', aud, clientId = DEMO.apps.certificate.clientId, keyPem = sim.demoCertificate.keyPem, thumb256 = sim.demoCertificate.thumbprintSha256, thumb1 = sim.demoCertificate.thumbprintSha1, exp } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const header = alg === 'PS256' ? { alg, typ: 'JWT', 'x5t#S256': b64u(Buffer.from(thumb256, 'hex')) } : { alg, typ: 'JWT', x5t: b64u(Buffer.from(thumb1, 'hex')) };
  const payload = { aud, iss: clientId, sub: clientId, jti: crypto.randomUUID(), nbf: now, iat: now, exp: exp ?? now + 600 };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const key = crypto.createPrivateKey(keyPem);
  const sig = alg === 'PS256'
    ? crypto.sign('sha256', Buffer.from(input), { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    : crypto.sign('sha256', Buffer.from(input), key);
  return `${input}.${b64u(sig)}`;
}

describe('certificates', () => {
  test('generated certificate parses, carries the SANs and is self-signed', () => {
    const c = generateSelfSignedCertificate({ commonName: 'sim.test', altNames: { dns: ['sim.test', 'localhost'], ips: ['127.0.0.1'] }, days: 10 });
    const x = new crypto.X509Certificate(c.certPem);
    assert.match(x.subject, /CN=sim\.test/);
    assert.equal(x.subjectAltName, 'DNS:sim.test, DNS:localhost, IP Address:127.0.0.1');
    assert.ok(x.verify(x.publicKey));
    assert.ok(x.checkPrivateKey(crypto.createPrivateKey(c.keyPem)));
    assert.equal(c.thumbprintSha256, crypto.createHash('sha256').update(x.raw).digest('hex'));
    assert.equal(c.thumbprintSha1, crypto.createHash('sha1').update(x.raw).digest('hex'));
    const days = (Date.parse(x.validTo) - Date.now()) / 86400000;
    assert.ok(days > 9 && days < 11, `validity ${days}`);
  });
});

describe('entra', () => {
  let sim;
  before(async () => {
    sim = await startSimulator({ alerts: 5, machines: 12, processEvents: 50, networkEvents: 10, fileEvents: 10 });
  });
  after(() => sim.close());

  test('TLS: a client trusting caPem connects by 127.0.0.1 and by localhost; an untrusting one fails', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const r = await request(sim, 'GET', '/_simulator/health', { host });
      assert.equal(r.status, 200, host);
      assert.equal(r.json.status, 'ok');
    }
    await assert.rejects(
      new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port: sim.port, path: '/_simulator/health', agent: false }, resolve).on('error', reject)),
      /self[- ]signed|unable to verify/i,
    );
  });

  test('v2 discovery document points at the simulator origin; unknown tenant is invalid_tenant 90002', async () => {
    const r = await request(sim, 'GET', `/${DEMO.tenantDomain}/v2.0/.well-known/openid-configuration`);
    assert.equal(r.status, 200);
    assert.equal(r.json.issuer, `https://127.0.0.1:${sim.port}/${DEMO.tenantId}/v2.0`);
    assert.equal(r.json.token_endpoint, `https://127.0.0.1:${sim.port}/${DEMO.tenantId}/oauth2/v2.0/token`);
    for (const k of ['authorization_endpoint', 'end_session_endpoint', 'jwks_uri']) assert.ok(r.json[k].startsWith(`https://127.0.0.1:${sim.port}/`), k);
    const v1 = await request(sim, 'GET', `/${DEMO.tenantId}/.well-known/openid-configuration`);
    assert.equal(v1.json.token_endpoint, `https://127.0.0.1:${sim.port}/${DEMO.tenantId}/oauth2/token`);
    const bad = await request(sim, 'GET', '/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'invalid_tenant');
    assert.deepEqual(bad.json.error_codes, [90002]);
    const inst = await request(sim, 'GET', '/common/discovery/instance?api-version=1.1&authorization_endpoint=x');
    assert.equal(inst.status, 200);
    assert.deepEqual(inst.json.metadata[0].aliases, [`127.0.0.1:${sim.port}`]);
    assert.equal(sim.count({ kind: 'discovery' }), 4);
  });

  test('v2 secret token: integer numbers and v1.0 claims with all roles', async () => {
    const r = await request(sim, 'POST', `/${DEMO.tenantId}/oauth2/v2.0/token`, { form: { grant_type: 'client_credentials', client_id: soc.clientId, client_secret: soc.secret, scope: `${MDE}/.default` } });
    assert.equal(r.status, 200);
    assert.equal(r.json.token_type, 'Bearer');
    assert.equal(r.json.expires_in, 3599);
    assert.equal(r.json.ext_expires_in, 3599);
    assert.equal(r.json.refresh_token, undefined);
    const { header, payload } = decode(r.json.access_token);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, 'JWT');
    assert.equal(header.kid, header.x5t);
    assert.equal(payload.ver, '1.0');
    assert.equal(payload.aud, MDE);
    assert.equal(payload.iss, `https://sts.windows.net/${DEMO.tenantId}/`);
    assert.equal(payload.tid, DEMO.tenantId);
    assert.equal(payload.appid, soc.clientId);
    assert.equal(payload.appidacr, '1');
    assert.equal(payload.idtyp, 'app');
    assert.equal(payload.app_displayname, soc.displayName);
    assert.equal(payload.oid, payload.sub);
    assert.equal(payload.iat, payload.nbf);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(payload.iat - (now - 300)) <= 2);
    assert.ok(Math.abs(payload.exp - (now + 3599)) <= 2);
    assert.equal(payload.roles.length, 29);
    assert.ok(payload.roles.includes('Machine.Isolate') && payload.roles.includes('AdvancedQuery.Read.All'));
    // Signed by the key published in the JWKS.
    const jwks = await request(sim, 'GET', `/${DEMO.tenantId}/discovery/v2.0/keys`);
    const jwk = jwks.json.keys.find((k) => k.kid === header.kid);
    const [h, p, s] = r.json.access_token.split('.');
    assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${p}`), crypto.createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url')));
  });

  test('v1 secret token: numbers as strings plus expires_on, not_before, resource', async () => {
    const r = await request(sim, 'POST', `/${DEMO.tenantDomain}/oauth2/token`, { form: { grant_type: 'client_credentials', client_id: soc.clientId, client_secret: soc.secret, resource: 'https://api.securitycenter.windows.com' } });
    assert.equal(r.status, 200);
    for (const k of ['expires_in', 'ext_expires_in', 'expires_on', 'not_before']) assert.equal(typeof r.json[k], 'string', k);
    assert.equal(r.json.expires_in, '3599');
    assert.equal(r.json.resource, 'https://api.securitycenter.windows.com');
    const { payload } = decode(r.json.access_token);
    assert.equal(payload.aud, 'https://api.securitycenter.windows.com');
    assert.equal(Number(r.json.expires_on), payload.exp);
    assert.equal(Number(r.json.not_before), payload.nbf);
  });

  test('roles: noRoles gets no roles claim, readOnly gets its three, Graph tokens carry Graph roles', async () => {
    const tok = async (app, resource) => {
      const a = DEMO.apps[app];
      const r = await request(sim, 'POST', `/${DEMO.tenantId}/oauth2/v2.0/token`, { form: { grant_type: 'client_credentials', client_id: a.clientId, client_secret: a.secret, scope: `${resource}/.default` } });
      assert.equal(r.status, 200, r.text);
      return decode(r.json.access_token).payload;
    };
    assert.equal('roles' in (await tok('noRoles', MDE)), false);
    assert.deepEqual((await tok('readOnly', MDE)).roles, ['Alert.Read.All', 'Machine.Read.All', 'AdvancedQuery.Read.All']);
    const g = await tok('socAutomation', 'https://graph.microsoft.com');
    assert.equal(g.aud, 'https://graph.microsoft.com');
    assert.deepEqual(g.roles, DEMO.apps.socAutomation.graphRoles);
  });

  test('HTTP Basic client authentication works on v2', async () => {
    const basic = Buffer.from(`${encodeURIComponent(soc.clientId)}:${encodeURIComponent(soc.secret)}`).toString('base64');
    const r = await request(sim, 'POST', `/${DEMO.tenantId}/oauth2/v2.0/token`, { headers: { authorization: `Basic ${basic}` }, form: { grant_type: 'client_credentials', scope: `${MDE}/.default` } });
    assert.equal(r.status, 200, r.text);
  });

  test('certificate assertion: PS256 with x5t#S256 and RS256 with x5t are accepted (appidacr 2)', async () => {
    for (const version of [1, 2]) {
      for (const alg of ['PS256', 'RS256']) {
        const path = version === 2 ? `/${DEMO.tenantId}/oauth2/v2.0/token` : `/${DEMO.tenantId}/oauth2/token`;
        const form = {
          grant_type: 'client_credentials', client_id: DEMO.apps.certificate.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion(sim, { alg, aud: `https://127.0.0.1:${sim.port}${path}` }),
          ...(version === 2 ? { scope: `${MDE}/.default` } : { resource: MDE }),
        };
        const r = await request(sim, 'POST', path, { form });
        assert.equal(r.status, 200, `${version} ${alg}: ${r.text}`);
        assert.equal(decode(r.json.access_token).payload.appidacr, '2');
      }
    }
  });

  test('certificate assertion: tampered, wrong key, wrong aud, expired and wrong iss are 401 invalid_client 700027', async () => {
    const path = `/${DEMO.tenantId}/oauth2/v2.0/token`;
    const aud = `https://127.0.0.1:${sim.port}${path}`;
    const good = assertion(sim, { aud });
    const [h, p, s] = good.split('.');
    const tamperedPayload = b64u(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url')), exp: Math.floor(Date.now() / 1000) + 9999 }));
    const other = generateSelfSignedCertificate({ keyBits: 1024 });
    const cases = {
      tampered: `${h}.${tamperedPayload}.${s}`,
      otherKeySameThumb: assertion(sim, { aud, keyPem: other.keyPem }),
      otherThumb: assertion(sim, { aud, keyPem: other.keyPem, thumb256: other.thumbprintSha256 }),
      wrongAud: assertion(sim, { aud: `https://127.0.0.1:${sim.port}/${DEMO.tenantId}/oauth2/token` }),
      expired: assertion(sim, { aud, exp: Math.floor(Date.now() / 1000) - 5 }),
      notJwt: 'abc.def',
    };
    for (const [name, a] of Object.entries(cases)) {
      const r = await request(sim, 'POST', path, { form: { grant_type: 'client_credentials', client_id: DEMO.apps.certificate.clientId, scope: `${MDE}/.default`, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a } });
      assert.equal(r.status, 401, name);
      assert.equal(r.json.error, 'invalid_client', name);
      assert.deepEqual(r.json.error_codes, [700027], name);
    }
    // The assertion of one app cannot authenticate another.
    const r = await request(sim, 'POST', path, { form: { grant_type: 'client_credentials', client_id: soc.clientId, scope: `${MDE}/.default`, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: good } });
    assert.deepEqual(r.json.error_codes, [700027]);
  });

  test('AADSTS errors: status, error, code and description format', async () => {
    const v2 = `/${DEMO.tenantId}/oauth2/v2.0/token`;
    const base = { grant_type: 'client_credentials', client_id: soc.clientId, client_secret: soc.secret, scope: `${MDE}/.default` };
    const cases = [
      ['wrong secret', v2, { ...base, client_secret: 'nope' }, 401, 'invalid_client', 7000215],
      ['no credential', v2, { grant_type: 'client_credentials', client_id: soc.clientId, scope: `${MDE}/.default` }, 401, 'invalid_client', 7000218],
      ['unknown tenant', '/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token', base, 400, 'invalid_request', 90002],
      ['unknown domain', '/nowhere.onmicrosoft.com/oauth2/v2.0/token', base, 400, 'invalid_request', 90002],
      ['malformed tenant', '/not_a_tenant!/oauth2/v2.0/token', base, 400, 'invalid_request', 900023],
      ['client not in tenant', `/${DEMO.secondTenantId}/oauth2/v2.0/token`, { ...base, client_id: DEMO.apps.readOnly.clientId, client_secret: DEMO.apps.readOnly.secret }, 400, 'unauthorized_client', 700016],
      ['unknown client', v2, { ...base, client_id: '00000000-0000-0000-0000-000000000001' }, 400, 'unauthorized_client', 700016],
      ['scope without .default', v2, { ...base, scope: `${MDE}/Alert.Read` }, 400, 'invalid_scope', 70011],
      ['unknown resource', v2, { ...base, scope: 'https://example.invalid/.default' }, 400, 'invalid_resource', 500011],
      ['v1 unknown resource', `/${DEMO.tenantId}/oauth2/token`, { grant_type: 'client_credentials', client_id: soc.clientId, client_secret: soc.secret, resource: 'https://example.invalid' }, 400, 'invalid_resource', 500011],
      ['missing scope', v2, { grant_type: 'client_credentials', client_id: soc.clientId, client_secret: soc.secret }, 400, 'invalid_request', 900144],
      ['missing grant_type', v2, { client_id: soc.clientId, client_secret: soc.secret, scope: `${MDE}/.default` }, 400, 'invalid_request', 900144],
      ['unsupported grant', v2, { ...base, grant_type: 'password' }, 400, 'unsupported_grant_type', 70003],
      ['common', '/common/oauth2/v2.0/token', base, 400, 'invalid_request', 9001023],
      ['organizations', '/organizations/oauth2/v2.0/token', base, 400, 'invalid_request', 9001023],
    ];
    for (const [name, path, form, status, error, code] of cases) {
      const r = await request(sim, 'POST', path, { form });
      assert.equal(r.status, status, `${name}: ${r.text}`);
      assert.equal(r.json.error, error, name);
      assert.deepEqual(r.json.error_codes, [code], name);
      assert.match(r.json.error_description, new RegExp(`^AADSTS${code}: [^\\r\\n]+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`), name);
      assert.equal(r.json.trace_id.length, 36);
      assert.equal(r.json.error_uri, `https://login.microsoftonline.com/error?code=${code}`);
      assert.match(r.json.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    }
    // The soc app exists in the second tenant and gets a token there.
    const ok = await request(sim, 'POST', `/${DEMO.secondTenantDomain}/oauth2/v2.0/token`, { form: base });
    assert.equal(ok.status, 200);
    assert.equal(decode(ok.json.access_token).payload.tid, DEMO.secondTenantId);
  });

  test('setApp: a rotated secret invalidates the old one', async () => {
    const path = `/${DEMO.tenantId}/oauth2/v2.0/token`;
    const a = DEMO.apps.readOnly;
    sim.setApp(a.clientId, { secret: 'rotated' });
    try {
      const old = await request(sim, 'POST', path, { form: { grant_type: 'client_credentials', client_id: a.clientId, client_secret: a.secret, scope: `${MDE}/.default` } });
      assert.deepEqual(old.json.error_codes, [7000215]);
      const fresh = await request(sim, 'POST', path, { form: { grant_type: 'client_credentials', client_id: a.clientId, client_secret: 'rotated', scope: `${MDE}/.default` } });
      assert.equal(fresh.status, 200);
    } finally {
      sim.setApp(a.clientId, { secret: a.secret });
    }
  });

  test('token requests are logged with kind, tenant and client', async () => {
    sim.clearLog();
    await request(sim, 'POST', `/${DEMO.tenantDomain}/oauth2/v2.0/token`, { form: { grant_type: 'client_credentials', client_id: soc.clientId, client_secret: soc.secret, scope: `${MDE}/.default` } });
    assert.equal(sim.requests.length, 1);
    const e = sim.requests[0];
    assert.equal(e.kind, 'token');
    assert.equal(e.status, 200);
    assert.equal(e.tenantId, DEMO.tenantId);
    assert.equal(e.clientId, soc.clientId);
  });
});

describe('msal-node against the simulator (discovery + token, secret and certificate)', () => {
  let sim;
  before(async () => {
    sim = await startSimulator({ alerts: 1, machines: 12, processEvents: 10, networkEvents: 0, fileEvents: 0 });
  });
  after(() => sim.close());

  // msal's default client is fetch, which ignores per-request CAs: inject one that trusts caPem.
  function networkClient() {
    const send = (method, url, options = {}) =>
      new Promise((resolve, reject) => {
        const u = new URL(url);
        const req = https.request({ method, host: u.hostname, port: u.port, path: u.pathname + u.search, headers: options.headers || {}, ca: sim.caPem, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: JSON.parse(body || '{}') }));
        });
        req.on('error', reject);
        if (options.body) req.write(options.body);
        req.end();
      });
    return { sendGetRequestAsync: (u, o) => send('GET', u, o), sendPostRequestAsync: (u, o) => send('POST', u, o) };
  }

  test('secret and certificate (thumbprintSha256) both obtain tokens', async () => {
    const msal = require('@azure/msal-node');
    const host = `127.0.0.1:${sim.port}`;
    const common = { authority: sim.authority, knownAuthorities: [host] };
    const a = new msal.ConfidentialClientApplication({ auth: { ...common, clientId: soc.clientId, clientSecret: soc.secret }, system: { networkClient: networkClient() } });
    const r1 = await a.acquireTokenByClientCredential({ scopes: [`${MDE}/.default`] });
    assert.equal(decode(r1.accessToken).payload.appidacr, '1');
    const c = new msal.ConfidentialClientApplication({
      auth: { ...common, clientId: DEMO.apps.certificate.clientId, clientCertificate: { thumbprintSha256: sim.demoCertificate.thumbprintSha256, privateKey: sim.demoCertificate.keyPem } },
      system: { networkClient: networkClient() },
    });
    const r2 = await c.acquireTokenByClientCredential({ scopes: [`${MDE}/.default`] });
    assert.equal(decode(r2.accessToken).payload.appidacr, '2');
    assert.equal(sim.count({ kind: 'token', status: 200 }), 2);
    assert.ok(sim.count({ kind: 'discovery' }) >= 2);
  });
});
