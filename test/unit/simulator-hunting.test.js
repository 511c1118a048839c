'use strict';
// Advanced hunting (MDE and Graph) and the KQL subset evaluator.
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startSimulator } = require('../../dist/simulator/index.js');
const { tokenize } = require('../../dist/simulator/kql/lexer.js');
const { parseQuery } = require('../../dist/simulator/kql/parser.js');
const { request, getToken } = require('../fixtures/simulator-client.js');

describe('KQL lexer and parser', () => {
  test('string literals: escapes, verbatim, single quotes, obfuscated, adjacent concatenation', () => {
    const strings = (src) => tokenize(src).filter((t) => t.type === 'string').map((t) => t.value);
    assert.deepEqual(strings(String.raw`"a\"b\\c\n\t\r" 'it\'s' @"C:\Temp\""x""" h"secret" @'O''Brien'`), ['a"b\\c\n\t\r', "it's", 'C:\\Temp\\"x"', 'secret', "O'Brien"]);
    assert.throws(() => tokenize('"unterminated'), /Unterminated/);
    assert.throws(() => tokenize('"line\nbreak"'), /Newline/);
    assert.throws(() => tokenize(String.raw`"bad \q escape"`), /escape/);
    const q = parseQuery('T | where A == "x" "y"');
    assert.deepEqual(q.ops[0].e.r, { k: 'lit', v: 'xy', type: 'string' });
  });

  test('comments, timespans and operators tokenize as expected', () => {
    const toks = tokenize('T // comment | take 1\n| where Timestamp > ago(7d) and X !contains "a" and Y in~ ("b") and Z !in ("c")');
    const values = toks.map((t) => t.value);
    assert.ok(!values.includes('comment'));
    assert.ok(toks.some((t) => t.type === 'timespan' && t.value === 7 * 86400000));
    for (const op of ['!contains', 'in~', '!in']) assert.ok(values.includes(op), op);
  });

  test('parser rejects unsupported statements and operators', () => {
    for (const q of ['let x = 1; T', 'T | take 1; T | take 2', 'T | join (U) on A', 'T | where', 'T | take', 'T | foo', 'T | where A matches regex "x"', 'T | project A.b', '| take 1']) {
      assert.throws(() => parseQuery(q), (e) => e.name === 'Error' || e.constructor.name.startsWith('Kql'), q);
    }
    assert.deepEqual(parseQuery('T | order by A | top 3 by B asc').ops.map((o) => [o.k, o.keys[0].desc]), [['sort', true], ['top', false]]);
  });
});

describe('advanced hunting endpoints', () => {
  let sim;
  let tok;
  let graphTok;
  before(async () => {
    sim = await startSimulator({ alerts: 3, machines: 24, processEvents: 3000, networkEvents: 500, fileEvents: 500 });
    tok = await getToken(sim);
    graphTok = await getToken(sim, 'socAutomation', { resource: 'https://graph.microsoft.com' });
  });
  after(() => sim.close());
  const run = (Query) => request(sim, 'POST', '/api/advancedqueries/run', { token: tok, json: { Query } });
  const graph = (body, token = graphTok) => request(sim, 'POST', '/v1.0/security/runHuntingQuery', { token, json: body });
  const rows = (table) => sim.state.tables[table].rows;

  test('MDE: where / project / take, schema types and Stats', async () => {
    const r = await run('DeviceProcessEvents | where FileName =~ "POWERSHELL.EXE" and ProcessCommandLine has "EncodedCommand" | project Timestamp, DeviceName, ProcessCommandLine, ProcessId | take 10');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json), ['Stats', 'Schema', 'Results']);
    assert.deepEqual(r.json.Schema, [{ Name: 'Timestamp', Type: 'DateTime' }, { Name: 'DeviceName', Type: 'String' }, { Name: 'ProcessCommandLine', Type: 'String' }, { Name: 'ProcessId', Type: 'Int64' }]);
    assert.equal(r.json.Results.length, 1);
    assert.equal(r.json.Results[0].DeviceName, 'ws-fin-0412.contoso-sim.local');
    assert.match(r.json.Results[0].Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    assert.equal(typeof r.json.Stats.ExecutionTime, 'number');
  });

  test('MDE: summarize count() by, order by, top, count, extend, distinct, dcount', async () => {
    const procs = rows('DeviceProcessEvents');
    const r = await run('DeviceProcessEvents | summarize count() by FileName | order by count_ desc');
    const expected = new Map();
    for (const p of procs) expected.set(p.FileName, (expected.get(p.FileName) || 0) + 1);
    assert.deepEqual(r.json.Schema, [{ Name: 'FileName', Type: 'String' }, { Name: 'count_', Type: 'Int64' }]);
    assert.deepEqual(Object.fromEntries(r.json.Results.map((x) => [x.FileName, x.count_])), Object.fromEntries(expected));
    assert.ok(r.json.Results.every((x, i, a) => i === 0 || a[i - 1].count_ >= x.count_));

    const c = await run('DeviceProcessEvents | where AccountName in ("jdoe", "obrien") | count');
    assert.deepEqual(c.json.Results, [{ Count: procs.filter((p) => ['jdoe', 'obrien'].includes(p.AccountName)).length }]);

    const top = await run('DeviceNetworkEvents | top 3 by Timestamp asc | project ReportId');
    const net = [...rows('DeviceNetworkEvents')].sort((a, b) => a.Timestamp - b.Timestamp);
    assert.deepEqual(top.json.Results.map((x) => x.ReportId), net.slice(0, 3).map((x) => x.ReportId));

    const ext = await run('DeviceInfo | extend Name = toupper(DeviceName), Age = now() - Timestamp | where isnotempty(Name) | project Name, Age | take 1');
    assert.deepEqual(ext.json.Schema.map((s) => s.Type), ['String', 'TimeSpan']);
    assert.equal(ext.json.Results[0].Name, ext.json.Results[0].Name.toUpperCase());

    const s = await run('DeviceProcessEvents | summarize Devices = dcount(DeviceId), Last = max(Timestamp) by AccountDomain');
    assert.equal(s.json.Results.length, 1);
    assert.equal(s.json.Results[0].Devices, new Set(procs.map((p) => p.DeviceId)).size);
    assert.deepEqual(s.json.Schema.map((x) => x.Type), ['String', 'Int64', 'DateTime']);

    const d = await run('DeviceInfo | distinct OSPlatform');
    assert.equal(d.json.Results.length, new Set(rows('DeviceInfo').map((x) => x.OSPlatform)).size);
  });

  test('MDE: time functions ago(), datetime(), comparisons', async () => {
    const cutoff = Date.now() - 2 * 3600_000;
    const r = await run('DeviceProcessEvents | where Timestamp > ago(2h) | count');
    assert.equal(r.json.Results[0].Count, rows('DeviceProcessEvents').filter((x) => x.Timestamp > cutoff).length);
    assert.ok(r.json.Results[0].Count >= 5);
    const iso = new Date(Date.now() - 86400_000).toISOString();
    const r2 = await run(`DeviceFileEvents | where Timestamp >= datetime(${iso}) and FileSize > long(1000) | count`);
    assert.equal(r2.json.Results[0].Count, rows('DeviceFileEvents').filter((x) => x.Timestamp >= Date.parse(iso) && x.FileSize > 1000).length);
    const none = await run('DeviceProcessEvents | where Timestamp < datetime(2001-01-01) | count');
    assert.equal(none.json.Results[0].Count, 0);
  });

  test('string literals with quotes and backslashes match the seeded injection rows', async () => {
    const dq = await run(String.raw`DeviceFileEvents | where FileName == "invoice \"final\".pdf.exe" | project FileName, FolderPath`);
    assert.deepEqual(dq.json.Results, [{ FileName: 'invoice "final".pdf.exe', FolderPath: 'C:\\Users\\jdoe\\Downloads\\invoice "final".pdf.exe' }]);
    const bs = await run(String.raw`DeviceFileEvents | where FolderPath == "C:\\Temp\\odd\\back\\slash.txt" | project FileName`);
    assert.deepEqual(bs.json.Results, [{ FileName: 'back\\slash.txt' }]);
    const verbatim = await run(String.raw`DeviceFileEvents | where FolderPath == @"C:\\Temp\\odd\\back\\slash.txt" | count`);
    assert.equal(verbatim.json.Results[0].Count, 0, 'verbatim keeps both backslashes literally');
    const verbatim2 = await run(String.raw`DeviceFileEvents | where FolderPath == @"C:\Temp\odd\back\slash.txt" | count`);
    assert.equal(verbatim2.json.Results[0].Count, 1);
    const sq = await run(String.raw`DeviceProcessEvents | where FileName == 'O\'Brien\'s tool.exe' | project AccountName`);
    assert.deepEqual(sq.json.Results, [{ AccountName: 'obrien' }]);
    // An escaped literal cannot break out into a second statement.
    const inj = await run(String.raw`DeviceInfo | where DeviceName == "pc\"; DeviceProcessEvents | take 100000 //" | count`);
    assert.equal(inj.status, 200, inj.text);
    assert.equal(inj.json.Results[0].Count, 0);
  });

  test('400 BadRequest for syntax errors, unsupported operators, several statements, unknown table/column', async () => {
    for (const q of ['DeviceProcessEvents | where', 'DeviceProcessEvents | join (DeviceInfo) on DeviceId', 'let x = 1; DeviceInfo', 'DeviceInfo | take 1; DeviceInfo | take 2', 'DeviceInfo | where DeviceName == "unterminated']) {
      const r = await run(q);
      assert.equal(r.status, 400, q);
      assert.equal(r.json.error.code, 'BadRequest', q);
      assert.match(r.json.error.message, /^A recognition error occurred\.\. Fix syntax errors in your query\./, q);
      assert.match(r.json.error.target, /^\|[0-9a-f]+-[0-9a-f]+\.$/);
    }
    for (const [q, re] of [['NoSuchTable | take 1', /NoSuchTable/], ['DeviceInfo | where Nope == 1', /Nope/], ['DeviceInfo | where DeviceName == 5', /compare/]]) {
      const r = await run(q);
      assert.equal(r.status, 400, q);
      assert.equal(r.json.error.code, 'BadRequest');
      assert.match(r.json.error.message, re);
    }
    const missing = await request(sim, 'POST', '/api/advancedqueries/run', { token: tok, json: {} });
    assert.equal(missing.json.error.code, 'MissingRequiredParameter');
    const wrongCase = await request(sim, 'POST', '/api/advancedqueries/run', { token: tok, json: { query: 'DeviceInfo' } });
    assert.equal(wrongCase.json.error.code, 'InvalidRequestBody');
  });

  test('hunting needs AdvancedQuery.Read.All (MDE) and ThreatHunting.Read.All (Graph)', async () => {
    const none = await getToken(sim, 'noRoles');
    const r = await request(sim, 'POST', '/api/advancedqueries/run', { token: none, json: { Query: 'DeviceInfo' } });
    assert.equal(r.status, 403);
    assert.equal(r.json.error.message, 'Missing application roles. API required roles: AdvancedQuery.Read.All, application roles: .');
    const g = await getToken(sim, 'noRoles', { resource: 'https://graph.microsoft.com' });
    const r2 = await graph({ Query: 'DeviceInfo' }, g);
    assert.equal(r2.status, 403);
    assert.equal(r2.json.error.code, 'Forbidden');
    assert.ok(r2.json.error.innerError['request-id']);
    // An MDE token is not a Graph token.
    assert.equal((await graph({ Query: 'DeviceInfo' }, tok)).status, 401);
  });

  test('Graph runHuntingQuery: schema/results shape, Timespan, errors', async () => {
    const r = await graph({ Query: 'DeviceProcessEvents | where InitiatingProcessFileName =~ "winword.exe" and FileName == "powershell.exe" | project DeviceId, FileName' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json['@odata.context'], `https://127.0.0.1:${sim.port}/v1.0/$metadata#microsoft.graph.security.huntingQueryResults`);
    assert.deepEqual(r.json.schema, [{ name: 'DeviceId', type: 'String' }, { name: 'FileName', type: 'String' }]);
    assert.equal(r.json.results.length, 1);
    const all = await graph({ Query: 'DeviceNetworkEvents | count' });
    const day = await graph({ Query: 'DeviceNetworkEvents | count', Timespan: 'P1D' });
    assert.equal(all.json.results[0].Count, rows('DeviceNetworkEvents').length);
    assert.equal(day.json.results[0].Count, rows('DeviceNetworkEvents').filter((x) => x.Timestamp >= Date.now() - 86400_000 - 1000).length);
    assert.ok(day.json.results[0].Count < all.json.results[0].Count);
    const bad = await graph({ Query: 'DeviceInfo | where' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'BadRequest');
    assert.ok(bad.json.error.innerError.date);
    assert.equal((await graph({ Query: 'DeviceInfo', Timespan: 'seven days' })).status, 400);
    assert.equal(sim.count({ kind: 'graph', family: 'graph-hunting' }) >= 4, true);
  });

  test('result size cap → 400 "exceeded the allowed result size"', async () => {
    const s = await startSimulator({ alerts: 1, machines: 12, processEvents: 500, maxHuntingResultBytes: 10_000 });
    try {
      const t = await getToken(s);
      const r = await request(s, 'POST', '/api/advancedqueries/run', { token: t, json: { Query: 'DeviceProcessEvents' } });
      assert.equal(r.status, 400);
      assert.match(r.json.error.message, /^Query execution has exceeded the allowed result size/);
      const ok = await request(s, 'POST', '/api/advancedqueries/run', { token: t, json: { Query: 'DeviceProcessEvents | take 5' } });
      assert.equal(ok.status, 200);
    } finally {
      await s.close();
    }
  });
});

describe('100,000 rows', () => {
  test('generates 100k rows and a full-table query returns them all, in time order', async () => {
    const sim = await startSimulator({ processEvents: 100000 });
    try {
      assert.equal(sim.state.tables.DeviceProcessEvents.rows.length, 100000);
      assert.equal(sim.state.events.DeviceProcessEvents, sim.state.tables.DeviceProcessEvents.rows);
      const tok = await getToken(sim);
      const r = await request(sim, 'POST', '/api/advancedqueries/run', { token: tok, json: { Query: 'DeviceProcessEvents' } });
      assert.equal(r.status, 200);
      assert.equal(r.json.Results.length, 100000);
      const ts = r.json.Results.map((x) => x.Timestamp);
      assert.ok(ts.every((x, i) => i === 0 || ts[i - 1] <= x || i >= 99995), 'seeded rows are in time order');
      const g = await getToken(sim, 'socAutomation', { resource: 'https://graph.microsoft.com' });
      const gr = await request(sim, 'POST', '/v1.0/security/runHuntingQuery', { token: g, json: { Query: 'DeviceProcessEvents | summarize count() by DeviceName' } });
      assert.equal(gr.json.results.reduce((n, x) => n + x.count_, 0), 100000);
    } finally {
      await sim.close();
    }
  });
});
