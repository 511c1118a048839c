// Public entry point: startSimulator() runs the MDE + Entra ID + Graph simulator on loopback HTTPS.
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import type * as net from 'node:net';
import { certificateThumbprints, generateSelfSignedCertificate, type CertificateOptions, type GeneratedCertificate } from './certificates';
import type { ResolvedOptions, SimContext } from './context';
import { setConsent, stateView, tenantStore, type AlertUpdate, type ConsentChange, type PublishOptions } from './control';
import type { SigningKey } from './entra';
import { DEMO, demoApps, type SimApp, type SimTenant } from './identities';
import { RateLimiter } from './rate-limit';
import { Rng } from './rng';
import { createTenantStore, seedTenantState, type TenantStore } from './tenant-data';
import { createRequestHandler } from './server';
import type { Faults, RateLimitConfig, RequestLogEntry, SimAlert, SimState, SimulatorOptions } from './types';

export { DEMO, generateSelfSignedCertificate };
export { MDE_AUDIENCES, GRAPH_AUDIENCES, MDE_ROLE_UNIVERSE } from './identities';
export type { CertificateOptions, GeneratedCertificate, SimApp, SimTenant };
export type * from './types';
export type { AlertUpdate, ConsentChange, PublishOptions } from './control';

export interface Simulator {
  /** `https://127.0.0.1:PORT` (or the configured host). */
  url: string;
  port: number;
  host: string;
  /** PEM of the server certificate: trust it as the CA. */
  caPem: string;
  /** Demo tenant id. */
  tenantId: string;
  /** `${url}/${tenantId}`: the authority to give msal. */
  authority: string;
  tenants: SimTenant[];
  apps: SimApp[];
  /** The certificate registered for DEMO.apps.certificate (with its private key). */
  demoCertificate: GeneratedCertificate;
  /** Live request log (cleared in place by clearLog). */
  requests: RequestLogEntry[];
  state: SimState;
  options: Readonly<ResolvedOptions>;
  clearLog(): void;
  /** Number of log entries matching a predicate or a partial entry (all entries when omitted). */
  count(pred?: ((e: RequestLogEntry) => boolean) | Partial<RequestLogEntry>): number;
  /** Replaces the active faults. */
  setFaults(f: Faults): void;
  /** Replaces the rate-limit configuration (families not named keep the documented budgets) and resets the windows. */
  setRateLimits(r: RateLimitConfig): void;
  setApp(clientId: string, patch: Partial<SimApp>): SimApp;
  /** A new alert now (created and last updated now), in a new incident, visible on both APIs. */
  addAlert(partial?: Partial<SimAlert>): SimAlert;
  /**
   * A burst: `count` alerts with identical createdDateTime / lastUpdateDateTime, sharing one new
   * incident (or `opts.incidentId`). With `lateByMs` their timestamps lie that far in the past when
   * they become visible; with `visibleInMs` they appear later (ids and timestamps are final now).
   */
  addAlerts(count: number, partial?: Partial<SimAlert>, opts?: PublishOptions): SimAlert[];
  /** A portal-side change (status, assignment, classification, comment): lastUpdateDateTime moves. */
  updateAlert(id: string, changes: AlertUpdate): SimAlert | undefined;
  /** Same view as GET /_simulator/state. */
  snapshot(): Record<string, unknown>;
  /** One tenant's data and portal-side changes (by tenant id or verified domain); customers have their own. */
  tenant(idOrDomain: string): TenantStore;
  /**
   * Admin consent of an app in a tenant: `false` removes its service principal there (as if
   * never consented, or the consent was revoked); `true` grants the app's roles; an object
   * grants only those roles (consent given before the app asked for more).
   */
  setConsent(idOrDomain: string, clientId: string, consent: ConsentChange): void;
  close(): Promise<void>;
}

export type { TenantStore };

// RSA key generation dominates start-up; tests start many simulators, so reuse per process.
let defaultTls: GeneratedCertificate | undefined;
let signingCert: GeneratedCertificate | undefined;
let demoCert: GeneratedCertificate | undefined;

function signingKey(): SigningKey {
  signingCert ??= generateSelfSignedCertificate({ commonName: 'MDE simulator token signing', altNames: { dns: [], ips: [] } });
  const x = new crypto.X509Certificate(signingCert.certPem);
  return {
    privateKey: crypto.createPrivateKey(signingCert.keyPem),
    publicKey: x.publicKey,
    kid: Buffer.from(signingCert.thumbprintSha1, 'hex').toString('base64url'),
    certDerBase64: x.raw.toString('base64'),
  };
}

function withThumbprints(c: { keyPem: string; certPem: string }): GeneratedCertificate {
  const t = certificateThumbprints(c.certPem);
  return { keyPem: c.keyPem, certPem: c.certPem, thumbprintSha1: t.sha1, thumbprintSha256: t.sha256 };
}

function resolveOptions(o: SimulatorOptions): ResolvedOptions {
  return {
    ...o,
    host: o.host ?? '127.0.0.1',
    seed: o.seed ?? 1,
    tokenLifetimeSec: o.tokenLifetimeSec ?? 3599,
    pendingMs: o.actionTimings?.pendingMs ?? 2000,
    inProgressMs: o.actionTimings?.inProgressMs ?? 5000,
    duplicateActionMode: o.duplicateActionMode ?? 'error',
    pageSize: o.pageSize ?? 10000,
    wrongAudienceStatus: o.wrongAudienceStatus ?? 401,
    emptyMachinesAs404: o.emptyMachinesAs404 ?? true,
    maxHuntingResultBytes: o.maxHuntingResultBytes ?? 124 * 1024 * 1024,
    maxHuntingRows: o.maxHuntingRows ?? 100_000,
    maxLogEntries: o.maxLogEntries ?? 10_000,
    graphPageSize: o.graphPageSize ?? 100,
    graphNextLinkWithTop: o.graphNextLinkWithTop ?? true,
  };
}

function mergeApps(base: SimApp[], extra: Partial<SimApp>[] | undefined, tenants: SimTenant[]): SimApp[] {
  const apps = base.map((a) => ({ ...a }));
  for (const p of extra ?? []) {
    if (!p.clientId) throw new Error('apps[].clientId is required');
    const i = apps.findIndex((a) => a.clientId.toLowerCase() === p.clientId!.toLowerCase());
    if (i >= 0) {
      apps[i] = { ...apps[i], ...p } as SimApp;
    } else {
      apps.push({
        clientId: p.clientId,
        displayName: p.displayName ?? `App ${p.clientId}`,
        secret: p.secret,
        certificatePem: p.certificatePem,
        roles: p.roles ?? [],
        graphRoles: p.graphRoles ?? [],
        tenants: p.tenants ?? [tenants[0].id],
        objectId: p.objectId ?? crypto.randomUUID(),
      });
    }
  }
  return apps;
}

function mergeTenants(extra: SimTenant[] | undefined): SimTenant[] {
  const out = DEMO.tenants.map((t) => ({ ...t, domains: [...t.domains] }));
  for (const t of extra ?? []) {
    const i = out.findIndex((x) => x.id.toLowerCase() === t.id.toLowerCase());
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

function matchesPartial(e: RequestLogEntry, p: Partial<RequestLogEntry>): boolean {
  return Object.entries(p).every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v);
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const opts = resolveOptions(options);
  const tls = options.tls ?? (defaultTls ??= generateSelfSignedCertificate({ commonName: 'localhost', altNames: { dns: ['localhost'], ips: ['127.0.0.1', '::1'] } }));
  const appCert = options.demoCertificate ? withThumbprints(options.demoCertificate) : (demoCert ??= generateSelfSignedCertificate({ commonName: 'SOC Automation certificate (simulator)', altNames: { dns: [], ips: [] } }));
  const tenants = mergeTenants(options.tenants);
  const apps = mergeApps(demoApps(appCert.certPem), options.apps, tenants);

  const now = Date.now();
  const counts = {
    machines: options.machines ?? 24,
    alerts: options.alerts ?? 60,
    process: options.processEvents ?? 2000,
    network: options.networkEvents ?? 1000,
    file: options.fileEvents ?? 1000,
  };
  const state = seedTenantState(opts.seed, tenants[0].id, now, counts);

  const sim: SimContext = {
    options: opts,
    state,
    stores: new Map(),
    tenants,
    apps,
    entra: { tenants, apps, signing: signingKey(), tokenLifetimeSec: opts.tokenLifetimeSec },
    rng: new Rng(opts.seed * 7919 + 17),
    rateLimiter: new RateLimiter(options.rateLimits),
    faults: { ...(options.faults ?? {}), failNext: [...(options.faults?.failNext ?? [])] },
    log: [],
    timers: new Set(),
    actionTimers: new Map(),
    actionOutcomes: new Map(),
    closed: false,
  };
  const demoStore = createTenantStore(sim, tenants[0].id, state);
  for (const t of tenants) {
    if (t.dataSeed === undefined) {
      sim.stores.set(t.id.toLowerCase(), t.id === tenants[0].id ? demoStore : { ...demoStore, tenantId: t.id });
      continue;
    }
    // A customer: a smaller estate of its own (seeded from its number and the run's seed).
    const domain = `${(t.domains[0] ?? t.id).split('.')[0]}.local`;
    const own = seedTenantState(opts.seed * 1009 + t.dataSeed, t.id, now, { machines: 8, alerts: 12, process: 200, network: 100, file: 100 }, domain);
    sim.stores.set(t.id.toLowerCase(), createTenantStore(sim, t.id, own));
  }
  const { addAlert, addAlerts, updateAlert } = demoStore;

  const setFaults = (f: Faults) => {
    sim.faults = { ...f, failNext: [...(f.failNext ?? [])] };
  };
  const setRateLimits = (r: RateLimitConfig) => sim.rateLimiter.set(r);
  const clearLog = () => {
    sim.log.length = 0;
  };

  const server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, createRequestHandler(sim, { addAlert, addAlerts, updateAlert, setFaults, setRateLimits, clearLog }));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A client that resets mid-handshake must not crash the process.
  server.on('tlsClientError', () => undefined);

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(opts.port ?? 0, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', () => undefined);

  if (opts.newAlertIntervalMs && opts.newAlertIntervalMs > 0) {
    const interval = setInterval(() => {
      if (!sim.closed) addAlert();
    }, opts.newAlertIntervalMs);
    interval.unref();
    sim.timers.add(interval);
  }
  if (opts.alertUpdateIntervalMs && opts.alertUpdateIntervalMs > 0) {
    // An analyst picks up the oldest New alert in the portal: its lastUpdateDateTime moves.
    const interval = setInterval(() => {
      const next = sim.closed ? undefined : state.alerts.find((a) => a.status === 'New');
      if (next) updateAlert(next.id, { status: 'InProgress', assignedTo: 'analyst2@contoso-sim.onmicrosoft.com' });
    }, opts.alertUpdateIntervalMs);
    interval.unref();
    sim.timers.add(interval);
  }

  const address = server.address() as net.AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    host,
    caPem: tls.certPem,
    tenantId: tenants[0].id,
    authority: `${url}/${tenants[0].id}`,
    tenants,
    apps,
    demoCertificate: appCert,
    requests: sim.log,
    state,
    options: opts,
    clearLog,
    count(pred) {
      if (!pred) return sim.log.length;
      return sim.log.filter((e) => (typeof pred === 'function' ? pred(e) : matchesPartial(e, pred))).length;
    },
    setFaults,
    setRateLimits,
    setApp(clientId, patch) {
      const app = apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
      if (!app) throw new Error(`unknown app ${clientId}`);
      Object.assign(app, patch);
      return app;
    },
    addAlert,
    addAlerts,
    updateAlert,
    snapshot: () => stateView(sim),
    tenant: (idOrDomain) => tenantStore(sim, idOrDomain),
    setConsent: (idOrDomain, clientId, consent) => setConsent(sim, idOrDomain, clientId, consent),
    close() {
      closing ??= new Promise<void>((resolve) => {
        sim.closed = true;
        for (const t of sim.timers) clearTimeout(t);
        sim.timers.clear();
        sim.actionTimers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
