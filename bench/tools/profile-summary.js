#!/usr/bin/env node
// Summarises a .cpuprofile (from BENCH_CPU_PROF=1): self time by function and by package/file,
// and inclusive time of our own functions. Usage: node bench/tools/profile-summary.js <file> [top]
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const file = process.argv[2];
const top = Number(process.argv[3] || 25);
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children || []) parent.set(c, n.id);

// sample counts -> time per node (µs)
const self = new Map();
const deltas = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) || 0) + (deltas[i] || 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const root = path.resolve(__dirname, '..', '..');
function where(cf) {
  const u = cf.url || '';
  if (!u) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  const p = u.replace(/^file:\/\//, '');
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p);
  if (m) return m[1];
  if (p.startsWith(root)) return path.relative(root, p).replace(/\/[^/]+$/, '/');
  if (p.startsWith('node:')) return 'node:' + p.slice(5).split('/')[0];
  return p;
}
const fnKey = (cf) => `${cf.functionName || '(anonymous)'} ${cf.url ? path.basename(cf.url.replace(/^file:\/\//, '')) + ':' + (cf.lineNumber + 1) : ''}`;

const byFn = new Map();
const byPkg = new Map();
for (const [id, t] of self) {
  const cf = byId.get(id).callFrame;
  byFn.set(fnKey(cf), (byFn.get(fnKey(cf)) || 0) + t);
  byPkg.set(where(cf), (byPkg.get(where(cf)) || 0) + t);
}
// inclusive time per function (counted once per sample stack)
const incl = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  const seen = new Set();
  let id = prof.samples[i];
  while (id !== undefined) {
    const k = fnKey(byId.get(id).callFrame);
    if (!seen.has(k)) {
      seen.add(k);
      incl.set(k, (incl.get(k) || 0) + (deltas[i] || 0));
    }
    id = parent.get(id);
  }
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %  ${(t / 1000).toFixed(1).padStart(8)} ms`;
const show = (title, m, n = top, filter = () => true) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(t)}  ${k}`);
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
show('self time by package / directory', byPkg, 20);
show('self time by function', byFn);
show('inclusive time, our code (dist/)', incl, top, (k) => /\.js:\d+$/.test(k) && !/node_modules/.test(k));
