'use strict';
// Pure client tests: cloud table, OData builders, KQL literal/template, errors, JWT, PEM.
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { resolveCloud, scopeFor, CLOUD_NAMES } = require('../../dist/client/clouds.js');
const odata = require('../../dist/client/mde/odata.js');
const { kqlLiteral, checkKqlTemplate, renderKqlTemplate } = require('../../dist/client/hunting/kql.js');
const errors = require('../../dist/client/errors.js');
const { decodeJwt, rolesOf } = require('../../dist/client/auth/jwt.js');
const { normalizePem } = require('../../dist/client/auth/pem.js');
const { missingRoles, unmetRoleGroups, NODE_ROLES } = require('../../dist/client/auth/permissions.js');
const { mapHttpError, parseRetryAfter, backoffDelay, buildQuery } = require('../../dist/client/transport/http.js');
const { normalizeThumbprint, buildMsalCredential, mapTokenError } = require('../../dist/client/auth/token-provider.js');
const { buildAlertPatch, checkAlertQuery } = require('../../dist/client/mde/alerts.js');
const { buildMachineActionFilter } = require('../../dist/client/mde/machine-actions.js');
const { machineName } = require('../../dist/client/mde/machines.js');
const { mapHuntingError, parseHuntingBody } = require('../../dist/client/hunting/hunting.js');
const msal = require('@azure/msal-node');

const isInput = (re) => (e) => e instanceof errors.MdeInputError && e.code === 'InvalidInput' && (!re || re.test(e.message));

describe('cloud table', () => {
  test('every cloud resolves to its login, API and Graph hosts and audiences', () => {
    const t = {
      commercial: ['https://login.microsoftonline.com', 'https://api.security.microsoft.com', 'https://graph.microsoft.com', 'https://api.securitycenter.microsoft.com/.default', 'https://graph.microsoft.com/.default'],
      gcc: ['https://login.microsoftonline.com', 'https://api-gcc.securitycenter.microsoft.us', 'https://graph.microsoft.com', 'https://securitycenter.onmicrosoft.com/windowsatpservice/.default', 'https://graph.microsoft.com/.default'],
      'gcc-high': ['https://login.microsoftonline.us', 'https://api-gov.securitycenter.microsoft.us', 'https://graph.microsoft.us', 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default', 'https://graph.microsoft.us/.default'],
      dod: ['https://login.microsoftonline.us', 'https://api-gov.securitycenter.microsoft.us', 'https://dod-graph.microsoft.us', 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default', 'https://dod-graph.microsoft.us/.default'],
    };
    for (const [cloud, [login, api, graph, mdeScope, graphScope]] of Object.entries(t)) {
      const c = resolveCloud({ cloud });
      assert.equal(c.authorityHost, login, cloud);
      assert.equal(c.apiBaseUrl, api, cloud);
      assert.equal(c.graphBaseUrl, graph, cloud);
      assert.equal(scopeFor(c.mdeResource), mdeScope, cloud);
      assert.equal(scopeFor(c.graphResource), graphScope, cloud);
      assert.equal(c.knownToMsal, true);
    }
    assert.deepEqual([...CLOUD_NAMES], ['commercial', 'gcc', 'gcc-high', 'dod', 'custom']);
  });
  test('commercial geo hosts', () => {
    for (const r of ['us', 'eu', 'uk', 'au', 'swa']) assert.equal(resolveCloud({ cloud: 'commercial', region: r }).apiBaseUrl, `https://${r}.api.security.microsoft.com`);
    assert.equal(resolveCloud({ cloud: 'commercial', region: 'EU' }).apiBaseUrl, 'https://eu.api.security.microsoft.com');
    assert.throws(() => resolveCloud({ cloud: 'commercial', region: 'mars' }), /Unknown commercial region/);
  });
  test('custom cloud validation', () => {
    const c = resolveCloud({ cloud: 'custom', authorityHost: 'https://127.0.0.1:8443/', apiBaseUrl: 'https://127.0.0.1:8443/api' });
    assert.equal(c.authorityHost, 'https://127.0.0.1:8443');
    assert.equal(c.apiBaseUrl, 'https://127.0.0.1:8443');
    assert.equal(c.graphBaseUrl, 'https://127.0.0.1:8443');
    assert.equal(c.knownToMsal, false);
    assert.throws(() => resolveCloud({ cloud: 'custom', authorityHost: 'http://x.test', apiBaseUrl: 'https://x.test' }), /https/);
    assert.throws(() => resolveCloud({ cloud: 'custom', apiBaseUrl: 'https://x.test' }), /authority host/);
    assert.throws(() => resolveCloud({ cloud: 'custom', authorityHost: 'https://x.test', apiBaseUrl: 'not a url' }), /not a valid URL/);
    assert.throws(() => resolveCloud({ cloud: 'moon' }), /Unknown cloud/);
  });
});

describe('odata', () => {
  test('string quoting doubles single quotes', () => {
    assert.equal(odata.odataString("O'Brien"), "'O''Brien'");
    assert.equal(odata.odataString("a''b"), "'a''''b'");
    assert.equal(odata.eq('assignedTo', "x' or 1 eq 1 or 'a"), "assignedTo eq 'x'' or 1 eq 1 or ''a'");
    assert.throws(() => odata.odataString('a\nb'), isInput(/control character/));
    assert.throws(() => odata.odataString(5), isInput());
    assert.throws(() => odata.eq("x eq 'a'", 'b'), isInput(/property name/));
  });
  test('datetime and duration parsing', () => {
    assert.equal(odata.odataDateTime(new Date('2026-11-24T10:00:00.000Z')), '2026-11-24T10:00:00Z');
    assert.equal(odata.odataDateTime('2026-11-24T10:00:00.123Z'), '2026-11-24T10:00:00.123Z');
    assert.throws(() => odata.odataDateTime('yesterday'), isInput());
    const now = Date.parse('2026-11-24T12:00:00Z');
    assert.equal(odata.parseSince('15m', now).toISOString(), '2026-11-24T11:45:00.000Z');
    assert.equal(odata.parseSince('24h', now).toISOString(), '2026-11-23T12:00:00.000Z');
    assert.equal(odata.parseSince('7d', now).toISOString(), '2026-11-17T12:00:00.000Z');
    assert.equal(odata.parseSince('P7D', now).toISOString(), '2026-11-17T12:00:00.000Z');
    assert.equal(odata.parseSince('PT1H30M', now).toISOString(), '2026-11-24T10:30:00.000Z');
    assert.equal(odata.parseSince('2026-11-01', now).toISOString(), '2026-11-01T00:00:00.000Z');
    assert.equal(odata.parseSince('2026-11-01T08:00:00Z', now).toISOString(), '2026-11-01T08:00:00.000Z');
    for (const bad of ['', 'soon', '7x', 'P', 'PT', '-1d']) assert.throws(() => odata.parseSince(bad, now), isInput(), bad);
  });
  test('enums are validated case-insensitively and emitted canonically', () => {
    assert.equal(odata.alertSeverity('high'), 'High');
    assert.equal(odata.alertSeverity('unspecified'), 'UnSpecified');
    assert.equal(odata.alertStatus('inprogress'), 'InProgress');
    assert.equal(odata.alertCategory('suspiciousactivity'), 'SuspiciousActivity');
    assert.equal(odata.alertCategory('MALWARE'), 'Malware');
    assert.throws(() => odata.alertSeverity('Critical'), isInput(/Use one of: UnSpecified, Informational, Low, Medium, High/));
    assert.throws(() => odata.alertStatus("New' or '1"), isInput());
  });
  test('buildAlertFilter', () => {
    assert.equal(odata.buildAlertFilter({}), '');
    assert.equal(
      odata.buildAlertFilter({ severity: ['high', 'Medium'], status: ['New'], since: new Date('2026-11-24T10:00:00Z') }),
      "(severity eq 'High' or severity eq 'Medium') and status eq 'New' and alertCreationTime ge 2026-11-24T10:00:00Z",
    );
    assert.equal(
      odata.buildAlertFilter({ detectionSource: ["Windows'Defender"], timeField: 'lastUpdateTime', since: new Date('2026-11-24T10:00:00Z'), until: new Date('2026-11-24T11:00:00Z') }),
      "detectionSource eq 'Windows''Defender' and lastUpdateTime ge 2026-11-24T10:00:00Z and lastUpdateTime le 2026-11-24T11:00:00Z",
    );
    assert.deepEqual(
      checkAlertQuery({ machineId: 'AB'.repeat(20), incidentId: 7, rawFilter: "category eq 'Malware' or category eq 'Exploit'" }),
      { path: `/api/machines/${'ab'.repeat(20)}/alerts`, filter: "incidentId eq 7 and (category eq 'Malware' or category eq 'Exploit')" },
    );
    assert.throws(() => odata.buildAlertFilter({ severity: ['Severe'] }), isInput(/severity/i));
    assert.throws(() => odata.buildAlertFilter({ severity: 'High' }), isInput(/must be a list/));
    assert.throws(() => odata.buildAlertFilter({ detectionSource: ['a\u0000b'] }), isInput(/control/));
    assert.throws(() => odata.buildAlertFilter({ detectionSource: [''] }), isInput());
    assert.throws(() => checkAlertQuery({ machineId: 'not-a-machine' }), isInput(/40-character/));
    assert.throws(() => odata.buildAlertFilter({ rawFilter: "status eq 'New" }), isInput(/unbalanced quote/));
    assert.throws(() => odata.buildAlertFilter({ rawFilter: '(status eq 1' }), isInput(/parentheses/));
    assert.throws(() => odata.buildAlertFilter({ since: new Date('2026-11-25'), until: new Date('2026-11-24') }), isInput(/later/));
  });
  test('id validators', () => {
    assert.equal(odata.machineId('1E5BC9D7E413DDD7902C2932E418702B84D0CC07'), '1e5bc9d7e413ddd7902c2932e418702b84d0cc07');
    for (const bad of ['1e5bc9d7', '1e5bc9d7e413ddd7902c2932e418702b84d0cc0z', "x' or '1", '']) assert.throws(() => odata.machineId(bad), isInput(), bad);
    for (const ok of ['da637308392288907382_-880718168', 'ar638180599315648136_73827727', 'da0c7e089d-5ff6-4e04-8000-17f4e35fa783_1']) assert.equal(odata.alertId(ok), ok);
    for (const bad of ["da1234567'", 'da 1234567', 'da123/../x', 'abc', '']) assert.throws(() => odata.alertId(bad), isInput(), bad);
    assert.equal(odata.guid('5382F7EA-7557-4AB7-9782-D50480024A4E'), '5382f7ea-7557-4ab7-9782-d50480024a4e');
    assert.throws(() => odata.guid('5382f7ea'), isInput());
    assert.equal(odata.top('50'), 50);
    assert.throws(() => odata.top(10001), isInput());
    assert.throws(() => odata.orderBy('x; drop'), isInput());
    assert.equal(odata.orderBy('creationDateTimeUtc  DESC'), 'creationDateTimeUtc DESC');
  });
  test('machine action filter and alert patch', () => {
    assert.equal(
      buildMachineActionFilter({ machineId: 'a'.repeat(40), type: 'isolate', status: ['Pending', 'inprogress'] }),
      `machineId eq '${'a'.repeat(40)}' and type eq 'Isolate' and (status eq 'Pending' or status eq 'InProgress')`,
    );
    assert.deepEqual(buildAlertPatch({ status: 'resolved', classification: 'truepositive', determination: 'malware', comment: 'done' }), {
      status: 'Resolved', classification: 'TruePositive', determination: 'Malware', comment: 'done',
    });
    assert.throws(() => buildAlertPatch({}), isInput(/Nothing to update/));
    assert.throws(() => buildAlertPatch({ severity: 'High' }), isInput(/cannot be updated/));
    assert.throws(() => machineName('pc1; rm'), isInput());
    assert.equal(machineName(' PC1.contoso.com '), 'PC1.contoso.com');
  });
});

describe('kql', () => {
  test('kqlLiteral quotes everything as one literal', () => {
    assert.equal(kqlLiteral('pc"; DeviceInfo | take 100000 //'), '"pc\\"; DeviceInfo | take 100000 //"');
    assert.equal(kqlLiteral('C:\\Temp\\'), '"C:\\\\Temp\\\\"');
    assert.equal(kqlLiteral("it's"), '"it\'s"');
    assert.equal(kqlLiteral('a\nb\r\tc'), '"a\\nb\\r\\tc"');
    assert.equal(kqlLiteral(5), 'long(5)');
    assert.equal(kqlLiteral(-2.5), 'real(-2.5)');
    assert.equal(kqlLiteral(true), 'true');
    assert.equal(kqlLiteral(['a"', 3]), '("a\\"", long(3))');
    for (const bad of [null, undefined, {}, [], NaN, Infinity, 'a\u0000', 'x\u2028', [['x']]]) assert.throws(() => kqlLiteral(bad), isInput(), String(bad));
  });
  test('template rendering with hostile values stays inside literals', () => {
    const tpl = 'DeviceProcessEvents | where DeviceName == {{alert.device}} and FolderPath == {{path}} | take {{n}}';
    const q = renderKqlTemplate(tpl, { alert: { device: 'pc"; DeviceInfo | take 100000 //' }, path: 'C:\\Temp\\', n: 5 });
    assert.equal(q, 'DeviceProcessEvents | where DeviceName == "pc\\"; DeviceInfo | take 100000 //" and FolderPath == "C:\\\\Temp\\\\" | take long(5)');
    const q2 = renderKqlTemplate('T | where A in ({{xs}})', { xs: ['a', "b'c"] });
    assert.equal(q2, 'T | where A in (("a", "b\'c"))');
  });
  test('templates with raw, partial and section tags are rejected', () => {
    for (const t of ['x == {{{v}}}', 'x == {{& v}}', '{{=<% %>=}} x == <%& v %>', '{{> p}}', '{{#v}}a{{/v}}', '{{^v}}a{{/v}}']) {
      assert.throws(() => checkKqlTemplate(t), isInput(), t);
    }
    assert.deepEqual(checkKqlTemplate('x == {{{v}}}', { allowRaw: true }), ['v']);
    assert.throws(() => checkKqlTemplate('{{> p}}', { allowRaw: true }), isInput(/partial/));
    assert.deepEqual(checkKqlTemplate('a {{x}} {{y.z}} {{! comment}}'), ['x', 'y.z']);
  });
  test('missing, null and function values are errors naming the placeholder', () => {
    assert.throws(() => renderKqlTemplate('x == {{nope}} and {{a}}', { a: 1 }), (e) => e instanceof errors.MdeInputError && /\{\{nope\}\}/.test(e.message) && !/\{\{a\}\}/.test(e.message));
    assert.throws(() => renderKqlTemplate('x == {{a}}', { a: null }), isInput(/\{\{a\}\}/));
    assert.throws(() => renderKqlTemplate('x == {{f}}', { f: () => 'ran' }), isInput(/\{\{f\}\}/));
    assert.throws(() => renderKqlTemplate('x == {{o}}', { o: { a: 1 } }), isInput(/object/));
  });
  test('does not change the global Mustache escaper', () => {
    const Mustache = require('mustache');
    renderKqlTemplate('{{a}}', { a: '<b>' });
    assert.equal(Mustache.render('{{a}}', { a: '<b>' }), '&lt;b&gt;');
  });
});

describe('errors', () => {
  const ctx = { tenantId: '7d3c6a52-9f14-4e8b-a0c2-5b1e9d4f6a83', clientId: '3b9e4f27-8c1d-4a6e-b5f0-2d7a9c3e1f64', authorityHost: 'https://login.microsoftonline.com' };
  test('AADSTS table', () => {
    const rows = [
      [7000215, 'InvalidClientSecret', /secret VALUE, not its ID/],
      [7000222, 'ClientSecretExpired', /expired/],
      [7000218, 'MissingCredential', /secret or certificate|certificate/],
      [700027, 'InvalidCertificate', /Certificates & secrets/],
      [700016, 'ApplicationNotFound', /adminconsent\?client_id=3b9e4f27/],
      [90002, 'TenantNotFound', /tenant ID/],
      [900023, 'InvalidTenant', /tenant ID/],
      [500011, 'MdeNotProvisioned', /Defender for Endpoint/],
      [70011, 'InvalidScope', /\.default/],
      [700022, 'InvalidScope', /\.default/],
      [9001023, 'TenantRequired', /common/],
    ];
    for (const [n, code, re] of rows) {
      const e = errors.aadstsError(n, ctx, { status: 400 });
      assert.ok(e instanceof errors.MdeAuthError);
      assert.equal(e.code, code);
      assert.equal(e.aadsts, n);
      assert.match(e.message, new RegExp(`AADSTS${n}`));
      assert.match(e.message, re, `${n}: ${e.message}`);
    }
    assert.equal(errors.aadstsError(7000215, ctx).message, 'Entra ID rejected the client secret (AADSTS7000215). Hint: paste the secret VALUE, not its ID, from Certificates & secrets; it may also have expired.');
    assert.equal(errors.aadstsError(12345, ctx).code, 'AADSTS12345');
  });
  test('msal ServerError → MdeAuthError without leaking the request', () => {
    const se = new msal.ServerError('invalid_client', 'corr', 'Error(s): 7000215 - Timestamp: 2026 - Description: AADSTS7000215: Invalid client secret provided. Ensure... - Correlation ID: c - Trace ID: t', '', '7000215', 401);
    const e = mapTokenError(se, ctx);
    assert.equal(e.code, 'InvalidClientSecret');
    assert.equal(e.status, 401);
    assert.equal(e.aadsts, 7000215);
    const net = mapTokenError(new msal.AuthError('network_error', '', 'POST login.microsoftonline.com: ETIMEDOUT Timeout awaiting request'), ctx);
    assert.ok(net instanceof errors.MdeNetworkError);
    assert.equal(net.code, 'Timeout');
    const thr = mapTokenError(new msal.ServerError('50196', '', '50196: AADSTS50196: throttled'), ctx);
    assert.equal(thr.code, 'TokenThrottled');
  });
  test('HTTP error mapping table', () => {
    const c = { audience: 'mde', method: 'GET', path: '/api/machines/x' };
    const e403 = mapHttpError(403, { error: { code: 'Forbidden', message: 'Missing application roles. API required roles: Machine.Read.All,Machine.ReadWrite.All, application roles: Machine.Isolate.', target: 't1' } }, c);
    assert.ok(e403 instanceof errors.MdeApiError);
    assert.equal(e403.code, 'Forbidden');
    assert.equal(e403.status, 403);
    assert.equal(e403.mde.target, 't1');
    assert.match(e403.message, /Machine\.Read\.All, Machine\.ReadWrite\.All/);
    assert.match(e403.message, /API permissions > WindowsDefenderATP > Application permissions, then Grant admin consent/);
    const g403 = mapHttpError(403, { error: { code: 'Forbidden', message: 'Missing application roles. API required roles: ThreatHunting.Read.All.' } }, { ...c, audience: 'graph' });
    assert.match(g403.message, /ThreatHunting\.Read\.All/);
    assert.match(g403.message, /Microsoft Graph > Application permissions/);
    const e404 = mapHttpError(404, { error: { code: 'ResourceNotFound', message: 'Machine 123 was not found', target: 'x' } }, c);
    assert.equal(e404.code, 'ResourceNotFound');
    assert.match(e404.message, /Machine 123 was not found/);
    assert.equal(mapHttpError(404, undefined, c).code, 'NotFound');
    const conflict = mapHttpError(400, { error: { code: 'ActiveRequestAlreadyExists', message: 'Action is already in progress' } }, c);
    assert.ok(conflict instanceof errors.MdeConflictError);
    assert.equal(conflict.code, 'ActiveRequestAlreadyExists');
    const rl = mapHttpError(429, { error: { code: 'TooManyRequests', message: 'quota' } }, { ...c, retryAfterMs: 30000 });
    assert.ok(rl instanceof errors.MdeRateLimitError);
    assert.equal(rl.retryAfterMs, 30000);
    const e401 = mapHttpError(401, { error: { code: 'Unauthorized', message: 'expired' } }, c);
    assert.equal(e401.code, 'Unauthorized');
    assert.match(e401.hint, /cloud setting/);
    const e503 = mapHttpError(503, undefined, { ...c, method: 'POST', notReplayed: true });
    assert.equal(e503.code, 'ServiceUnavailable');
    assert.match(e503.hint, /not sent again/);
    const graph = mapHttpError(400, { error: { code: 'BadRequest', message: 'Syntax error', innerError: { 'request-id': 'rid' } } }, { ...c, audience: 'graph' });
    assert.equal(graph.mde.target, 'rid');
    assert.match(graph.message, /Microsoft Graph/);
  });
  test('hunting error mapping', () => {
    const mk = (status, message) => mapHttpError(status, { error: { code: status === 429 ? '429' : 'BadRequest', message } }, { audience: 'mde', method: 'POST', path: '/api/advancedqueries/run' });
    assert.equal(mapHuntingError(mk(429, 'API calls quota exceeded! maximum allowed 45 per 00:01:00')).code, 'HuntingCallQuota');
    assert.equal(mapHuntingError(mk(429, 'Query exceeded the CPU resources quota')).code, 'HuntingCpuQuota');
    assert.equal(mapHuntingError(mk(400, 'Query execution has exceeded the allowed result size. Optimize your query')).code, 'HuntingResultTooLarge');
    const syn = mapHuntingError(mk(400, 'A recognition error occurred.. Fix syntax errors in your query.'));
    assert.equal(syn.code, 'BadRequest');
    assert.match(syn.message, /recognition error/);
  });
  test('retry-after, back-off and query encoding', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter(new Date(Date.parse('2026-11-24T12:00:10Z')).toUTCString(), Date.parse('2026-11-24T12:00:00Z')), 10000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(backoffDelay(0, 1000, () => 0.5), 1000);
    assert.equal(backoffDelay(2, 1000, () => 0), 3200);
    assert.equal(backoffDelay(2, 1000, () => 1), 4800);
    assert.equal(buildQuery({ $filter: "a eq 'b c'", $top: 5, x: undefined }), '?$filter=a%20eq%20%27b%20c%27&$top=5');
  });
  test('role checks are case-insensitive', () => {
    assert.deepEqual(missingRoles(['Url.Read.All'], ['URL.Read.All']), []);
    assert.deepEqual(missingRoles(['Alert.Read.All'], ['Machine.Isolate']), ['Machine.Isolate']);
    assert.deepEqual(unmetRoleGroups(['machine.isolate'], NODE_ROLES['mde-isolate'].needs), [['Machine.Read.All', 'Machine.ReadWrite.All']]);
  });
});

describe('jwt, pem, credentials', () => {
  const b64u = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  test('decodes claims without verifying', () => {
    const tok = `${b64u({ alg: 'RS256' })}.${b64u({ roles: ['Alert.Read.All'], tid: 't', aud: 'https://api.securitycenter.microsoft.com' })}.sig`;
    const c = decodeJwt(tok);
    assert.equal(c.tid, 't');
    assert.deepEqual(rolesOf(c), ['Alert.Read.All']);
    assert.deepEqual(rolesOf(decodeJwt(`${b64u({})}.${b64u({ tid: 'x' })}.s`)), []);
    assert.equal(decodeJwt('opaque-token'), undefined);
    assert.equal(decodeJwt('a.!!!.c'), undefined);
  });
  test('thumbprints', () => {
    const sha256 = 'AB:'.repeat(31) + 'AB';
    assert.deepEqual(normalizeThumbprint(sha256), { thumbprintSha256: 'ab'.repeat(32) });
    assert.deepEqual(normalizeThumbprint('12 34'.repeat(10)), { thumbprint: '1234'.repeat(10) });
    assert.throws(() => normalizeThumbprint('abc'), isInput(/64 hex/));
  });
  test('credential validation', () => {
    const { privateKey: ec } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { format: 'pem', type: 'pkcs8' }, publicKeyEncoding: { format: 'pem', type: 'spki' } });
    assert.throws(() => buildMsalCredential({ kind: 'certificate', privateKeyPem: ec, thumbprint: 'ab'.repeat(32) }), isInput(/RSA/));
    assert.throws(() => buildMsalCredential({ kind: 'secret', clientSecret: 's', privateKeyPem: ec }), isInput(/both/));
    assert.throws(() => buildMsalCredential({ kind: 'secret', clientSecret: '' }), isInput(/empty/));
    const { privateKey: enc } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }, publicKeyEncoding: { format: 'pem', type: 'spki' } });
    assert.throws(() => buildMsalCredential({ kind: 'certificate', privateKeyPem: enc, thumbprint: 'ab'.repeat(32) }), isInput(/passphrase/));
    assert.throws(() => buildMsalCredential({ kind: 'certificate', privateKeyPem: enc, passphrase: 'nope', thumbprint: 'ab'.repeat(32) }), isInput(/passphrase is wrong/));
    const ok = buildMsalCredential({ kind: 'certificate', privateKeyPem: enc, passphrase: 'pw', thumbprint: 'AB:'.repeat(19) + 'AB' });
    assert.match(ok.clientCertificate.privateKey, /BEGIN PRIVATE KEY/);
    assert.equal(ok.clientCertificate.thumbprint, 'ab'.repeat(20));
    assert.throws(() => buildMsalCredential({ kind: 'certificate', privateKeyPem: enc, passphrase: 'pw' }), isInput(/thumbprint/));
  });
  test('normalizePem reflows pasted PEM', () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { format: 'pem', type: 'pkcs8' }, publicKeyEncoding: { format: 'pem', type: 'spki' } });
    const flat = privateKey.replace(/\n/g, ' ');
    const n = normalizePem(flat, 'PRIVATE KEY');
    assert.doesNotThrow(() => crypto.createPrivateKey(n));
    assert.equal(normalizePem('', 'CERTIFICATE'), '');
    assert.throws(() => normalizePem(privateKey, 'CERTIFICATE'), isInput());
  });
});

describe('hunting body parser', () => {
  test('MDE and Graph shapes give the same result; dates converted', async () => {
    const rows = [{ Timestamp: '2026-11-24T10:00:00.1234567Z', DeviceName: 'pc1', Cmd: 'a "quoted" } ] \\ value' }, { Timestamp: null, DeviceName: 'pc2', Cmd: '{[' }];
    const mde = Buffer.from(JSON.stringify({ Stats: { ExecutionTime: 0.1 }, Schema: [{ Name: 'Timestamp', Type: 'DateTime' }, { Name: 'DeviceName', Type: 'String' }, { Name: 'Cmd', Type: 'String' }], Results: rows }));
    const graph = Buffer.from(JSON.stringify({ '@odata.context': 'x', results: rows, schema: [{ name: 'Timestamp', type: 'DateTime' }, { name: 'DeviceName', type: 'String' }, { name: 'Cmd', type: 'String' }] }, null, 2));
    const a = await parseHuntingBody(mde, { convertDates: true });
    const b = await parseHuntingBody(graph, { convertDates: true });
    assert.deepEqual(a.schema, b.schema);
    assert.deepEqual(a.results, b.results);
    assert.ok(a.results[0].Timestamp instanceof Date);
    assert.equal(a.results[1].Timestamp, null);
    assert.equal(a.results[0].Cmd, rows[0].Cmd);
    assert.deepEqual(a.stats, { ExecutionTime: 0.1 });
    await assert.rejects(parseHuntingBody(Buffer.from('{"Results":[{"a":1}')), /could not be read/);
  });
});
