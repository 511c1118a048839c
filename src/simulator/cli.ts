#!/usr/bin/env node
// `mde-simulator`: runs the simulator in the foreground for demos and manual testing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEMO, generateSelfSignedCertificate, startSimulator, type CertificateOptions, type Simulator } from './index';
import type { SimulatorOptions } from './types';

const HELP = `Usage: mde-simulator [options]

Offline Microsoft Defender for Endpoint + Entra ID + Graph simulator (HTTPS, loopback).

  --port N                  listen port (default 8443; 0 = any free port)
  --host H                  listen address (default 127.0.0.1)
  --seed N                  data seed (default 1)
  --alerts N                seeded alerts (default 60)
  --machines N              seeded devices (default 24)
  --process-events N        DeviceProcessEvents rows (default 2000)
  --cert-dir DIR            reuse DIR/simulator-{cert,key}.pem and DIR/demo-app-{cert,key}.pem, or create
                            them there (default: <tmp>/mde-simulator-<port>)
  --new-alert-interval S    create a new alert every S seconds (default off)
  --alert-update-interval S an analyst picks up the oldest New alert every S seconds (default off)
  --action-pending-ms N     time a machine action stays Pending (default 2000)
  --action-running-ms N     time a machine action stays InProgress (default 5000)
  --quiet                   do not log requests
  --help                    show this help
`;

type Flags = Record<string, string | true>;

function parseArgs(argv: string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const [name, inline] = a.slice(2).split('=', 2);
    if (!KNOWN.has(name)) throw new Error(`unknown option --${name}`);
    if (name === 'help' || name === 'quiet') {
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    flags[name] = value;
  }
  return flags;
}

function int(flags: Flags, name: string, fallback?: number): number | undefined {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

const KNOWN = new Set(['port', 'host', 'seed', 'alerts', 'machines', 'process-events', 'cert-dir', 'new-alert-interval', 'alert-update-interval', 'action-pending-ms', 'action-running-ms', 'quiet', 'help']);

function loadOrCreateCert(dir: string, base: string, opts: CertificateOptions): { keyPem: string; certPem: string; certFile: string; keyFile: string } {
  const certFile = path.resolve(dir, `${base}-cert.pem`);
  const keyFile = path.resolve(dir, `${base}-key.pem`);
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    return { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8'), certFile, keyFile };
  }
  fs.mkdirSync(dir, { recursive: true });
  const c = generateSelfSignedCertificate(opts);
  fs.writeFileSync(certFile, c.certPem);
  fs.writeFileSync(keyFile, c.keyPem, { mode: 0o600 });
  return { certPem: c.certPem, keyPem: c.keyPem, certFile, keyFile };
}

async function main(): Promise<void> {
  let flags: Flags;
  try {
    flags = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`mde-simulator: ${(e as Error).message}\n${HELP}`);
    process.exit(2);
  }
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  let options: SimulatorOptions;
  let caFile = '';
  let certDir = '';
  let appKeyFile = '';
  try {
    options = {
      port: int(flags, 'port', 8443),
      host: typeof flags.host === 'string' ? flags.host : '127.0.0.1',
      seed: int(flags, 'seed'),
      alerts: int(flags, 'alerts'),
      machines: int(flags, 'machines'),
      processEvents: int(flags, 'process-events'),
      newAlertIntervalMs: (int(flags, 'new-alert-interval') ?? 0) * 1000,
      alertUpdateIntervalMs: (int(flags, 'alert-update-interval') ?? 0) * 1000,
      actionTimings: { pendingMs: int(flags, 'action-pending-ms'), inProgressMs: int(flags, 'action-running-ms') },
    };
    // Stable files let a client trust one CA file and the certificate app keep one key across restarts.
    certDir = typeof flags['cert-dir'] === 'string' ? flags['cert-dir'] : path.join(os.tmpdir(), `mde-simulator-${options.port}`);
    const server = loadOrCreateCert(certDir, 'simulator', { commonName: 'localhost', altNames: { dns: ['localhost'], ips: ['127.0.0.1', '::1'] } });
    const app = loadOrCreateCert(certDir, 'demo-app', { commonName: 'SOC Automation certificate (simulator)', altNames: { dns: [], ips: [] } });
    options.tls = { keyPem: server.keyPem, certPem: server.certPem };
    options.demoCertificate = { keyPem: app.keyPem, certPem: app.certPem };
    caFile = server.certFile;
    appKeyFile = app.keyFile;
  } catch (e) {
    process.stderr.write(`mde-simulator: ${(e as Error).message}\n`);
    process.exit(2);
  }

  let sim: Simulator;
  try {
    sim = await startSimulator(options);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') process.stderr.write(`mde-simulator: port ${options.port} on ${options.host} is already in use; choose another with --port.\n`);
    else process.stderr.write(`mde-simulator: could not start: ${err.message}\n`);
    process.exit(1);
  }

  const lines = [
    `MDE simulator listening on ${sim.url}`,
    `  Tenant          ${sim.tenantId} (${DEMO.tenantDomain}); second tenant ${DEMO.secondTenantId}`,
    `  Authority       ${sim.authority}`,
    `  Token (v2)      ${sim.url}/${sim.tenantId}/oauth2/v2.0/token`,
    `  MDE API         ${sim.url}/api/...   Graph hunting: ${sim.url}/v1.0/security/runHuntingQuery`,
    `  CA certificate  ${caFile}`,
    '  Demo apps (simulator-only fake secrets):',
    ...Object.entries(DEMO.apps).map(([name, a]) => `    ${name.padEnd(14)} ${a.clientId}  ${a.secret ?? `certificate ${path.join(certDir, 'demo-app-cert.pem')}, key ${appKeyFile}, SHA-256 thumbprint ${sim.demoCertificate.thumbprintSha256}`}`),
    `  Customers       ${DEMO.customers.map((c) => `${c.displayName} ${c.id}`).join(', ')} (partner app, own data each)`,
    `  Control         ${sim.url}/_simulator/state  (?tenant=<id> for a customer; POST /_simulator/consent to grant or revoke)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');

  if (!flags.quiet) {
    let seen = 0;
    const timer = setInterval(() => {
      const log = sim.requests;
      if (seen > log.length) seen = 0;
      for (; seen < log.length; seen++) {
        const e = log[seen];
        process.stdout.write(`${e.time} ${e.method} ${e.path}${e.query ? `?${e.query}` : ''} -> ${e.reset ? 'RESET' : e.status}${e.fault ? ` [${e.fault}]` : ''}\n`);
      }
    }, 250);
    timer.unref();
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping simulator\n`);
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
