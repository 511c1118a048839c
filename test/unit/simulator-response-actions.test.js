'use strict';
// The simulator's other response actions, built from Microsoft's reference pages: stop and
// quarantine, offboard, live response (per-command results), the investigation package link
// (404 until the collection succeeded, SAS expiry), result links, permissions and errors.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startSimulator } = require('../../dist/simulator/index.js');
const { request, getToken, sleep } = require('../fixtures/simulator-client.js');

const SHA1 = '87662bc3d60e4200ceaf7aae249d1c343f4b83c9';

describe('simulator: response actions beyond isolation', () => {
  let sim;
  let tok;
  let readOnly;
  before(async () => {
    sim = await startSimulator({ alerts: 3, machines: 24, processEvents: 10, actionTimings: { pendingMs: 60, inProgressMs: 60 }, packageLinkTtlMs: 120_000, actionOutcome: { 'srv-sql-02.contoso-sim.local': 'Failed' } });
    tok = await getToken(sim);
    readOnly = await getToken(sim, 'readOnly');
  });
  after(() => sim.close());
  const post = (path, json, token = tok) => request(sim, 'POST', path, { token, json });
  const get = (path, token = tok) => request(sim, 'GET', path, { token });
  const windows = () => sim.state.machines.filter((m) => /^Windows/.test(m.osPlatform) && m.computerDnsName !== 'srv-sql-02.contoso-sim.local');
  const linux = () => sim.state.machines.find((m) => /linux|ubuntu|rhel|debian/i.test(m.osPlatform));
  async function final(id) {
    for (let i = 0; i < 200; i++) {
      const a = (await get(`/api/machineactions/${id}`)).json;
      if (!['Pending', 'InProgress'].includes(a.status)) return a;
      await sleep(20);
    }
    throw new Error('action never finished');
  }

  test('stop and quarantine: Sha1 required and checked, relatedFileInfo echoed, Windows only, its own role', async () => {
    const m = windows()[0];
    assert.equal((await post(`/api/machines/${m.id}/StopAndQuarantineFile`, { Comment: 'c' })).json.error.code, 'MissingRequiredParameter');
    const bad = await post(`/api/machines/${m.id}/StopAndQuarantineFile`, { Comment: 'c', Sha1: 'abc' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'InvalidInput');
    const wrongCase = await post(`/api/machines/${m.id}/StopAndQuarantineFile`, { Comment: 'c', sha1: SHA1 });
    assert.equal(wrongCase.json.error.code, 'InvalidRequestBody');
    const denied = await post(`/api/machines/${m.id}/StopAndQuarantineFile`, { Comment: 'c', Sha1: SHA1 }, readOnly);
    assert.equal(denied.status, 403);
    const ok = await post(`/api/machines/${m.id}/StopAndQuarantineFile`, { Comment: 'c', Sha1: SHA1 });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.type, 'StopAndQuarantineFile');
    assert.deepEqual(ok.json.relatedFileInfo, { fileIdentifier: SHA1, fileIdentifierType: 'Sha1' });
    const dup = await post(`/api/machines/${m.id}/StopAndQuarantineFile`, { Comment: 'c', Sha1: SHA1 });
    assert.equal(dup.json.error.code, 'ActiveRequestAlreadyExists');
    const lin = linux();
    if (lin) assert.equal((await post(`/api/machines/${lin.id}/StopAndQuarantineFile`, { Comment: 'c', Sha1: SHA1 })).json.error.code, 'OsPlatformNotSupported');
  });

  test('offboard: comment required, 200 as its page documents, not on Linux', async () => {
    const m = windows()[1];
    assert.equal((await post(`/api/machines/${m.id}/offboard`, {})).json.error.code, 'MissingRequiredParameter');
    const ok = await post(`/api/machines/${m.id}/offboard`, { Comment: 'leaving' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.type, 'Offboard');
    const lin = linux();
    if (lin) assert.equal((await post(`/api/machines/${lin.id}/offboard`, { Comment: 'x' })).json.error.code, 'OsPlatformNotSupported');
  });

  test('investigation package: link 404 until the collection succeeded, then a SAS link whose se is its expiry', async () => {
    const m = windows()[2];
    const created = await post(`/api/machines/${m.id}/collectInvestigationPackage`, { Comment: 'forensics' });
    assert.equal(created.status, 201);
    const early = await get(`/api/machineactions/${created.json.id}/GetPackageUri`);
    assert.equal(early.status, 404);
    await final(created.json.id);
    const before = Date.now();
    const link = await get(`/api/machineactions/${created.json.id}/getPackageUri`, readOnly);
    assert.equal(link.status, 200, link.text);
    assert.match(link.json['@odata.context'], /\$metadata#Edm\.String$/);
    const url = new URL(link.json.value);
    assert.match(url.pathname, /WDATP_Investigation_Package\.zip$/);
    const expiry = Date.parse(url.searchParams.get('se'));
    assert.ok(expiry >= before + 110_000 && expiry <= Date.now() + 121_000, url.searchParams.get('se'));
    const scan = await post(`/api/machines/${m.id}/runAntiVirusScan`, { Comment: 'scan', ScanType: 'Quick' });
    assert.equal((await get(`/api/machineactions/${scan.json.id}/GetPackageUri`)).status, 400, 'not a collection');
    assert.equal((await get('/api/machineactions/00000000-0000-0000-0000-000000000000/GetPackageUri')).status, 404);
  });

  test('live response: commands validated and echoed; per-command results and links; one session per machine', async () => {
    const m = windows()[3];
    const bad = [
      [{ Comment: 'c' }, 'MissingRequiredParameter'],
      [{ Comment: 'c', Commands: [] }, 'InvalidInput'],
      [{ Comment: 'c', Commands: [{ type: 'RunCommand', params: [] }] }, 'InvalidInput'],
      [{ Comment: 'c', Commands: [{ type: 'RunScript', params: [{ key: 'Args', value: 'x' }] }] }, 'InvalidInput'],
      [{ Comment: 'c', Commands: [{ type: 'GetFile', params: [{ key: 'Path', value: 3 }] }] }, 'InvalidInput'],
    ];
    for (const [body, code] of bad) assert.equal((await post(`/api/machines/${m.id}/runliveresponse`, body)).json.error.code, code, JSON.stringify(body));
    const commands = [
      { type: 'RunScript', params: [{ key: 'ScriptName', value: 'minidump.ps1' }, { key: 'Args', value: 'OfficeClickToRun' }] },
      { type: 'GetFile', params: [{ key: 'Path', value: 'C:\\windows\\TEMP\\x.zip' }] },
    ];
    const created = await post(`/api/machines/${m.id}/runliveresponse`, { Commands: commands, Comment: 'lr' });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json.commands.map((c) => [c.index, c.commandStatus, c.startTime, c.command]), [[0, 'Created', null, commands[0]], [1, 'Created', null, commands[1]]]);
    assert.equal((await post(`/api/machines/${m.id}/runliveresponse`, { Commands: commands, Comment: 'again' })).json.error.code, 'ActiveRequestAlreadyExists');
    assert.equal((await get(`/api/machineactions/${created.json.id}/GetLiveResponseResultDownloadLink(index=0)`)).status, 404, 'not finished');
    const done = await final(created.json.id);
    assert.equal(done.status, 'Succeeded');
    assert.deepEqual(done.commands.map((c) => c.commandStatus), ['Completed', 'Completed']);
    for (const index of [0, 1]) {
      const link = await get(`/api/machineactions/${created.json.id}/GetLiveResponseResultDownloadLink(index=${index})`);
      assert.equal(link.status, 200, link.text);
      const expiry = Date.parse(new URL(link.json.value).searchParams.get('se'));
      assert.ok(expiry > Date.now() + 29 * 60_000 && expiry <= Date.now() + 30 * 60_000 + 1000);
    }
    assert.equal((await get(`/api/machineactions/${created.json.id}/GetLiveResponseResultDownloadLink(index=2)`)).status, 400);
    const denied = await post(`/api/machines/${m.id}/runliveresponse`, { Commands: commands, Comment: 'lr' }, readOnly);
    assert.equal(denied.status, 403);
  });

  test('a failing live response fails its first command and leaves the rest Created', async () => {
    const m = sim.state.machines.find((x) => x.computerDnsName === 'srv-sql-02.contoso-sim.local');
    const commands = [{ type: 'RunScript', params: [{ key: 'ScriptName', value: 'a.ps1' }] }, { type: 'GetFile', params: [{ key: 'Path', value: 'C:\\a' }] }];
    const created = await post(`/api/machines/${m.id}/runliveresponse`, { Commands: commands, Comment: 'lr' });
    const done = await final(created.json.id);
    assert.equal(done.status, 'Failed');
    assert.deepEqual(done.commands.map((c) => c.commandStatus), ['Failed', 'Created']);
    assert.equal(done.commands[0].errors.length, 1);
    assert.equal((await get(`/api/machineactions/${created.json.id}/GetLiveResponseResultDownloadLink(index=0)`)).status, 404);
  });

  test('the control route makes the next actions of a device fail, and null restores them', async () => {
    const m = windows()[5];
    const bad = await request(sim, 'POST', '/_simulator/action-outcomes', { json: { [m.computerDnsName]: 'Broken' } });
    assert.equal(bad.status, 400);
    assert.equal((await request(sim, 'POST', '/_simulator/action-outcomes', { json: { [m.computerDnsName.toUpperCase()]: 'Failed' } })).status, 200);
    const failed = await final((await post(`/api/machines/${m.id}/runAntiVirusScan`, { Comment: 'scan', ScanType: 'Quick' })).json.id);
    assert.equal(failed.status, 'Failed');
    await request(sim, 'POST', '/_simulator/action-outcomes', { json: { [m.computerDnsName]: null } });
    const ok = await final((await post(`/api/machines/${m.id}/runAntiVirusScan`, { Comment: 'scan', ScanType: 'Quick' })).json.id);
    assert.equal(ok.status, 'Succeeded');
  });

  test('a scan on a failing machine ends Failed with an errorHResult', async () => {
    const m = sim.state.machines.find((x) => x.computerDnsName === 'srv-sql-02.contoso-sim.local');
    const created = await post(`/api/machines/${m.id}/runAntiVirusScan`, { Comment: 'scan', ScanType: 'Full' });
    const done = await final(created.json.id);
    assert.equal(done.status, 'Failed');
    assert.notEqual(done.errorHResult, 0);
    assert.equal(done.scope, 'Full');
  });
});
