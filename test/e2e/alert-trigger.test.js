'use strict';
// mde-alert-trigger in the real editor: the dialog shows the deployed node's checkpoint and its
// Reset button starts over from the look-back; a redeploy after the node has shown a status keeps
// its settings (the editor keeps every node's status display in node.status, so a property of
// that name would be deployed as { fill, shape, text }).
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { env, resultsDir, startStack, stopStack, screenshot, openEditor, deploy } = require('./harness');

describe('mde-alert-trigger in the editor', { timeout: 240_000 }, () => {
  let stack;
  let page;

  before(async () => {
    stack = await startStack();
    page = stack.page;
  });

  after(async () => {
    await stopStack(stack);
  });

  it('shows and resets the checkpoint from the dialog, and keeps working after a redeploy', async () => {
    const alert = stack.sim.addAlert({ severity: 'High' });
    const cfg = env.loadExamples()[0].nodes.find((n) => n.type === 'mde-config');
    await env.deployFlows(stack.nr.url, [
      { id: 'e2ettab', type: 'tab', label: 'Trigger' },
      { ...cfg, apiBaseUrl: stack.sim.url, authorityHost: stack.sim.url, graphBaseUrl: stack.sim.url, credentials: { clientSecret: env.DEMO.secret } },
      {
        id: 'e2etrigger', type: 'mde-alert-trigger', z: 'e2ettab', name: '', config: cfg.id, source: 'alerts', mode: 'created', interval: 60, lookback: 10, overlap: 5,
        severity: 'high', statusFilter: 'new', serviceSource: '', classification: '', determination: '', assignedTo: '', x: 200, y: 100, wires: [['e2etdebug']],
      },
      { id: 'e2etdebug', type: 'debug', z: 'e2ettab', name: 'Triggered', active: true, tosidebar: true, complete: 'topic', targetType: 'msg', x: 460, y: 100, wires: [] },
    ]);
    await openEditor(page, stack.nr.url);
    await page.evaluate(() => RED.sidebar.show('debug'));
    const status = page.locator('[id="e2etrigger"] .red-ui-flow-node-status-label');
    // The first poll ran at deploy, before this page was open: its status tells.
    await status.filter({ hasText: /\d+ alerts · / }).waitFor();

    // The dialog shows what the deployed node holds.
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('e2etrigger')));
    const info = page.locator('#node-input-checkpoint-info');
    await info.filter({ hasText: 'Last sent:' }).waitFor();
    assert.match(await info.innerText(), new RegExp(`Last sent: ${alert.alertCreationTime.slice(0, 19)}`));
    assert.deepEqual(await page.evaluate(() => $('#node-input-statusFilter-choices input:checked').map((i, e) => e.value).get()), ['new']);
    await screenshot(page, 'trigger-01-dialog-checkpoint');

    // Reset asks first, then the next poll sends the alerts of the look-back again.
    await page.click('#node-input-checkpoint-reset');
    await page.locator('.red-ui-notification button', { hasText: 'Reset checkpoint' }).click();
    await page.locator('.red-ui-notification', { hasText: 'Checkpoint reset' }).waitFor();
    await info.filter({ hasText: 'nothing yet' }).waitFor();
    await page.locator('.red-ui-debug-msg', { hasText: alert.id }).first().waitFor();

    // A change in the dialog and a redeploy, now that the node has shown a status.
    await page.fill('#node-input-name', 'High alerts');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-config', { state: 'detached' });
    await deploy(page);
    const flows = await env.adminRequest(stack.nr.url, 'GET', 'flows');
    const deployed = (flows.flows || flows).find((n) => n.id === 'e2etrigger');
    assert.equal(deployed.name, 'High alerts');
    assert.equal(deployed.statusFilter, 'new');
    await status.filter({ hasText: /alerts · / }).waitFor();
    const dot = await page.locator('[id="e2etrigger"] .red-ui-flow-node-status').getAttribute('class');
    assert.match(dot, /red-ui-flow-node-status-dot-green/, `status is green after the redeploy: ${dot}`);
    const log = fs.readFileSync(path.join(resultsDir, 'e2e-node-red.log'), 'utf8');
    assert.ok(!/\[error\] \[mde-alert-trigger/.test(log), 'the trigger logged no error');
    assert.ok(!log.includes(env.DEMO.secret), 'no secret in the log');
    assert.deepEqual(stack.pageErrors, [], 'no uncaught errors in the editor page');
  });
});
