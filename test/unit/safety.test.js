'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { IsolationGuard, protectionReason } = require('../../dist/client/safety/isolation-guard.js');
const { ActionJournal, snapshotMessage } = require('../../dist/client/safety/action-journal.js');
const { normalizePem } = require('../../dist/client/pem.js');

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
  it('persists pending actions and guard state across instances, atomically', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-'));
    const file = path.join(dir, 'sub', 'journal.json');
    const a = new ActionJournal(file);
    const record = { actionId: 'x1', verb: 'isolate', machineId: 'm', startedAt: 1, deadline: 2, msg: { topic: 't' } };
    await Promise.all([a.addPending('node1', record), a.addPending('node1', { ...record, actionId: 'x2' }), a.saveGuardState('cfg', { isolations: [5] })]);
    await a.addPending('node1', record); // idempotent
    const b = new ActionJournal(file);
    assert.deepEqual((await b.pendingFor('node1')).map((r) => r.actionId), ['x1', 'x2']);
    assert.deepEqual(await b.guardState('cfg'), { isolations: [5] });
    await b.removePending('node1', 'x1');
    assert.deepEqual((await new ActionJournal(file).pendingFor('node1')).map((r) => r.actionId), ['x2']);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['journal.json'], 'no temp files left behind');
  });
  it('starts empty when the file is missing or corrupt', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-'));
    fs.writeFileSync(path.join(dir, 'j.json'), '{not json');
    assert.deepEqual(await new ActionJournal(path.join(dir, 'j.json')).pendingFor('n'), []);
  });
  it('snapshots only the JSON-safe part of a message', () => {
    const msg = { _msgid: 'id', payload: { a: 1 }, req: { socket: {} }, res: {}, fn: () => 1, big: 'x'.repeat(10) };
    assert.deepEqual(snapshotMessage(msg), { payload: { a: 1 }, big: 'xxxxxxxxxx' });
    assert.equal(snapshotMessage({ payload: 'x'.repeat(70_000) }), undefined);
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
