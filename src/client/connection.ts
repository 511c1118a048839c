// The object a config node owns: validated settings, one keep-alive agent (through the proxy
// when one is set), one token provider, one HTTP client. close() aborts in-flight requests and
// destroys the sockets.
import * as https from 'node:https';
import * as tls from 'node:tls';
import { CLOUD_NAMES, resolveCloud, type ResolvedCloud } from './clouds';
import type { Audience, ConnectionSettings, TokenInfo } from './types';
import { MdeInputError } from './errors';
import { MdeHttp } from './transport/http';
import { createConnectionAgent } from './transport/proxy';
import { TokenProvider, type GetTokenOptions } from './auth/token-provider';
import { forgetSharedGovernors, type GovernorClock } from './transport/governor';
import { sharedNamespace, type SharedState } from './state/shared-state';
import { RedisSharedState } from './state/redis-state';
import { assertClientId, assertTenantId } from './validate';

export interface ConnectionOptions {
  debug?: (message: string) => void;
  /** Tests: clock for the token provider's expiry decisions. */
  now?: () => number;
  governorClock?: GovernorClock;
}

function checkCa(pem: string): string {
  if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw new MdeInputError('The CA certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----).');
  try {
    tls.createSecureContext({ ca: pem });
  } catch (e) {
    throw new MdeInputError('The CA certificate could not be read.', { cause: e });
  }
  return pem;
}

export class MdeConnection {
  readonly cloud: ResolvedCloud;
  readonly tokens: TokenProvider;
  readonly http: MdeHttp;
  readonly agent: https.Agent;
  readonly tenantId: string;
  readonly clientId: string;
  /** Opt-in state shared with other processes on this tenant + app (Redis); undefined: all local. */
  readonly shared?: SharedState;
  private closed = false;

  constructor(readonly settings: ConnectionSettings, opts: ConnectionOptions = {}) {
    if (!settings || typeof settings !== 'object') throw new MdeInputError('The connection settings are missing.');
    this.tenantId = assertTenantId(settings.tenantId);
    this.clientId = assertClientId(settings.clientId);
    if (!settings.cloud || !CLOUD_NAMES.includes(settings.cloud.cloud)) {
      throw new MdeInputError(`Unknown cloud ${JSON.stringify(settings.cloud?.cloud)}: use ${CLOUD_NAMES.join(', ')}.`);
    }
    try {
      this.cloud = resolveCloud(settings.cloud);
    } catch (e) {
      throw new MdeInputError((e as Error).message, { cause: e });
    }
    if (settings.timeoutMs !== undefined && !(Number.isFinite(settings.timeoutMs) && settings.timeoutMs >= 100)) {
      throw new MdeInputError('The timeout must be at least 100 ms.');
    }
    const ca = settings.caCertificatePem && settings.caCertificatePem.trim() ? checkCa(settings.caCertificatePem) : undefined;
    // Only replace the trust store when a CA is configured, so NODE_EXTRA_CA_CERTS keeps working.
    // Built once: a `ca` list on the agent is re-keyed on every request and re-parsed (about 140
    // roots) on every new TLS connection (measured by the benchmarks, figure 2).
    const secureContext = ca ? tls.createSecureContext({ ca: [...tls.rootCertificates, ca] }) : undefined;
    // Token requests and API calls share this agent, so both go through the proxy (one tunnel per
    // pooled socket, kept alive) and both trust the custom CA.
    this.agent = createConnectionAgent(settings.proxy, { keepAlive: true, maxSockets: 16, ...(secureContext ? { secureContext } : {}) });
    const settingsWithIds = { ...settings, tenantId: this.tenantId, clientId: this.clientId };
    if (settings.sharedState) {
      this.shared = new RedisSharedState(
        settings.sharedState,
        sharedNamespace(settings.sharedState.keyPrefix ?? 'mde', this.tenantId, this.clientId, new URL(this.cloud.apiBaseUrl).origin),
      );
    }
    this.tokens = new TokenProvider(settingsWithIds, this.cloud, this.agent, { timeoutMs: settings.timeoutMs, debug: opts.debug, now: opts.now });
    this.http = new MdeHttp({
      cloud: this.cloud,
      tenantId: this.tenantId,
      tokens: this.tokens,
      agent: this.agent,
      timeoutMs: settings.timeoutMs,
      userAgent: settings.userAgent,
      rateLimits: settings.rateLimits,
      retry: settings.retry,
      governorClock: opts.governorClock,
      sharedState: this.shared,
      debug: opts.debug,
    });
  }

  getToken(audience: Audience, opts?: GetTokenOptions): Promise<TokenInfo> {
    return this.tokens.getToken(audience, opts);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.http.close();
    this.tokens.close();
    this.agent.destroy();
    if (this.shared) {
      forgetSharedGovernors(this.shared);
      await this.shared.close();
    }
  }
}
