// One stack per suite: the simulator (port 0, fast machine actions), a real Node-RED child
// process with this package installed from its `npm pack` tarball into a temporary user
// directory (scripts/lib/node-red-env.js, shared with `npm start`), and Debian's Chromium driven
// by playwright-core. Screenshots go to test-results/screenshots/.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const env = require('../../scripts/lib/node-red-env');

const root = env.root;
const resultsDir = path.join(root, 'test-results');
const screenshotDir = path.join(resultsDir, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

async function startStack() {
  env.ensureBuilt();
  const { startSimulator } = require(path.join(root, 'dist', 'simulator', 'index.js'));
  const { chromium } = require('playwright-core');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mde-e2e-'));
  const stack = { tmp, sim: null, nr: null, browser: null, context: null, page: null };
  try {
    stack.sim = await startSimulator({ port: 0, actionTimings: { pendingMs: 300, inProgressMs: 600 } });
    const caFile = path.join(tmp, 'simulator-ca.pem');
    fs.writeFileSync(caFile, stack.sim.caPem);

    const userDir = path.join(tmp, 'userdir');
    const port = await env.freePort();
    env.writeSettings(userDir, { port, logLevel: 'info' });
    env.installPackage(userDir, { packDir: path.join(tmp, 'pack'), log: () => {} });
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]\n');
    fs.mkdirSync(resultsDir, { recursive: true });
    const logFile = path.join(resultsDir, 'e2e-node-red.log');
    fs.writeFileSync(logFile, '');
    stack.userDir = userDir;
    stack.nr = await env.startNodeRed({ userDir, port, caFile, logFile });

    stack.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    stack.context = await stack.browser.newContext({ viewport: { width: 1600, height: 960 }, deviceScaleFactor: 1 });
    stack.page = await stack.context.newPage();
    stack.page.setDefaultTimeout(15_000);
    stack.pageErrors = [];
    stack.page.on('pageerror', (err) => stack.pageErrors.push(err.stack || err.message));
    return stack;
  } catch (err) {
    await stopStack(stack);
    throw err;
  }
}

async function stopStack(stack) {
  if (!stack) return;
  if (stack.browser) await stack.browser.close().catch(() => {});
  if (stack.nr) await stack.nr.stop().catch(() => {});
  if (stack.sim) await stack.sim.close().catch(() => {});
  if (stack.tmp && !process.env.MDE_E2E_KEEP) fs.rmSync(stack.tmp, { recursive: true, force: true });
}

async function screenshot(page, name, options = {}) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, ...options });
  return file;
}

/** Open the editor and wait until our node types are registered in it. */
async function openEditor(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType && RED.nodes.getType('mde-alerts') && document.querySelector('.red-ui-palette-node[data-palette-type="mde-alerts"]'));
  await page.waitForSelector('#red-ui-workspace-chart svg');
  // Wait for the initial flows to load (the deploy button becomes usable).
  await page.waitForFunction(() => RED.nodes.version() !== null && RED.nodes.version() !== undefined);
}

/** Click Deploy and wait until the runtime has taken the flows (a new flows revision, nothing left to deploy). */
async function deploy(page) {
  // Not the "Successfully deployed" toast: two deploys in quick succession reuse the one still on
  // screen, so counting toasts misses the second. The flows revision changes with every deploy.
  const before = await page.evaluate(() => RED.nodes.version());
  await page.click('#red-ui-header-button-deploy');
  await page.waitForFunction((rev) => RED.nodes.version() !== rev, before);
  await page.waitForFunction(() => !RED.nodes.dirty() && !$('#red-ui-header-shade:visible').length && !$('#red-ui-editor-shade:visible').length);
}

module.exports = { env, root, resultsDir, screenshotDir, CHROMIUM, startStack, stopStack, screenshot, openEditor, deploy };
