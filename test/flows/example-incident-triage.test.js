'use strict';
// Playbook 06 (examples/06 - Incident triage.json) run as shipped, with Node-RED's own inject,
// function, switch and debug nodes, against the simulator: every active unassigned incident ends
// up in one lane, written back with an owner and a comment; a second run finds nothing to do.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, coreNode, useFreshStateDir } = require('../helpers/node-red');
const { simulator, secretCredentials, sleep } = require('../helpers/sim');

const FILE = path.resolve(__dirname, '..', '..', 'examples', '06 - Incident triage.json');
const CONFIG_ID = 'mde-demo-connection';

function playbook(sim) {
  return JSON.parse(fs.readFileSync(FILE, 'utf8')).map((n) =>
    n.type === 'mde-config' ? { ...n, apiBaseUrl: sim.url, authorityHost: sim.url, graphBaseUrl: sim.url, caCertificate: sim.caPem } : n,
  );
}

const core = () => [coreNode('common/20-inject.js'), coreNode('common/21-debug.js'), coreNode('common/90-comment.js'), coreNode('function/10-function.js'), coreNode('function/10-switch.js')];

async function until(pred, ms = 20000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

describe('example 06: incident triage', () => {
  let sim;
  useFlowSuite();

  it('names the permissions it needs in its comments', () => {
    const flow = JSON.parse(fs.readFileSync(FILE, 'utf8'));
    const text = flow.filter((n) => n.type === 'comment' || n.type === 'tab').map((n) => `${n.name ?? ''} ${n.info ?? ''}`).join('\n');
    assert.match(text, /SecurityIncident\.Read\.All/);
    assert.match(text, /SecurityIncident\.ReadWrite\.All/);
    assert.ok(flow.filter((n) => n.type.startsWith('mde-') && n.type !== 'mde-config').every((n) => n.config === CONFIG_ID));
  });

  it('triages every active unassigned incident into one lane and writes the decision back; a second run does nothing', async () => {
    sim = await simulator({ alerts: 80 });
    // One incident made only of EICAR test files, so the "test" lane is exercised.
    const eicar = sim.state.alerts.find((a) => a.title === 'EICAR test file');
    sim.addAlerts(2, { title: 'EICAR test file', threatName: 'Virus:DOS/EICAR_Test_File', severity: 'Informational', machineId: eicar.machineId });
    const open = sim.state.incidents.filter((i) => i.status === 'active' && i.assignedTo === null && Date.parse(i.createdDateTime) > Date.now() - 7 * 86_400_000);
    assert.ok(open.length > 3);
    useFreshStateDir();
    await helper.load([nodes.config, nodes.incidents, nodes.alertUpdate, ...core()], playbook(sim), secretCredentials(undefined, CONFIG_ID));
    let errors = 0;
    helper.getNode('mde-ex06-debug-err').on('input', () => errors++);
    helper.getNode('mde-ex06-inject').receive({});
    // The owner comes with the update, the comment with the request after it.
    await until(() => open.every((i) => i.assignedTo !== null && i.comments.some((c) => /Node-RED flow 06 Incident triage/.test(c.comment))));
    assert.equal(errors, 0);
    const byOwner = (o) => open.filter((i) => i.assignedTo === o);
    const resolved = byOwner('automation@contoso-sim.onmicrosoft.com');
    assert.ok(resolved.length >= 1, 'the EICAR incident went to the test lane');
    for (const i of resolved) {
      assert.equal(i.status, 'resolved');
      assert.equal(i.classification, 'informationalExpectedActivity');
      assert.equal(i.determination, 'securityTesting');
      assert.match(i.comments.at(-1).comment, /^Resolved by Node-RED flow 06 Incident triage: the incident holds only EICAR test files \(\d+ alert\(s\)\)\.$/);
    }
    for (const i of byOwner('tier2@contoso-sim.onmicrosoft.com')) {
      assert.equal(i.severity, 'high');
      assert.match(i.comments.at(-1).comment, /^Escalated to tier 2 by Node-RED flow 06 Incident triage: .+ severity high\)\.$/);
    }
    assert.ok(byOwner('tier1@contoso-sim.onmicrosoft.com').every((i) => i.severity !== 'high' && /^Queued for tier 1/.test(i.comments.at(-1).comment)));
    assert.equal(resolved.length + byOwner('tier2@contoso-sim.onmicrosoft.com').length + byOwner('tier1@contoso-sim.onmicrosoft.com').length, open.length);

    const before = sim.requests.filter((r) => r.kind === 'graph' && r.method !== 'GET').length;
    helper.getNode('mde-ex06-inject').receive({});
    await sleep(1500);
    assert.equal(sim.requests.filter((r) => r.kind === 'graph' && r.method !== 'GET').length, before, 'nothing left to triage');
  });
});
