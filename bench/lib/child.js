// Child-process entry: `node bench/lib/child.js <figure module> <job>`; the job's parameters
// arrive over IPC and its JSON result goes back the same way.
'use strict';
const path = require('node:path');
const { childMain } = require('./common');

const [modulePath, job] = process.argv.slice(2);
const mod = require(path.resolve(modulePath));
if (!mod.jobs || typeof mod.jobs[job] !== 'function') {
  console.error(`unknown job ${job} in ${modulePath}`);
  process.exit(2);
}
childMain((params) => mod.jobs[job](params));
