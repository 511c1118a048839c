'use strict';
// The simulator's indicator endpoints against the documented contract (mde-api.md §4.5 and the
// Learn pages it cites): submit-or-update, MDE's error shape and codes on bad values, $filter on
// documented properties only, delete (204 / 404), import with per-item results and the 500 limit,
// the 15,000 active indicators limit, and 403s that name the roles.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startSimulator } = require('../../dist/simulator/index.js');
const { request, getToken } = require('../fixtures/simulator-client.js');

const SHA1 = '220e7d15b011d7fac48f2bd61114db1022197f7f';
const body = (over = {}) => ({ indicatorValue: SHA1, indicatorType: 'FileSha1', action: 'Alert', title: 't', description: 'd', ...over });

describe('simulator: indicators', () => {
  let sim;
  let tok;
  let readOnly;
  before(async () => {
    sim = await startSimulator({ alerts: 5, machines: 5, processEvents: 5, networkEvents: 5, fileEvents: 5, maxActiveIndicators: 600 });
    tok = await getToken(sim);
    readOnly = await getToken(sim, 'readOnly');
  });
  after(() => sim.close());

  const call = (method, path, json, token = tok) => request(sim, method, path, { token, json });

  test('POST /api/indicators creates, then the same type + value updates (200 with the entity both times)', async () => {
    const a = await call('POST', '/api/indicators', body({ severity: 'Low', rbacGroupNames: ['g1'] }));
    assert.equal(a.status, 200);
    assert.match(a.json['@odata.context'], /\$metadata#Indicators\/\$entity$/);
    assert.match(a.json.id, /^\d+$/);
    assert.equal(a.json.createdBySource, 'PublicApi');
    assert.deepEqual(a.json.rbacGroupNames, ['g1']);
    const b = await call('POST', '/api/indicators', body({ indicatorValue: SHA1.toUpperCase(), action: 'Block', severity: 'High' }));
    assert.equal(b.status, 200);
    assert.equal(b.json.id, a.json.id);
    assert.equal(b.json.action, 'Block');
  });

  test('400 in MDE error shape: missing parameter, bad hash / IP / domain / URL, wrong-case property, Audit without generateAlert', async () => {
    const cases = [
      [body({ title: undefined }), 'MissingRequiredParameter', /Parameter title is missing/],
      [body({ indicatorValue: 'abc' }), 'InvalidHashValue', /abc/],
      [body({ indicatorType: 'IpAddress', indicatorValue: '8.8.8.0/24' }), 'InvalidIpAddress', /8\.8\.8\.0\/24/],
      [body({ indicatorType: 'DomainName', indicatorValue: 'not a domain' }), 'InvalidDomainName', /not a domain/],
      [body({ indicatorType: 'Url', indicatorValue: 'ftp://x.example.com' }), 'InvalidUrl', /ftp/],
      [body({ action: 'Nuke' }), 'InvalidInput', /action/],
      [body({ action: 'Audit' }), 'InvalidInput', /GenerateAlert/],
      [{ ...body(), IndicatorType: 'FileSha1' }, 'InvalidRequestBody', /should be 'indicatorType'/],
    ];
    for (const [b, code, message] of cases) {
      const r = await call('POST', '/api/indicators', b);
      assert.equal(r.status, 400, code);
      assert.equal(r.json.error.code, code);
      assert.match(r.json.error.message, message);
      assert.equal(typeof r.json.error.target, 'string');
    }
  });

  test('GET /api/indicators filters on documented properties only (ODataError otherwise)', async () => {
    await call('POST', '/api/indicators', body({ indicatorType: 'DomainName', indicatorValue: 'evil.example.net', action: 'Warn' }));
    const r = await call('GET', `/api/indicators?$filter=${encodeURIComponent("action eq 'Warn'")}`);
    assert.equal(r.status, 200);
    assert.match(r.json['@odata.context'], /\$metadata#Indicators$/);
    assert.deepEqual(r.json.value.map((i) => i.indicatorValue), ['evil.example.net']);
    const bad = await call('GET', `/api/indicators?$filter=${encodeURIComponent("description eq 'd'")}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'ODataError');
  });

  test('DELETE /api/indicators/{id}: 204 without content, then 404 ResourceNotFound', async () => {
    const created = await call('POST', '/api/indicators', body({ indicatorType: 'IpAddress', indicatorValue: '8.8.4.4' }));
    const del = await call('DELETE', `/api/indicators/${created.json.id}`);
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    const again = await call('DELETE', `/api/indicators/${created.json.id}`);
    assert.equal(again.status, 404);
    assert.equal(again.json.error.code, 'ResourceNotFound');
  });

  test('POST /api/indicators/import: per-item results (failed items say why), 500 at most per call', async () => {
    const r = await call('POST', '/api/indicators/import', { Indicators: [body({ indicatorValue: 'b'.repeat(40) }), body({ indicatorValue: 'zz' })] });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json.value[0]).sort(), ['failureReason', 'id', 'indicator', 'isFailed']);
    assert.equal(r.json.value[0].isFailed, false);
    assert.equal(r.json.value[1].isFailed, true);
    assert.equal(r.json.value[1].id, null);
    assert.match(r.json.value[1].failureReason, /zz/);
    const tooMany = await call('POST', '/api/indicators/import', { Indicators: Array.from({ length: 501 }, (_, i) => body({ indicatorValue: i.toString(16).padStart(40, '0') })) });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.json.error.code, 'MaximumBatchSizeExceeded');
    assert.match(tooMany.json.error.message, /Received: 501, allowed: 500/);
    assert.equal((await call('POST', '/api/indicators/import', {})).json.error.code, 'MissingRequiredParameter');
  });

  test('the active-indicator limit refuses new indicators (updates still pass)', async () => {
    const fill = 600 - sim.state.indicators.length;
    const items = Array.from({ length: fill }, (_, i) => body({ indicatorValue: (i + 1000).toString(16).padStart(64, 'c'), indicatorType: 'FileSha256' }));
    for (let i = 0; i < items.length; i += 500) await call('POST', '/api/indicators/import', { Indicators: items.slice(i, i + 500) });
    assert.equal(sim.state.indicators.length, 600);
    const over = await call('POST', '/api/indicators', body({ indicatorValue: 'd'.repeat(40) }));
    assert.equal(over.status, 400);
    assert.match(over.json.error.message, /maximum of 600 active indicators/);
    assert.equal((await call('POST', '/api/indicators', body({ action: 'Allowed' }))).status, 200);
  });

  test('403 names Ti.ReadWrite / Ti.ReadWrite.All for every indicator call', async () => {
    for (const [method, path] of [['GET', '/api/indicators'], ['POST', '/api/indicators'], ['POST', '/api/indicators/import'], ['DELETE', '/api/indicators/1']]) {
      const r = await call(method, path, method === 'POST' ? body() : undefined, readOnly);
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.match(r.json.error.message, /Ti\.ReadWrite,Ti\.ReadWrite\.All/);
    }
  });
});
