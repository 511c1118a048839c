'use strict';
// The simulator's file, IP, domain and user endpoints against Microsoft's reference pages
// (get-file-information.md, get-file-statistics.md, get-file-related-machines.md,
// get-file-related-alerts.md, get-ip-statistics.md, get-ip-related-alerts.md,
// get-domain-statistics.md, get-domain-related-machines.md, get-domain-related-alerts.md,
// get-user-related-machines.md, get-user-related-alerts.md): documented bodies, the 404 / empty /
// zero answers for unknown entities, lookBackHours, 403s naming each page's role, and every
// file, IP and host of an alert's evidence resolving.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startSimulator } = require('../../dist/simulator/index.js');
const { request, getToken } = require('../fixtures/simulator-client.js');

const INVOICE_SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const INVOICE_SHA256 = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const POWERSHELL_SHA1 = '6cbce4a295c163791b60fc23d285e6d84f28ee4c';

describe('simulator: files, IPs, domains, users', () => {
  let sim;
  let tok;
  let readOnly;
  let fin;
  before(async () => {
    sim = await startSimulator({ alerts: 40, machines: 24, processEvents: 400, networkEvents: 200, fileEvents: 100 });
    tok = await getToken(sim);
    readOnly = await getToken(sim, 'readOnly');
    fin = sim.state.machines.find((m) => m.computerDnsName === 'ws-fin-0412.contoso-sim.local');
  });
  after(() => sim.close());

  const get = (path, token = tok) => request(sim, 'GET', path, { token });

  test('GET /files/{sha1|sha256}: the documented File entity, by either hash; 404 for a file never seen', async () => {
    const r = await get(`/api/files/${INVOICE_SHA1}`);
    assert.equal(r.status, 200);
    assert.match(r.json['@odata.context'], /\$metadata#Files\/\$entity$/);
    const keys = ['sha1', 'sha256', 'globalPrevalence', 'globalFirstObserved', 'globalLastObserved', 'size', 'fileType', 'isPeFile', 'filePublisher', 'fileProductName', 'signer', 'issuer', 'signerHash', 'isValidCertificate', 'determinationType', 'determinationValue'];
    assert.deepEqual(Object.keys(r.json).filter((k) => k !== '@odata.context').sort(), [...keys].sort());
    assert.equal(r.json.sha256, INVOICE_SHA256);
    assert.equal(r.json.isPeFile, true);
    const by256 = await get(`/api/files/${INVOICE_SHA256.toUpperCase()}`);
    assert.equal(by256.json.sha1, INVOICE_SHA1);
    const ps = await get(`/api/files/${POWERSHELL_SHA1}`);
    assert.equal(ps.json.signer, 'Microsoft Windows');
    assert.equal(ps.json.determinationType, 'Clean');
    assert.ok(ps.json.globalPrevalence > 1_000_000);
    const unknown = await get(`/api/files/${'f'.repeat(40)}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'ResourceNotFound');
    assert.equal((await get('/api/files/not-a-hash')).status, 404);
  });

  test('GET /files/{sha1}/stats: InOrgFileStats; lookBackHours narrows the window (1..720, else 400); 404 for an unknown file', async () => {
    const r = await get(`/api/files/${POWERSHELL_SHA1}/stats`);
    assert.equal(r.status, 200);
    assert.match(r.json['@odata.context'], /InOrgFileStats$/);
    assert.deepEqual(Object.keys(r.json).filter((k) => k !== '@odata.context').sort(), ['globalFirstObserved', 'globalLastObserved', 'globallyPrevalence', 'orgFirstSeen', 'orgLastSeen', 'organizationPrevalence', 'sha1', 'topFileNames'].sort());
    const devices = new Set(sim.state.events.DeviceProcessEvents.filter((e) => e.SHA1 === POWERSHELL_SHA1).map((e) => e.DeviceId));
    for (const a of sim.state.alerts) if (a.evidence.some((e) => e.sha1 === POWERSHELL_SHA1)) devices.add(a.machineId);
    assert.equal(r.json.organizationPrevalence, devices.size);
    assert.ok(Date.parse(r.json.orgFirstSeen) <= Date.parse(r.json.orgLastSeen));
    const hour = await get(`/api/files/${POWERSHELL_SHA1}/stats?lookBackHours=1`);
    assert.ok(hour.json.organizationPrevalence < r.json.organizationPrevalence);
    for (const bad of ['0', '721', 'abc', '-5']) {
      const b = await get(`/api/files/${POWERSHELL_SHA1}/stats?lookBackHours=${bad}`);
      assert.equal(b.status, 400, bad);
      assert.equal(b.json.error.code, 'InvalidInput');
    }
    assert.equal((await get(`/api/files/${'e'.repeat(40)}/stats`)).status, 404);
  });

  test('file machines and alerts: SHA-1 only; an unknown file is 200 with an empty set', async () => {
    const machines = await get(`/api/files/${INVOICE_SHA1}/machines`);
    assert.equal(machines.status, 200);
    assert.match(machines.json['@odata.context'], /\$metadata#Machines$/);
    assert.ok(machines.json.value.some((m) => m.id === fin.id));
    const alerts = await get(`/api/files/${INVOICE_SHA1}/alerts`);
    assert.deepEqual(alerts.json.value.map((a) => a.id), sim.state.alerts.filter((a) => a.evidence.some((e) => e.sha1 === INVOICE_SHA1)).map((a) => a.id));
    assert.deepEqual((await get(`/api/files/${'d'.repeat(40)}/machines`)).json.value, []);
    assert.deepEqual((await get(`/api/files/${'d'.repeat(40)}/alerts`)).json.value, []);
  });

  test('IP stats and alerts: InOrgIPStats; a valid unseen IP has prevalence 0; an invalid IP is 400', async () => {
    const r = await get('/api/ips/203.0.113.50/stats?lookBackHours=720');
    assert.equal(r.status, 200);
    assert.match(r.json['@odata.context'], /InOrgIPStats$/);
    assert.deepEqual(Object.keys(r.json).filter((k) => k !== '@odata.context').sort(), ['ipAddress', 'orgFirstSeen', 'orgLastSeen', 'organizationPrevalence']);
    assert.ok(r.json.organizationPrevalence >= 1);
    const unseen = await get('/api/ips/198.51.100.250/stats');
    assert.deepEqual({ ...unseen.json, '@odata.context': undefined }, { '@odata.context': undefined, ipAddress: '198.51.100.250', organizationPrevalence: 0, orgFirstSeen: null, orgLastSeen: null });
    assert.equal((await get('/api/ips/10.0.0.999/stats')).status, 400);
    assert.equal((await get('/api/ips/10.0.0.999/alerts')).status, 400);
    const alerts = await get('/api/ips/203.0.113.77/alerts');
    assert.ok(alerts.json.value.length >= 1);
    assert.ok(alerts.json.value.every((a) => a.title === 'Connection to a custom network indicator'));
    assert.deepEqual((await get('/api/ips/198.51.100.250/alerts')).json.value, []);
  });

  test('domain stats, machines and alerts: InOrgDomainStats; an unknown domain is prevalence 0 and empty sets', async () => {
    const r = await get('/api/domains/evil-cdn.example/stats');
    assert.match(r.json['@odata.context'], /InOrgDomainStats$/);
    assert.equal(r.json.host, 'evil-cdn.example');
    assert.ok(r.json.organizationPrevalence >= 1);
    const unknown = await get('/api/domains/nothing-here.example/stats');
    assert.equal(unknown.status, 200);
    assert.equal(unknown.json.organizationPrevalence, 0);
    assert.ok((await get('/api/domains/evil-cdn.example/machines')).json.value.some((m) => m.id === fin.id));
    assert.ok((await get('/api/domains/evil-cdn.example/alerts')).json.value.length >= 1);
    assert.deepEqual((await get('/api/domains/nothing-here.example/machines')).json.value, []);
    assert.deepEqual((await get('/api/domains/nothing-here.example/alerts')).json.value, []);
  });

  test('user machines and alerts by user name; an unknown user (or a UPN) is an empty set', async () => {
    const machines = await get('/api/users/jdoe/machines');
    assert.ok(machines.json.value.some((m) => m.id === fin.id));
    const alerts = await get('/api/users/jdoe/alerts');
    assert.deepEqual(alerts.json.value.map((a) => a.id), sim.state.alerts.filter((a) => a.relatedUser && a.relatedUser.userName === 'jdoe').map((a) => a.id));
    assert.deepEqual((await get('/api/users/jdoe@contoso-sim.onmicrosoft.com/alerts')).json.value, []);
    assert.deepEqual((await get('/api/users/nobody/machines')).json.value, []);
  });

  test("each page's role: 403 names it (File.Read.All, Ip.Read.All, URL.Read.All, Alert.ReadWrite.All for domain alerts, Machine.ReadWrite.All for user machines)", async () => {
    const cases = [
      [`/api/files/${INVOICE_SHA1}`, 'File.Read.All'],
      [`/api/files/${INVOICE_SHA1}/stats`, 'File.Read.All'],
      ['/api/ips/203.0.113.50/stats', 'Ip.Read.All'],
      ['/api/domains/evil-cdn.example/stats', 'URL.Read.All'],
      ['/api/domains/evil-cdn.example/alerts', 'Alert.ReadWrite.All'],
      ['/api/users/jdoe/machines', 'Machine.ReadWrite.All'],
    ];
    for (const [path, role] of cases) {
      const r = await get(path, readOnly);
      assert.equal(r.status, 403, path);
      assert.match(r.json.error.message, new RegExp(`required roles: ${role.replace(/\./g, '\\.')}`), path);
    }
    // Machine.Read.All / Alert.Read.All are enough for these.
    for (const path of [`/api/files/${INVOICE_SHA1}/machines`, `/api/files/${INVOICE_SHA1}/alerts`, '/api/ips/203.0.113.50/alerts', '/api/domains/evil-cdn.example/machines', '/api/users/jdoe/alerts']) {
      assert.equal((await get(path, readOnly)).status, 200, path);
    }
  });

  test("every file, IP and domain of an alert's evidence resolves, with the same File entity as the alert's files", async () => {
    for (const a of sim.state.alerts.slice(-12)) {
      const files = (await get(`/api/alerts/${a.id}/files`)).json.value;
      for (const f of files) {
        const entity = await get(`/api/files/${f.sha1}`);
        assert.equal(entity.status, 200, f.sha1);
        assert.deepEqual({ ...entity.json, '@odata.context': undefined }, { ...f, '@odata.context': undefined });
        assert.ok((await get(`/api/files/${f.sha1}/stats`)).json.organizationPrevalence >= 1, f.sha1);
      }
      for (const { id } of (await get(`/api/alerts/${a.id}/ips`)).json.value) assert.ok((await get(`/api/ips/${id}/stats`)).json.organizationPrevalence >= 1, id);
      for (const { host } of (await get(`/api/alerts/${a.id}/domains`)).json.value) {
        if (/^\d+(\.\d+){3}$/.test(host)) continue;
        assert.ok((await get(`/api/domains/${host}/stats`)).json.organizationPrevalence >= 1, host);
      }
    }
  });

  test('related machine lists are paged with @odata.nextLink ($skip) at the server page size', async () => {
    const small = await startSimulator({ pageSize: 2, processEvents: 400 });
    try {
      const t = await getToken(small);
      const first = await request(small, 'GET', `/api/files/${POWERSHELL_SHA1}/machines`, { token: t });
      assert.equal(first.json.value.length, 2);
      const next = new URL(first.json['@odata.nextLink']);
      assert.equal(next.searchParams.get('$skip'), '2');
      const second = await request(small, 'GET', `${next.pathname}${next.search}`, { token: t });
      assert.equal(second.status, 200);
      assert.notDeepEqual(second.json.value.map((m) => m.id), first.json.value.map((m) => m.id));
    } finally {
      await small.close();
    }
  });
});
