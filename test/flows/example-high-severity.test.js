'use strict';
// Playbook 01 (examples/01 - High severity alert - hunt, isolate, report.json) run as shipped,
// with Node-RED's own function, change, template and debug nodes, against the simulator: a new
// High alert is hunted, its machine isolated, the alert commented, set In progress, then resolved
// as a true positive; the next poll does not handle it again.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, coreNode, useFreshStateDir } = require('../helpers/node-red');
const { simulator, secretCredentials, nextMessage } = require('../helpers/sim');

const FILE = path.resolve(__dirname, '..', '..', 'examples', '01 - High severity alert - hunt, isolate, report.json');
const CONFIG_ID = 'mde-demo-connection';
const TAB_LABEL = '01 High severity alert: hunt, isolate, report';

function playbook(sim) {
  return JSON.parse(fs.readFileSync(FILE, 'utf8')).map((n) =>
    n.type === 'mde-config' ? { ...n, apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem } : n,
  );
}

const core = () => [
  coreNode('common/20-inject.js'),
  coreNode('common/21-debug.js'),
  coreNode('common/90-comment.js'),
  coreNode('function/10-function.js'),
  coreNode('function/15-change.js'),
  coreNode('function/80-template.js'),
];

describe('example 01: high severity alert playbook', () => {
  let sim;
  useFlowSuite();

  it('starts from the alert trigger and names the permissions it needs in its comments', () => {
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const text = flow.filter((n) => n.type === 'comment' || n.type === 'tab').map((n) => `${n.name ?? ''} ${n.info ?? ''}`).join('\n');
    for (const role of ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All', 'ThreatHunting.Read.All', 'Machine.Isolate', 'Machine.Read.All']) assert.ok(text.includes(role), role);
    const trigger = flow.find((n) => n.type === 'mde-alert-trigger');
    assert.deepEqual(trigger.wires, [['mde-ex01-pick']]);
    assert.equal(trigger.interval, 60);
    // The only inject is the optional "poll now" on the trigger's input: the trigger starts the playbook.
    assert.deepEqual(flow.filter((n) => n.type === 'inject').map((n) => n.wires), [[[trigger.id]]]);
    assert.ok(flow.filter((n) => n.type.startsWith('mde-') && n.type !== 'mde-config').every((n) => n.config === CONFIG_ID));
    const catchNode = flow.find((n) => n.type === 'catch');
    assert.ok(flow.filter((n) => n.type.startsWith('mde-') && n.type !== 'mde-config').every((n) => catchNode.scope.includes(n.id)), 'every Defender node reports to the Catch node');
  });

  it('contains a new High alert end to end and writes the outcome back to the alert, once', async () => {
    sim = await simulator({ alerts: 0, actionTimings: { pendingMs: 20, inProgressMs: 40 } });
    const machine = sim.state.machines.find((m) => !m.machineTags.includes('DoNotIsolate') && m.osPlatform.startsWith('Windows1'));
    useFreshStateDir();
    await helper.load([nodes.config, nodes.alertTrigger, nodes.hunting, nodes.isolate, nodes.alertUpdate, ...core()], playbook(sim), secretCredentials(undefined, CONFIG_ID));
    const errors = [];
    helper.getNode('mde-ex01-debug-stopped').on('input', (msg) => errors.push(msg.payload));

    const alert = sim.addAlert({ severity: 'High', category: 'Malware', machineId: machine.id, computerDnsName: machine.computerDnsName });
    const reported = nextMessage(helper.getNode('mde-ex01-debug-report'), 60_000);
    helper.getNode('mde-ex01-inject').receive({}); // "Check for new High alerts": poll now instead of at the next 60 s tick
    const report = await reported;
    assert.deepEqual(errors, []);

    assert.match(report.payload, new RegExp(`^Alert ${alert.id}: `));
    assert.match(report.payload, new RegExp(`Machine ${machine.computerDnsName.replace(/\./g, '\\.')} isolated \\(Selective\\)\\. Action [0-9a-f-]+: Succeeded`));
    assert.match(report.payload, /resolved as truePositive \/ malware \(status resolved\)/);

    const stored = sim.state.alerts.find((a) => a.id === alert.id);
    assert.equal(stored.status, 'Resolved');
    assert.equal(stored.classification, 'TruePositive');
    const comments = stored.comments.map((c) => c.comment);
    assert.equal(comments.length, 2);
    assert.match(comments[0], new RegExp(`^Node-RED playbook ${TAB_LABEL}: machine ${machine.computerDnsName.replace(/\./g, '\\.')} isolated \\(Selective\\), machine action [0-9a-f-]+ Succeeded\\.`));
    assert.equal(comments[1], `Resolved as a true positive (malware) by Node-RED playbook ${TAB_LABEL} after containing ${machine.computerDnsName}.`);
    const isolations = sim.state.actions.filter((a) => a.type === 'Isolate' && a.machineId === machine.id);
    assert.equal(isolations.length, 1);
    assert.match(isolations[0].requestorComment, new RegExp(`for alert ${alert.id}`));

    // The trigger's next poll does not start the playbook again for the same alert.
    const polled = sim.requests.length;
    helper.getNode('mde-ex01-inject').receive({});
    await new Promise((resolve) => {
      const check = () => (sim.requests.slice(polled).some((r) => /alerts_v2$/.test(r.path)) ? setTimeout(resolve, 300) : setTimeout(check, 20));
      check();
    });
    assert.equal(sim.state.actions.filter((a) => a.type === 'Isolate').length, 1, 'no second isolation');
    assert.equal(sim.state.alerts.find((a) => a.id === alert.id).comments.length, 2, 'no second comment');
  });
});
