#!/usr/bin/env node
// Runs one figure job under --cpu-prof against a simulator in its own process, then prints the
// profile summary. For digging into a missed target, e.g.:
//   node bench/tools/profile-job.js fig2-overhead compare '{"alerts":20,"rateLimits":false}' \
//        '{"latencyN":300,"burstN":1000,"reps":3,"warmup":50,"sides":["ours"]}'
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { fork, execFileSync } = require('node:child_process');

const [fig, job, simJson = '{}', paramsJson = '{}'] = process.argv.slice(2);
if (!fig || !job) {
  console.error('usage: profile-job.js <figure file without .js> <job> [simulator options JSON] [job params JSON]');
  process.exit(2);
}
const bench = path.resolve(__dirname, '..');
const profDir = path.join(bench, '.work', 'prof');
fs.mkdirSync(profDir, { recursive: true });

const sim = fork(path.join(bench, 'lib', 'sim-host.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const call = (cmd, arg) => new Promise((resolve, reject) => {
  const id = Math.random();
  const on = (m) => {
    if (m.id !== id) return;
    sim.off('message', on);
    m.ok ? resolve(m.value) : reject(new Error(m.error));
  };
  sim.on('message', on);
  sim.send({ id, cmd, arg });
});

(async () => {
  const info = await call('start', JSON.parse(simJson));
  const name = `${fig}-${job}-${Date.now()}.cpuprofile`;
  const child = fork(path.join(bench, 'lib', 'child.js'), [path.join(bench, 'figures', `${fig}.js`), job], {
    execArgv: ['--expose-gc', '--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', name],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ sim: { url: info.url, caPem: info.caPem, caFile: info.caFile }, ...JSON.parse(paramsJson) });
  const result = await new Promise((resolve) => child.once('message', resolve));
  await new Promise((resolve) => child.once('exit', resolve));
  console.log(JSON.stringify(result, null, 1).slice(0, 3000));
  await call('close').catch(() => {});
  console.log(execFileSync(process.execPath, [path.join(__dirname, 'profile-summary.js'), path.join(profDir, name), '30'], { encoding: 'utf8' }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
