// The Node-RED editor in Debian's Chromium against a real Node-RED that has this package
// installed from its tarball, talking to the bundled simulator. The tests run in order and share
// one page: palette -> drag + configure + Test connection -> deploy + inject -> help -> examples.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { env, startStack, stopStack, screenshot, openEditor, deploy } = require('./harness');

// Every node type the package registers (package.json), and the icon each one's editor file names.
const NODE_TYPES = Object.keys(require('../../package.json')['node-red'].nodes);
const TYPES = NODE_TYPES.filter((t) => t !== 'mde-config');
const ICONS = Object.fromEntries(NODE_TYPES.map((t) => {
  const html = fs.readFileSync(path.join(__dirname, '..', '..', 'nodes', `${t}.html`), 'utf8');
  const icon = /icon:\s*['"]([^'"]+)['"]/.exec(html);
  return [t, icon ? icon[1] : null];
}));
const WRONG_SECRET = 'Wrong~secret-value-e2e';

describe('Node-RED editor with node-red-contrib-defender-endpoint', { timeout: 240_000 }, () => {
  let stack;
  let page;
  let alertsNodeId;

  before(async () => {
    stack = await startStack();
    page = stack.page;
  });

  after(async () => {
    await stopStack(stack);
  });

  it('palette shows the Microsoft Defender category with every node and its icon', async () => {
    await openEditor(page, stack.nr.url);
    const header = page.locator('.red-ui-palette-header', { hasText: 'Microsoft Defender' });
    await header.waitFor();
    const category = page.locator('.red-ui-palette-category', { has: header });
    for (const type of TYPES) {
      const entry = category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      await entry.waitFor();
      const icon = await entry.locator('.red-ui-palette-icon').evaluate((el) => getComputedStyle(el).backgroundImage);
      assert.match(icon, new RegExp(ICONS[type].replace('.', '\\.')), `${type} palette icon is ${icon}`);
      // The icon URL must really load as an image (served from dist/nodes/icons via the package).
      const size = await page.evaluate(async (css) => {
        const url = css.replace(/^url\(["']?/, '').replace(/["']?\)$/, '');
        const img = new Image();
        img.src = url;
        await img.decode();
        return img.naturalWidth;
      }, icon);
      assert.ok(size > 0, `${type} icon loads`);
    }
    assert.ok(await page.evaluate(() => RED.nodes.getType('mde-config') && RED.nodes.getType('mde-config').category === 'config'), 'mde-config is registered as a config node');
    // Palette search finds our nodes.
    await page.fill('#red-ui-palette-search input', 'hunting');
    await page.locator('.red-ui-palette-node[data-palette-type="mde-hunting"]').waitFor({ state: 'visible' });
    await screenshot(page, '01-palette-search');
    await page.fill('#red-ui-palette-search input', '');
    await page.locator('.red-ui-palette-node[data-palette-type="mde-isolate"]').waitFor({ state: 'visible' });
    await screenshot(page, '01-palette', { clip: { x: 0, y: 0, width: 720, height: 620 } });
  });

  it('drag mde-alerts, create its connection in the dialog: Test connection shows the granted roles, a wrong secret the AADSTS explanation', async () => {
    const source = page.locator('.red-ui-palette-node[data-palette-type="mde-alerts"]');
    const from = await source.boundingBox();
    const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(chart.x + 200, chart.y + 150, { steps: 15 });
    await page.mouse.move(chart.x + 380, chart.y + 160, { steps: 15 });
    await page.mouse.up();
    alertsNodeId = await page.waitForFunction(() => {
      const n = RED.nodes.filterNodes({ type: 'mde-alerts' })[0];
      return n && n.id;
    }).then((h) => h.jsonValue());
    const nodeEl = page.locator(`[id="${alertsNodeId}"].red-ui-flow-node-group`);
    await nodeEl.waitFor();
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).valid, alertsNodeId), false, 'a new mde-alerts node without a connection is invalid');

    await nodeEl.locator('.red-ui-flow-node').dblclick();
    await page.waitForSelector('#node-input-config');
    await page.click('#node-input-btn-config-add');
    await page.waitForSelector('#node-config-input-tenantId');
    await page.fill('#node-config-input-name', 'E2E simulator');
    await page.fill('#node-config-input-tenantId', env.DEMO.tenantId);
    await page.fill('#node-config-input-clientId', env.DEMO.clientId);
    await page.selectOption('#node-config-input-authMethod', 'secret');
    await page.fill('#node-config-input-clientSecret', env.DEMO.secret);
    await page.selectOption('#node-config-input-cloud', 'custom');
    await page.fill('#node-config-input-apiBaseUrl', stack.sim.url);
    await page.fill('#node-config-input-authorityHost', stack.sim.url);
    await page.fill('#node-config-input-graphBaseUrl', stack.sim.url);

    await page.click('#node-config-mde-test-connection');
    const result = page.locator('#node-config-mde-test-result');
    await result.filter({ hasText: 'Machine.Isolate' }).waitFor();
    const ok = await result.innerText();
    for (const role of ['Alert.Read.All', 'Machine.Isolate', 'Machine.Read.All', 'AdvancedQuery.Read.All', 'ThreatHunting.Read.All']) assert.ok(ok.includes(role), `granted roles list ${role}:\n${ok}`);
    assert.ok(!ok.includes(env.DEMO.secret), 'the result never shows the secret');
    await result.scrollIntoViewIfNeeded();
    await screenshot(page, '02-test-connection-roles');

    await page.fill('#node-config-input-clientSecret', WRONG_SECRET);
    await page.click('#node-config-mde-test-connection');
    await result.filter({ hasText: 'AADSTS7000215' }).waitFor();
    const bad = await result.innerText();
    assert.match(bad, /secret/i, bad);
    assert.match(bad, /value/i, `the hint explains to paste the secret value:\n${bad}`);
    assert.ok(!bad.includes(WRONG_SECRET), 'the error never echoes the secret');
    await result.scrollIntoViewIfNeeded();
    await screenshot(page, '03-test-connection-wrong-secret');

    await page.fill('#node-config-input-clientSecret', env.DEMO.secret);
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-tenantId', { state: 'detached' });
    await page.fill('#node-input-name', 'Alerts of the last 24 hours');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-config', { state: 'detached' });
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).valid, alertsNodeId), true, 'mde-alerts is valid once it has a connection');
  });

  it('deploying shows a green status after an inject, and the debug sidebar shows the alerts', async () => {
    // Wiring an inject and a debug node is setup, not under test: done through the editor API.
    await page.evaluate((alertsId) => {
      const alerts = RED.nodes.node(alertsId);
      RED.view.importNodes(
        [
          { id: 'e2e0inject', type: 'inject', name: 'List alerts', props: [{ p: 'payload' }], payload: '', payloadType: 'date', repeat: '', once: false, x: alerts.x - 220, y: alerts.y, wires: [[]] },
          { id: 'e2e0debug', type: 'debug', name: 'Alerts', active: true, tosidebar: true, complete: 'payload', targetType: 'msg', x: alerts.x + 240, y: alerts.y, wires: [] },
        ],
        { generateIds: false, touchImport: false },
      );
      RED.nodes.addLink({ source: RED.nodes.node('e2e0inject'), sourcePort: 0, target: alerts });
      RED.nodes.addLink({ source: alerts, sourcePort: 0, target: RED.nodes.node('e2e0debug') });
      RED.nodes.dirty(true);
      RED.view.select({ nodes: [] });
      RED.view.redraw(true);
    }, alertsNodeId);
    await deploy(page);
    await page.evaluate(() => RED.sidebar.show('debug'));
    await page.locator('[id="e2e0inject"] .red-ui-flow-node-button').click();
    const status = page.locator(`[id="${alertsNodeId}"] .red-ui-flow-node-status-label`);
    await status.filter({ hasText: /\d+ alerts?/ }).waitFor();
    const dot = await page.locator(`[id="${alertsNodeId}"] .red-ui-flow-node-status`).getAttribute('class');
    assert.match(dot, /red-ui-flow-node-status-dot-green/, `status is green: ${dot}`);
    const message = page.locator('.red-ui-debug-msg', { hasText: 'Alerts' }).last();
    await message.waitFor();
    assert.match(await message.innerText(), /array\[\d+\]/, 'the debug message is the array of alerts');
    await message.locator('.red-ui-debug-msg-element').first().click().catch(() => {});
    await screenshot(page, '04-deployed-status-and-debug');

    // The secret is never sent back: not in GET /flows, not in the editor's export, not in flows.json.
    const flows = await env.adminRequest(stack.nr.url, 'GET', 'flows');
    const text = JSON.stringify(flows);
    assert.ok(text.includes('E2E simulator'), 'the config node was deployed');
    assert.ok(!text.includes(env.DEMO.secret) && !text.includes(WRONG_SECRET), 'GET /flows has no secret');
    const exported = await page.evaluate(() => JSON.stringify(RED.nodes.createCompleteNodeSet({ credentials: false })));
    assert.ok(!exported.includes(env.DEMO.secret), 'the editor export has no secret');
    for (const f of ['flows.json', 'flows_cred.json']) {
      const p = path.join(stack.userDir, f);
      if (fs.existsSync(p)) assert.ok(!fs.readFileSync(p, 'utf8').includes(env.DEMO.secret), `${f} has no plain-text secret`);
    }
    // Re-opening the connection shows the password placeholder, not the secret.
    const cfgId = await page.evaluate((id) => RED.nodes.node(id).config, alertsNodeId);
    const creds = await env.adminRequest(stack.nr.url, 'GET', `credentials/mde-config/${cfgId}`);
    assert.equal(creds.clientSecret, undefined);
    assert.equal(creds.has_clientSecret, true);
  });

  it("each node's help renders in the help sidebar", async () => {
    for (const type of [...TYPES, 'mde-config']) {
      await page.evaluate((t) => RED.sidebar.help.show(t), type);
      const help = page.locator('.red-ui-sidebar-info .red-ui-help').filter({ visible: true }).last();
      await help.waitFor();
      await page.waitForFunction((t) => {
        const el = [...document.querySelectorAll('.red-ui-help')].find((e) => e.offsetParent);
        return el && el.innerText.length > 200 && (t === 'mde-config' || /Inputs/.test(el.innerText));
      }, type);
      const text = await page.evaluate(() => [...document.querySelectorAll('.red-ui-help')].find((e) => e.offsetParent).innerText);
      if (type !== 'mde-config') {
        const headings = await page.evaluate(() => [...[...document.querySelectorAll('.red-ui-help')].find((e) => e.offsetParent).querySelectorAll('h3')].map((h) => h.textContent.trim()));
        assert.ok(headings.includes('Inputs'), `${type} help has Inputs: ${headings}`);
        assert.ok(headings.some((h) => /^Outputs/.test(h)), `${type} help has Outputs: ${headings}`);
      }
      assert.ok(!/__[a-z]/.test(text) && !/mde-[a-z]+\.[a-z-]+\.[a-z-]+/.test(text), `${type} help has no untranslated keys`);
      if (type === 'mde-isolate') await screenshot(page, '05-help-mde-isolate');
    }
  });

  it('a French browser gets French palette labels and help (nodes/locales/fr)', async () => {
    // The editor picks its language from navigator.language and sends it as Accept-Language.
    const fr = await stack.browser.newContext({ locale: 'fr-FR', viewport: { width: 1600, height: 960 }, deviceScaleFactor: 1 });
    try {
      const frPage = await fr.newPage();
      await openEditor(frPage, stack.nr.url);
      const label = (type) => frPage.locator(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`).innerText();
      assert.equal(await label('mde-isolate'), 'isoler');
      assert.equal(await label('mde-hunting'), 'repérage');
      await frPage.evaluate(() => RED.sidebar.help.show('mde-isolate'));
      const help = frPage.locator('.red-ui-help').filter({ visible: true, hasText: 'Isole un appareil' }).last();
      await help.waitFor();
      assert.deepEqual(await help.locator('h3').allInnerTexts(), ['Entrées', 'Sorties', 'Détails', 'Références']);
      assert.match(await help.innerText(), /Accorder un consentement d'administrateur/);
      await screenshot(frPage, '05-help-mde-isolate-fr');
    } finally {
      await fr.close();
    }
  });

  it('Import > Examples lists every playbook; importing and deploying each works', async () => {
    const examples = env.loadExamples();
    const shipped = fs.readdirSync(path.resolve(__dirname, '..', '..', 'examples')).filter((f) => f.endsWith('.json'));
    assert.equal(examples.length, shipped.length, 'every example playbook');
    assert.ok(examples.some((e) => e.file.startsWith('08 ')), 'playbook 08 (investigation package) among them');
    // Start from a clean workspace holding only the shared connection, pointed at this
    // simulator with its secret, so the imported playbooks reuse it and can really run.
    const cfg = examples[0].nodes.find((n) => n.type === 'mde-config');
    await env.deployFlows(stack.nr.url, [{ id: 'e2e0tab', type: 'tab', label: 'Start' }, { ...cfg, apiBaseUrl: stack.sim.url, authorityHost: stack.sim.url, graphBaseUrl: stack.sim.url, credentials: { clientSecret: env.DEMO.secret } }]);
    await openEditor(page, stack.nr.url);

    for (const ex of examples) {
      const before = await page.evaluate(() => RED.nodes.createCompleteNodeSet().length);
      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      await page.click('#red-ui-clipboard-dialog-import-tabs a[href="#red-ui-clipboard-dialog-import-tab-examples"]');
      const tree = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      const moduleFolder = tree.locator('.red-ui-treeList-label', { hasText: env.MODULE });
      await moduleFolder.waitFor();
      const entry = tree.locator('.red-ui-treeList-label', { hasText: ex.title });
      if (!(await entry.isVisible())) await moduleFolder.click();
      for (const other of examples) await tree.locator('.red-ui-treeList-label', { hasText: other.title }).waitFor();
      await entry.click();
      if (ex === examples[0]) await screenshot(page, '06-import-examples-menu');
      await page.click('#red-ui-clipboard-dialog-ok');
      // The shared connection already exists: Node-RED asks; "Import copy" keeps the existing connection.
      const conflict = page.locator('.red-ui-notification', { hasText: 'already exist' });
      await Promise.race([conflict.waitFor(), page.waitForFunction((n) => RED.nodes.createCompleteNodeSet().length > n, before)]);
      if (await conflict.isVisible()) await conflict.locator('button', { hasText: /import copy/i }).click();
      await page.waitForFunction((n) => RED.nodes.createCompleteNodeSet().length > n, before);

      const imported = await page.evaluate((label) => {
        const tab = RED.nodes.createCompleteNodeSet().find((n) => n.type === 'tab' && n.label === label);
        if (!tab) return null;
        RED.workspaces.show(tab.id);
        const nodes = RED.nodes.filterNodes({ z: tab.id });
        return {
          tab: tab.id,
          count: nodes.length,
          invalid: nodes.filter((n) => !n.valid).map((n) => `${n.type} ${n.name || n.id}`),
          types: [...new Set(nodes.map((n) => n.type))],
        };
      }, ex.nodes.find((n) => n.type === 'tab').label);
      assert.ok(imported, `${ex.title}: a tab was imported`);
      assert.deepEqual(imported.invalid, [], `${ex.title}: no invalid nodes`);
      assert.equal(imported.count, ex.nodes.filter((n) => n.z).length, `${ex.title}: every node imported`);
      await page.waitForSelector(`#red-ui-workspace-chart .red-ui-flow-node-group`);
      const triangles = await page.locator('#red-ui-workspace-chart .red-ui-flow-node-error:not(.hide)').count();
      assert.equal(triangles, 0, `${ex.title}: no red triangles`);
      const configCount = await page.evaluate(() => {
        let n = 0;
        RED.nodes.eachConfig((c) => {
          if (c.type === 'mde-config') n++;
        });
        return n;
      });
      // The playbooks share one connection; the partner playbook (10) brings its own partner connection.
      const connections = new Set(examples.slice(0, examples.indexOf(ex) + 1).flatMap((e) => e.nodes.filter((n) => n.type === 'mde-config').map((n) => n.id)));
      assert.equal(configCount, connections.size, `${ex.title}: the playbooks share one connection (a partner connection apart)`);
      try {
        await deploy(page);
      } catch (err) {
        // What the editor showed instead of "Successfully deployed" (a dialog, an error toast ...).
        await screenshot(page, `07-example-${ex.file.slice(0, 2)}-deploy-failed`);
        throw err;
      }
      await screenshot(page, `07-example-${ex.file.slice(0, 2)}`);
    }

    // Playbook 01 really runs: new High alert -> trigger -> hunt -> isolate (Selective) -> wait -> alert updated -> report.
    const target = stack.sim.state.machines.find((m) => !m.machineTags.includes('DoNotIsolate') && m.osPlatform.startsWith('Windows1'));
    stack.sim.addAlert({ severity: 'High', machineId: target.id, computerDnsName: target.computerDnsName });
    const tab01 = await page.evaluate(() => RED.nodes.createCompleteNodeSet().find((n) => n.type === 'tab' && n.label.startsWith('01 ')).id);
    await page.evaluate((id) => RED.workspaces.show(id), tab01);
    await page.evaluate(() => {
      RED.sidebar.show('debug');
      RED.actions.invoke('core:clear-debug-messages');
    });
    const inject01 = await page.evaluate((z) => RED.nodes.filterNodes({ z, type: 'inject' })[0].id, tab01);
    await page.locator(`[id="${inject01}"] .red-ui-flow-node-button`).click();
    // A multi-line string shows collapsed in the debug sidebar: expand it like a user would.
    const report = page.locator('.red-ui-debug-msg', { hasText: 'node: Report' }).first();
    await report.waitFor({ timeout: 30_000 });
    await report.locator('.red-ui-debug-msg-object-handle').first().click();
    const reportText = await report.locator('pre').innerText();
    assert.match(reportText, /isolated \(Selective\)/, reportText);
    assert.match(reportText, /Action [0-9a-f-]{36}: Succeeded/, reportText);
    const isolated = stack.sim.snapshot().machines.filter((m) => m.isolationState === 'Isolated');
    assert.ok(isolated.some((m) => m.id === target.id), "the new alert's machine is isolated");
    assert.ok(isolated.every((m) => !m.machineTags.includes('DoNotIsolate')), 'never a protected machine');
    await screenshot(page, '08-playbook-01-report');
    assert.deepEqual(stack.pageErrors, [], 'no uncaught errors in the editor page');
  });
});
