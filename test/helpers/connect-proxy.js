'use strict';
// A CONNECT proxy for tests (node:http on 127.0.0.1, port 0). It counts the tunnels it opens,
// records the CONNECT targets and Proxy-Authorization headers, can ask for Basic credentials or
// refuse every tunnel, and can send a tunnel for one address to another. With that last option
// a test gives the client an address only the proxy knows how to reach (a "trap" that counts
// any direct connection), which proves that every request went through the proxy.
const http = require('node:http');
const net = require('node:net');

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

function closeAll(server, sockets) {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * @param {{ username?: string, password?: string, refuseWith?: number, routes?: Record<string, string> }} options
 *   username/password: Basic credentials the proxy asks for (407 otherwise);
 *   refuseWith: answer every CONNECT with this status; routes: CONNECT target -> real host:port.
 */
async function startConnectProxy(options = {}) {
  const { username, password, refuseWith, routes = {} } = options;
  const expected = username !== undefined || password !== undefined ? `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}` : undefined;
  const stats = { tunnels: 0, targets: [], authorizations: [], refused: 0 };
  const sockets = new Set();
  const track = (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server = http.createServer((req, res) => {
    res.writeHead(405, { connection: 'close' });
    res.end('this test proxy only tunnels (CONNECT)');
  });
  server.on('connection', track);
  server.on('connect', (req, client, head) => {
    stats.targets.push(req.url);
    stats.authorizations.push(req.headers['proxy-authorization']);
    client.on('error', () => undefined);
    const refuse = (status, reason, extra = '') => {
      stats.refused++;
      client.end(`HTTP/1.1 ${status} ${reason}\r\n${extra}content-length: 0\r\nconnection: close\r\n\r\n`);
    };
    if (refuseWith) return refuse(refuseWith, 'Refused by test proxy');
    if (expected && req.headers['proxy-authorization'] !== expected) return refuse(407, 'Proxy Authentication Required', 'proxy-authenticate: Basic realm="test"\r\n');
    const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(routes[req.url] ?? req.url);
    if (!m) return refuse(400, 'Bad Request');
    const upstream = net.connect(Number(m[2]), m[1]);
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.once('connect', () => {
      stats.tunnels++;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head && head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    /** host:port as errors name it. */
    address: `127.0.0.1:${port}`,
    port,
    stats,
    close: () => closeAll(server, sockets),
  };
}

/** A listener that counts and drops every connection: the address the client must never reach directly. */
async function startTrap() {
  const hits = { count: 0 };
  const sockets = new Set();
  const server = net.createServer((s) => {
    hits.count++;
    s.destroy();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listen(server);
  return { url: `https://127.0.0.1:${port}`, address: `127.0.0.1:${port}`, port, hits, close: () => closeAll(server, sockets) };
}

/** A loopback port nothing listens on (connection refused). */
async function closedPort() {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The proxy environment variables, saved so a test can set them and put them back. */
const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
async function withProxyEnv(values, fn) {
  const saved = Object.fromEntries(PROXY_ENV.map((k) => [k, process.env[k]]));
  for (const k of PROXY_ENV) delete process.env[k];
  Object.assign(process.env, values);
  try {
    return await fn();
  } finally {
    for (const k of PROXY_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

module.exports = { startConnectProxy, startTrap, closedPort, withProxyEnv, PROXY_ENV };
