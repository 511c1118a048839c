'use strict';
// 100 000-row hunting body: parsed incrementally without blocking the event loop for long.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { parseHuntingBody } = require('../../dist/client/hunting/hunting.js');

function bigBody(rows) {
  const schema = [
    { Name: 'Timestamp', Type: 'DateTime' },
    { Name: 'DeviceName', Type: 'String' },
    { Name: 'ProcessCommandLine', Type: 'String' },
    { Name: 'ProcessId', Type: 'Int64' },
  ];
  const parts = [`{"Stats":{"ExecutionTime":1.5},"Schema":${JSON.stringify(schema)},"Results":[`];
  for (let i = 0; i < rows; i++) {
    parts.push(
      (i ? ',' : '') +
        JSON.stringify({
          Timestamp: new Date(Date.UTC(2026, 10, 24, 0, 0, i % 86400)).toISOString(),
          DeviceName: `pc-${i % 500}.contoso.com`,
          ProcessCommandLine: `powershell.exe -enc "${'A'.repeat(i % 200)}" \\\\share\\path {[}] ${i}`,
          ProcessId: i,
        }),
    );
  }
  parts.push(']}');
  return Buffer.from(parts.join(''));
}

test('100 000 rows: correct, dates converted, event loop stays responsive', async () => {
  const body = bigBody(100_000);
  assert.ok(body.length > 15_000_000, `body ${body.length} bytes`);
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
  }, 1);
  const t0 = performance.now();
  const r = await parseHuntingBody(body, { convertDates: true });
  const took = performance.now() - t0;
  clearInterval(timer);
  assert.equal(r.results.length, 100_000);
  assert.equal(r.results[99_999].ProcessId, 99_999);
  assert.ok(r.results[12345].Timestamp instanceof Date);
  assert.match(r.results[7].ProcessCommandLine, /\\\\share\\path \{\[\}\] 7$/);
  assert.deepEqual(r.schema[0], { name: 'Timestamp', type: 'DateTime' });
  assert.deepEqual(r.stats, { ExecutionTime: 1.5 });
  // A single JSON.parse of the whole body would let no timer run at all; how long each slice
  // blocks is a speed figure and lives in the benchmarks (figure 4), not here.
  assert.ok(ticks > 5, `timers ran during parsing (${ticks} ticks in ${took.toFixed(0)} ms)`);
});

test('100 000 rows from the simulator through both hunting APIs', async () => {
  const { startSimulator } = require('../../dist/simulator/index.js');
  const { connectionSettings } = require('../helpers/sim');
  const { MdeConnection } = require('../../dist/client/connection.js');
  const { runHuntingQuery } = require('../../dist/client/hunting/hunting.js');
  const sim = await startSimulator({ port: 0, rateLimits: false, processEvents: 100_000 });
  const c = new MdeConnection(connectionSettings(sim));
  try {
    const q = 'DeviceProcessEvents | take 100000';
    const m = await runHuntingQuery(c.http, q, { api: 'mde', convertDates: true });
    const g = await runHuntingQuery(c.http, q, { api: 'graph', convertDates: true });
    assert.equal(m.results.length, 100_000);
    assert.equal(g.results.length, 100_000);
    assert.deepEqual(m.schema, g.schema);
    assert.deepEqual(m.results[0], g.results[0]);
    assert.deepEqual(m.results[99_999], g.results[99_999]);
    assert.ok(m.results[500].Timestamp instanceof Date);
  } finally {
    await c.close();
    await sim.close();
  }
});
