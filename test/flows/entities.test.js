'use strict';
// mde-entities in a real Node-RED runtime against the simulator: each mode with the request it
// sends and what the simulator derives from the alerts' evidence, bad and hostile values refused
// before any request, unknown files (error or null), 403 naming the role, paging, and settings
// refused at deploy.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, sleep, APPS } = require('../helpers/sim');

const entitiesNode = require(path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'mde-entities.js'));
const tab = { id: 'tab', type: 'tab', label: 'Entities' };

// From the seed: the invoice file, the certutil download and the custom-indicator connection all
// happen on ws-fin-0412, whose logged-on user is jdoe.
const INVOICE_SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const INVOICE_SHA256 = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const POWERSHELL_SHA1 = '6cbce4a295c163791b60fc23d285e6d84f28ee4c';
const UNKNOWN_SHA1 = 'ffffffffffffffffffffffffffffffffffff0000';

function entitiesFlow(sim, props = {}, cfg = {}) {
  return [
    tab,
    configNode(sim, cfg),
    { id: 'ent', type: 'mde-entities', z: 'tab', name: '', config: 'cfg', mode: 'file-info', entity: 'payload', entityType: 'msg', wires: [['out']], ...props },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const query = (r) => new URLSearchParams(r.query);
const sent = (sim) => apiRequests(sim);

describe('mde-entities node', () => {
  let sim;
  useFlowSuite();

  let received;
  async function load(props, cfg, credentials = secretCredentials()) {
    await helper.load([nodes.config, entitiesNode], entitiesFlow(sim, props, cfg), credentials);
    received = [];
    helper.getNode('out').on('input', (m) => received.push({ out: m }));
    helper.getNode('caught').on('input', (m) => received.push({ caught: m }));
  }

  async function run(msg) {
    const seen = received.length;
    helper.getNode('ent').receive(msg);
    const end = Date.now() + 8000;
    while (received.length === seen) {
      if (Date.now() > end) throw new Error('no message on out or caught within 8000 ms');
      await sleep(5);
    }
    return received[seen];
  }

  async function refused(msg, pattern, code) {
    const before = sent(sim).length;
    const r = await run(msg);
    assert.ok(r.caught, `refused: ${JSON.stringify(r.out && r.out.payload)}`);
    assert.match(r.caught.error.message, pattern);
    if (code) assert.equal(r.caught.error.code, code);
    assert.equal(sent(sim).length - before, 0, 'no request was sent');
    return r.caught;
  }

  /** Devices whose alert evidence or hunting events hold the SHA-1 (what Defender counts). */
  function devicesThatSaw(sha1, since = 0) {
    const ids = new Set();
    for (const a of sim.state.alerts) if (Date.parse(a.firstEventTime) >= since && a.evidence.some((e) => e.sha1 === sha1)) ids.add(a.machineId);
    for (const t of ['DeviceProcessEvents', 'DeviceFileEvents']) for (const r of sim.state.events[t]) if (r.Timestamp >= since && r.SHA1 === sha1) ids.add(r.DeviceId);
    return ids;
  }

  const fin = () => sim.state.machines.find((m) => m.computerDnsName === 'ws-fin-0412.contoso-sim.local');

  it('file information by SHA-1 or SHA-256: one GET /api/files/{hash}, the File entity of the evidence', async () => {
    sim = await simulator();
    await load({ mode: 'file-info' });
    const { out } = await run({ payload: ` ${INVOICE_SHA1.toUpperCase()} `, topic: 'keep' });
    assert.equal(out.topic, 'keep');
    assert.equal(out.payload.sha1, INVOICE_SHA1);
    assert.equal(out.payload.sha256, INVOICE_SHA256);
    assert.equal(out.payload.determinationType, 'Malware');
    assert.equal(out.payload.determinationValue, 'Trojan:Win32/Wacatac.B!ml');
    assert.equal('@odata.context' in out.payload, false);
    assert.deepEqual(out.mde, { request: 'file information', mode: 'file-info', entityType: 'file', entity: INVOICE_SHA1, found: true });
    const { out: by256 } = await run({ payload: INVOICE_SHA256 });
    assert.equal(by256.payload.sha1, INVOICE_SHA1);
    assert.deepEqual(sent(sim).map((r) => `${r.method} ${r.path}`), [`GET /api/files/${INVOICE_SHA1}`, `GET /api/files/${INVOICE_SHA256}`]);
  });

  it('file statistics: lookBackHours from the dialog or msg.lookBackHours, prevalence counted from the devices that saw the file', async () => {
    sim = await simulator();
    await load({ mode: 'file-stats', lookBackHours: '48' });
    const { out } = await run({ payload: POWERSHELL_SHA1 });
    const devices = devicesThatSaw(POWERSHELL_SHA1, Date.now() - 48 * 3_600_000);
    assert.ok(devices.size > 1);
    assert.equal(out.payload.organizationPrevalence, devices.size);
    assert.deepEqual(out.payload.topFileNames, ['powershell.exe']);
    assert.equal(out.mde.lookBackHours, 48);
    assert.equal(query(sent(sim)[0]).get('lookBackHours'), '48');
    assert.equal(sent(sim)[0].path, `/api/files/${POWERSHELL_SHA1}/stats`);

    const { out: wide } = await run({ payload: POWERSHELL_SHA1, lookBackHours: 720 });
    assert.ok(wide.payload.organizationPrevalence >= out.payload.organizationPrevalence);
    assert.equal(query(sent(sim)[1]).get('lookBackHours'), '720');

    await refused({ payload: POWERSHELL_SHA1, lookBackHours: '24' }, /msg\.lookBackHours: The look-back must be a whole number of hours from 1 to 720 \(30 days\), got "24"/, 'InvalidLookBack');
    await refused({ payload: POWERSHELL_SHA1, lookBackHours: 721 }, /from 1 to 720/);
    await refused({ payload: POWERSHELL_SHA1, lookBackHours: 1.5 }, /from 1 to 720/);
    await refused({ payload: INVOICE_SHA256 }, /is a SHA-256, but this call takes a SHA-1 only/, 'InvalidFileHash');
  });

  it('without a look-back nothing is sent for it: the service default (30 days) applies', async () => {
    sim = await simulator();
    await load({ mode: 'file-stats' });
    const { out } = await run({ payload: INVOICE_SHA1 });
    assert.equal(out.payload.organizationPrevalence, devicesThatSaw(INVOICE_SHA1).size);
    assert.ok(out.payload.organizationPrevalence >= 1);
    assert.equal(query(sent(sim)[0]).has('lookBackHours'), false);
    assert.equal('lookBackHours' in out.mde, false);
  });

  it("a file's machines and alerts: the devices and alerts whose evidence holds the SHA-1", async () => {
    sim = await simulator();
    await load({ mode: 'file-machines' });
    const { out } = await run({ payload: INVOICE_SHA1 });
    const saw = devicesThatSaw(INVOICE_SHA1);
    assert.ok(saw.has(fin().id));
    assert.deepEqual(out.payload.map((m) => m.id).sort(), [...saw].sort());
    assert.deepEqual({ count: out.mde.count, pages: out.mde.pages, truncated: out.mde.truncated }, { count: saw.size, pages: 1, truncated: false });
    await helper.unload();
    await load({ mode: 'file-alerts' });
    const { out: alerts } = await run({ payload: INVOICE_SHA1 });
    const expected = sim.state.alerts.filter((a) => a.evidence.some((e) => e.sha1 === INVOICE_SHA1)).map((a) => a.id);
    assert.ok(expected.length >= 1);
    assert.deepEqual(alerts.payload.map((a) => a.id), expected);
    assert.deepEqual(sent(sim).map((r) => r.path), [`/api/files/${INVOICE_SHA1}/machines`, `/api/files/${INVOICE_SHA1}/alerts`]);
  });

  it('IP statistics and alerts: the evidence address resolves; a valid unseen address has prevalence 0', async () => {
    sim = await simulator();
    await load({ mode: 'ip-stats' });
    const { out } = await run({ payload: '203.0.113.50' });
    assert.equal(out.payload.ipAddress, '203.0.113.50');
    assert.ok(out.payload.organizationPrevalence >= 1);
    const { out: unseen } = await run({ payload: '2001:db8::7' });
    assert.deepEqual(unseen.payload, { ipAddress: '2001:db8::7', organizationPrevalence: 0, orgFirstSeen: null, orgLastSeen: null });
    assert.equal(sent(sim)[1].path, '/api/ips/2001:db8::7/stats');
    await helper.unload();
    await load({ mode: 'ip-alerts' });
    const { out: alerts } = await run({ payload: '203.0.113.50' });
    assert.deepEqual(alerts.payload.map((a) => a.id), sim.state.alerts.filter((a) => a.evidence.some((e) => e.ipAddress === '203.0.113.50')).map((a) => a.id));
    assert.ok(alerts.payload.length >= 1);
  });

  it("domain statistics, machines and alerts for an evidence URL's host; an unknown domain is prevalence 0", async () => {
    sim = await simulator();
    await load({ mode: 'domain-stats' });
    const { out } = await run({ payload: 'evil-cdn.example' });
    assert.equal(out.payload.host, 'evil-cdn.example');
    assert.ok(out.payload.organizationPrevalence >= 1);
    const { out: unknown } = await run({ payload: 'never-seen.contoso-sim.example' });
    assert.equal(unknown.payload.organizationPrevalence, 0);
    await helper.unload();
    await load({ mode: 'domain-machines' });
    const { out: machines } = await run({ payload: 'evil-cdn.example' });
    assert.ok(machines.payload.some((m) => m.id === fin().id));
    await helper.unload();
    await load({ mode: 'domain-alerts' });
    const { out: alerts } = await run({ payload: 'evil-cdn.example' });
    assert.ok(alerts.payload.length >= 1);
    assert.ok(alerts.payload.every((a) => a.title === 'Connection to a custom network indicator'));
  });

  it("a user's machines and alerts by user name", async () => {
    sim = await simulator();
    await load({ mode: 'user-machines' });
    const { out } = await run({ payload: 'jdoe' });
    assert.ok(out.payload.some((m) => m.id === fin().id));
    await helper.unload();
    await load({ mode: 'user-alerts' });
    const { out: alerts } = await run({ payload: 'JDOE' });
    const expected = sim.state.alerts.filter((a) => a.relatedUser && a.relatedUser.userName === 'jdoe').map((a) => a.id);
    assert.ok(expected.length >= 1);
    assert.deepEqual(alerts.payload.map((a) => a.id), expected);
    assert.equal(sent(sim).at(-1).path, '/api/users/JDOE/alerts');
  });

  it('refuses missing, mistyped and malformed values before any request, naming where they were read', async () => {
    sim = await simulator();
    await load({ mode: 'file-info' });
    await refused({}, /No file hash: set msg\.payload/, 'MissingEntity');
    await refused({ payload: 42 }, /The file hash must be a SHA-1 or SHA-256 as hexadecimal text, got the number 42 \(read from msg\.payload\)\./, 'InvalidFileHash');
    await refused({ payload: { sha1: INVOICE_SHA1 } }, /got an object with the key "sha1"/);
    await refused({ payload: [INVOICE_SHA1] }, /got an array of 1 item/);
    await refused({ payload: '44d88612fea8a8f36de82e1278abb02f' }, /looks like an MD5 hash/);
    await refused({ payload: INVOICE_SHA1.slice(0, 39) + 'g' }, /is not a SHA-1 or SHA-256/);
    await helper.unload();
    await load({ mode: 'ip-alerts', entity: 'ip' });
    await refused({ ip: '203.0.113' }, /The IP address must be an IPv4 or IPv6 address/, 'InvalidIpAddress');
    await refused({ ip: 'fe80::1%eth0' }, /IPv4 or IPv6 address/);
    await refused({ ip: 2130706433 }, /got the number 2130706433 \(read from msg\.ip\)/);
    await helper.unload();
    await load({ mode: 'domain-stats' });
    await refused({ payload: 'https://evil-cdn.example/stage2' }, /give the host only, such as evil-cdn\.example/, 'InvalidDomain');
    await refused({ payload: 'evil-cdn.example:443' }, /give the host only/);
    await refused({ payload: 'evil-cdn.example.' }, /without the trailing dot/);
    await refused({ payload: '*.evil-cdn.example' }, /not a valid host name/);
    await refused({ payload: '203.0.113.50' }, /an IP address goes to the IP modes/);
    await helper.unload();
    await load({ mode: 'user-alerts' });
    await refused({ payload: 'jdoe@contoso-sim.onmicrosoft.com' }, /is a UPN; Defender takes the user name only: "jdoe"/, 'InvalidUser');
    await refused({ payload: 'CONTOSO\\jdoe' }, /carries a domain; Defender takes the user name only: "jdoe"/);
    assert.equal(sent(sim).length, 0);
  });

  it('hostile text never changes the path: path characters are refused, anything else stays one encoded segment', async () => {
    sim = await simulator();
    await load({ mode: 'user-alerts' });
    for (const hostile of ['..', '.', 'jdoe/../../machines', 'jdoe?$top=1', 'jdoe"', 'a\\b\\c', 'x\n', '\tjdoe']) {
      await refused({ payload: hostile }, /is not a user name|contains a control character/, 'InvalidUser');
    }
    const { out } = await run({ payload: "o'brien%2F%2E%2E%2Fmachines" });
    assert.deepEqual(out.payload, []);
    // The simulator logs the path decoded once: the value arrived whole, as one segment.
    assert.deepEqual(sent(sim).map((r) => r.path), ["/api/users/o'brien%2F%2E%2E%2Fmachines/alerts"]);
    await helper.unload();
    await load({ mode: 'domain-machines' });
    for (const hostile of ['evil.example/../../machines', '../files', 'evil.example?x=1', "evil'.example", 'evil%2e.example']) {
      await refused({ payload: hostile }, /not a host name|not a valid host name/);
    }
    await helper.unload();
    await load({ mode: 'file-alerts' });
    await refused({ payload: `${INVOICE_SHA1}/../../machines` }, /is not a SHA-1/);
    assert.equal(sent(sim).length, 1);
  });

  it('an unknown file is FileNotFound through the Catch node by default, or payload null when the node says so', async () => {
    sim = await simulator();
    await load({ mode: 'file-stats' });
    const r = await run({ payload: UNKNOWN_SHA1 });
    assert.ok(r.caught);
    assert.equal(r.caught.error.code, 'FileNotFound');
    assert.match(r.caught.error.message, new RegExp(`knows no file with the hash ${UNKNOWN_SHA1}`));
    const red = helper.getNode('ent').status.args.map((a) => a[0]).at(-1);
    assert.equal(red.fill, 'red');
    await helper.unload();
    await load({ mode: 'file-info', onNotFound: 'null' });
    const { out } = await run({ payload: UNKNOWN_SHA1, topic: 'enrich' });
    assert.equal(out.payload, null);
    assert.equal(out.topic, 'enrich');
    assert.deepEqual(out.mde, { request: 'file information', mode: 'file-info', entityType: 'file', entity: UNKNOWN_SHA1, found: false });
  });

  it('a missing permission is a 403 naming the role of that mode', async () => {
    sim = await simulator();
    const cases = [
      ['file-stats', INVOICE_SHA1, /File\.Read\.All/],
      ['ip-stats', '203.0.113.50', /Ip\.Read\.All/],
      ['domain-stats', 'evil-cdn.example', /URL\.Read\.All/],
      ['domain-alerts', 'evil-cdn.example', /Alert\.ReadWrite\.All/],
      ['user-machines', 'jdoe', /Machine\.ReadWrite\.All/],
    ];
    for (const [mode, value, role] of cases) {
      await load({ mode }, { clientId: APPS.readOnly.clientId }, secretCredentials(APPS.readOnly.secret));
      const r = await run({ payload: value });
      assert.ok(r.caught, mode);
      assert.equal(r.caught.mde ? r.caught.error.code : r.caught.error.code, 'Forbidden', mode);
      assert.match(r.caught.error.message, /missing a permission/, mode);
      assert.match(r.caught.error.message, role, mode);
      await helper.unload();
    }
    // The read-only app holds Machine.Read.All and Alert.Read.All: these modes work.
    await load({ mode: 'file-machines' }, { clientId: APPS.readOnly.clientId }, secretCredentials(APPS.readOnly.secret));
    assert.ok((await run({ payload: INVOICE_SHA1 })).out);
  });

  it('Test connection lists the role of each kind of lookup, met or missing', async () => {
    sim = await simulator();
    await load({ mode: 'file-info' });
    const body = (app) => ({ ...configNode(sim, { clientId: app.clientId }), clientSecret: app.secret });
    const rows = async (app) => {
      const res = await helper.request().post('/mde-config/test-connection').send(body(app)).expect(200);
      return Object.fromEntries(res.body.nodes.filter((n) => n.type === 'mde-entities').map((n) => [n.label, n.ok ? 'ok' : n.missing.join(' ')]));
    };
    assert.deepEqual(await rows(APPS.readOnly), {
      'File information / statistics': 'File.Read.All',
      'IP statistics': 'Ip.Read.All',
      'Domain statistics': 'URL.Read.All',
      'File / domain related machines': 'ok',
      'File / IP / user related alerts': 'ok',
      'Domain related alerts': 'Alert.ReadWrite.All',
      'User related machines': 'Machine.ReadWrite.All',
    });
    assert.ok(Object.values(await rows(APPS.soc)).every((v) => v === 'ok'), 'the SOC app (token says Url.Read.All) has them all');
  });

  it('reads related lists page by page (@odata.nextLink) and stops at Max results', async () => {
    sim = await simulator({ pageSize: 2 });
    const devices = [...devicesThatSaw(POWERSHELL_SHA1)];
    assert.ok(devices.length > 5, `powershell ran on ${devices.length} devices`);
    await load({ mode: 'file-machines', maxResults: 5 });
    const { out } = await run({ payload: POWERSHELL_SHA1 });
    assert.equal(out.payload.length, 5);
    assert.deepEqual({ pages: out.mde.pages, truncated: out.mde.truncated }, { pages: 3, truncated: true });
    assert.deepEqual(sent(sim).map((r) => query(r).get('$skip')), [null, '2', '4']);
    await helper.unload();
    await load({ mode: 'file-machines', maxResults: 1000 });
    const { out: all } = await run({ payload: POWERSHELL_SHA1 });
    assert.deepEqual(all.payload.map((m) => m.id).sort(), devices.sort());
    assert.equal(all.mde.truncated, false);
  });

  it('refuses an unknown mode or a bad setting at deploy (red InvalidSetting) and every message, sending nothing', async () => {
    sim = await simulator();
    const cases = [
      [{ mode: 'file' }, 'mode', /"file"; allowed: "file-info" or "file-stats"/],
      [{ mode: 'file-stats', lookBackHours: 721 }, 'lookBackHours', /whole number from 1 to 720/],
      [{ mode: 'file-stats', lookBackHours: 'two days' }, 'lookBackHours', /whole number from 1 to 720/],
      [{ mode: 'file-alerts', maxResults: 0 }, 'maxResults', /whole number from 1 to 1000000/],
      [{ mode: 'file-info', onNotFound: 'ignore' }, 'onNotFound', /"error" or "null"/],
      [{ mode: 'file-info', entityType: 'number' }, 'entityType', /allowed: "msg" or "flow"/],
      [{ mode: 'file-stats', entity: INVOICE_SHA256, entityType: 'str' }, 'entity', /this call takes a SHA-1 only/],
      [{ mode: 'user-alerts', entity: 'jdoe@contoso.com', entityType: 'str' }, 'entity', /is a UPN/],
    ];
    for (const [props, setting, reason] of cases) {
      await load(props);
      const red = helper.getNode('ent').status.args.map((a) => a[0]).find((st) => st && st.fill === 'red');
      assert.equal(red && red.text, 'InvalidSetting', `${setting}: red status at deploy`);
      const caught = await refused({ payload: INVOICE_SHA1 }, reason);
      assert.equal(caught.error.code, 'InvalidSetting', setting);
      assert.ok(caught.error.message.includes(`"${setting}"`), caught.error.message);
      await helper.unload();
    }
    assert.equal(sent(sim).length, 0, 'nothing was sent');
    await load({ mode: 'user-alerts', entity: 'jdoe', entityType: 'str', lookBackHours: '', maxResults: '50' });
    assert.ok(!helper.getNode('ent').status.args.some((a) => a[0] && a[0].fill === 'red'), "the dialog's own values deploy cleanly");
    const { out } = await run({ payload: 'ignored' });
    assert.equal(out.mde.entity, 'jdoe');
  });
});
