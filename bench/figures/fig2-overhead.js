// Figure 2: per-call overhead. An mde-alerts round trip (inject -> mde-alerts -> next node) against
// a bare `got` call to the same simulator URL with the same token, keep-alive agent and JSON.parse,
// in the same Node-RED process, governor lifted. Latency: sequential calls (median per
// repetition). Throughput: a burst of concurrent calls (calls per second). Connection reuse: TLS
// connections each side's agent opened per 1,000 calls over the whole run (warm-up included).
// Repetitions alternate which side goes first.
// BENCH_SOCKET_STACKS=1 records who destroyed our sockets and in which request state.
'use strict';
const { startNodeRed, ourAlertsFlow, configCredentials, bareAgent, loadGot, median, round } = require('../lib/common');

const TOP = 100; // mde-alerts maxResults/pageSize below: one page, `$top=100`

const jobs = {
  async compare({ sim, latencyN, burstN, reps, warmup, sides = ['ours', 'bare'] }) {
    const nr = await startNodeRed({
      flows: ourAlertsFlow(sim, { maxResults: TOP, pageSize: TOP }),
      credentials: configCredentials(),
      settings: { mdeConfigRateLimits: false },
    });
    const got = await loadGot();
    const alertsNode = nr.node('alerts');
    const waiting = new Map();
    let seq = 0;
    nr.node('out').on('input', (msg) => {
      const w = waiting.get(msg.benchId);
      if (!w) return;
      waiting.delete(msg.benchId);
      w.resolve(msg.payload.length);
    });
    nr.node('caught').on('input', (msg) => {
      const w = waiting.get(msg.benchId);
      if (!w) return;
      waiting.delete(msg.benchId);
      w.reject(new Error(`mde-alerts failed: ${msg.error && msg.error.message}`));
    });
    const calls = { ours: 0, bare: 0 };
    const ours = () =>
      new Promise((resolve, reject) => {
        calls.ours++;
        const benchId = ++seq;
        waiting.set(benchId, { resolve, reject });
        alertsNode.receive({ benchId, payload: '' });
      });

    // Same token, same URL, agent configured like the connection's, body parsed like ours.
    const token = (await nr.node('cfg').connection().getToken('mde')).accessToken;
    const agent = bareAgent(sim.caPem);
    // Diagnostics: TLS connections each side opens (a new one costs a handshake + secure context).
    const sockets = { ours: 0, bare: 0, oursClosed: 0, bareClosed: 0 };
    const countSockets = (a, side) => {
      const create = a.createConnection;
      a.createConnection = function (...args) {
        sockets[side]++;
        const sock = create.apply(this, args);
        let ended = false;
        sock.once('end', () => (ended = true));
        if (process.env.BENCH_SOCKET_STACKS && side === 'ours') {
          const destroy = sock.destroy;
          sock.destroy = function (...a) {
            const st = new Error('destroy').stack.split('\n').slice(2, 14).map((l) => l.trim().replace(/^at /, '').replace(/\(.*[\/]([^\/]+:\d+):\d+\)/, '$1')).join(' < ');
            sockets.destroyStacks ??= {};
            sockets.destroyStacks[st] = (sockets.destroyStacks[st] || 0) + 1;
            return destroy.apply(this, a);
          };
        }
        sock.once('close', () => {
          sockets[`${side}Closed`]++;
          if (ended) sockets[`${side}ClosedByServer`] = (sockets[`${side}ClosedByServer`] || 0) + 1;
        });
        return sock;
      };
    };
    if (process.env.BENCH_SOCKET_STACKS) {
      const http = require('node:http');
      const oursAgent = nr.node('cfg').connection().agent;
      const orig = http.ClientRequest.prototype.destroy;
      http.ClientRequest.prototype.destroy = function (...a) {
        if (!this.destroyed && this.socket) {
          const side = this.agent === oursAgent ? 'ours' : 'bare';
          const k = `${side} wf=${this.writableFinished} fin=${this.finished} ended=${this._ended} complete=${this.res && this.res.complete} out=${this.outputData && this.outputData.length} reused=${this.reusedSocket}`;
          sockets.reqDestroy ??= {};
          sockets.reqDestroy[k] = (sockets.reqDestroy[k] || 0) + 1;
        }
        return orig.apply(this, a);
      };
    }
    countSockets(nr.node('cfg').connection().agent, 'ours');
    countSockets(agent, 'bare');
    const url = `${sim.url}/api/alerts?$top=${TOP}`;
    const bare = async () => {
      calls.bare++;
      const res = await got(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': 'bench' },
        responseType: 'buffer',
        throwHttpErrors: false,
        retry: { limit: 0 },
        agent: { https: agent },
      });
      if (res.statusCode !== 200) throw new Error(`bare got: HTTP ${res.statusCode}`);
      return JSON.parse(res.body.toString('utf8')).value.length;
    };

    const sequential = async (fn, n) => {
      global.gc?.();
      const lat = new Array(n);
      let items = 0;
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        items = await fn();
        lat[i] = performance.now() - t;
      }
      return { medianMs: median(lat), items };
    };
    const burst = async (fn, n) => {
      global.gc?.();
      const t = performance.now();
      await Promise.all(Array.from({ length: n }, fn));
      const ms = performance.now() - t;
      return { ms, perSecond: (n / ms) * 1000 };
    };

    // Warm-up: loads got, JIT, fills both keep-alive pools.
    await sequential(ours, warmup);
    await sequential(bare, warmup);
    await burst(ours, 32);
    await burst(bare, 32);

    const out = [];
    for (let r = 0; r < reps; r++) {
      const oursFirst = r % 2 === 0;
      const rep = { oursFirst };
      const order = (oursFirst ? ['ours', 'bare'] : ['bare', 'ours']).filter((x) => sides.includes(x)); // `sides`: profiling one side
      for (const side of order) rep[`${side}Latency`] = await sequential(side === 'ours' ? ours : bare, latencyN);
      for (const side of order.reverse()) rep[`${side}Burst`] = await burst(side === 'ours' ? ours : bare, burstN);
      out.push(rep);
    }
    await nr.stop();
    agent.destroy();
    return { reps: out, items: out[0].oursLatency?.items, bareItems: out[0].bareLatency?.items, sockets, calls };
  },
};

async function run(ctx) {
  const params = ctx.quick ? { latencyN: 50, burstN: 200, reps: 2, warmup: 20 } : { latencyN: 200, burstN: 1000, reps: 5, warmup: 50 };
  const sim = await ctx.sim({ alerts: 20, rateLimits: false });
  let res;
  try {
    res = await ctx.child(__filename, 'compare', { sim, ...params }, { execArgv: ['--expose-gc'] });
  } finally {
    await sim.close();
  }
  const reps = res.reps;
  const latRatios = reps.map((r) => r.oursLatency.medianMs / r.bareLatency.medianMs);
  const tputRatios = reps.map((r) => r.oursBurst.perSecond / r.bareBurst.perSecond);
  reps.forEach((r, i) =>
    ctx.log(`  rep ${i + 1}: latency ours ${r.oursLatency.medianMs.toFixed(2)} ms / got ${r.bareLatency.medianMs.toFixed(2)} ms = ${latRatios[i].toFixed(3)}; burst ours ${Math.round(r.oursBurst.perSecond)}/s / got ${Math.round(r.bareBurst.perSecond)}/s = ${tputRatios[i].toFixed(3)}`),
  );
  const latRatio = round(median(latRatios), 3);
  const tputRatio = round(median(tputRatios), 3);
  // The connection's agent pools 16 sockets (src/client/connection.ts): a run that reuses them opens
  // at most that many, whatever the number of calls.
  const POOL = 16;
  const perThousand = (side) => (res.sockets[side] / res.calls[side]) * 1000;
  const tlsOurs = round(perThousand('ours'), 2);
  const tlsBare = round(perThousand('bare'), 2);

  return {
    params: { ...params, alertsPerCall: res.items, url: `/api/alerts?$top=${TOP}`, governor: 'lifted (mdeConfigRateLimits: false)', simulator: { alerts: 20, rateLimits: false } },
    raw: res,
    rows: [
      {
        figure: '2', key: 'latency', label: 'Round-trip latency (median, sequential)', unit: 'ms',
        ours: round(median(reps.map((r) => r.oursLatency.medianMs)), 2), baseline: round(median(reps.map((r) => r.bareLatency.medianMs)), 2),
        ratio: latRatio, target: { op: '<=', value: 1.15, text: 'ratio <= 1.15' }, pass: latRatio <= 1.15,
      },
      {
        figure: '2', key: 'throughput', label: `Messages per second (${params.burstN} concurrent)`, unit: '/s',
        ours: Math.round(median(reps.map((r) => r.oursBurst.perSecond))), baseline: Math.round(median(reps.map((r) => r.bareBurst.perSecond))),
        ratio: tputRatio, target: { op: '>=', value: 0.85, text: 'ratio >= 0.85' }, pass: tputRatio >= 0.85,
      },
      {
        figure: '2', key: 'tlsPerThousand', label: 'TLS connections opened per 1,000 calls', unit: '',
        ours: tlsOurs, baseline: tlsBare, ratio: null,
        target: { op: '<=', value: POOL, text: `ours <= ${POOL} (socket pool)` }, pass: tlsOurs <= POOL,
        note: `whole run: ours ${res.sockets.ours} connections for ${res.calls.ours} calls (token request included), bare got ${res.sockets.bare} for ${res.calls.bare}`,
      },
    ],
  };
}

module.exports = { jobs, run };
