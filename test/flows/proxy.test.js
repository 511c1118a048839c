'use strict';
// Proxy support in a real Node-RED runtime: the core `http proxy` config node selected on the
// connection, the proxy environment variables, NO_PROXY, credentials (canary) and refusals. The
// connection's hosts are a "trap" address that only the test proxy can route to the simulator,
// so a request that went around the proxy fails and is counted.
const { describe, it, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { useFlowSuite } = require('../helpers/flow-suite');
const { helper, nodes, httpProxyNode, useFreshStateDir } = require('../helpers/node-red');
const { simulator, configNode, APPS, apiRequests, tokenRequests, nextMessage, collect } = require('../helpers/sim');
const { startConnectProxy, startTrap, closedPort, withProxyEnv } = require('../helpers/connect-proxy');

const tab = { id: 'tab', type: 'tab', label: 'proxy tests' };

describe('proxy support (mde-config)', () => {
  let sim;
  const closers = [];
  useFlowSuite();
  afterEach(async () => {
    while (closers.length) await closers.pop()();
  });

  async function start({ proxyOptions = {} } = {}) {
    sim = await simulator({ alerts: 30 });
    const trap = await startTrap();
    closers.push(trap.close);
    const proxy = await startConnectProxy({ routes: { [trap.address]: `127.0.0.1:${sim.port}` }, ...proxyOptions });
    closers.push(proxy.close);
    useFreshStateDir();
    return { trap, proxy };
  }

  /** Config node pointed at `hosts` (the trap, or the simulator itself), an alerts node, a Catch. */
  function alertsFlow(hosts, cfg = {}, extra = []) {
    return [
      tab,
      configNode(sim, { apiBaseUrl: hosts, authorityHost: hosts, graphBaseUrl: hosts, ...cfg }),
      { id: 'alerts', type: 'mde-alerts', z: 'tab', config: 'cfg', mode: 'list', timeField: 'alertCreationTime', since: '', sinceType: 'str', maxResults: 5, pageSize: 5, outputMode: 'array', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
      ...extra,
    ];
  }
  const proxyConfig = (proxy, over = {}) => ({ id: 'proxy', type: 'http proxy', name: 'corp proxy', url: proxy.url, noproxy: [], ...over });
  const credentials = (proxyCredentials) => ({ cfg: { clientSecret: APPS.soc.secret }, ...(proxyCredentials ? { proxy: proxyCredentials } : {}) });
  const load = (flow, creds = credentials()) => helper.load([httpProxyNode, nodes.config, nodes.alerts], flow, creds);

  async function listOnce(id = 'out') {
    const got = nextMessage(helper.getNode(id), 20000);
    helper.getNode('alerts').receive({ payload: 'go', topic: 'keep' });
    return got;
  }

  /** Everything a user or an attacker could read: messages, node logs and status, the runtime log, deployed flows. */
  function everythingShown(msgs) {
    const seen = msgs.map((m) => JSON.stringify(m));
    for (const id of ['alerts', 'cfg', 'proxy']) {
      const n = helper.getNode(id);
      for (const method of ['status', 'log', 'warn', 'error', 'debug', 'trace']) {
        if (n && n[method] && n[method].args) seen.push(JSON.stringify(n[method].args.map((a) => (a[0] instanceof Error ? a[0].message + a[0].stack : a))));
      }
    }
    seen.push(JSON.stringify(helper.log().args), JSON.stringify(helper._redNodes.getFlows()));
    return seen.join('\n');
  }

  it('sends the token requests and API calls of every message through the selected http proxy, kept alive, credentials hidden', async () => {
    const canary = 'CANARY-proxy-password-3f9d1b';
    const { trap, proxy } = await start({ proxyOptions: { username: 'soc-proxy', password: canary } });
    await load(alertsFlow(trap.url, { proxy: 'proxy' }, [proxyConfig(proxy)]), credentials({ username: 'soc-proxy', password: canary }));
    const msgs = [];
    for (let i = 0; i < 10; i++) msgs.push(await listOnce());
    const sequentialTunnels = proxy.stats.tunnels;
    const burst = collect(helper.getNode('out'), 30, 30000);
    for (let i = 0; i < 30; i++) helper.getNode('alerts').receive({ payload: i });
    msgs.push(...(await burst));

    assert.ok(msgs.every((m) => Array.isArray(m.payload) && m.payload.length === 5));
    assert.equal(msgs[0].topic, 'keep');
    assert.equal(trap.hits.count, 0, 'no request went around the proxy');
    assert.ok(tokenRequests(sim).length >= 1);
    assert.equal(apiRequests(sim).length, 40, 'the simulator served every call, all through tunnels');
    assert.ok(proxy.stats.targets.every((t) => t === trap.address));
    assert.ok(sequentialTunnels <= 2, `10 messages one after another reuse the tunnel (opened ${sequentialTunnels})`);
    assert.ok(proxy.stats.tunnels <= 16, `a burst of 30 messages stays within the connection's 16 sockets (opened ${proxy.stats.tunnels})`);
    const header = `Basic ${Buffer.from(`soc-proxy:${canary}`).toString('base64')}`;
    assert.ok(proxy.stats.authorizations.every((a) => a === header), 'the proxy got the credentials of the http proxy node');

    const shown = everythingShown(msgs);
    assert.ok(shown.includes('http proxy'), 'the check read the deployed flows');
    assert.ok(!shown.includes(canary) && !shown.includes(header.slice(6)), 'the proxy password leaked');
  });

  it('reaches the hosts of the http proxy\'s ignore list directly', async () => {
    const { proxy } = await start();
    await load(alertsFlow(sim.url, { proxy: 'proxy' }, [proxyConfig(proxy, { noproxy: ['localhost', `127.0.0.1:${sim.port}`] })]));
    const msg = await listOnce();
    assert.equal(msg.payload.length, 5);
    assert.equal(proxy.stats.targets.length, 0, 'the proxy saw nothing');
  });

  it('uses HTTPS_PROXY from the environment when no proxy is selected', async () => {
    const { trap, proxy } = await start();
    await withProxyEnv({ HTTPS_PROXY: proxy.url }, async () => {
      await load(alertsFlow(trap.url));
      assert.equal((await listOnce()).payload.length, 5);
    });
    assert.ok(proxy.stats.tunnels >= 1);
    assert.equal(trap.hits.count, 0);
    assert.equal(process.env.HTTPS_PROXY, undefined, 'the variable was put back');
  });

  it('falls back to http_proxy (lower case) when no HTTPS proxy variable is set', async () => {
    const { trap, proxy } = await start();
    await withProxyEnv({ http_proxy: proxy.url }, async () => {
      await load(alertsFlow(trap.url));
      assert.equal((await listOnce()).payload.length, 5);
    });
    assert.ok(proxy.stats.tunnels >= 1);
    assert.equal(trap.hits.count, 0);
  });

  it('goes around the environment proxy for NO_PROXY hosts', async () => {
    const { proxy } = await start();
    await withProxyEnv({ https_proxy: proxy.url, NO_PROXY: 'example.test, 127.0.0.1' }, async () => {
      await load(alertsFlow(sim.url));
      assert.equal((await listOnce()).payload.length, 5);
    });
    assert.equal(proxy.stats.targets.length, 0);
  });

  it('prefers the selected http proxy over the environment variables', async () => {
    const { trap, proxy } = await start();
    const dead = await closedPort();
    await withProxyEnv({ HTTPS_PROXY: `http://127.0.0.1:${dead}` }, async () => {
      await load(alertsFlow(trap.url, { proxy: 'proxy' }, [proxyConfig(proxy)]));
      assert.equal((await listOnce()).payload.length, 5);
    });
    assert.ok(proxy.stats.tunnels >= 1);
  });

  it('a proxy that rejects the credentials reaches the Catch node with an error naming the proxy, never the password', async () => {
    const canary = 'CANARY-wrong-proxy-password-a71e';
    const { trap, proxy } = await start({ proxyOptions: { username: 'soc-proxy', password: 'the-right-one' } });
    await load(alertsFlow(trap.url, { proxy: 'proxy' }, [proxyConfig(proxy)]), credentials({ username: 'soc-proxy', password: canary }));
    const caught = await listOnce('caught');
    assert.equal(caught.topic, 'keep', 'the message is passed on to Catch');
    assert.match(caught.error.message, /rejected the proxy user name or password \(407\)/);
    assert.ok(caught.error.message.includes(proxy.address), caught.error.message);
    assert.equal(caught.error.source.id, 'alerts');
    assert.equal(tokenRequests(sim).length + apiRequests(sim).length, 0, 'nothing reached Microsoft');
    const shown = everythingShown([caught]);
    assert.ok(!shown.includes(canary) && !shown.includes(Buffer.from(`soc-proxy:${canary}`).toString('base64')), 'the proxy password leaked');
    assert.ok(!shown.includes(APPS.soc.secret), 'the client secret leaked');
  });

  it('a proxy from the environment that refuses the tunnel gives a clear error at the Catch node', async () => {
    const { trap, proxy } = await start({ proxyOptions: { refuseWith: 403 } });
    await withProxyEnv({ HTTPS_PROXY: `http://soc:CANARY-env-pw-55@${proxy.address}` }, async () => {
      await load(alertsFlow(trap.url));
      const caught = await listOnce('caught');
      assert.match(caught.error.message, new RegExp(`proxy ${proxy.address} refused to open a tunnel to ${trap.address} \\(HTTP 403\\)`));
      assert.ok(!everythingShown([caught]).includes('CANARY-env-pw-55'));
    });
    assert.equal(proxy.stats.refused, 1, 'a refused tunnel is not retried');
  });

  it('a selected proxy that is not deployed fails the message instead of going around it', async () => {
    const { trap } = await start();
    await load(alertsFlow(trap.url, { proxy: 'no-such-proxy' }));
    const caught = await listOnce('caught');
    assert.match(caught.error.message, /proxy configuration selected on this Defender connection is not deployed/);
    assert.equal(trap.hits.count, 0);
    assert.equal(sim.requests.length, 0);
  });

  it('Test connection goes through the proxy selected in the dialog', async () => {
    const { trap, proxy } = await start({ proxyOptions: { username: 'soc-proxy', password: 'pw-for-test-connection' } });
    await load(alertsFlow(trap.url, { proxy: 'proxy' }, [proxyConfig(proxy)]), credentials({ username: 'soc-proxy', password: 'pw-for-test-connection' }));
    const cfg = configNode(sim);
    const body = { id: 'cfg', tenantId: cfg.tenantId, clientId: cfg.clientId, authMethod: 'secret', cloud: 'custom', apiBaseUrl: trap.url, authorityHost: trap.url, graphBaseUrl: trap.url, caCertificate: sim.caPem, clientSecret: APPS.soc.secret };
    const res = await helper.request().post('/mde-config/test-connection').send({ ...body, proxy: 'proxy' }).expect(200);
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.ok(proxy.stats.tunnels >= 1);
    assert.equal(trap.hits.count, 0);
    assert.ok(!JSON.stringify(res.body).includes('pw-for-test-connection'));
  });
});
