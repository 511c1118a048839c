// Debian's redis-server for the shared-state tests: started on a free loopback port in a temp
// directory (no persistence), stopped (and restarted on the same port) on demand. When
// redis-server is not installed the tests that need it are skipped with a clear message;
// .ci/run installs it, so CI always runs them.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

function findRedisServer() {
  for (const dir of (process.env.PATH || '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin'])) {
    const candidate = path.join(dir, 'redis-server');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

const REDIS_SERVER = findRedisServer();
/** For `it(name, { skip: redisSkip }, ...)`: false when redis-server is here, else why not. */
// CI (.ci/run sets MDE_REQUIRE_REDIS=1) never skips: the tests run and fail without redis-server.
const redisSkip = REDIS_SERVER || process.env.MDE_REQUIRE_REDIS === '1' ? false : 'redis-server is not installed locally (apt-get install redis-server); .ci/run installs it';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set();

/** Starts redis-server; resolves with { url, port, stop(), start() } once it accepts connections. */
async function startRedis({ password } = {}) {
  if (!REDIS_SERVER) throw new Error(redisSkip);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mde-redis-'));
  let child;
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice', '--protected-mode', 'no'];
      if (password) args.push('--requirepass', password);
      child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise((resolve, reject) => {
        let out = '';
        const onData = (d) => {
          out += d;
          if (/Ready to accept connections/.test(out)) {
            child.stdout.off('data', onData);
            child.stdout.resume();
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.stderr.resume();
        child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-400)}`)));
      });
      running.add(server);
    },
    /** Kills it (SIGKILL: like a crash; nothing persisted). */
    async stop() {
      running.delete(server);
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    async close() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

async function stopAllRedis() {
  await Promise.all([...running].map((s) => s.close()));
}

process.on('exit', () => {
  for (const s of running) s.stop();
});

module.exports = { startRedis, stopAllRedis, redisSkip, REDIS_SERVER, freePort };
