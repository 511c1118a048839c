// Figure 5: paging 25,000 alerts. One mde-alerts message (list, pageSize 10,000, maxResults
// 100,000, array output, default governor) against the same three pages fetched by bare `got`
// in sequence ($top=10000&$skip=...) and parsed, in the same Node-RED process, alternating order.
'use strict';
const { startNodeRed, ourAlertsFlow, configCredentials, bareAgent, loadGot, median, round } = require('../lib/common');

const ALERTS = 25_000;
const PAGE = 10_000;

const jobs = {
  async compare({ sim, reps }) {
    const nr = await startNodeRed({ flows: ourAlertsFlow(sim, { maxResults: 100_000, pageSize: PAGE }), credentials: configCredentials() });
    const got = await loadGot();
    const ours = () =>
      new Promise((resolve, reject) => {
        const out = nr.node('out');
        const caught = nr.node('caught');
        const done = () => {
          out.removeListener('input', onOut);
          caught.removeListener('input', onErr);
        };
        const onOut = (m) => {
          done();
          resolve({ items: m.payload.length, pages: m.mde.pages });
        };
        const onErr = (m) => {
          done();
          reject(new Error(m.error && m.error.message));
        };
        out.on('input', onOut);
        caught.on('input', onErr);
        nr.node('alerts').receive({ payload: '' });
      });
    const token = (await nr.node('cfg').connection().getToken('mde')).accessToken;
    const agent = bareAgent(sim.caPem);
    const bare = async () => {
      const all = [];
      let pages = 0;
      for (let skip = 0; ; skip += PAGE) {
        const res = await got(`${sim.url}/api/alerts?$top=${PAGE}${skip ? `&$skip=${skip}` : ''}`, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          responseType: 'buffer',
          throwHttpErrors: false,
          retry: { limit: 0 },
          agent: { https: agent },
        });
        if (res.statusCode !== 200) throw new Error(`bare got: HTTP ${res.statusCode}`);
        const page = JSON.parse(res.body.toString('utf8')).value;
        pages++;
        for (const a of page) all.push(a);
        if (page.length < PAGE) break;
      }
      return { items: all.length, pages };
    };
    const timed = async (fn) => {
      global.gc?.(); // each side starts with a clean heap, so one side's garbage is not the other's GC pause
      const t = performance.now();
      const r = await fn();
      return { ms: performance.now() - t, ...r };
    };
    await timed(ours); // warm-up: modules, token, sockets
    await timed(bare);
    const out = [];
    for (let r = 0; r < reps; r++) {
      const oursFirst = r % 2 === 0;
      const rep = { oursFirst };
      for (const side of oursFirst ? ['ours', 'bare'] : ['bare', 'ours']) rep[side] = await timed(side === 'ours' ? ours : bare);
      out.push(rep);
    }
    await nr.stop();
    agent.destroy();
    return { reps: out };
  },
};

async function run(ctx) {
  const reps = ctx.quick ? 2 : 9;
  const sim = await ctx.sim({ alerts: ALERTS, rateLimits: false });
  let res;
  try {
    res = await ctx.child(__filename, 'compare', { sim, reps }, { execArgv: ['--expose-gc'] });
  } finally {
    await sim.close();
  }
  const ratios = res.reps.map((r) => r.ours.ms / r.bare.ms);
  res.reps.forEach((r, i) => ctx.log(`  rep ${i + 1}: ours ${Math.round(r.ours.ms)} ms (${r.ours.items} alerts, ${r.ours.pages} pages) / got ${Math.round(r.bare.ms)} ms (${r.bare.items}, ${r.bare.pages} pages) = ${ratios[i].toFixed(3)}`));
  const ratio = round(median(ratios), 3);
  const complete = res.reps.every((r) => r.ours.items === ALERTS && r.bare.items === ALERTS);
  return {
    params: { alerts: ALERTS, pageSize: PAGE, reps, governor: 'default budgets (3 calls per message fit in 100/min)', simulator: { rateLimits: false } },
    raw: res,
    rows: [
      {
        figure: '5', key: 'paging', label: `Paging ${ALERTS.toLocaleString('en-US')} alerts (3 pages), wall time`, unit: 'ms',
        ours: Math.round(median(res.reps.map((r) => r.ours.ms))), baseline: Math.round(median(res.reps.map((r) => r.bare.ms))),
        ratio, target: { op: '<=', value: 1.1, text: 'ratio <= 1.1' }, pass: ratio <= 1.1 && complete,
      },
    ],
  };
}

module.exports = { jobs, run };
