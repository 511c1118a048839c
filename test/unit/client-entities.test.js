'use strict';
// The value checks of the file / IP / domain / user calls (pure), and the collection reader's
// paging rails against the simulator: every call sends its value as one path segment, a foreign
// @odata.nextLink is never followed, and nothing is sent for a refused value.
const { describe, it, after, before } = require('node:test');
const assert = require('node:assert/strict');
const { fileHash } = require('../../dist/client/mde/files.js');
const { ipAddress, getIpStats } = require('../../dist/client/mde/ips.js');
const { domainName } = require('../../dist/client/mde/domains.js');
const { userName, listUserAlerts } = require('../../dist/client/mde/users.js');
const { lookBackHours } = require('../../dist/client/mde/look-back.js');
const { readCollection } = require('../../dist/client/mde/collection.js');
const { MdeConnection } = require('../../dist/client/connection.js');
const { startSimulator } = require('../../dist/simulator/index.js');
const { connectionSettings } = require('../helpers/sim.js');

const SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const SHA256 = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

const refuses = (fn, pattern, code) => assert.throws(fn, (e) => pattern.test(e.message) && (!code || e.code === code));

describe('entity value checks', () => {
  it('file hashes: SHA-1 or SHA-256 as the call allows, lower-cased; MD5, other lengths and non-text refused', () => {
    assert.deepEqual(fileHash(` ${SHA1.toUpperCase()} `), { hash: SHA1, kind: 'SHA-1' });
    assert.deepEqual(fileHash(SHA256), { hash: SHA256, kind: 'SHA-256' });
    refuses(() => fileHash(SHA256, ['SHA-1']), /is a SHA-256, but this call takes a SHA-1 only/, 'InvalidFileHash');
    refuses(() => fileHash('44d88612fea8a8f36de82e1278abb02f'), /looks like an MD5/);
    refuses(() => fileHash(`${SHA1}0`), /is not a SHA-1 or SHA-256/);
    refuses(() => fileHash(`${SHA1.slice(0, 38)}/.`), /is not a SHA-1/);
    refuses(() => fileHash(Buffer.from(SHA1)), /got a buffer of 40 bytes/);
  });

  it('IP addresses: IPv4 / IPv6 text; zones, partial addresses, leading zeros and numbers refused', () => {
    assert.equal(ipAddress(' 203.0.113.50 '), '203.0.113.50');
    assert.equal(ipAddress('2001:db8::1'), '2001:db8::1');
    for (const bad of ['203.0.113', '010.0.0.1', 'fe80::1%eth0', '203.0.113.50/32', '', 3405803826]) refuses(() => ipAddress(bad), /IPv4 or IPv6 address/, 'InvalidIpAddress');
  });

  it('domains: a host name only; URLs, ports, paths, wildcards, IPs, trailing dots and control characters refused', () => {
    assert.equal(domainName('Evil-CDN.example'), 'Evil-CDN.example');
    assert.equal(domainName('xn--bcher-kva.example'), 'xn--bcher-kva.example');
    refuses(() => domainName('http://evil.example'), /give the host only/, 'InvalidDomain');
    refuses(() => domainName('evil.example:8080'), /give the host only/);
    refuses(() => domainName('evil.example/x'), /give the host only/);
    refuses(() => domainName('evil.example.'), /trailing dot/);
    refuses(() => domainName('*.evil.example'), /not a valid host name/);
    refuses(() => domainName('-evil.example'), /not a valid host name/);
    refuses(() => domainName('10.0.0.1'), /IP modes/);
    refuses(() => domainName('bücher.example'), /xn-- form/);
    refuses(() => domainName('evil.example\n'), /control character/);
    refuses(() => domainName(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.example`), /not a valid host name/);
  });

  it('users: the user name only; a UPN or DOMAIN\\user is refused with the name to send, path characters refused', () => {
    assert.equal(userName('jdoe'), 'jdoe');
    assert.equal(userName("o'brien"), "o'brien");
    refuses(() => userName('jdoe@contoso.com'), /is a UPN; Defender takes the user name only: "jdoe"/, 'InvalidUser');
    refuses(() => userName('CONTOSO\\jdoe'), /carries a domain; Defender takes the user name only: "jdoe"/);
    for (const bad of ['..', '.', 'a/b', 'a?b', 'a"b', 'a:b', 'jdoe.', 'x'.repeat(105)]) refuses(() => userName(bad), /is not a user name/);
    refuses(() => userName('jdoe\t'), /control character/);
    refuses(() => userName(7), /must be a user name as text/);
  });

  it('lookBackHours: absent, or a whole number from 1 to 720; text and fractions refused', () => {
    assert.equal(lookBackHours(undefined), undefined);
    assert.equal(lookBackHours(1), 1);
    assert.equal(lookBackHours(720), 720);
    for (const bad of [0, 721, 1.5, '48', null, NaN]) refuses(() => lookBackHours(bad), /from 1 to 720/, 'InvalidLookBack');
  });
});

describe('entity calls against the simulator', () => {
  let sim;
  let http;
  before(async () => {
    sim = await startSimulator({ port: 0, pageSize: 2 });
    http = new MdeConnection(connectionSettings(sim)).http;
  });
  after(() => sim.close());

  it('sends the value as one encoded path segment and nothing at all for a refused value', async () => {
    sim.clearLog();
    await listUserAlerts(http, 'jdoe%2F..%2Fmachines', 10);
    await assert.rejects(listUserAlerts(http, '../machines', 10), /is not a user name/);
    await assert.rejects(getIpStats(http, '203.0.113.50', 721), /from 1 to 720/);
    const api = sim.requests.filter((r) => r.kind === 'api');
    assert.deepEqual(api.map((r) => r.path), ['/api/users/jdoe%2F..%2Fmachines/alerts']);
  });

  it('follows a same-host nextLink, never a foreign one, and never the same one twice', async () => {
    const pages = [
      { value: [1, 2], '@odata.nextLink': `${sim.url}/api/files/x/machines?$skip=2` },
      { value: [3], '@odata.nextLink': 'https://elsewhere.example/api/files/x/machines?$skip=3' },
    ];
    const fake = { request: async () => ({ status: 200, body: pages.shift() }), baseUrl: (a) => http.baseUrl(a) };
    await assert.rejects(readCollection(fake, 'other', '/api/files/x/machines', 100), (e) => e.code === 'ForeignNextLink');
    const loop = { request: async () => ({ status: 200, body: { value: [1], '@odata.nextLink': `${sim.url}/api/x?$skip=1` } }), baseUrl: (a) => http.baseUrl(a) };
    await assert.rejects(readCollection(loop, 'other', '/api/x', 100), /same @odata\.nextLink twice/);
    const capped = { request: async () => ({ status: 200, body: { value: [1, 2, 3], '@odata.nextLink': `${sim.url}/api/x?$skip=3` } }), baseUrl: (a) => http.baseUrl(a) };
    assert.deepEqual(await readCollection(capped, 'other', '/api/x', 2), { items: [1, 2], pages: 1, truncated: true });
  });
});
