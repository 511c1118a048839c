#!/usr/bin/env node
// Adds up every test run's TAP summary under test-results/ into one closing line.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = path.resolve(__dirname, '..', 'test-results');
let pass = 0;
let fail = 0;
let skipped = 0;
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.tap')) : [];
for (const file of files) {
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  const count = (name) => Number((text.match(new RegExp(`^# ${name} (\\d+)$`, 'm')) || [0, 0])[1]);
  pass += count('pass');
  fail += count('fail');
  skipped += count('skipped');
  console.log(`${file}: ${count('pass')} passed, ${count('fail')} failed`);
}
console.log(`${pass} passed, ${fail} failed, ${skipped} skipped`);
process.exit(fail === 0 && pass > 0 ? 0 : 1);
