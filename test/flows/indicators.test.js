'use strict';
// mde-indicators in a real Node-RED runtime against the simulator: submit of each type, the
// never-block list and the cap refusing before any request, dry run, list with filters and paging,
// delete, batch import with chunking and per-item results, bad settings and values refused.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, sleep, APPS } = require('../helpers/sim');

const tab = { id: 'tab', type: 'tab', label: 'Indicators' };

const SHA256 = 'a'.repeat(63) + 'b';
const SHA1 = '220e7d15b011d7fac48f2bd61114db1022197f7f';
const MD5 = '0123456789abcdef0123456789abcdef';

function indicatorsFlow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'ind', type: 'mde-indicators', z: 'tab', name: '', config: 'cfg', mode: 'submit', source: 'dialog', indicatorType: 'FileSha256', value: 'indicatorValue', valueType: 'msg', action: 'Alert', title: 'SOC: {{topic}}', description: 'from a flow', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const query = (r) => new URLSearchParams(r.query);
const sent = (sim) => apiRequests(sim);

function indicator(over = {}) {
  return { indicatorValue: SHA256, indicatorType: 'FileSha256', action: 'Alert', title: 't', description: 'd', ...over };
}

describe('mde-indicators node', () => {
  let sim;
  useFlowSuite();

  let received;
  async function load(props, cfg, credentials = secretCredentials()) {
    await helper.load([nodes.config, nodes.indicators], indicatorsFlow(sim, props, cfg), credentials);
    received = [];
    helper.getNode('out').on('input', (m) => received.push({ out: m }));
    helper.getNode('caught').on('input', (m) => received.push({ caught: m }));
  }

  async function run(msg) {
    const seen = received.length;
    helper.getNode('ind').receive(msg);
    const end = Date.now() + 10000;
    while (received.length === seen) {
      if (Date.now() > end) throw new Error('no message on out or caught within 10000 ms');
      await sleep(5);
    }
    return received[seen];
  }

  async function refused(msg, pattern, code) {
    const before = sent(sim).length;
    const r = await run(msg);
    assert.ok(r.caught, `refused: ${JSON.stringify(r.out && r.out.payload)}`);
    assert.match(r.caught.error.message, pattern);
    if (code) assert.equal(r.caught.mde.error.code, code);
    assert.equal(sent(sim).length - before, 0, 'no request was sent');
    return r.caught;
  }

  it('submits each indicator type with one POST /api/indicators carrying the documented body', async () => {
    sim = await simulator();
    await load({ action: 'Alert', severity: 'High', recommendedActions: 'Check {{topic}}', generateAlert: 'true', rbacGroupNames: 'Servers, Finance', expirationDays: 30 });
    const cases = [
      ['FileSha256', SHA256], ['FileSha1', SHA1], ['FileMd5', MD5], ['CertificateThumbprint', SHA1.toUpperCase()],
      ['IpAddress', '8.8.4.4'], ['IpAddress', '2606:4700:4700::1111'], ['DomainName', 'evil-example.net'], ['Url', 'https://evil-example.net/payload.exe'],
    ];
    for (const [type, value] of cases) {
      await helper.unload();
      await load({ indicatorType: type, severity: 'High', recommendedActions: 'Check {{topic}}', generateAlert: 'true', rbacGroupNames: 'Servers, Finance', expirationDays: 30 });
      sim.clearLog();
      const { out } = await run({ indicatorValue: value, topic: 'case 42', keep: 'me' });
      assert.ok(out, `${type} ${value} submitted`);
      assert.equal(out.keep, 'me');
      assert.equal(out.payload.indicatorValue, value);
      assert.equal(out.payload.indicatorType, type);
      assert.match(out.payload.id, /^\d+$/);
      assert.equal(out.mde.indicatorId, out.payload.id);
      const reqs = sent(sim);
      assert.deepEqual(reqs.map((r) => `${r.method} ${r.path}`), ['POST /api/indicators']);
      const stored = sim.state.indicators.find((i) => i.id === out.payload.id);
      assert.equal(stored.title, 'SOC: case 42');
      assert.equal(stored.recommendedActions, 'Check case 42');
      assert.equal(stored.severity, 'High');
      assert.equal(stored.generateAlert, true);
      assert.deepEqual(stored.rbacGroupNames, ['Servers', 'Finance']);
      assert.ok(Date.parse(stored.expirationTime) > Date.now() + 29 * 86_400_000);
    }
  });

  it('takes a whole indicator from msg.payload; resubmitting the same type and value updates it', async () => {
    sim = await simulator();
    await load({ source: 'msg' });
    const first = await run({ payload: indicator({ action: 'Alert', severity: 'Low' }) });
    const second = await run({ payload: indicator({ action: 'Block', severity: 'High', title: 'now blocked' }) });
    assert.equal(second.out.payload.id, first.out.payload.id, 'the same indicator was updated');
    assert.equal(sim.state.indicators.length, 1);
    assert.equal(sim.state.indicators[0].action, 'Block');
    assert.equal(sim.state.indicators[0].title, 'now blocked');
  });

  it('refuses bad values of every type before any request, never coercing them', async () => {
    sim = await simulator();
    await load({ source: 'msg' });
    await refused({ payload: indicator({ indicatorValue: 'abc' }) }, /msg\.payload\.indicatorValue "abc" is not a SHA-256 hash \(64 hexadecimal characters\)/);
    await refused({ payload: indicator({ indicatorValue: SHA1 }) }, /not a SHA-256 hash.*it has 40 hexadecimal characters/);
    await refused({ payload: indicator({ indicatorType: 'FileSha1', indicatorValue: 1234 }) }, /indicatorValue is the number 1234; allowed: text/);
    await refused({ payload: indicator({ indicatorType: 'IpAddress', indicatorValue: '10.1.2.3' }) }, /10\.1\.2\.3 is a private \(RFC 1918\) address; IP indicators apply to public addresses only/);
    await refused({ payload: indicator({ indicatorType: 'IpAddress', indicatorValue: '100.64.1.1' }) }, /carrier-grade NAT/);
    await refused({ payload: indicator({ indicatorType: 'IpAddress', indicatorValue: 'fe80::1' }) }, /link-local/);
    await refused({ payload: indicator({ indicatorType: 'IpAddress', indicatorValue: '8.8.8.0/24' }) }, /CIDR notation is not supported/);
    await refused({ payload: indicator({ indicatorType: 'DomainName', indicatorValue: 'https://evil.example.net/x' }) }, /is a URL, not a domain name/);
    await refused({ payload: indicator({ indicatorType: 'DomainName', indicatorValue: 'not a domain' }) }, /is not a domain name/);
    await refused({ payload: indicator({ indicatorType: 'Url', indicatorValue: 'ftp://evil.example.net/x' }) }, /is not an http\(s\) URL/);
    await refused({ payload: indicator({ action: 'block' }) }, /action is "block"; allowed: "Block" \(the values are case-sensitive\)/);
    await refused({ payload: indicator({ action: 'Audit' }) }, /generateAlert must be true for action Audit/);
    await refused({ payload: indicator({ severity: 3 }) }, /severity is the number 3/);
    await refused({ payload: indicator({ expirationTime: '2020-01-01T00:00:00Z' }) }, /is in the past/);
    await refused({ payload: indicator({ expirationTime: '2099-01-01T00:00:00' }) }, /has no time zone/);
    await refused({ payload: indicator({ expirationTime: 1893456000000 }) }, /expirationTime is the number 1893456000000; allowed: an ISO 8601/);
    await refused({ payload: indicator({ rbacGroupNames: 'Servers' }) }, /rbacGroupNames is "Servers"; allowed: a list of device group names/);
    await refused({ payload: indicator({ generateAlert: 'true' }) }, /generateAlert is "true"; allowed: true or false/);
    await refused({ payload: indicator({ IndicatorValue: SHA256 }) }, /unknown property "IndicatorValue" \(MDE property names are case-sensitive: "indicatorValue"\)/);
    await refused({ payload: indicator({ title: '' }) }, /title is required/);
    await refused({ payload: indicator({ educateUrl: 'https://help.contoso.com' }) }, /educateUrl applies only to Url indicators with action Block or Warn/);
    await refused({ payload: 'just text' }, /msg\.payload is "just text"; allowed: an object/);
    assert.equal(sent(sim).length, 0);
  });

  it('refuses a blocking indicator on a never-block value (Microsoft endpoints, private URL hosts, listed domains, the tenant domain) with 0 requests; Alert and Allowed pass', async () => {
    sim = await simulator();
    await load({ source: 'msg' }, { neverBlock: 'contoso.com, 8.8.8.8, 1.1.1.0/24, ' + SHA1 });
    const block = (type, value, action = 'Block') => ({ payload: indicator({ indicatorType: type, indicatorValue: value, action }) });
    await refused(block('DomainName', 'update.microsoft.com'), /never-block list: DomainName update\.microsoft\.com \(never-block entry "\*\.microsoft\.com"\)\. Nothing was sent/, 'NeverBlock');
    await refused(block('Url', 'https://winatp-gw-neu.securitycenter.windows.com/x', 'Warn'), /never-block entry "\*\.windows\.com"/, 'NeverBlock');
    await refused(block('DomainName', 'microsoft.com', 'AlertAndBlock'), /never-block entry "\*\.microsoft\.com"/, 'NeverBlock');
    await refused(block('Url', 'http://192.168.1.10/admin'), /never-block entry "192\.168\.0\.0\/16"/, 'NeverBlock');
    await refused(block('DomainName', 'mail.contoso.com'), /never-block entry "contoso\.com"/, 'NeverBlock');
    await refused(block('IpAddress', '8.8.8.8', 'BlockAndRemediate'), /never-block entry "8\.8\.8\.8"/, 'NeverBlock');
    await refused(block('IpAddress', '1.1.1.1'), /never-block entry "1\.1\.1\.0\/24"/, 'NeverBlock');
    await refused(block('FileSha1', SHA1.toUpperCase()), /never-block entry/, 'NeverBlock');
    assert.equal(sent(sim).length, 0, 'nothing was sent for refused blocking indicators');

    const alert = await run(block('DomainName', 'update.microsoft.com', 'Alert'));
    assert.ok(alert.out, 'an Alert indicator on a never-block value is fine');
    const allowed = await run(block('IpAddress', '8.8.8.8', 'Allowed'));
    assert.ok(allowed.out, 'an Allowed indicator on a never-block value is fine');
    const other = await run(block('DomainName', 'evil-example.net'));
    assert.ok(other.out, 'a value off the list is blocked');

    await helper.unload();
    await load({ source: 'msg' }, { tenantId: 'contoso-sim.onmicrosoft.com' });
    await refused(block('DomainName', 'contoso-sim.onmicrosoft.com'), /never-block entry "contoso-sim\.onmicrosoft\.com"/, 'NeverBlock');
  });

  it('lets the user switch the Microsoft endpoints off, and refuses a bad never-block entry at deploy (red InvalidSetting)', async () => {
    sim = await simulator();
    await load({ source: 'msg' }, { neverBlockMicrosoft: false });
    const r = await run({ payload: indicator({ indicatorType: 'DomainName', indicatorValue: 'evil.events.data.microsoft.com', action: 'Block' }) });
    assert.ok(r.out, 'blocked once the Microsoft list is off');

    await helper.unload();
    await load({ source: 'msg' }, { neverBlock: 'contoso.com, not a domain!' });
    const red = helper.getNode('ind').status.args.map((a) => a[0]).find((st) => st && st.fill === 'red');
    assert.equal(red && red.text, 'InvalidSetting');
    await refused({ payload: indicator() }, /never-block entry "not a domain!"/, 'InvalidSetting');
  });

  it('shows the exact request in a dry run and sends nothing (submit, delete, import)', async () => {
    sim = await simulator();
    await load({ dryRun: true, action: 'Block', severity: 'Medium' });
    const { out } = await run({ indicatorValue: SHA256, topic: 'x' });
    assert.equal(out.payload, null);
    assert.equal(out.mde.dryRun, true);
    assert.equal(out.mde.request.method, 'POST');
    assert.equal(out.mde.request.url, `${sim.url}/api/indicators`);
    assert.deepEqual(out.mde.request.body, { indicatorValue: SHA256, indicatorType: 'FileSha256', action: 'Block', title: 'SOC: x', description: 'from a flow', severity: 'Medium' });

    await helper.unload();
    await load({ mode: 'delete', dryRun: true });
    const del = await run({ indicatorId: '1234' });
    assert.deepEqual(del.out.mde.request, { method: 'DELETE', url: `${sim.url}/api/indicators/1234` });

    await helper.unload();
    await load({ mode: 'import', dryRun: true, chunkSize: 2 });
    const imp = await run({ payload: [indicator(), indicator({ indicatorValue: SHA1, indicatorType: 'FileSha1' }), indicator({ indicatorType: 'IpAddress', indicatorValue: '8.8.4.4' })] });
    assert.equal(imp.out.mde.requests.length, 2);
    assert.deepEqual(imp.out.mde.requests.map((q) => q.body.Indicators.length), [2, 1]);
    assert.equal(sent(sim).length, 0, 'a dry run sends nothing');
    assert.equal(sim.state.indicators.length, 0);
  });

  it('caps blocking indicators per connection and window; non-blocking ones do not count', async () => {
    sim = await simulator();
    await load({ source: 'msg' }, { blockCap: 2, blockWindowMinutes: 60 });
    const hashes = ['1', '2', '3'].map((d) => d.repeat(64));
    assert.ok((await run({ payload: indicator({ indicatorValue: hashes[0], action: 'Block' }) })).out);
    assert.ok((await run({ payload: indicator({ indicatorValue: hashes[1], action: 'Alert' }) })).out, 'Alert does not count');
    assert.ok((await run({ payload: indicator({ indicatorValue: hashes[1], action: 'Warn' }) })).out);
    await refused({ payload: indicator({ indicatorValue: hashes[2], action: 'Block' }) }, /cap of 2 per 60 minutes \(2 already sent in this window\)/, 'BlockCap');
    assert.ok((await run({ payload: indicator({ indicatorValue: hashes[2], action: 'Allowed' }) })).out, 'Allowed still passes');
    assert.equal(sent(sim, (r) => r.method === 'POST').length, 4);
  });

  it('lists indicators with documented filters and pages with $top / $skip up to max results', async () => {
    sim = await simulator();
    await load({ mode: 'import' });
    const many = Array.from({ length: 12 }, (_, i) => indicator({ indicatorValue: String(i).padStart(2, '0').repeat(32), action: i % 2 ? 'Block' : 'Alert', severity: i % 3 ? 'Low' : 'High' }));
    assert.ok((await run({ payload: many })).out);
    await helper.unload();
    await load({ mode: 'list', listActions: 'Block', listTypes: 'FileSha256', pageSize: 2, maxResults: 5 });
    sim.clearLog();
    const { out } = await run({});
    const blocks = sim.state.indicators.filter((i) => i.action === 'Block');
    assert.equal(out.payload.length, 5);
    assert.equal(out.mde.truncated, true);
    assert.equal(out.mde.pages, 3);
    assert.equal(out.mde.filter, "indicatorType eq 'FileSha256' and action eq 'Block'");
    assert.deepEqual(sent(sim).map((r) => [query(r).get('$top'), query(r).get('$skip')]), [['2', null], ['2', '2'], ['1', '4']]);
    assert.deepEqual(out.payload.map((i) => i.id), blocks.slice(0, 5).map((i) => i.id));

    const { out: high } = await run({ filter: { action: ['Alert'], severity: ['High'], maxResults: 100 } });
    assert.deepEqual(high.payload.map((i) => i.id).sort(), sim.state.indicators.filter((i) => i.action === 'Alert' && i.severity === 'High').map((i) => i.id).sort());
    await refused({ filter: { action: 'Block' } }, /action must be a list of text values/);
    await refused({ filter: { colour: ['red'] } }, /unknown property "colour"/);
    await refused({ filter: 'action eq Block' }, /msg\.filter must be an object/);
  });

  it('deletes by ID with one DELETE; an unknown ID is a 404; a malformed ID is refused; a 5xx is not resent', async () => {
    sim = await simulator();
    await load({ source: 'msg' });
    const { out } = await run({ payload: indicator() });
    const id = out.payload.id;
    await helper.unload();
    await load({ mode: 'delete' });
    sim.clearLog();
    const del = await run({ indicatorId: id });
    assert.deepEqual(del.out.payload, { id, deleted: true });
    assert.deepEqual(sent(sim).map((r) => `${r.method} ${r.path} ${r.status}`), [`DELETE /api/indicators/${id} 204`]);
    assert.equal(sim.state.indicators.length, 0);

    const again = await run({ indicatorId: id });
    assert.equal(again.caught.mde.error.status, 404);
    await refused({ indicatorId: 995 }, /the number 995; allowed: the indicator ID as text/);
    await refused({ indicatorId: '99;5' }, /is not an MDE indicator ID/);
    await refused({}, /No indicator ID: set msg\.indicatorId/);

    sim.setFaults({ failNext: [{ status: 503, pathIncludes: '/api/indicators/4242', count: 3 }] });
    sim.clearLog();
    const failed = await run({ indicatorId: '4242' });
    assert.equal(failed.caught.mde.error.status, 503);
    assert.equal(sent(sim, (r) => r.method === 'DELETE').length, 1, 'the delete was not resent');
  });

  it('imports a large list in chunks of at most 500 with per-item results; every item is checked first', async () => {
    sim = await simulator();
    await load({ mode: 'import' });
    const list = Array.from({ length: 1203 }, (_, i) => indicator({ indicatorValue: i.toString(16).padStart(64, '0') }));
    const { out } = await run({ payload: list });
    const calls = sent(sim);
    assert.deepEqual(calls.map((r) => `${r.method} ${r.path}`), Array(3).fill('POST /api/indicators/import'));
    assert.equal(out.payload.length, 1203);
    assert.ok(out.payload.every((r) => r.isFailed === false && /^\d+$/.test(r.id)));
    assert.equal(out.mde.chunks, 3);
    assert.equal(out.mde.imported, 1203);
    assert.equal(sim.state.indicators.length, 1203);

    sim.clearLog();
    const bad = list.slice(0, 3).concat([indicator({ indicatorValue: 'xyz' })]);
    await refused({ payload: bad }, /msg\.payload\[3\]\.indicatorValue "xyz" is not a SHA-256 hash/);
    await refused({ payload: [indicator({ indicatorType: 'DomainName', indicatorValue: 'login.microsoftonline.com', action: 'Block' })] }, /msg\.payload\[0\] DomainName login\.microsoftonline\.com/, 'NeverBlock');
    await refused({ payload: [] }, /empty list/);
    await refused({ payload: indicator() }, /must be a list of indicator objects/);
  });

  it('reports per-item failures from the service in msg.mde.failures', async () => {
    sim = await simulator({ maxActiveIndicators: 2 });
    await load({ mode: 'import' });
    const { out } = await run({ payload: ['1', '2', '3'].map((d) => indicator({ indicatorValue: d.repeat(64) })) });
    assert.deepEqual(out.payload.map((r) => r.isFailed), [false, false, true]);
    assert.equal(out.mde.failed, 1);
    assert.equal(out.mde.imported, 2);
    assert.match(out.mde.failures[0].failureReason, /maximum of 2 active indicators/);
  });

  it('refuses unknown settings at deploy (red InvalidSetting) and for every message, sending nothing', async () => {
    sim = await simulator();
    const cases = [
      [{ mode: 'purge' }, 'mode'],
      [{ action: 'Nuke' }, 'action'],
      [{ indicatorType: 'Sha512' }, 'indicatorType'],
      [{ severity: 'Critical' }, 'severity'],
      [{ generateAlert: 'yes' }, 'generateAlert'],
      [{ mode: 'import', chunkSize: 501 }, 'chunkSize'],
      [{ mode: 'list', listActions: 'Block, Destroy' }, 'listActions'],
      [{ dryRun: 'false' }, 'dryRun'],
      [{ title: '  ' }, 'title'],
      [{ description: undefined }, 'description'],
    ];
    for (const [props, setting] of cases) {
      await load(props);
      const red = helper.getNode('ind').status.args.map((a) => a[0]).find((st) => st && st.fill === 'red');
      assert.equal(red && red.text, 'InvalidSetting', `${setting}: red status at deploy`);
      const caught = await refused({ indicatorValue: SHA256 }, new RegExp(`"${setting}"`));
      assert.equal(caught.error.code, 'InvalidSetting', setting);
      await helper.unload();
    }
    assert.equal(sent(sim).length, 0);
  });

  it('without Ti.ReadWrite the 403 names the roles; with Ti.ReadWrite only, the app lists only its own indicators', async () => {
    sim = await simulator();
    await load({ source: 'msg' }, { clientId: APPS.readOnly.clientId }, secretCredentials(APPS.readOnly.secret));
    const r = await run({ payload: indicator() });
    assert.equal(r.caught.mde.error.status, 403);
    assert.match(r.caught.error.message, /Ti\.ReadWrite/);

    await helper.unload();
    await load({ source: 'msg' });
    assert.ok((await run({ payload: indicator() })).out);
    sim.state.indicators.push({ ...sim.state.indicators[0], id: '5000', indicatorValue: 'c'.repeat(64), createdBy: 'someone-else' });
    sim.setApp(APPS.soc.clientId, { roles: ['Ti.ReadWrite'] });
    await helper.unload();
    await load({ mode: 'list' });
    const own = await run({});
    assert.deepEqual(own.out.payload.map((i) => i.indicatorValue), [SHA256]);
  });

  it('Test connection lists the indicator node with the roles it needs, and what is missing', async () => {
    sim = await simulator();
    await load({});
    const cfg = configNode(sim);
    const dialog = { id: 'cfg', tenantId: cfg.tenantId, clientId: cfg.clientId, authMethod: 'secret', cloud: 'custom', region: '', apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem, clientSecret: '__PWRD__', certificatePem: '', privateKeyPem: '', privateKeyPassphrase: '', thumbprint: '' };
    const entry = async () => (await helper.request().post('/mde-config/test-connection').send(dialog).expect(200)).body.nodes.find((n) => n.type === 'mde-indicators');
    const granted = await entry();
    assert.deepEqual(granted.needs, ['Ti.ReadWrite|Ti.ReadWrite.All']);
    assert.equal(granted.ok, true);
    sim.setApp(APPS.soc.clientId, { roles: ['Machine.Read.All'] });
    await helper.unload();
    await load({});
    const missing = await entry();
    assert.equal(missing.ok, false);
    assert.deepEqual(missing.missing, ['Ti.ReadWrite|Ti.ReadWrite.All']);
  });

  it('never resends a submit or an import call after a 5xx; a failed import says how far it got', async () => {
    sim = await simulator();
    await load({ source: 'msg' });
    sim.setFaults({ failNext: [{ status: 503, pathIncludes: '/api/indicators', count: 3 }] });
    const r = await run({ payload: indicator({ action: 'Block' }) });
    assert.equal(r.caught.mde.error.status, 503);
    assert.match(r.caught.error.message, /not sent again automatically/);
    assert.equal(sent(sim, (q) => q.method === 'POST').length, 1, 'the submit was not resent');

    await helper.unload();
    await load({ mode: 'import', chunkSize: 2 });
    sim.setFaults({ failNext: [{ status: 500, pathIncludes: '/api/indicators/import', count: 3 }] });
    sim.clearLog();
    const imp = await run({ payload: ['1', '2', '3', '4', '5'].map((d) => indicator({ indicatorValue: d.repeat(64) })) });
    assert.ok(imp.caught);
    assert.match(imp.caught.error.message, /^Import call 1 of 3 failed \(0 earlier call\(s\) went through/);
    assert.deepEqual(imp.caught.mde.results, []);
    assert.equal(imp.caught.mde.sentChunks, 0);
    assert.equal(sent(sim).length, 1, 'nothing was resent and no later chunk was sent');
  });
});
