'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { IsolationGuard, protectionReason } = require('../../dist/client/safety/isolation-guard.js');
const { ActionJournal, routingFields, looksLikeCredential } = require('../../dist/client/safety/action-journal.js');
const { answerMayBeLost } = require('../../dist/client/safety/action-engine.js');
const { isolationTypeRefusal } = require('../../dist/client/mde/machine-actions.js');
const { MdeApiError, MdeAuthError, MdeInputError, MdeNetworkError } = require('../../dist/client/errors.js');
const { normalizePem } = require('../../dist/client/auth/pem.js');

describe('protectionReason', () => {
  const rules = { ids: ['AAAA000000000000000000000000000000000001'], namePatterns: ['dc*', '*.finance.contoso.com'], tags: ['DoNotIsolate'] };
  it('protects by ID (case-insensitive), name pattern on the host label or full name, and tag', () => {
    assert.match(protectionReason({ id: 'aaaa000000000000000000000000000000000001' }, rules), /protected list/);
    assert.match(protectionReason({ id: 'b', computerDnsName: 'DC02.contoso.local' }, rules), /dc\*/);
    assert.match(protectionReason({ id: 'b', computerDnsName: 'ws1.finance.contoso.com' }, rules), /finance/);
    assert.match(protectionReason({ id: 'b', computerDnsName: 'ws1', machineTags: ['donotisolate'] }, rules), /DoNotIsolate/);
  });
  it('does not protect look-alikes', () => {
    assert.equal(protectionReason({ id: 'b', computerDnsName: 'adc02.contoso.local', machineTags: ['DoNotIsolateLater'] }, rules), null);
    assert.equal(protectionReason({ id: 'b', computerDnsName: 'ws1.finance.contoso.com.evil' }, rules), null);
  });
  it('treats regex characters in patterns literally', () => {
    assert.equal(protectionReason({ id: 'b', computerDnsName: 'wsXcontoso' }, { ids: [], namePatterns: ['ws.contoso'], tags: [] }), null);
  });
});

describe('IsolationGuard', () => {
  it('caps isolations per sliding window and forgets old ones', () => {
    let now = 1_000_000;
    const guard = new IsolationGuard(2, 60_000, () => now);
    guard.record('m1', 'isolate', true);
    guard.record('m2', 'isolate', true);
    assert.deepEqual(guard.checkCap(), { allowed: false, count: 2, limit: 2, windowMs: 60_000 });
    now += 60_001;
    assert.deepEqual(guard.checkCap(), { allowed: true });
  });
  it('does not count joined requests or releases toward the cap', () => {
    const guard = new IsolationGuard(1, 60_000);
    guard.record('m1', 'isolate', false);
    guard.record('m2', 'release', true);
    assert.equal(guard.checkCap().allowed, true);
  });
  it('refuses a contradictory request inside the window only', () => {
    let now = 0;
    const guard = new IsolationGuard(5, 60_000, () => now);
    guard.record('M1', 'isolate', true);
    now = 10_000;
    assert.deepEqual(guard.checkConflict('m1', 'release', 30_000), { allowed: false, other: 'isolate', agoMs: 10_000 });
    assert.deepEqual(guard.checkConflict('m1', 'isolate', 30_000), { allowed: true });
    now = 40_000;
    assert.deepEqual(guard.checkConflict('m1', 'release', 30_000), { allowed: true });
  });
  it('survives a snapshot / restore round trip', () => {
    const guard = new IsolationGuard(1, 60_000);
    guard.record('m1', 'isolate', true);
    const copy = new IsolationGuard(1, 60_000);
    copy.restore(JSON.parse(JSON.stringify(guard.snapshot())));
    assert.equal(copy.checkCap().allowed, false);
    assert.equal(copy.checkConflict('m1', 'release', 60_000).allowed, false);
  });
});

describe('ActionJournal', () => {
  const tmpFile = (name = 'journal.json') => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'journal-')), name);
  const record = (over = {}) => ({
    requestId: 'r1', actionType: 'Isolate', verb: 'isolate', scope: 'Full', machineId: 'm1', computerDnsName: 'ws1',
    intentAt: 1000, deadline: 2000, commentSha256: 'ab', msg: { _msgid: 'id1', topic: 't' }, ...over,
  });

  it('persists records and guard state across instances, atomically', async () => {
    const file = path.join(path.dirname(tmpFile()), 'sub', 'journal.json');
    const a = new ActionJournal(file);
    await Promise.all([a.add('node1', record()), a.add('node1', record({ requestId: 'r2' })), a.saveGuardState('cfg', { isolations: [5] })]);
    await a.add('node1', record()); // idempotent
    await a.update('node1', 'r1', { actionId: 'x1' });
    const b = new ActionJournal(file);
    assert.deepEqual((await b.recordsFor('node1')).map((r) => [r.requestId, r.actionId]), [['r1', 'x1'], ['r2', undefined]]);
    assert.deepEqual(await b.guardState('cfg'), { isolations: [5] });
    await b.remove('node1', 'r1');
    assert.deepEqual((await new ActionJournal(file).recordsFor('node1')).map((r) => r.requestId), ['r2']);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['journal.json'], 'no temp files left behind');
  });

  it('starts empty when the file is missing or corrupt', async () => {
    const file = tmpFile('j.json');
    fs.writeFileSync(file, '{not json');
    assert.deepEqual(await new ActionJournal(file).recordsFor('n'), []);
  });

  it('writes only the message id and topic of a message, never its token, headers or anything else', async () => {
    const file = tmpFile();
    const token = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJjYW5hcnkifQ.c2lnbmF0dXJl';
    const msg = {
      _msgid: 'abc.123', topic: 'alert da42', payload: { secret: 'S3cr3t~canary' }, token: { accessToken: token },
      headers: { Authorization: `Bearer ${token}` }, clientSecret: 'abc8Q~canarycanarycanarycanarycanarycan', req: {},
    };
    await new ActionJournal(file).add('n', record({ msg }));
    const text = fs.readFileSync(file, 'utf8');
    for (const leak of [token, 'Bearer', 'S3cr3t~canary', 'canarycanary', 'payload', 'headers']) assert.ok(!text.includes(leak), `the journal holds ${leak}`);
    assert.deepEqual((await new ActionJournal(file).recordsFor('n'))[0].msg, { _msgid: 'abc.123', topic: 'alert da42' });
  });

  it('drops a topic that looks like a credential', () => {
    for (const topic of ['Bearer abc.def', 'basic dXNlcjpwYXNz', 'eyJhbGciOi.eyJzdWIiOiIx.sig', 'abc8Q~0123456789abcdefghij0123456789ab', 'password=hunter2', 'x'.repeat(300)]) {
      assert.deepEqual(routingFields({ topic }), {}, topic);
    }
    assert.deepEqual(routingFields({ topic: 'isolate ws-fin-0412', _msgid: 'a1b2' }), { topic: 'isolate ws-fin-0412', _msgid: 'a1b2' });
    assert.deepEqual(routingFields({ topic: { a: 1 }, _msgid: '../../etc' }), {});
    assert.ok(!looksLikeCredential('Isolated by flow SOC for alert da637'));
  });

  it('scrubs a journal written by the previous version (whole messages) on first read', async () => {
    const file = tmpFile();
    const token = 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJvbGQifQ.old-signature';
    fs.writeFileSync(file, JSON.stringify({
      version: 1,
      pending: { node1: [{ actionId: 'a1', verb: 'isolate', machineId: 'm1', computerDnsName: 'ws1', startedAt: 10, deadline: 20, msg: { topic: 'kept', token: { accessToken: token }, headers: { Authorization: `Bearer ${token}` } } }] },
      guards: { cfg: { isolations: [1] } },
    }));
    const records = await new ActionJournal(file).recordsFor('node1');
    assert.equal(records.length, 1);
    assert.equal(records[0].actionId, 'a1');
    assert.equal(records[0].actionType, 'Isolate');
    assert.deepEqual(records[0].msg, { topic: 'kept' });
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!text.includes(token) && !text.includes('Bearer'), 'the old file was rewritten without the token');
    assert.deepEqual(await new ActionJournal(file).guardState('cfg'), { isolations: [1] });
  });
});

describe('answerMayBeLost', () => {
  it('is true for a lost, unreadable or server-error answer and false for a refusal or a request never sent', () => {
    assert.equal(answerMayBeLost(new MdeNetworkError('reset', { code: 'NetworkError' })), true);
    assert.equal(answerMayBeLost(new MdeNetworkError('slow', { code: 'Timeout' })), true);
    assert.equal(answerMayBeLost(new MdeApiError('not json', { code: 'InvalidResponse', status: 201 })), true);
    assert.equal(answerMayBeLost(new MdeApiError('boom', { code: 'InternalServerError', status: 500 })), true);
    assert.equal(answerMayBeLost(new TypeError('something else')), true);
    assert.equal(answerMayBeLost(new MdeApiError('no', { code: 'BadRequest', status: 400 })), false);
    assert.equal(answerMayBeLost(new MdeApiError('no', { code: 'Forbidden', status: 403 })), false);
    assert.equal(answerMayBeLost(new MdeInputError('bad id')), false);
    assert.equal(answerMayBeLost(new MdeAuthError('no token', { code: 'TokenError' })), false);
  });
});

describe('isolationTypeRefusal', () => {
  const win = (over) => ({ id: 'm', computerDnsName: 'ws1', osPlatform: 'Windows10', osBuild: 19045, version: '22H2', ...over });
  it('refuses Selective on Linux, macOS and Windows older than 10 1709, with the reason', () => {
    assert.match(isolationTypeRefusal(win({ osPlatform: 'Linux' }), 'Selective'), /runs Linux.*Full isolation only/);
    assert.match(isolationTypeRefusal(win({ osPlatform: 'Ubuntu' }), 'Selective'), /Ubuntu/);
    assert.match(isolationTypeRefusal(win({ osPlatform: 'macOS' }), 'Selective'), /macOS/);
    assert.match(isolationTypeRefusal(win({ osBuild: 15063, version: '1703' }), 'Selective'), /version 1703, build 15063.*1709/);
    assert.match(isolationTypeRefusal(win({ osPlatform: 'Windows7' }), 'Selective'), /Windows7/);
  });
  it('allows Full everywhere, and Selective on Windows 10 1709+, Windows 11, servers and unknown platforms', () => {
    assert.equal(isolationTypeRefusal(win({ osPlatform: 'Linux' }), 'Full'), null);
    assert.equal(isolationTypeRefusal(win({ osBuild: 16299, version: '1709' }), 'Selective'), null);
    assert.equal(isolationTypeRefusal(win({ osPlatform: 'Windows11', osBuild: 22631 }), 'Selective'), null);
    assert.equal(isolationTypeRefusal(win({ osPlatform: 'WindowsServer2022', osBuild: 20348 }), 'Selective'), null);
    assert.equal(isolationTypeRefusal(win({ osBuild: null }), 'Selective'), null);
    assert.equal(isolationTypeRefusal({ id: 'm' }, 'Selective'), null);
  });
});

describe('normalizePem', () => {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  it('re-wraps a PEM whose newlines were lost in a password field', () => {
    const flat = pem.replace(/\n/g, ' ');
    const fixed = normalizePem(flat, 'PRIVATE KEY');
    assert.equal(fixed, pem);
    assert.doesNotThrow(() => crypto.createPrivateKey(fixed));
  });
  it('wraps bare base64 with the default label and keeps several blocks', () => {
    const body = pem.split('\n').slice(1, -2).join('');
    assert.equal(normalizePem(body, 'PRIVATE KEY'), pem);
    assert.equal(normalizePem(pem + pem, 'PRIVATE KEY'), pem + pem);
    assert.throws(() => normalizePem(pem, 'CERTIFICATE'), /PEM certificate/);
    assert.equal(normalizePem('   ', 'CERTIFICATE'), '');
  });
});
