'use strict';
// mde-alerts' API choice in the real editor: a new node reads Microsoft Graph; a node saved before
// the choice existed opens on the MDE API (and shows the yellow retirement status once deployed);
// switching it to Graph in the dialog carries its severities, statuses and time field over, hides
// the MDE-only fields and clears them on save, and the redeployed node lists from Graph.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { env, startStack, stopStack, screenshot, openEditor, deploy } = require('./harness');

const ID = 'e2eaalerts';

describe('mde-alerts API choice in the editor', { timeout: 240_000 }, () => {
  let stack;
  let page;

  before(async () => {
    stack = await startStack();
    page = stack.page;
  });

  after(async () => {
    await stopStack(stack);
  });

  it('a pre-Graph node opens on the MDE API; switching to Graph carries the filters over and the node lists from Graph', async () => {
    const example = env.loadExamples()[0].nodes.find((n) => n.type === 'mde-config');
    const cfg = { ...example, apiBaseUrl: stack.sim.url, authorityHost: stack.sim.url, graphBaseUrl: stack.sim.url, credentials: { clientSecret: env.DEMO.secret } };
    await env.deployFlows(stack.nr.url, [
      { id: 'e2eatab', type: 'tab', label: 'Alerts API' },
      cfg,
      { id: 'e2eainject', type: 'inject', z: 'e2eatab', name: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', repeat: '', once: false, x: 120, y: 100, wires: [[ID]] },
      // As saved before the API choice: no api, no alertShape; MDE values.
      {
        id: ID, type: 'mde-alerts', z: 'e2eatab', name: '', config: cfg.id, mode: 'list', alertId: 'alertId', alertIdType: 'msg', related: '', severity: 'High,Medium', statusFilter: 'New,InProgress',
        category: 'Malware', detectionSource: '', assignedTo: '', incidentId: '', machineId: '', timeField: 'lastUpdateTime', since: '30d', sinceType: 'str', rawFilter: '', expandEvidence: false,
        orderBy: 'alertCreationTime desc', maxResults: 1000, pageSize: 10000, outputMode: 'array', x: 320, y: 100, wires: [[]],
      },
    ]);
    await openEditor(page, stack.nr.url);
    await page.evaluate(() => RED.workspaces.show('e2eatab'));
    assert.equal(await page.evaluate(() => RED.nodes.getType('mde-alerts').defaults.api.value), 'graph', 'a new node reads Microsoft Graph');
    const status = page.locator(`[id="${ID}"] .red-ui-flow-node-status-label`);
    await status.filter({ hasText: 'MDE API retires 1 Feb 2027' }).waitFor();
    assert.match(await page.locator(`[id="${ID}"] .red-ui-flow-node-status`).getAttribute('class'), /red-ui-flow-node-status-ring-yellow/);

    await page.evaluate((id) => RED.editor.edit(RED.nodes.node(id)), ID);
    await page.waitForSelector('#node-input-api');
    const checked = (prop) => page.evaluate((p) => $(`#node-input-${p}-choices input:checked`).map((i, e) => e.value).get(), prop);
    assert.equal(await page.inputValue('#node-input-api'), 'mde');
    assert.equal(await page.inputValue('#node-input-alertShape'), 'mde', "a pre-Graph node keeps the MDE API's fields");
    assert.deepEqual(await checked('severity'), ['Medium', 'High']);
    assert.deepEqual(await checked('statusFilter'), ['New', 'InProgress']);
    assert.equal(await page.isVisible('#node-input-category'), true);
    assert.equal(await page.isVisible('#node-input-classification-choices'), false);
    await screenshot(page, 'alerts-01-dialog-mde');

    await page.selectOption('#node-input-api', 'graph');
    assert.deepEqual(await checked('severity'), ['medium', 'high']);
    assert.deepEqual(await checked('statusFilter'), ['new', 'inProgress']);
    assert.equal(await page.inputValue('#node-input-timeField'), 'lastUpdateDateTime');
    assert.equal(await page.inputValue('#node-input-pageSize'), '1000');
    assert.equal(await page.isVisible('#node-input-category'), false);
    assert.equal(await page.isVisible('#node-input-orderBy'), false);
    assert.equal(await page.isVisible('#node-input-alertShape'), false);
    assert.equal(await page.isVisible('#node-input-classification-choices'), true);
    assert.equal(await page.isVisible('#node-input-serviceSource'), true);
    await page.locator('#node-input-classification-choices input[value="unknown"]').check();
    await screenshot(page, 'alerts-02-dialog-graph');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-config', { state: 'detached' });
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).valid, ID), true, `valid: ${await page.evaluate((id) => JSON.stringify(RED.nodes.node(id).validationErrors), ID)}`);
    await deploy(page);

    const flows = await env.adminRequest(stack.nr.url, 'GET', 'flows');
    const n = (flows.flows || flows).find((x) => x.id === ID);
    assert.deepEqual(
      { api: n.api, alertShape: n.alertShape, severity: n.severity, statusFilter: n.statusFilter, timeField: n.timeField, category: n.category, orderBy: n.orderBy, pageSize: Number(n.pageSize), classification: n.classification },
      { api: 'graph', alertShape: 'graph', severity: 'high,medium', statusFilter: 'new,inProgress', timeField: 'lastUpdateDateTime', category: '', orderBy: '', pageSize: 1000, classification: 'unknown' },
    );
    stack.sim.clearLog();
    await env.adminRequest(stack.nr.url, 'POST', 'inject/e2eainject');
    await status.filter({ hasText: /\d+ alerts/ }).waitFor();
    assert.match(await page.locator(`[id="${ID}"] .red-ui-flow-node-status`).getAttribute('class'), /red-ui-flow-node-status-dot-green/);
    const sent = stack.sim.requests.filter((r) => r.kind === 'graph' || r.kind === 'api');
    assert.ok(sent.length >= 1 && sent.every((r) => r.kind === 'graph' && r.path === '/v1.0/security/alerts_v2'), JSON.stringify(sent.map((r) => r.path)));
    const filter = new URLSearchParams(sent[0].query.replace(/^\?/, '')).get('$filter');
    assert.match(filter, /^\(severity eq 'high' or severity eq 'medium'\) and \(status eq 'new' or status eq 'inProgress'\) and classification eq 'unknown' and lastUpdateDateTime ge /);
    assert.deepEqual(stack.pageErrors, [], 'no uncaught errors in the editor page');
  });
});
