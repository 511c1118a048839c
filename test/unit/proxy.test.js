'use strict';
// Proxy support of the client: NO_PROXY rules, the environment variables, settings validation,
// and a connection against the simulator through a CONNECT proxy written here (tunnels counted,
// credentials checked, refusals explained).
const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { startSimulator, DEMO } = require('../../dist/simulator/index.js');
const { MdeConnection } = require('../../dist/client/connection.js');
const { MdeInputError, MdeNetworkError } = require('../../dist/client/errors.js');
const { bypassesProxy, proxyFromEnvironment } = require('../../dist/client/transport/proxy.js');
const { resetGovernors } = require('../../dist/client/transport/governor.js');
const { connectionSettings } = require('../helpers/sim');
const { startConnectProxy, startTrap, closedPort } = require('../helpers/connect-proxy');

describe('NO_PROXY matching', () => {
  const cases = [
    // [list, host, port, direct?]
    [['*'], 'api.security.microsoft.com', 443, true],
    [[], 'api.security.microsoft.com', 443, false],
    [['api.security.microsoft.com'], 'api.security.microsoft.com', 443, true],
    [['API.Security.Microsoft.com'], 'api.security.microsoft.com', 443, true],
    [['security.microsoft.com'], 'api.security.microsoft.com', 443, true],
    [['.microsoft.com'], 'graph.microsoft.com', 443, true],
    [['*.microsoft.com'], 'graph.microsoft.com', 443, true],
    [['.microsoft.com'], 'microsoft.com', 443, true],
    [['microsoft.com'], 'notmicrosoft.com', 443, false],
    [['.microsoft.com'], 'microsoft.com.evil.test', 443, false],
    [['login.microsoftonline.com:443'], 'login.microsoftonline.com', 443, true],
    [['login.microsoftonline.com:8443'], 'login.microsoftonline.com', 443, false],
    [['127.0.0.1'], '127.0.0.1', 8443, true],
    [['127.0.0.1:8443'], '127.0.0.1', 8443, true],
    [['127.0.0.1:9443'], '127.0.0.1', 8443, false],
    [['[::1]:8443'], '::1', 8443, true],
    [['::1'], '[::1]', 8443, true],
    [['internal.corp, graph.microsoft.com'], 'graph.microsoft.com', 443, true],
    [['', ' '], 'graph.microsoft.com', 443, false],
  ];
  for (const [list, host, port, direct] of cases) {
    it(`${JSON.stringify(list)} ${direct ? 'sends' : 'does not send'} ${host}:${port} directly`, () => {
      assert.equal(bypassesProxy(list.flatMap((e) => e.split(',')), host, port), direct);
    });
  }
});

describe('proxy from the environment', () => {
  it('reads HTTPS_PROXY and NO_PROXY, lower case first, as Node-RED does', () => {
    assert.deepEqual(proxyFromEnvironment({ HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', NO_PROXY: '.corp, localhost,127.0.0.1:8443' }), {
      url: 'http://lower:3128',
      noProxy: ['.corp', 'localhost', '127.0.0.1:8443'],
    });
    assert.equal(proxyFromEnvironment({ HTTPS_PROXY: 'http://upper:3128' }).url, 'http://upper:3128');
    assert.equal(proxyFromEnvironment({ no_proxy: 'a', NO_PROXY: 'b', https_proxy: 'http://p:1' }).noProxy[0], 'a');
  });

  it('falls back to HTTP_PROXY (every endpoint is https, so HTTPS_PROXY wins when both are set)', () => {
    assert.equal(proxyFromEnvironment({ HTTP_PROXY: 'http://p:8080' }).url, 'http://p:8080');
    assert.equal(proxyFromEnvironment({ http_proxy: 'http://p:8080' }).url, 'http://p:8080');
    assert.equal(proxyFromEnvironment({ http_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2' }).url, 'http://b:2');
  });

  it('is absent without a proxy variable (NO_PROXY alone changes nothing)', () => {
    assert.equal(proxyFromEnvironment({}), undefined);
    assert.equal(proxyFromEnvironment({ NO_PROXY: '*', HTTPS_PROXY: '  ' }), undefined);
  });
});

describe('proxy settings are checked before anything is sent', () => {
  let sim;
  before(async () => {
    sim = await startSimulator({ port: 0, rateLimits: false });
  });
  after(() => sim.close());

  const refuse = (proxy, pattern, canary) => {
    const before = sim.requests.length;
    assert.throws(
      () => new MdeConnection(connectionSettings(sim, DEMO.apps.socAutomation, { proxy })),
      (err) => {
        assert.ok(err instanceof MdeInputError, `${err.name}: ${err.message}`);
        assert.match(err.message, pattern);
        if (canary) assert.ok(!JSON.stringify({ m: err.message, e: err }).includes(canary), 'the proxy password is not quoted');
        return true;
      },
    );
    assert.equal(sim.requests.length, before);
  };

  it('refuses unsupported schemes without quoting the password in the URL', () => {
    refuse({ url: 'socks5://soc:CANARY-pw-91@proxy.corp:1080' }, /socks5:\/\/; only http:\/\/ and https:\/\/ proxies/, 'CANARY-pw-91');
  });

  it('refuses an unreadable URL without quoting its credentials', () => {
    refuse({ url: 'http://soc:CANARY-pw-92@proxy corp:3128' }, /not a valid URL/, 'CANARY-pw-92');
  });

  it('refuses wrong types instead of ignoring them', () => {
    refuse({ url: 42 }, /proxy URL is missing.*got number/);
    refuse('http://proxy:3128', /must be an object.*got string/);
    refuse({ url: 'http://proxy:3128', noProxy: '127.0.0.1' }, /noProxy\) must be a list.*got string/);
    refuse({ url: 'http://proxy:3128', noProxy: [1] }, /must be a list of host names/);
    refuse({ url: 'http://proxy:3128', username: { user: 'x' } }, /user name must be text; got object/);
    refuse({ url: 'http://proxy:3128', password: 1234 }, /password must be text; got number/);
  });
});

describe('a connection through a CONNECT proxy', () => {
  let sim;
  let trap;
  const closers = [];
  const simAddress = () => `127.0.0.1:${sim.port}`;

  before(async () => {
    sim = await startSimulator({ port: 0, rateLimits: false });
    trap = await startTrap();
  });
  afterEach(async () => {
    while (closers.length) await closers.pop()();
    resetGovernors();
  });
  after(async () => {
    await trap.close();
    await sim.close();
  });

  async function proxyServer(options = {}) {
    const p = await startConnectProxy({ routes: { [trap.address]: simAddress() }, ...options });
    closers.push(p.close);
    return p;
  }
  /** A connection whose hosts are the trap address: only the proxy can reach the simulator from there. */
  function connect(proxy, { hosts = trap.url, ...over } = {}) {
    const cloud = typeof hosts === 'string' ? { cloud: 'custom', authorityHost: hosts, apiBaseUrl: hosts, graphBaseUrl: hosts } : { cloud: 'custom', ...hosts };
    const c = new MdeConnection(connectionSettings(sim, DEMO.apps.socAutomation, { cloud, proxy, retry: { baseDelayMs: 10, limit: 2 }, timeoutMs: 15_000, ...over }));
    closers.push(() => c.close());
    return c;
  }
  const getAlerts = (c) => c.http.request({ audience: 'mde', family: 'alerts', method: 'GET', path: '/api/alerts', searchParams: { $top: 1 } });
  const huntGraph = (c) => c.http.request({ audience: 'graph', family: 'graph-hunting', method: 'POST', path: '/v1.0/security/runHuntingQuery', json: { Query: 'DeviceInfo | take 1' } });

  it('sends token requests and API calls through the proxy, over a few kept-alive tunnels', async () => {
    const proxy = await proxyServer();
    const c = connect({ url: proxy.url });
    const served = sim.requests.length;
    for (let i = 0; i < 20; i++) await getAlerts(c);
    await huntGraph(c);
    const afterSequential = proxy.stats.tunnels;
    await Promise.all(Array.from({ length: 60 }, () => getAlerts(c)));
    const log = sim.requests.slice(served);
    assert.equal(trap.hits.count, 0, 'no connection went around the proxy');
    assert.ok(log.filter((r) => r.kind === 'token' && r.method === 'POST').length >= 2, 'both token requests were served (mde and graph)');
    assert.equal(log.filter((r) => r.kind === 'api' || r.kind === 'graph').length, 81);
    assert.ok(log.every((r) => r.host === trap.address), 'every request the simulator served came through a tunnel to the address only the proxy reaches');
    assert.ok(proxy.stats.targets.every((t) => t === trap.address));
    assert.equal(afterSequential, 1, 'one tunnel carries the token requests and 21 sequential calls');
    assert.ok(proxy.stats.tunnels <= 16, `a burst of 60 calls stays within the agent's 16 sockets (opened ${proxy.stats.tunnels} tunnels)`);
  });

  it('reaches NO_PROXY hosts directly and the others through the proxy', async () => {
    const proxy = await proxyServer();
    for (const noProxy of [['127.0.0.1'], [simAddress()], ['*']]) {
      const c = connect({ url: proxy.url, noProxy }, { hosts: sim.url });
      await getAlerts(c);
    }
    assert.equal(proxy.stats.targets.length, 0, 'the proxy saw no request');
    const c = connect({ url: proxy.url, noProxy: ['127.0.0.1:1', 'example.test'] }, { hosts: sim.url });
    await getAlerts(c);
    assert.ok(proxy.stats.tunnels >= 1, 'a non-matching entry leaves the host on the proxy');
  });

  it('can split hosts: the authority directly, the API through the proxy', async () => {
    const proxy = await proxyServer();
    const c = connect({ url: proxy.url, noProxy: [simAddress()] }, { hosts: { authorityHost: sim.url, apiBaseUrl: trap.url, graphBaseUrl: trap.url } });
    await getAlerts(c);
    assert.deepEqual(proxy.stats.targets, [trap.address], 'only the API host was tunnelled');
  });

  it('keeps the connection\'s CA for the TLS session with the target host through the tunnel', async () => {
    const proxy = await proxyServer();
    const c = connect({ url: proxy.url }, { caCertificatePem: undefined });
    await assert.rejects(c.getToken('mde'), (err) => {
      assert.ok(err instanceof MdeNetworkError);
      assert.match(err.message, /certificate|CERT/i);
      return true;
    });
    assert.ok(proxy.stats.tunnels >= 1, 'the tunnel opened; the target certificate was still checked');
  });

  it('sends the proxy credentials to the proxy and nowhere else', async () => {
    const canary = 'CANARY-proxy-pw-5e1c';
    const proxy = await proxyServer({ username: 'soc-automation', password: canary });
    const c = connect({ url: proxy.url, username: 'soc-automation', password: canary });
    const token = await c.getToken('mde');
    await getAlerts(c);
    const header = `Basic ${Buffer.from(`soc-automation:${canary}`).toString('base64')}`;
    assert.ok(proxy.stats.authorizations.length >= 1 && proxy.stats.authorizations.every((a) => a === header));
    // The agent travels inside got's request options (and so inside its error objects).
    const shown = [util.inspect(c.agent, { depth: 8, showHidden: true }), util.inspect(c.http, { depth: 8 }), JSON.stringify(token), JSON.stringify(c.agent.proxy)].join('\n');
    assert.ok(shown.includes(proxy.address), 'the check looked at the agent');
    for (const secret of [canary, header, header.slice(6)]) assert.ok(!shown.includes(secret), 'the proxy credential shows when the agent is printed');
  });

  it('reads user:password from the proxy URL (environment form), percent-decoded', async () => {
    const proxy = await proxyServer({ username: 'soc', password: 'p@ss:word' });
    const c = connect({ url: `http://soc:${encodeURIComponent('p@ss:word')}@${proxy.address}` });
    await getAlerts(c);
    assert.equal(proxy.stats.refused, 0);
  });

  describe('a proxy that refuses', () => {
    const check = (err, { pattern, proxy, canary }) => {
      assert.ok(err instanceof MdeNetworkError, `${err.name}: ${err.message}`);
      assert.match(err.message, pattern);
      assert.ok(err.message.includes(proxy), `the message names the proxy ${proxy}: ${err.message}`);
      if (canary) {
        const everything = [err.message, err.stack, JSON.stringify(err), util.inspect(err, { depth: 12 })].join('\n');
        assert.ok(!everything.includes(canary), 'the proxy password leaked into the error');
        assert.ok(!everything.includes(Buffer.from(`soc:${canary}`).toString('base64')), 'the Proxy-Authorization value leaked into the error');
      }
      return true;
    };

    it('with 407 for a wrong password: a token error naming the proxy, never the password', async () => {
      const canary = 'CANARY-wrong-proxy-pw-77';
      const proxy = await proxyServer({ username: 'soc', password: 'right' });
      const c = connect({ url: proxy.url, username: 'soc', password: canary });
      await assert.rejects(c.getToken('mde'), (err) => check(err, { pattern: /rejected the proxy user name or password \(407\)/, proxy: proxy.address, canary }));
      assert.equal(trap.hits.count, 0);
    });

    it('with 407 when no credentials are configured: says to set them', async () => {
      const proxy = await proxyServer({ username: 'soc', password: 'right' });
      const c = connect({ url: proxy.url });
      await assert.rejects(c.getToken('graph'), (err) => check(err, { pattern: /asks for a user name and password \(407\)/, proxy: proxy.address }));
    });

    it('with a non-200 CONNECT answer for an API call', async () => {
      const canary = 'CANARY-proxy-pw-403';
      const proxy = await proxyServer({ refuseWith: 403 });
      // The authority is reached directly so the token succeeds and the API call meets the proxy.
      const c = connect({ url: proxy.url, noProxy: [simAddress()], username: 'soc', password: canary }, { hosts: { authorityHost: sim.url, apiBaseUrl: trap.url, graphBaseUrl: trap.url } });
      await c.getToken('mde');
      const before = sim.requests.length;
      await assert.rejects(getAlerts(c), (err) => check(err, { pattern: new RegExp(`refused to open a tunnel to ${trap.address} \\(HTTP 403\\)`), proxy: proxy.address, canary }));
      assert.equal(sim.requests.length, before, 'nothing reached the API');
      assert.equal(proxy.stats.refused, 1, 'a refused tunnel is not retried');
    });

    it('with a refused connection (nothing listens on the proxy port)', async () => {
      const port = await closedPort();
      const c = connect({ url: `http://soc:CANARY-closed-pw@127.0.0.1:${port}` });
      await assert.rejects(c.getToken('mde'), (err) => check(err, { pattern: /Could not connect to the proxy .*\(ECONNREFUSED\)/, proxy: `127.0.0.1:${port}`, canary: 'CANARY-closed-pw' }));
      await assert.rejects(getAlerts(c), (err) => check(err, { pattern: /ECONNREFUSED/, proxy: `127.0.0.1:${port}`, canary: 'CANARY-closed-pw' }));
    });
  });
});
