'use strict';
// Pure indicator checks and the never-block list: every type's values, refusals that name the
// property, the documented import batch size, and never-block matching (domains with their
// subdomains, URL hosts, IP ranges, hashes, Microsoft endpoints, private ranges).
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const { checkIndicator, checkIndicatorValue, checkIndicatorId, nonPublicReason, isBlockingAction } = require('../../dist/client/mde/indicator-values.js');
const { importChunks, buildIndicatorFilter } = require('../../dist/client/mde/indicators.js');
const { NeverBlockList } = require('../../dist/client/safety/never-block.js');
const { BlockCap } = require('../../dist/client/safety/block-cap.js');

describe('indicator values', () => {
  test('accepts each documented type and returns the value unchanged', () => {
    assert.equal(checkIndicatorValue('FileSha1', 'A'.repeat(40)), 'A'.repeat(40));
    assert.equal(checkIndicatorValue('FileSha256', 'f'.repeat(64)), 'f'.repeat(64));
    assert.equal(checkIndicatorValue('FileMd5', '0'.repeat(32)), '0'.repeat(32));
    assert.equal(checkIndicatorValue('CertificateThumbprint', '1'.repeat(40)), '1'.repeat(40));
    assert.equal(checkIndicatorValue('IpAddress', '8.8.8.8'), '8.8.8.8');
    assert.equal(checkIndicatorValue('IpAddress', '2606:4700::1'), '2606:4700::1');
    assert.equal(checkIndicatorValue('DomainName', 'xn--bcher-kva.example'), 'xn--bcher-kva.example');
    assert.equal(checkIndicatorValue('Url', 'http://evil.example.net:8080/a?b=c'), 'http://evil.example.net:8080/a?b=c');
  });

  test('refuses wrong lengths, non-public IPs, CIDR, URLs as domains, non-http URLs and padded values', () => {
    assert.throws(() => checkIndicatorValue('FileMd5', 'f'.repeat(40)), /not an MD5 hash \(32 hexadecimal characters\) for indicator type FileMd5 \(it has 40/);
    assert.throws(() => checkIndicatorValue('FileSha1', 'g'.repeat(40)), /not a SHA-1 hash/);
    for (const [ip, reason] of [['10.0.0.1', /private/], ['127.0.0.1', /loopback/], ['169.254.1.1', /link-local/], ['100.100.0.1', /carrier-grade NAT/], ['::1', /loopback/], ['fd00::1', /unique local/], ['::ffff:10.0.0.1', /IPv4-mapped/]]) {
      assert.throws(() => checkIndicatorValue('IpAddress', ip), reason, ip);
    }
    assert.throws(() => checkIndicatorValue('IpAddress', '8.8.8.0/24'), /CIDR/);
    assert.throws(() => checkIndicatorValue('IpAddress', '8.8.8'), /not an IPv4 or IPv6 address/);
    assert.throws(() => checkIndicatorValue('DomainName', 'http://a.example.com'), /is a URL/);
    assert.throws(() => checkIndicatorValue('DomainName', '*.example.com'), /wildcard/);
    assert.throws(() => checkIndicatorValue('DomainName', 'localhost'), /not a domain name/);
    assert.throws(() => checkIndicatorValue('DomainName', '8.8.8.8'), /not a domain name/);
    assert.throws(() => checkIndicatorValue('Url', 'javascript:alert(1)'), /not an http\(s\) URL/);
    assert.throws(() => checkIndicatorValue('Url', 'evil.example.net/x'), /is not a URL/);
    assert.throws(() => checkIndicatorValue('FileSha1', ` ${'a'.repeat(40)}`), /leading\/trailing spaces/);
    assert.throws(() => checkIndicatorValue('FileSha1', ['a']), /is an array|allowed: text/);
    assert.equal(nonPublicReason('1.1.1.1'), null);
  });

  test('checkIndicator keeps only documented properties, with the documented rules', () => {
    const ok = checkIndicator({ indicatorValue: 'https://x.example.com/p', indicatorType: 'Url', action: 'Block', title: 't', description: 'd', educateUrl: 'https://help.contoso.com', generateAlert: false, rbacGroupNames: ['a'] });
    assert.deepEqual(ok, { indicatorValue: 'https://x.example.com/p', indicatorType: 'Url', action: 'Block', title: 't', description: 'd', educateUrl: 'https://help.contoso.com', generateAlert: false, rbacGroupNames: ['a'] });
    assert.throws(() => checkIndicator({ indicatorValue: 'x', indicatorType: 'FileSha1', action: 'Alert', title: 't', description: 'd', comment: 'x' }), /unknown property "comment"/);
    assert.throws(() => checkIndicator({ indicatorType: 'FileSha1', action: 'Alert', title: 't', description: 'd' }), /indicatorValue is required/);
    assert.throws(() => checkIndicator({ indicatorValue: 'a'.repeat(40), indicatorType: 'filesha1', action: 'Alert', title: 't', description: 'd' }), /"FileSha1" \(the values are case-sensitive\)/);
    assert.throws(() => checkIndicator({ indicatorValue: 'a'.repeat(40), indicatorType: 'FileSha1', action: 'Alert', title: 't', description: 'd', expirationTime: '2026-02-30T00:00:00Z' }), /not a real date/);
  });

  test('IDs are digit strings; import chunks are at most 500; blocking actions are the documented ones', () => {
    assert.equal(checkIndicatorId('995'), '995');
    assert.throws(() => checkIndicatorId(995), /the number 995/);
    assert.throws(() => checkIndicatorId('../machines'), /not an MDE indicator ID/);
    assert.deepEqual(importChunks(Array.from({ length: 1001 }, (_, i) => i)).map((c) => c.length), [500, 500, 1]);
    assert.throws(() => importChunks([1], 501), /from 1 to 500/);
    assert.deepEqual(['Alert', 'Warn', 'Block', 'Audit', 'BlockAndRemediate', 'AlertAndBlock', 'Allowed'].filter(isBlockingAction), ['Warn', 'Block', 'BlockAndRemediate', 'AlertAndBlock']);
  });

  test('list filters use documented properties and quote values', () => {
    const f = buildIndicatorFilter({ indicatorType: ['Url', 'DomainName'], title: "O'Brien", generateAlert: true });
    assert.equal(f.filter, "(indicatorType eq 'Url' or indicatorType eq 'DomainName') and title eq 'O''Brien' and generateAlert eq true");
    assert.throws(() => buildIndicatorFilter({ description: 'x' }), /unknown property "description"/);
    assert.throws(() => buildIndicatorFilter({ severity: ['Critical'] }), /"Critical" is not a value Defender uses/);
  });
});

describe('never-block list', () => {
  const list = new NeverBlockList({ entries: ['contoso.com', '*.fabrikam.net', '203.0.114.7', '198.51.101.0/24', '2a01:111::/32', 'A'.repeat(64)], tenantDomains: ['contoso-sim.onmicrosoft.com'] });

  test('domains cover themselves and their subdomains, for domain and URL indicators', () => {
    assert.equal(list.match('DomainName', 'contoso.com'), 'contoso.com');
    assert.equal(list.match('DomainName', 'Mail.Contoso.com'), 'contoso.com');
    assert.equal(list.match('Url', 'https://sharepoint.contoso.com/x'), 'contoso.com');
    assert.equal(list.match('DomainName', 'fabrikam.net'), '*.fabrikam.net');
    assert.equal(list.match('DomainName', 'notcontoso.com'), null);
    assert.equal(list.match('DomainName', 'contoso.com.evil.net'), null);
    // onmicrosoft.com is not under microsoft.com: the tenant's own domain entry is what matches.
    assert.equal(list.match('DomainName', 'contoso-sim.onmicrosoft.com'), 'contoso-sim.onmicrosoft.com');
  });

  test('IPs and ranges match IP indicators and URL hosts; private ranges are always there', () => {
    assert.equal(list.match('IpAddress', '203.0.114.7'), '203.0.114.7');
    assert.equal(list.match('IpAddress', '198.51.101.200'), '198.51.101.0/24');
    assert.equal(list.match('IpAddress', '2a01:111:f00::1'), '2a01:111::/32');
    assert.equal(list.match('Url', 'http://198.51.101.9/x'), '198.51.101.0/24');
    assert.equal(list.match('Url', 'http://[fe80::1]/x'), 'fe80::/10');
    assert.equal(list.match('Url', 'http://100.64.0.9/x'), '100.64.0.0/10');
    assert.equal(list.match('IpAddress', '8.8.8.8'), null);
  });

  test('hashes match case-insensitively; Microsoft sensor endpoints are in by default and can be left out', () => {
    assert.equal(list.match('FileSha256', 'a'.repeat(64)), 'A'.repeat(64));
    for (const host of ['winatp-gw-cus.microsoft.com', 'us-v20.events.data.microsoft.com', 'ctldl.windowsupdate.com', 'abc.ods.opinsights.azure.com', 'login.microsoftonline.com']) {
      assert.ok(list.match('DomainName', host), host);
    }
    const bare = new NeverBlockList({ entries: [], microsoftEndpoints: false });
    assert.equal(bare.match('DomainName', 'abc.ods.opinsights.azure.com'), null);
    // Shared hosting suffixes anyone can put malware on stay blockable by default.
    assert.equal(list.match('DomainName', 'evil.blob.core.windows.net'), null);
    assert.equal(list.match('Url', 'https://evil.blob.core.windows.net/c/payload.exe'), null);
    assert.equal(list.match('DomainName', 'x.azure-automation.net'), null);
    assert.equal(bare.match('Url', 'http://10.0.0.1/'), '10.0.0.0/8');
  });

  test('an entry it does not understand is refused as InvalidSetting, naming it', () => {
    assert.throws(() => new NeverBlockList({ entries: ['contoso.com', 'http:// nope'] }), (e) => e.code === 'InvalidSetting' && /"http:\/\/ nope"/.test(e.message));
    assert.throws(() => new NeverBlockList({ entries: ['10.0.0.0/33'] }), /10\.0\.0\.0\/33/);
  });
});

describe('blocking cap', () => {
  test('counts within a sliding window', () => {
    let now = 0;
    const cap = new BlockCap(3, 1000, () => now);
    assert.equal(cap.check(3).allowed, true);
    cap.record(2);
    assert.equal(cap.check(2).allowed, false);
    assert.equal(cap.check(1).allowed, true);
    now = 1001;
    assert.equal(cap.check(3).allowed, true);
  });
});
