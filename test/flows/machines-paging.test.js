'use strict';
// mde-machines: logged-on users, installed software and vulnerabilities are read page by page.
// Their reference pages document no $top / $skip, so the node follows @odata.nextLink (only on
// the connection's own host) and stops at "Max results", saying so in msg.mde.truncated.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes } = require('../helpers/node-red');
const { simulator, configNode, secretCredentials, apiRequests, nextMessage } = require('../helpers/sim');

const flow = (sim, props) => [
  { id: 'tab', type: 'tab', label: 'Machines paging' },
  configNode(sim),
  { id: 'mm', type: 'mde-machines', z: 'tab', name: '', config: 'cfg', machine: 'machineId', machineType: 'msg', machineBy: 'id', wires: [['out']], ...props },
  { id: 'out', type: 'helper', z: 'tab' },
  { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 'tab' },
];

const skips = (sim, suffix) => apiRequests(sim, (r) => r.path.endsWith(suffix)).map((r) => new URLSearchParams(r.query).get('$skip'));

describe('mde-machines paging of logged-on users, software and vulnerabilities', () => {
  useFlowSuite();

  async function run(sim, props, msg) {
    await helper.load([nodes.config, nodes.machines], flow(sim, props), secretCredentials());
    const out = nextMessage(helper.getNode('out'));
    helper.getNode('mm').receive(msg);
    return out;
  }

  it('follows @odata.nextLink for logged-on users until the service stops, then up to Max results only', async () => {
    const sim = await simulator({ pageSize: 2 });
    const m = sim.state.machines[0];
    const users = ['jdoe', 'asmith', 'mgarcia', 'lchen', 'pkumar'].map((accountName) => ({ accountName, domainName: 'CONTOSO' }));
    sim.state.machineInternal.get(m.id).loggedOnUsers = users;

    const all = await run(sim, { mode: 'logonusers', maxResults: 100 }, { machineId: m.id });
    assert.deepEqual(all.payload.map((u) => u.accountName), users.map((u) => u.accountName));
    assert.deepEqual({ count: all.mde.count, pages: all.mde.pages, truncated: all.mde.truncated }, { count: 5, pages: 3, truncated: false });
    assert.deepEqual(skips(sim, '/logonusers'), [null, '2', '4']);
    await helper.unload();

    sim.clearLog();
    const capped = await run(sim, { mode: 'logonusers', maxResults: 3 }, { machineId: m.id });
    assert.deepEqual(capped.payload.map((u) => u.accountName), ['jdoe', 'asmith', 'mgarcia']);
    assert.deepEqual({ pages: capped.mde.pages, truncated: capped.mde.truncated }, { pages: 2, truncated: true });
    assert.deepEqual(skips(sim, '/logonusers'), [null, '2'], 'no page is read beyond Max results');
  });

  it('pages installed software and vulnerabilities the same way', async () => {
    const sim = await simulator({ pageSize: 1 });
    // A Windows device with several products and CVEs (which ones depends on its id).
    let best;
    for (const m of sim.state.machines.filter((x) => x.osPlatform.startsWith('Windows'))) {
      await helper.load([nodes.config, nodes.machines], flow(sim, { mode: 'vulnerabilities', maxResults: 100 }), secretCredentials());
      const out = nextMessage(helper.getNode('out'));
      helper.getNode('mm').receive({ machineId: m.id });
      const msg = await out;
      await helper.unload();
      if (!best || msg.payload.length > best.count) best = { m, count: msg.payload.length };
      if (best.count >= 2) break;
    }
    assert.ok(best.count >= 2, 'a device with two or more CVEs');
    sim.clearLog();
    const vulns = await run(sim, { mode: 'vulnerabilities', maxResults: 100 }, { machineId: best.m.id });
    assert.equal(vulns.mde.pages, best.count);
    assert.equal(new Set(vulns.payload.map((v) => v.id)).size, best.count);
    await helper.unload();

    sim.clearLog();
    const software = await run(sim, { mode: 'software', maxResults: 2 }, { machineId: best.m.id });
    assert.equal(software.payload.length, 2);
    assert.deepEqual({ pages: software.mde.pages, truncated: software.mde.truncated }, { pages: 2, truncated: true });
    assert.deepEqual(skips(sim, '/software'), [null, '1']);
  });
});
