// Figure 1: token requests for N concurrent messages on one config node (target: exactly 1),
// against the hand-built flow (http request -> change -> http request) that fetches one token
// per message. The token endpoint is counted in the simulator's request log.
'use strict';
const { startNodeRed, outcome, ourAlertsFlow, handBuiltAlertsFlow, configCredentials, median, round } = require('../lib/common');

const jobs = {
  async ours({ sim, messages }) {
    const nr = await startNodeRed({ flows: ourAlertsFlow(sim), credentials: configCredentials(), settings: { mdeConfigRateLimits: false } });
    let firstError;
    const out = outcome(nr.node('out'), nr.node('caught'), { onErr: (m) => (firstError ??= m.error?.message) });
    const node = nr.node('alerts');
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) node.receive({ payload: i });
    await out.waitFor(messages);
    const ms = performance.now() - t0;
    const tokenRequests = nr.node('cfg').connection().tokens.tokenRequests;
    await nr.stop();
    return { ms, ok: out.ok, failed: out.err, tokenRequestsClient: tokenRequests, firstError };
  },

  async handBuilt({ sim, messages }) {
    const nr = await startNodeRed({ flows: handBuiltAlertsFlow(sim, sim.caFile), withPackage: false });
    let non200 = 0;
    let firstError;
    const statuses = {};
    const out = outcome(nr.node('out'), nr.node('caught'), {
      onOk: (m) => {
        statuses[m.statusCode] = (statuses[m.statusCode] || 0) + 1;
        if (m.statusCode !== 200) non200++;
      },
      onErr: (m) => (firstError ??= m.error?.message),
    });
    const node = nr.node('prep');
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) node.receive({ payload: i });
    await out.waitFor(messages);
    const ms = performance.now() - t0;
    await nr.stop();
    return { ms, ok: out.ok - non200, failed: out.err + non200, statuses, firstError };
  },
};

async function run(ctx) {
  const messages = ctx.quick ? 200 : 1000;
  const reps = ctx.quick ? 1 : 3;
  const sim = await ctx.sim({ alerts: 20, rateLimits: false });
  const raw = { ours: [], handBuilt: [] };
  try {
    for (let r = 0; r < reps; r++) {
      await sim.clearLog();
      const o = await ctx.child(__filename, 'ours', { sim, messages });
      o.sim = await sim.summary();
      raw.ours.push(o);
      await sim.clearLog();
      const b = await ctx.child(__filename, 'handBuilt', { sim, messages });
      b.sim = await sim.summary();
      raw.handBuilt.push(b);
      ctx.log(`  rep ${r + 1}: ours ${o.sim.tokenPost} token POSTs (${o.ok}/${messages} ok, ${Math.round(o.ms)} ms); hand-built ${b.sim.tokenPost} token POSTs (${b.ok}/${messages} ok, ${Math.round(b.ms)} ms)`);
    }
  } finally {
    await sim.close();
  }
  const ours = median(raw.ours.map((x) => x.sim.tokenPost));
  const base = median(raw.handBuilt.map((x) => x.sim.tokenPost));
  const oursFailed = median(raw.ours.map((x) => x.failed));
  const baseFailed = median(raw.handBuilt.map((x) => x.failed));
  return {
    params: { messages, reps, simulator: { alerts: 20, rateLimits: false }, governor: 'lifted (mdeConfigRateLimits: false)' },
    raw,
    rows: [
      {
        figure: '1', key: 'token-requests', label: `Token requests, ${messages} concurrent msgs`, unit: 'POSTs',
        ours, baseline: base, ratio: base ? round(ours / base, 4) : null,
        target: { on: 'ours', op: '==', value: 1, text: 'ours = 1' },
        pass: ours === 1 && oursFailed === 0,
        note: `failed msgs: ours ${oursFailed}, hand-built ${baseFailed}; wall time ratio ours/hand-built ${round(median(raw.ours.map((x) => x.ms)) / median(raw.handBuilt.map((x) => x.ms)), 3)}`,
      },
    ],
  };
}

module.exports = { jobs, run };
