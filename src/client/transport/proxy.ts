// Proxy routing for one connection: which hosts are reached through an HTTP(S) proxy (NO_PROXY
// rules as curl and Node-RED read them), and the one keep-alive agent that opens CONNECT tunnels
// (hpagent) to those hosts and connects directly to the others. TLS to the target host keeps the
// connection's trust store. Proxy credentials never end up where they can be printed: the agent
// keeps them outside its own properties, and errors name only the proxy's host and port.
import type * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { HttpsProxyAgent } from 'hpagent';
import { MdeInputError } from '../errors';

export interface ProxySettings {
  /** `http://host:port` or `https://host:port`; `user:password@` inside it is read too (environment variables). */
  url: string;
  /** Hosts reached without the proxy: `host`, `.domain` or `*.domain`, `host:port`, or `*` for all. */
  noProxy?: string[];
  /** Proxy user (Basic authentication); wins over a user in the URL. */
  username?: string;
  password?: string;
}

interface ResolvedProxy {
  /** Proxy origin without credentials (what hpagent connects to). */
  origin: string;
  /** `host:port` of the proxy, safe to show in messages. */
  display: string;
  /** `Basic ...` value of Proxy-Authorization, when a user or password is configured. */
  authorization?: string;
  noProxy: string[];
}

/** Removes `user:password@` so a proxy URL can be quoted in an error. */
function redact(raw: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)?([^/?#]*@)?(.*)$/is.exec(raw);
  const shown = m && m[2] ? `${m[1] ?? ''}***@${m[3]}` : raw;
  return shown.length > 120 ? `${shown.slice(0, 117)}...` : shown;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new MdeInputError(`The proxy ${what} must be text; got ${typeof value}.`);
  return value;
}

function noProxyList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new MdeInputError(`The proxy's list of hosts to reach directly (noProxy) must be a list of host names; got ${Array.isArray(value) ? 'a list with non-text entries' : typeof value}.`);
  }
  return value
    .flatMap((v: string) => v.split(/[,\s]+/))
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
}

/** Validates proxy settings (wrong types and unknown schemes are refused, never ignored). */
function resolveProxy(settings: unknown): ResolvedProxy {
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) {
    throw new MdeInputError(`The proxy settings must be an object with a url; got ${Array.isArray(settings) ? 'a list' : typeof settings}.`);
  }
  const s = settings as Record<string, unknown>;
  if (typeof s.url !== 'string' || !s.url.trim()) {
    throw new MdeInputError(`The proxy URL is missing: enter it as http://host:port${typeof s.url === 'string' || s.url === undefined ? '' : ` (got ${typeof s.url})`}.`);
  }
  const raw = s.url.trim();
  // curl's reading of a bare "host:port": a plain HTTP proxy.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new MdeInputError(`The proxy URL "${redact(raw)}" is not a valid URL: use http://host:port.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MdeInputError(`The proxy URL "${redact(raw)}" uses ${url.protocol.replace(/:$/, '')}://; only http:// and https:// proxies are supported.`);
  }
  if (!url.hostname) throw new MdeInputError(`The proxy URL "${redact(raw)}" has no host name.`);
  const username = optionalString(s.username, 'user name') ?? (url.username ? decode(url.username) : undefined);
  const password = optionalString(s.password, 'password') ?? (url.password ? decode(url.password) : undefined);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const display = `${url.hostname}:${port}`;
  return {
    origin: `${url.protocol}//${url.host}`,
    display,
    authorization: username || password ? `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}` : undefined,
    noProxy: noProxyList(s.noProxy),
  };
}

function bareHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/**
 * True when `host:port` is to be reached directly. Entries: `*` (everything), an exact host or IP,
 * a domain written `example.com`, `.example.com` or `*.example.com` (the domain and every host
 * below it, as curl reads it), each optionally with `:port` (IPv6 as `[::1]:443`). No CIDR ranges.
 */
export function bypassesProxy(noProxy: readonly string[], host: string, port: number): boolean {
  const target = bareHost(host);
  return noProxy.some((raw) => {
    let entry = raw.trim().toLowerCase();
    if (!entry) return false;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1]!;
      if (bracketed[2]) entryPort = Number(bracketed[2]);
    } else if ((entry.match(/:/g) ?? []).length === 1) {
      const m = /^(.+):(\d+)$/.exec(entry);
      if (m) {
        entry = m[1]!;
        entryPort = Number(m[2]);
      }
    }
    if (entryPort !== undefined && entryPort !== port) return false;
    const domain = bareHost(entry.replace(/^\*/, '').replace(/^\./, ''));
    if (!domain) return false;
    return target === domain || target.endsWith(`.${domain}`);
  });
}

function fromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  // Node-RED reads the lower-case name first.
  const value = env[name.toLowerCase()] || env[name.toUpperCase()];
  return value && value.trim() ? value.trim() : undefined;
}

/**
 * The proxy the environment asks for: HTTPS_PROXY (every endpoint is https), else HTTP_PROXY;
 * NO_PROXY lists the exceptions. Lower-case names first, as Node-RED and curl read them.
 */
export function proxyFromEnvironment(env: NodeJS.ProcessEnv = process.env): ProxySettings | undefined {
  const url = fromEnv(env, 'https_proxy') ?? fromEnv(env, 'http_proxy');
  if (!url) return undefined;
  return { url, noProxy: noProxyList([fromEnv(env, 'no_proxy') ?? '']) };
}

/**
 * A failure to open a tunnel, in our words (no final stop: got's wrappers quote it inside their own
 * sentence). `code` keeps the system code (ECONNREFUSED ...) so the retry rules still apply.
 */
export class ProxyTunnelError extends Error {
  override name = 'ProxyTunnelError';
  constructor(
    message: string,
    readonly code: string,
    /** `host:port` of the proxy. */
    readonly proxy: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function tunnelError(err: unknown, proxy: string, target: string, sentCredentials: boolean): ProxyTunnelError {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const status = /^Bad response: (\d{3})$/.exec(String(e.message ?? ''));
  if (status) {
    const n = Number(status[1]);
    if (n === 407) {
      return sentCredentials
        ? new ProxyTunnelError(`The proxy ${proxy} rejected the proxy user name or password (407) for ${target}`, 'ProxyAuthenticationRequired', proxy, n)
        : new ProxyTunnelError(`The proxy ${proxy} asks for a user name and password (407) for ${target}: set them on the proxy configuration`, 'ProxyAuthenticationRequired', proxy, n);
    }
    return new ProxyTunnelError(`The proxy ${proxy} refused to open a tunnel to ${target} (HTTP ${n})`, 'ProxyRefused', proxy, n);
  }
  const code = typeof e.code === 'string' && /^[A-Z0-9_]+$/.test(e.code) ? e.code : 'ProxyUnreachable';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ProxyTunnelError(`The proxy host of ${proxy} does not resolve (${code})`, code, proxy);
  if (code === 'ETIMEDOUT' || e.message === 'Proxy timeout') return new ProxyTunnelError(`The proxy ${proxy} did not answer in time (ETIMEDOUT)`, 'ETIMEDOUT', proxy);
  if (code === 'ECONNREFUSED') return new ProxyTunnelError(`Could not connect to the proxy ${proxy} (ECONNREFUSED): check its host, port and that it runs`, code, proxy);
  return new ProxyTunnelError(`The connection to the proxy ${proxy} failed while opening a tunnel to ${target} (${code})`, code, proxy);
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

/** Node's Agent.addRequest: public behaviour, missing from the type definitions. */
const baseAddRequest = (https.Agent.prototype as unknown as { addRequest(req: http.ClientRequest, options: https.RequestOptions): void }).addRequest;

/** Proxy-Authorization values, kept off the agent so printing or serialising it shows nothing. */
const proxyAuthorizations = new WeakMap<object, string>();

function targetOf(options: https.RequestOptions): { host: string; port: number; key: string } {
  const host = String(options.host ?? options.hostname ?? 'localhost');
  const port = Number(options.port) || 443;
  return { host, port, key: `${host}:${port}` };
}

class ProxyRoutingAgent extends HttpsProxyAgent {
  private readonly proxyDisplay: string;
  private readonly noProxy: readonly string[];
  /** Tunnels open or being opened, per target host:port. */
  private readonly tunnels = new Map<string, number>();
  /** Requests waiting for a tunnel because maxSockets are open or being opened. */
  private readonly waiting = new Map<string, Array<{ req: http.ClientRequest; options: https.RequestOptions }>>();

  constructor(proxy: ResolvedProxy, options: https.AgentOptions) {
    super({ ...options, proxy: proxy.origin });
    this.proxyDisplay = proxy.display;
    this.noProxy = proxy.noProxy;
    if (proxy.authorization) proxyAuthorizations.set(this, proxy.authorization);
    // Registered after Node's own 'free' handler, so the socket is already back in the pool.
    this.on('free', (_socket: unknown, options: https.RequestOptions) => this.drain(targetOf(options).key));
  }

  // hpagent reads its CONNECT headers from here; the value is built on demand from the WeakMap.
  get proxyRequestOptions(): { headers: Record<string, string> } {
    const authorization = proxyAuthorizations.get(this);
    return { headers: authorization ? { 'proxy-authorization': authorization } : {} };
  }

  set proxyRequestOptions(_ignored: unknown) {
    // hpagent's constructor assigns an empty object here; nothing to keep.
  }

  private viaProxy(host: string, port: number): boolean {
    return !bypassesProxy(this.noProxy, host, port);
  }

  private hasFreeSocket(key: string): boolean {
    // Node names a pool "host:port:<tls options>".
    return Object.entries(this.freeSockets).some(([name, list]) => name.startsWith(`${key}:`) && (list ?? []).some((s) => !s.destroyed));
  }

  /**
   * Node counts a socket against maxSockets only once createConnection has handed it over; a
   * tunnel arrives later, so without this a burst of N calls would open N tunnels. Requests over
   * the limit wait here for a pooled socket or a free slot.
   */
  addRequest(req: http.ClientRequest, options: https.RequestOptions): void {
    const { host, port, key } = targetOf({ ...this.options, ...options });
    if (!this.viaProxy(host, port) || this.hasFreeSocket(key) || (this.tunnels.get(key) ?? 0) < this.maxSockets) {
      baseAddRequest.call(this, req, options);
      return;
    }
    const queue = this.waiting.get(key) ?? [];
    queue.push({ req, options });
    this.waiting.set(key, queue);
  }

  private drain(key: string): void {
    const queue = this.waiting.get(key);
    while (queue && queue.length && (this.hasFreeSocket(key) || (this.tunnels.get(key) ?? 0) < this.maxSockets)) {
      const next = queue.shift()!;
      if (!next.req.destroyed) baseAddRequest.call(this, next.req, next.options);
    }
    if (queue && !queue.length) this.waiting.delete(key);
  }

  private tunnelClosed(key: string): void {
    this.tunnels.set(key, Math.max(0, (this.tunnels.get(key) ?? 1) - 1));
    this.drain(key);
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectCallback): Duplex | null | undefined {
    const { host, port, key } = targetOf(options);
    if (!this.viaProxy(host, port)) return https.Agent.prototype.createConnection.call(this, options, callback);
    const sentCredentials = proxyAuthorizations.has(this);
    this.tunnels.set(key, (this.tunnels.get(key) ?? 0) + 1);
    return super.createConnection(options, (err, socket) => {
      if (err) {
        // The slot frees first, so a waiting request tries its own tunnel (and gets its own error).
        setImmediate(() => this.tunnelClosed(key));
        callback?.(tunnelError(err, this.proxyDisplay, `${host}:${port}`, sentCredentials), socket);
        return;
      }
      socket.once('close', () => this.tunnelClosed(key));
      callback?.(null, socket);
    });
  }

  override destroy(): void {
    for (const queue of this.waiting.values()) for (const { req } of queue) req.destroy(new ProxyTunnelError('The connection was closed while waiting for a proxy tunnel', 'ECONNABORTED', this.proxyDisplay));
    this.waiting.clear();
    super.destroy();
  }
}

/**
 * The connection's keep-alive agent: a plain https.Agent without a proxy, otherwise one that
 * tunnels through the proxy (except NO_PROXY hosts). Built once per connection; `options`
 * (secureContext with the custom CA, maxSockets) apply to the TLS session with the target host.
 */
export function createConnectionAgent(proxy: ProxySettings | undefined, options: https.AgentOptions): https.Agent {
  const agentOptions: https.AgentOptions = { keepAlive: true, ...options };
  if (proxy === undefined) return new https.Agent(agentOptions);
  return new ProxyRoutingAgent(resolveProxy(proxy), agentOptions);
}
