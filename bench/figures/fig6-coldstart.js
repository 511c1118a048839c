// Figure 6: cold start. Node-RED (same version, same settings) started in a fresh process with an
// empty flow, with and without our package in <userDir>/node_modules (a symlink to this checkout,
// what `npm install <dir>` creates). Reports the difference in ms, and which heavy dependencies
// (@azure/msal-node, got, mustache) are loaded eagerly: CommonJS from require.cache, ESM from a
// loader hook (bench/lib/esm-track.mjs). A second run deploys a flow with our nodes and checks
// again before and after the first message (got must show up there: the positive control).
'use strict';
const path = require('node:path');
const { startNodeRed, TAB, configNode, configCredentials, probe, catchAll, median, round, ROOT } = require('../lib/common');

const fs = require('node:fs');

// Our dependencies as installed for this package (Node-RED has its own nested got 12, and
// shares the hoisted mustache with its editor, so files are matched by directory and "loaded by
// us" means one of our modules imported them).
const DEPS = Object.fromEntries(
  ['@azure/msal-node', 'got', 'mustache'].map((name) => {
    let dir = path.join(ROOT, 'node_modules', name);
    try {
      dir = fs.realpathSync(dir);
    } catch {
      /* keep */
    }
    return [name, dir + path.sep];
  }),
);

const rel = (p) => (p.startsWith(ROOT) ? path.relative(ROOT, p) : p.replace(/^.*node_modules[\\/]/, ''));
const isOurs = (f) => f.startsWith(path.join(ROOT, 'dist') + path.sep);
const isCode = (f) => !/package\.json$/.test(f);

/** Our require chain from `mod` up to the node file Node-RED loaded (module.parent links). */
function chainOf(mod) {
  const chain = [];
  const seen = new Set();
  let m = mod;
  while (m && !seen.has(m) && isOurs(m.filename)) {
    seen.add(m);
    chain.push(rel(m.filename));
    m = m.parent;
  }
  return chain;
}

async function inspect() {
  await new Promise((r) => setTimeout(r, 100)); // let the loader thread's messages arrive
  const cjs = Object.keys(require.cache);
  const esm = (globalThis.__benchEsmLoaded || []).map((u) => decodeURI(u.replace(/^file:\/\//, '')));
  const ourMods = cjs.filter(isOurs).map((k) => require.cache[k]);
  const deps = {};
  const present = [];
  for (const [name, dir] of Object.entries(DEPS)) {
    const files = cjs.filter((k) => k.startsWith(dir) && isCode(k));
    const esmFiles = esm.filter((k) => k.startsWith(dir) && isCode(k));
    if (files.length || esmFiles.length) present.push(name);
    const importers = ourMods.filter((m) => (m.children || []).some((c) => c.filename.startsWith(dir)));
    // got is ESM-only: only our code imports this copy (Node-RED has its own), so any ESM file counts.
    if (!importers.length && !esmFiles.length) continue;
    deps[name] = {
      cjsFiles: files.length,
      esmFiles: esmFiles.length,
      importedBy: importers.map((m) => rel(m.filename)),
      chain: importers.length ? chainOf(importers[0]) : ['(dynamic import)'],
    };
  }
  return { deps, loaded: Object.keys(deps), presentInProcess: present, ourModules: ourMods.map((m) => rel(m.filename)), totalCjs: cjs.length, totalEsm: esm.length, esmTrackerActive: Array.isArray(globalThis.__benchEsmLoaded) };
}

function nodesFlow(sim) {
  return [
    TAB,
    configNode(sim),
    { id: 'alerts', type: 'mde-alerts', z: 'tab', config: 'cfg', mode: 'list', maxResults: 10, pageSize: 10, outputMode: 'array', since: '', sinceType: 'str', wires: [['out']] },
    { id: 'hunt', type: 'mde-hunting', z: 'tab', config: 'cfg', query: 'DeviceProcessEvents | where DeviceName == {{payload}} | take 10', api: 'graph', outputMode: 'array', wires: [['out']] },
    { id: 'token', type: 'mde-token', z: 'tab', config: 'cfg', audience: 'mde', requiredRoles: '', wires: [['out']] },
    probe('out'),
    ...catchAll(),
  ];
}

const jobs = {
  async cold({ withPackage }) {
    const nr = await startNodeRed({ flows: [], withPackage, prefix: 'cold' });
    const t = { requireMs: nr.requireMs, startMs: nr.startMs, flowsMs: nr.flowsMs, sinceProcessStartMs: performance.now() };
    const seen = await inspect();
    const mem = process.memoryUsage();
    const types = nr.RED.nodes.getNodeList ? nr.RED.nodes.getNodeList().filter((n) => /^node-red-contrib-defender-endpoint/.test(n.module)).map((n) => `${n.name}:${n.loaded ? 'loaded' : n.err || 'not loaded'}`) : [];
    await nr.stop();
    return { ...t, ...seen, ourNodeSets: types, rss: mem.rss, heapUsed: mem.heapUsed };
  },

  async deployed({ sim }) {
    const nr = await startNodeRed({ flows: nodesFlow(sim), credentials: configCredentials(), prefix: 'cold' });
    const afterDeploy = await inspect();
    const msg = await new Promise((resolve, reject) => {
      nr.node('out').on('input', resolve);
      nr.node('caught').on('input', (m) => reject(new Error(m.error && m.error.message)));
      nr.node('alerts').receive({ payload: '' });
    });
    const afterFirstMessage = await inspect();
    await nr.stop();
    return { afterDeploy, afterFirstMessage, firstMessageItems: Array.isArray(msg.payload) ? msg.payload.length : null };
  },
};

async function run(ctx) {
  const reps = ctx.quick ? 2 : 5;
  const opts = { execArgv: ['--import', path.join(__dirname, '..', 'lib', 'esm-track.mjs')] };
  const raw = { with: [], without: [] };
  for (let r = 0; r < reps; r++) {
    for (const withPackage of r % 2 === 0 ? [false, true] : [true, false]) {
      const v = await ctx.child(__filename, 'cold', { withPackage }, opts);
      raw[withPackage ? 'with' : 'without'].push(v);
    }
    ctx.log(`  rep ${r + 1}: RED.init -> flows started: with ${Math.round(raw.with[r].flowsMs)} ms, without ${Math.round(raw.without[r].flowsMs)} ms; eager deps with package: ${raw.with[r].loaded.join(', ') || 'none'}`);
  }
  const sim = await ctx.sim({ alerts: 10, rateLimits: false });
  let deployed;
  try {
    deployed = await ctx.child(__filename, 'deployed', { sim }, opts);
  } finally {
    await sim.close();
  }
  const w = median(raw.with.map((x) => x.flowsMs));
  const wo = median(raw.without.map((x) => x.flowsMs));
  const diff = round(median(raw.with.map((x, i) => x.flowsMs - raw.without[i].flowsMs)), 1);
  const eagerWithout = [...new Set(raw.without.flatMap((x) => x.loaded))];
  // An ESM file has no importer link; when Node-RED itself loads the same copy without our
  // package (Node-RED 5 shares the hoisted got), an ESM-only sighting cannot be blamed on us.
  const onlyByEsm = (x, d) => x.deps[d] && x.deps[d].importedBy.length === 0;
  const ambiguous = [...new Set(raw.with.flatMap((x) => x.loaded.filter((d) => onlyByEsm(x, d) && eagerWithout.includes(d))))];
  const eager = [...new Set(raw.with.flatMap((x) => x.loaded))].filter((d) => !ambiguous.includes(d));
  const afterDeploy = deployed.afterDeploy.loaded.filter((d) => !ambiguous.includes(d));
  const presentWithout = [...new Set(raw.without.flatMap((x) => x.presentInProcess))];
  const chains = {};
  for (const x of raw.with) for (const [k, v] of Object.entries(x.deps)) chains[k] ??= v.chain;
  if (ambiguous.length) ctx.log(`  not attributable (Node-RED loads the same ESM copy itself): ${ambiguous.join(', ')}`);
  ctx.log(`  deployed flow with our nodes: loaded before the first message: ${deployed.afterDeploy.loaded.join(', ') || 'none'}; after it: ${deployed.afterFirstMessage.loaded.join(', ') || 'none'}`);
  for (const [k, c] of Object.entries(chains)) ctx.log(`  ${k} is imported by: ${c.join(' <- ')}`);
  if (presentWithout.length) ctx.log(`  (loaded by Node-RED itself, without our package: ${presentWithout.join(', ')})`);
  return {
    params: { reps, measure: 'RED.init() until flows:started, fresh process each, empty flow; package linked into <userDir>/node_modules', eagerWithoutPackage: eagerWithout },
    raw: { ...raw, deployed },
    eagerChains: chains,
    rows: [
      {
        figure: '6', key: 'cold-start', label: 'Cold start, RED.init to flows started', unit: 'ms',
        ours: Math.round(w), baseline: Math.round(wo), ratio: round(median(raw.with.map((x, i) => x.flowsMs / raw.without[i].flowsMs)), 3),
        target: null, pass: null, note: `our package adds ${diff} ms (median of paired differences); ${raw.with[0].ourModules.length} of our modules loaded`,
      },
      { figure: '6', key: 'cold-start-diff', label: 'Cold start, added by our package', unit: 'ms', ours: diff, baseline: null, ratio: null, target: null, pass: null },
      {
        figure: '6', key: 'eager-deps', label: 'Heavy deps loaded by us at node-set load', unit: '', ours: eager, baseline: null, ratio: null,
        target: { on: 'ours', op: 'none', text: 'none (lazy)' }, pass: eager.length === 0,
        note: `${Object.entries(chains).map(([k, c]) => `${k} <- ${c.join(' <- ')}`).join('; ')}${presentWithout.length ? `; Node-RED itself already loads: ${presentWithout.join(', ')}` : ''}${ambiguous.length ? `; not attributable (same ESM copy loaded by Node-RED too): ${ambiguous.join(', ')}` : ''}`,
      },
      {
        figure: '6', key: 'deps-after-deploy', label: 'Heavy deps loaded after deploy, before 1st msg', unit: '', ours: afterDeploy, baseline: null, ratio: null,
        target: { on: 'ours', op: 'none', text: 'none (lazy)' }, pass: afterDeploy.length === 0,
        note: `after the first message: ${deployed.afterFirstMessage.loaded.join(', ') || 'none'}`,
      },
    ],
  };
}

module.exports = { jobs, run };
