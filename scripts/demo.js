#!/usr/bin/env node
// `npm start`: the offline demo. Builds if needed, starts the bundled MDE simulator (loopback
// HTTPS, demo tenant, new alerts every ~45 s) and a Node-RED with its own user directory in
// .demo/userdir (ignored by git), installs this package into it from an `npm pack` tarball (like
// Manage palette > Install), deploys the example playbooks with one connection pointed at the
// simulator, and prints where to click. Ctrl-C stops Node-RED, then the simulator.
//
// Options: --port N (Node-RED, default 1880 or $PORT), --sim-port N (simulator, default 8443 or
// $MDE_SIM_PORT), --reset (re-deploy the playbooks even if you changed the flows; the old flows
// are kept in a backup file), --rebuild (build even if dist/ looks current), --quiet (no
// simulator alert lines).
//
// --pair [--redis redis://host:port]: TWO Node-RED instances (ports N and N+1, user directories
// .demo/pair-1 and .demo/pair-2) with the same playbooks on one Redis (Debian's redis-server is
// started on a free port when --redis is not given) against the one simulator: they share the rate
// budget, the isolation cap and the actions being sent, and one of them polls each trigger while
// the other stands by (stop one: the other takes over).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const env = require('./lib/node-red-env');

const root = env.root;
const demoDir = path.join(root, '.demo');
const userDir = path.join(demoDir, 'userdir');
const certDir = path.join(demoDir, 'sim-cert');
const stateFile = path.join(demoDir, 'state.json');
const logFile = path.join(demoDir, 'node-red.log');

function parseArgs(argv) {
  const opts = { port: Number(process.env.PORT) || 1880, simPort: Number(process.env.MDE_SIM_PORT) || 8443, reset: false, rebuild: false, quiet: false, alertIntervalSec: 45, pair: false, redis: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.split('=')[1] : argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a.startsWith('--port')) opts.port = Number(value());
    else if (a.startsWith('--sim-port')) opts.simPort = Number(value());
    else if (a.startsWith('--alert-interval')) opts.alertIntervalSec = Number(value());
    else if (a === '--reset') opts.reset = true;
    else if (a === '--rebuild') opts.rebuild = true;
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--pair') opts.pair = true;
    else if (a.startsWith('--redis')) opts.redis = value();
    else if (a === '--help' || a === '-h') {
      console.log('npm start [-- --port 1880] [--sim-port 8443] [--reset] [--rebuild] [--quiet] [--alert-interval 45] [--pair [--redis redis://127.0.0.1:6379]]');
      process.exit(0);
    } else fail(`Unknown option ${a} (try --help)`);
  }
  for (const [name, p] of [['--port', opts.port], ['--sim-port', opts.simPort]]) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) fail(`${name} must be a TCP port number (1-65535), got ${p}`);
  }
  if (opts.port === opts.simPort || (opts.pair && opts.port + 1 === opts.simPort)) fail('Node-RED and the simulator need different ports.');
  if (opts.redis && !opts.pair) fail('--redis only goes with --pair.');
  if (opts.redis && !/^rediss?:\/\/[^\s@]+$/i.test(opts.redis)) fail('--redis takes a redis:// URL without a password (set mdeDefender.redis.password in settings.js for one).');
  return opts;
}

function fail(message) {
  console.error(`\nnpm start: ${message}\n`);
  process.exit(1);
}

const c = process.stdout.isTTY && !process.env.NO_COLOR ? { b: (s) => `\x1b[1m${s}\x1b[22m`, dim: (s) => `\x1b[2m${s}\x1b[22m`, red: (s) => `\x1b[31m${s}\x1b[39m`, yellow: (s) => `\x1b[33m${s}\x1b[39m`, cyan: (s) => `\x1b[36m${s}\x1b[39m` } : { b: String, dim: String, red: String, yellow: String, cyan: String };

/** The simulator's TLS certificate, persisted so a browser exception or a trusted CA survives restarts. Same file names as `mde-simulator --cert-dir`. */
function simulatorCertificate(sim) {
  const certFile = path.join(certDir, 'simulator-cert.pem');
  const keyFile = path.join(certDir, 'simulator-key.pem');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    try {
      const x = new crypto.X509Certificate(fs.readFileSync(certFile));
      if (Date.parse(x.validTo) > Date.now() + 86_400_000 && x.checkIP('127.0.0.1')) return { certFile, certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
    } catch {
      // unreadable: make a new one
    }
  }
  const gen = sim.generateSelfSignedCertificate({ commonName: 'localhost', altNames: { dns: ['localhost'], ips: ['127.0.0.1', '::1'] }, days: 825 });
  fs.mkdirSync(certDir, { recursive: true });
  fs.writeFileSync(certFile, gen.certPem);
  fs.writeFileSync(keyFile, gen.keyPem, { mode: 0o600 });
  return { certFile, certPem: gen.certPem, keyPem: gen.keyPem };
}

function readState() {
  try {
    return JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch {
    return {};
  }
}

function playbookStamp(simUrl) {
  const h = crypto.createHash('sha256').update(simUrl);
  for (const ex of env.loadExamples()) h.update(ex.file).update(JSON.stringify(ex.nodes));
  return h.digest('hex').slice(0, 16);
}

function printGuide(nr, sim, flows, deployed) {
  const tabs = flows.filter((n) => n.type === 'tab');
  const tabUrl = (id) => `${nr.url}#flow/${id}`;
  const lines = [
    '',
    c.b(`Node-RED is running with the Microsoft Defender nodes: ${c.cyan(nr.url)}`),
    c.dim(`Simulator (MDE + Entra ID + Graph, tenant ${env.DEMO.tenantId}): ${sim.url}  ·  new alert every ${Math.round(sim.options.newAlertIntervalMs / 1000)} s`),
    deployed ? c.dim('The example playbooks were just deployed; the connection "Simulator (change for a real tenant)" holds the demo secret.') : c.dim('Your flows from the last run were kept (start with `npm start -- --reset` to re-deploy the example playbooks).'),
    '',
    'What to click:',
    ...tabs.map((t) => `  • ${t.label.padEnd(48)} ${c.dim(tabUrl(t.id))}`),
    '',
    `  1. ${c.b('01 High severity alert')} runs by itself on every new High alert (its trigger polls every 60 s; press`,
    `     ${c.b('"Check for new High alerts"')} to poll now). The debug sidebar (bug icon, top right) shows the incident report:`,
    `     hunt, Selective isolation, the alert commented, set In progress and resolved as a true positive.`,
    `  2. ${c.b('02 Daily hunt')}: press "Every day at 07:00" for a table of suspicious command lines.`,
    `  3. ${c.b('03 Alert triage')}: press "Triage New alerts" and watch the switch route them by severity.`,
    `  4. ${c.b('04 Token and http request')}: press "List 5 machines" (a token + the core http request node).`,
    `  5. ${c.b('05 Release isolation')}: press "Analyst approves: last isolated by 01" to release the machine of step 1`,
    `     (within 30 s of the isolation the contradictory-action rail refuses it: that is on purpose).`,
    `  6. ${c.b('06 Incident triage')}: press "Triage unassigned incidents": each active incident gets an owner and a`,
    `     comment (test-file incidents are resolved as a security test); the debug sidebar shows what was written.`,
    `  7. ${c.b('07 Enrich an alert')} runs by itself on every new High alert, like 01 (press "Check for new High alerts"):`,
    `     logged-on users and each file's prevalence, joined into one enrichment (debug sidebar) and a comment on the alert.`,
    `  8. ${c.b('08 Collect investigation package')}: press "Collect package for the newest alert": the package is collected,`,
    `     and its download link (it expires within minutes) is commented on the alert.`,
    `  9. ${c.b('09 Block a file hash')} runs by itself on every new High alert: each file hash of the evidence is blocked`,
    `     (indicator, never-block list and cap apply) and stopped + quarantined on the machine; one comment says what was done.`,
    ` 10. ${c.b('10 Partner triage')}: one multi-tenant app, three customer tenants (Northwind, Tailspin, Woodgrove): press`,
    `     "Check every customer now"; each new High alert is set In progress in its own tenant. "Open High alerts per`,
    `     customer" runs once per tenant and joins one summary.`,
    `  Palette: the ${c.b('Microsoft Defender')} category on the left. Import > Examples > ${env.MODULE} has the same playbooks.`,
    `  Real tenant: double-click the connection in the Configuration nodes sidebar, set cloud, tenant, client ID and secret.`,
    '',
    c.dim(`Node-RED log: ${path.relative(process.cwd(), logFile) || logFile}    Simulator state: ${sim.url}/_simulator/state`),
    c.b('Press Ctrl-C to stop Node-RED and the simulator.'),
    '',
  ];
  console.log(lines.join('\n'));
}

/**
 * `npm start -- --pair`: two Node-RED instances with the same playbooks on one Redis and one
 * simulator. Fresh user directories every time (the pair is a demonstration, not a workspace).
 */
async function mainPair(opts) {
  const started = Date.now();
  for (const port of [opts.port, opts.port + 1]) {
    try {
      await env.checkPortFree(port, '127.0.0.1', 'Node-RED', 'start the pair on other ports: `npm start -- --pair --port 1890`');
    } catch (err) {
      fail(err.message);
    }
  }
  try {
    await env.checkPortFree(opts.simPort, '127.0.0.1', 'the MDE simulator', 'start it on another port: `npm start -- --pair --sim-port 9443`');
    env.ensureBuilt({ force: opts.rebuild });
  } catch (err) {
    fail(err.message);
  }
  let redis;
  let redisUrl = opts.redis;
  if (!redisUrl) {
    const { startRedis, REDIS_SERVER } = require(path.join(root, 'test', 'helpers', 'redis.js'));
    if (!REDIS_SERVER) fail('--pair needs Redis: install redis-server (apt-get install redis-server) or give one with --redis redis://host:6379.');
    redis = await startRedis();
    redisUrl = redis.url;
  }
  const simModule = require(path.join(root, 'dist', 'simulator', 'index.js'));
  const cert = simulatorCertificate(simModule);
  const sim = await simModule.startSimulator({ port: opts.simPort, host: '127.0.0.1', tls: { keyPem: cert.keyPem, certPem: cert.certPem }, newAlertIntervalMs: opts.alertIntervalSec > 0 ? opts.alertIntervalSec * 1000 : 0 });
  const instances = [];
  let stopping = false;
  const stopAll = async (code = 0, why = '') => {
    if (stopping) return;
    stopping = true;
    if (why) console.log(`\n${why}`);
    for (const nr of instances) {
      process.stdout.write(`Stopping Node-RED on ${nr.url} ... `);
      await nr.stop();
      console.log('done.');
    }
    await sim.close();
    if (redis) await redis.close();
    console.log('Simulator and Redis stopped.');
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stopAll(0, 'Stopping the pair.'));
  try {
    const flows = env.demoFlows(sim.url);
    for (const k of [1, 2]) {
      const userDir = path.join(demoDir, `pair-${k}`);
      fs.rmSync(userDir, { recursive: true, force: true });
      // Both instances: the same tenant + app and the same Redis, so they share one state.
      env.writeSettings(userDir, { port: opts.port + k - 1, stateDir: 'mde-state', extra: `    mdeDefender: { redis: { url: ${JSON.stringify(redisUrl)} } },\n` });
      env.installPackage(userDir, { packDir: path.join(demoDir, 'pack') });
      fs.writeFileSync(path.join(userDir, 'flows.json'), '[]\n');
      const log = path.join(demoDir, `node-red-pair-${k}.log`);
      fs.writeFileSync(log, `--- npm start -- --pair ${new Date().toISOString()}\n`);
      process.stdout.write(`Starting Node-RED ${k} on port ${opts.port + k - 1} ... `);
      const nr = await env.startNodeRed({ userDir, port: opts.port + k - 1, caFile: cert.certFile, logFile: log, onLine: () => undefined });
      instances.push(nr);
      console.log('ready.');
      await env.deployFlows(nr.url, flows);
      nr.waitForExit().then((exit) => {
        if (!stopping) console.log(c.yellow(`Node-RED ${k} stopped (code ${exit.code}, signal ${exit.signal}); the other one carries on.`));
      });
    }
    console.log([
      '',
      c.b('Two Node-RED instances with the same playbooks share one Redis and one simulator:'),
      `  ${c.cyan(instances[0].url)}   ${c.cyan(instances[1].url)}`,
      c.dim(`Redis: ${redisUrl}${redis ? ' (started for this demo)' : ''}    Simulator: ${sim.url}`),
      '',
      `  • Each alert trigger polls on ONE instance; on the other its status reads ${c.b('standby')}.`,
      '  • Rate budget, isolation cap and machine actions being sent are shared: press the same button on both.',
      '  • Stop one Node-RED (kill its process): the other takes over its triggers within the lease time (15 s).',
      '',
      c.b('Press Ctrl-C to stop both, the simulator and Redis.'),
      c.dim(`(ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`),
      '',
    ].join('\n'));
  } catch (err) {
    console.error(c.red(`\nnpm start -- --pair failed: ${err.message}`));
    await stopAll(1);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.pair) return mainPair(opts);
  const started = Date.now();

  // Fail fast, before building anything, when a port is taken.
  try {
    await env.checkPortFree(opts.port, '127.0.0.1', 'Node-RED', `start on another port: \`npm start -- --port 1881\` (or PORT=1881 npm start)`);
    await env.checkPortFree(opts.simPort, '127.0.0.1', 'the MDE simulator', `start it on another port: \`npm start -- --sim-port 9443\` (or MDE_SIM_PORT=9443 npm start)`);
  } catch (err) {
    fail(err.message);
  }

  try {
    env.ensureBuilt({ force: opts.rebuild });
  } catch (err) {
    fail(err.message);
  }

  const simModule = require(path.join(root, 'dist', 'simulator', 'index.js'));
  const cert = simulatorCertificate(simModule);
  let sim;
  try {
    sim = await simModule.startSimulator({
      port: opts.simPort,
      host: '127.0.0.1',
      tls: { keyPem: cert.keyPem, certPem: cert.certPem },
      newAlertIntervalMs: opts.alertIntervalSec > 0 ? opts.alertIntervalSec * 1000 : 0,
    });
  } catch (err) {
    if (err && err.code === 'EADDRINUSE') fail(`Port ${opts.simPort} is already in use, so the MDE simulator cannot start. Stop whatever uses it, or run \`npm start -- --sim-port 9443\`.`);
    throw err;
  }

  // Playbook 10 (partner): the three customer tenants get a new High alert in turn, so the
  // partner trigger has something to triage in each tenant.
  if (opts.alertIntervalSec > 0) {
    let turn = 0;
    const customers = simModule.DEMO.customers;
    const timer = setInterval(() => {
      const customer = customers[turn++ % customers.length];
      sim.tenant(customer.id).addAlert({ severity: 'High', status: 'New' });
    }, opts.alertIntervalSec * 1000 * 2);
    timer.unref();
  }

  let nr;
  let stopping = false;
  const stopAll = async (code = 0, why = '') => {
    if (stopping) return;
    stopping = true;
    if (why) console.log(`\n${why}`);
    if (nr) {
      process.stdout.write('Stopping Node-RED ... ');
      await nr.stop();
      console.log('done.');
    }
    process.stdout.write('Stopping the simulator ... ');
    await sim.close();
    console.log('done.');
    process.exit(code);
  };
  let interrupts = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      interrupts += 1;
      if (interrupts > 1) {
        if (nr && !nr.exited()) nr.child.kill('SIGKILL');
        process.exit(130);
      }
      void stopAll(0, sig === 'SIGINT' ? 'Ctrl-C received.' : `${sig} received.`);
    });
  }

  try {
    // Node-RED user directory: settings, our package from a tarball, and a clean isolation journal
    // (the simulator starts fresh every time, so action ids from a previous run mean nothing).
    env.writeSettings(userDir, { port: opts.port, stateDir: 'mde-state' });
    fs.rmSync(path.join(userDir, 'mde-state'), { recursive: true, force: true });
    env.installPackage(userDir, { packDir: path.join(demoDir, 'pack') });

    const flows = env.demoFlows(sim.url);
    const stamp = playbookStamp(sim.url);
    const state = readState();
    const flowFile = path.join(userDir, 'flows.json');
    const deploy = opts.reset || !fs.existsSync(flowFile) || state.playbookStamp !== stamp;
    if (deploy) {
      if (fs.existsSync(flowFile) && fs.readFileSync(flowFile, 'utf8').trim().length > 2) {
        const backup = path.join(userDir, `flows.backup-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
        fs.copyFileSync(flowFile, backup);
        console.log(c.dim(`Your previous flows were saved to ${path.relative(root, backup)}.`));
      }
      // Start empty, then deploy through the admin API like the editor does, so the demo
      // secret is stored encrypted by Node-RED itself and never written by this script.
      fs.writeFileSync(flowFile, '[]\n');
      fs.rmSync(path.join(userDir, 'flows_cred.json'), { force: true });
    }

    process.stdout.write(`Starting Node-RED on port ${opts.port} ... `);
    fs.mkdirSync(demoDir, { recursive: true });
    fs.writeFileSync(logFile, `--- npm start ${new Date().toISOString()}\n`);
    nr = await env.startNodeRed({
      userDir,
      port: opts.port,
      caFile: cert.certFile,
      logFile,
      onLine: (line) => {
        if (/\[(error|warn)\]/.test(line) && !/Your flow credentials file|Communication server error|was not deployed|Projects disabled|Encrypted credentials not found/.test(line)) console.log(c.yellow(`[node-red] ${line.replace(/^\d+ \w+ \d+:\d+:\d+ - /, '')}`));
      },
    });
    console.log('ready.');
    if (deploy) {
      await env.deployFlows(nr.url, flows);
      fs.writeFileSync(stateFile, JSON.stringify({ playbookStamp: stamp, deployedAt: new Date().toISOString() }, null, 2) + '\n');
    }
    nr.waitForExit().then((exit) => {
      if (!stopping) void stopAll(1, c.red(`Node-RED stopped unexpectedly (code ${exit.code}, signal ${exit.signal}); see ${logFile}.`));
    });
    printGuide(nr, sim, deploy ? flows : JSON.parse(fs.readFileSync(flowFile, 'utf8')), deploy);
    console.log(c.dim(`(ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`));

    if (!opts.quiet) {
      let seen = sim.state.alerts.length;
      const t = setInterval(() => {
        const all = sim.state.alerts;
        for (const a of all.slice(seen)) console.log(c.dim(`[simulator] new ${a.severity} alert: ${a.title} on ${a.computerDnsName}`));
        seen = all.length;
      }, 2000);
      t.unref();
    }
  } catch (err) {
    console.error(c.red(`\nnpm start failed: ${err.message}`));
    await stopAll(1);
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
