// Figure 8: several Node-RED instances on one tenant + app sharing the rate budget through Redis
// (Debian's redis-server, started on a free port for the figure). 2 and 4 instances (each its own
// process) send 500 messages in all at the shared budget (100 calls per shortened minute, enforced
// by the simulator and given to every instance's governor); completion is compared with the
// theoretical minimum of ONE client owning the whole budget, and no 429 may be answered. Then the
// cost of the shared governor per call against the local one: one instance, 500 messages, budget
// far above the load (no waiting), shared governor / local governor. Ratios only.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed, outcome, ourAlertsFlow, configCredentials, median, round } = require('../lib/common');

const jobs = {
  /** One instance: boots, takes a token, says it is ready, waits for the common start, sends its share. */
  async instance({ sim, messages, budget, windowMs, redisUrl, keyPrefix, barrier, index }) {
    const settings = { mdeConfigRateLimits: { alerts: [{ limit: budget, windowMs }] } };
    if (redisUrl) settings.mdeDefender = { redis: { url: redisUrl, keyPrefix } };
    const nr = await startNodeRed({ flows: ourAlertsFlow(sim, { maxResults: 10, pageSize: 10 }), credentials: configCredentials(), settings });
    const errors = [];
    const out = outcome(nr.node('out'), nr.node('caught'), { onErr: (m) => errors.push({ status: m.mde && m.mde.error && m.mde.error.status, message: m.error && m.error.message }) });
    const cfg = nr.node('cfg');
    await cfg.connection().getToken('mde');
    if (cfg.sharedState()) await cfg.sharedState().ready();
    let startAt = Date.now();
    if (barrier) {
      // Every instance boots first (4 Node-REDs on a busy machine take a while); then one start.
      fs.writeFileSync(path.join(barrier, `${index}.ready`), '');
      const go = path.join(barrier, 'go');
      while (!fs.existsSync(go)) await new Promise((r) => setTimeout(r, 20));
      startAt = Number(fs.readFileSync(go, 'utf8'));
    }
    const lateMs = Date.now() - startAt;
    if (lateMs < 0) await new Promise((r) => setTimeout(r, -lateMs));
    const t0 = Date.now();
    const node = nr.node('alerts');
    for (let i = 0; i < messages; i++) node.receive({ payload: i });
    await out.waitFor(messages, 600_000);
    const finishedAt = Date.now();
    const gov = cfg.connection().http.governor('mde', 'alerts');
    const stats = gov ? { ...gov.stats } : null;
    await nr.stop();
    return { lateMs: Math.max(0, lateMs), startedAt: t0, finishedAt, ms: finishedAt - t0, ok: out.ok, failed: out.err, status429ReachingFlow: errors.filter((e) => e.status === 429).length, governor: stats };
  },
};

async function group(ctx, sim, { count, messages, budget, windowMs, redisUrl, keyPrefix }) {
  const barrier = fs.mkdtempSync(path.join(os.tmpdir(), 'mde-fig8-'));
  const share = (i) => Math.floor(messages / count) + (i < messages % count ? 1 : 0);
  const running = Promise.all(
    Array.from({ length: count }, (_, i) => ctx.child(__filename, 'instance', { sim, messages: share(i), budget, windowMs, redisUrl, keyPrefix, barrier, index: i }, { timeoutMs: 600_000 })),
  );
  let failed;
  running.catch((e) => (failed = e));
  while (fs.readdirSync(barrier).filter((f) => f.endsWith('.ready')).length < count) {
    if (failed) throw failed;
    await new Promise((r) => setTimeout(r, 20));
  }
  const startAt = Date.now() + 300;
  fs.writeFileSync(path.join(barrier, 'go.tmp'), String(startAt));
  fs.renameSync(path.join(barrier, 'go.tmp'), path.join(barrier, 'go'));
  const results = await running;
  fs.rmSync(barrier, { recursive: true, force: true });
  return { ms: Math.max(...results.map((r) => r.finishedAt)) - startAt, late: Math.max(...results.map((r) => r.lateMs)), results };
}

async function run(ctx) {
  const { startRedis } = require(path.resolve(__dirname, '..', '..', 'test', 'helpers', 'redis'));
  const budget = 100; // MDE: 100 calls per minute per API
  const windowMs = ctx.quick ? 1000 : 2000; // the minute, shortened
  const messages = 500;
  const reps = ctx.quick ? 1 : 2;
  const limits = { alerts: [{ limit: budget, windowMs }] };
  const theoreticalMs = (Math.ceil(messages / budget) - 1) * windowMs;
  const redis = await startRedis();
  const sim = await ctx.sim({ alerts: 10, rateLimits: limits });
  const raw = { 1: [], 2: [], 4: [], local: [], shared: [] };
  let n = 0;
  try {
    // Same-run reference: ONE instance with the local governor owning the whole budget (figure 3's
    // conditions), so what several processes add on this machine can be told from the governor.
    for (let r = 0; r < reps; r++) {
      await sim.setRateLimits(limits);
      await sim.clearLog();
      const g = await group(ctx, sim, { count: 1, messages, budget, windowMs, redisUrl: undefined, keyPrefix: `one${++n}` });
      g.sim = await sim.summary();
      g.ratio = g.ms / theoreticalMs;
      raw[1].push(g);
      ctx.log(`  1 instance (local governor), rep ${r + 1}: ${Math.round(g.ms)} ms = ${g.ratio.toFixed(3)} x theoretical, simulator answered 429 ${g.sim.status429}x`);
    }
    for (const count of [2, 4]) {
      for (let r = 0; r < reps; r++) {
        await sim.setRateLimits(limits);
        await sim.clearLog();
        const g = await group(ctx, sim, { count, messages, budget, windowMs, redisUrl: redis.url, keyPrefix: `bench${++n}` });
        g.sim = await sim.summary();
        g.ratio = g.ms / theoreticalMs;
        g.failed = g.results.reduce((s, x) => s + x.failed, 0);
        g.reaching429 = g.results.reduce((s, x) => s + x.status429ReachingFlow, 0);
        raw[count].push(g);
        ctx.log(`  ${count} instances, rep ${r + 1}: ${Math.round(g.ms)} ms = ${g.ratio.toFixed(3)} x theoretical, ${g.failed} failed, simulator answered 429 ${g.sim.status429}x (latest start ${g.late} ms after the common start)`);
      }
    }
    // Governor cost per call: one instance, 500 messages, a budget the load never reaches.
    const unbounded = { alerts: [{ limit: 1_000_000, windowMs: 60_000 }] };
    for (let r = 0; r < reps + 1; r++) {
      for (const kind of ['local', 'shared']) {
        await sim.setRateLimits(false);
        const x = await ctx.child(__filename, 'instance', {
          sim, messages, budget: unbounded.alerts[0].limit, windowMs: unbounded.alerts[0].windowMs, redisUrl: kind === 'shared' ? redis.url : undefined, keyPrefix: `cost${++n}`,
        }, { timeoutMs: 600_000 });
        raw[kind].push(x);
        ctx.log(`  ${kind} governor, rep ${r + 1}: ${Math.round(x.ms)} ms for ${messages} calls (${(x.ms / messages).toFixed(2)} ms per call)`);
      }
    }
  } finally {
    await sim.close();
    await redis.close();
  }
  const rows = [];
  const single = median(raw[1].map((g) => g.ms));
  rows.push({
    figure: '8', key: 'completion-1', label: `1 instance, local governor (reference), ${messages} msgs`, unit: 'ms',
    ours: Math.round(single), baseline: theoreticalMs, baselineUnit: 'ms (theoretical min)', ratio: round(single / theoreticalMs, 3), target: null, pass: null,
    note: 'same-run reference: what one process achieves on this machine now',
  });
  for (const count of [2, 4]) {
    const ratio = round(median(raw[count].map((g) => g.ratio)), 3);
    const sim429 = median(raw[count].map((g) => g.sim.status429));
    const failed = median(raw[count].map((g) => g.failed));
    rows.push({
      figure: '8', key: `completion-${count}`, label: `${count} instances, ${messages} msgs at a shared ${budget}/${windowMs / 1000} s`, unit: 'ms',
      ours: Math.round(median(raw[count].map((g) => g.ms))), baseline: theoreticalMs, baselineUnit: 'ms (theoretical min, one budget)',
      ratio, target: { op: '<=', value: 1.1, text: 'ratio <= 1.10' }, pass: ratio <= 1.1,
      note: `vs one instance with the local governor in this run: ${round(median(raw[count].map((g) => g.ms)) / single, 3)}`,
    });
    rows.push({
      figure: '8', key: `api-429-${count}`, label: `${count} instances: 429s answered by the API`, unit: 'calls',
      ours: sim429, baseline: null, ratio: null, target: { on: 'ours', op: '==', value: 0, text: 'ours = 0' }, pass: sim429 === 0 && failed === 0,
      note: `messages failed: ${failed}`,
    });
  }
  const local = median(raw.local.map((x) => x.ms));
  const shared = median(raw.shared.map((x) => x.ms));
  rows.push({
    figure: '8', key: 'shared-cost', label: `Shared governor per call vs local (${messages} calls, no waiting)`, unit: 'ms/call',
    ours: round(shared / messages, 3), baseline: round(local / messages, 3), ratio: round(shared / local, 3), target: null, pass: null,
    note: 'informational: one Redis round trip (Lua) to reserve + one to re-date, per call',
  });
  return { params: { budget, windowMs, messages, reps, theoreticalMs, note: 'window shortened from 60 s; every instance gets the same budget through settings.js mdeConfigRateLimits and shares it through Redis' }, raw, rows };
}

module.exports = { jobs, run };
