#!/usr/bin/env node
// Compiles src/ to dist/ and puts the editor files Node-RED reads beside each compiled node:
// dist/nodes/<type>.js + <type>.html, dist/nodes/locales/<lang>/<type>.json, dist/nodes/icons/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

function copyDir(from, to) {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

function build() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  const nodesOut = path.join(dist, 'nodes');
  fs.mkdirSync(nodesOut, { recursive: true });
  for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
    if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(nodesOut, file));
  }
  copyDir(path.join(root, 'nodes', 'locales'), path.join(nodesOut, 'locales'));
  copyDir(path.join(root, 'icons'), path.join(nodesOut, 'icons'));
  const cli = path.join(dist, 'simulator', 'cli.js');
  if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
}

if (require.main === module) {
  try {
    build();
  } catch (err) {
    console.error(err && err.message ? err.message : err);
    process.exit(1);
  }
}
module.exports = { build };
