'use strict';
// The status setting of mde-alerts, mde-incidents (statusFilter) and mde-alert-update (newStatus)
// in the real editor. It used to be a property named `status`; the editor keeps every node's
// status display in node.status, so after the node had shown a status the next deploy sent
// { fill, shape, text } and the node failed every message. Here: deploy, let each node show a
// status, change the nodes in the editor and redeploy, and the nodes still work; a flow saved
// before the rename has its status text carried over when the editor loads it, and a status
// display left in `status` marks the node invalid until the status is chosen again.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { env, resultsDir, startStack, stopStack, openEditor, deploy } = require('./harness');

const IDS = { alerts: 'e2esalerts', incidents: 'e2esinc', update: 'e2esupd' };
const PROPERTY = { [IDS.alerts]: 'statusFilter', [IDS.incidents]: 'statusFilter', [IDS.update]: 'newStatus' };

describe('status settings survive the editor', { timeout: 240_000 }, () => {
  let stack;
  let page;
  let cfg;

  before(async () => {
    stack = await startStack();
    page = stack.page;
    const example = env.loadExamples()[0].nodes.find((n) => n.type === 'mde-config');
    cfg = { ...example, apiBaseUrl: stack.sim.url, authorityHost: stack.sim.url, graphBaseUrl: stack.sim.url, credentials: { clientSecret: env.DEMO.secret } };
  });

  after(async () => {
    await stopStack(stack);
  });

  /** Three injects, the three nodes with `settings` spread in, and a debug node. */
  function flow(alertId, settings) {
    const inject = (id, target, y, props = [{ p: 'payload' }]) => ({ id, type: 'inject', z: 'e2estab', name: '', props, payload: '', payloadType: 'date', repeat: '', once: false, x: 120, y, wires: [[target]] });
    return [
      { id: 'e2estab', type: 'tab', label: 'Status settings' },
      cfg,
      inject('e2esinj1', IDS.alerts, 80),
      inject('e2esinj2', IDS.incidents, 160),
      inject('e2esinj3', IDS.update, 240, [{ p: 'alertId', v: alertId, vt: 'str' }]),
      {
        id: IDS.alerts, type: 'mde-alerts', z: 'e2estab', name: '', config: cfg.id, mode: 'list', alertId: 'alertId', alertIdType: 'msg', related: '', severity: '', category: '', detectionSource: '', assignedTo: '',
        incidentId: '', machineId: '', timeField: 'alertCreationTime', since: '', sinceType: 'str', rawFilter: '', expandEvidence: false, orderBy: 'alertCreationTime desc', maxResults: 100, pageSize: 100, outputMode: 'array',
        x: 360, y: 80, wires: [['e2esdebug']], ...settings.alerts,
      },
      {
        id: IDS.incidents, type: 'mde-incidents', z: 'e2estab', name: '', config: cfg.id, mode: 'list', incidentId: 'incidentId', incidentIdType: 'msg', expandAlerts: false, severity: '', classification: '', determination: '',
        assignedTo: '', timeField: 'createdDateTime', since: '', sinceType: 'str', maxResults: 100, pageSize: 50, outputMode: 'array', x: 360, y: 160, wires: [['e2esdebug']], ...settings.incidents,
      },
      {
        id: IDS.update, type: 'mde-alert-update', z: 'e2estab', name: '', config: cfg.id, target: 'alert', api: 'graph', targetId: 'alertId', targetIdType: 'msg', assignedTo: '', classification: '', determination: '', comment: '',
        x: 360, y: 240, wires: [['e2esdebug']], ...settings.update,
      },
      { id: 'e2esdebug', type: 'debug', z: 'e2estab', name: 'out', active: true, tosidebar: true, complete: 'payload', targetType: 'msg', x: 600, y: 160, wires: [] },
    ];
  }

  const press = (id) => env.adminRequest(stack.nr.url, 'POST', `inject/${id}`);
  const statusOf = (id) => page.locator(`[id="${id}"] .red-ui-flow-node-status-label`);
  const dotOf = (id) => page.locator(`[id="${id}"] .red-ui-flow-node-status`).getAttribute('class');
  const deployedNode = async (id) => {
    const flows = await env.adminRequest(stack.nr.url, 'GET', 'flows');
    return (flows.flows || flows).find((n) => n.id === id);
  };

  async function runAllAndWaitGreen(expectations) {
    for (const [inject, node, text] of expectations) {
      await press(inject);
      await statusOf(node).filter({ hasText: text }).waitFor();
      assert.match(await dotOf(node), /red-ui-flow-node-status-dot-green/, `${node} is green`);
    }
  }

  it('a redeploy after the nodes have shown a status keeps their status settings, and they keep working', async () => {
    const target = stack.sim.state.alerts.find((a) => a.status === 'New');
    await env.deployFlows(stack.nr.url, flow(target.id, { alerts: { statusFilter: 'New' }, incidents: { statusFilter: 'active' }, update: { newStatus: 'inProgress' } }));
    await openEditor(page, stack.nr.url);
    await page.evaluate(() => RED.workspaces.show('e2estab'));
    const expectations = [
      ['e2esinj1', IDS.alerts, /\d+ alerts/],
      ['e2esinj2', IDS.incidents, /\d+ incidents/],
      ['e2esinj3', IDS.update, /updated alert/],
    ];
    await runAllAndWaitGreen(expectations);
    assert.equal(target.status, 'InProgress');
    // The editor now holds each node's status display in node.status: the situation of the bug.
    for (const id of Object.values(IDS)) assert.equal(await page.evaluate((n) => typeof RED.nodes.node(n).status, id), 'object');

    for (const id of Object.values(IDS)) {
      await page.evaluate((n) => RED.editor.edit(RED.nodes.node(n)), id);
      await page.fill('#node-input-name', `renamed ${id}`);
      await page.click('#node-dialog-ok');
      await page.waitForSelector('#node-input-config', { state: 'detached' });
    }
    await deploy(page);
    for (const id of Object.values(IDS)) {
      const n = await deployedNode(id);
      assert.equal(n.name, `renamed ${id}`);
      assert.equal(typeof n[PROPERTY[id]], 'string', `${id}.${PROPERTY[id]} is still text`);
      assert.ok(!('status' in n), `${id} was deployed without a status property`);
    }
    assert.equal((await deployedNode(IDS.alerts)).statusFilter, 'New');
    assert.equal((await deployedNode(IDS.incidents)).statusFilter, 'active');
    assert.equal((await deployedNode(IDS.update)).newStatus, 'inProgress');

    target.status = 'New';
    await runAllAndWaitGreen(expectations);
    assert.equal(target.status, 'InProgress', 'the update node still sets the status after the redeploy');
    const log = fs.readFileSync(path.join(resultsDir, 'e2e-node-red.log'), 'utf8');
    assert.ok(!/\[error\] \[mde-(alerts|incidents|alert-update)/.test(log), 'none of the three nodes logged an error');
  });

  it('a flow saved before the rename: status text is carried over on load, a status display marks the node invalid until chosen again', async () => {
    const target = stack.sim.state.alerts.find((a) => a.status === 'New');
    const legacy = flow(target.id, {
      alerts: { status: 'New' },
      incidents: { status: { fill: 'green', shape: 'dot', text: '4 incidents' } },
      update: { status: 'resolved' },
    });
    await env.deployFlows(stack.nr.url, legacy);
    await openEditor(page, stack.nr.url);
    await page.locator('.red-ui-notification', { hasText: 'renamed property' }).first().waitFor();
    const state = await page.evaluate((ids) => Object.fromEntries(Object.values(ids).map((id) => {
      const n = RED.nodes.node(id);
      return [id, { statusFilter: n.statusFilter, newStatus: n.newStatus, valid: n.valid, changed: n.changed, errors: n.validationErrors }];
    })), IDS);
    assert.equal(state[IDS.alerts].statusFilter, 'New');
    assert.equal(state[IDS.alerts].valid, true);
    assert.equal(state[IDS.alerts].changed, true);
    assert.equal(state[IDS.update].newStatus, 'resolved');
    assert.equal(state[IDS.update].valid, true);
    assert.equal(state[IDS.incidents].statusFilter, undefined);
    assert.equal(state[IDS.incidents].valid, false);
    assert.match(state[IDS.incidents].errors.join(' '), /older version/);
    assert.equal(await page.evaluate(() => RED.nodes.dirty()), true, 'the editor asks for a deploy');

    // The deployed incidents node refuses messages meanwhile (never "no filter").
    await press('e2esinj2');
    await statusOf(IDS.incidents).filter({ hasText: 'InvalidSetting' }).waitFor();

    // Choosing the statuses again in the dialog makes it valid.
    await page.evaluate((n) => RED.editor.edit(RED.nodes.node(n)), IDS.incidents);
    const active = page.locator('#node-input-statusFilter-choices input[value="active"]');
    if (!(await active.isChecked())) await active.check();
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-config', { state: 'detached' });
    assert.equal(await page.evaluate((n) => RED.nodes.node(n).valid, IDS.incidents), true);
    await deploy(page);
    assert.equal((await deployedNode(IDS.alerts)).statusFilter, 'New');
    assert.equal((await deployedNode(IDS.update)).newStatus, 'resolved');
    assert.match((await deployedNode(IDS.incidents)).statusFilter, /active/);
    for (const id of Object.values(IDS)) assert.ok(!('status' in (await deployedNode(id))), `${id} has no status property any more`);
    await runAllAndWaitGreen([
      ['e2esinj1', IDS.alerts, /\d+ alerts/],
      ['e2esinj2', IDS.incidents, /\d+ incidents/],
      ['e2esinj3', IDS.update, /updated alert/],
    ]);
    assert.equal(target.status, 'Resolved');
    assert.deepEqual(stack.pageErrors, [], 'no uncaught errors in the editor page');
  });
});
