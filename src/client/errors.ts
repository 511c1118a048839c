// Typed errors with a stable `code` and a message a SOC analyst can act on.
// Rule: never put secrets, tokens or token-request bodies into a message.

export interface MdeErrorBody {
  code?: string;
  message?: string;
  target?: string;
  innerError?: unknown;
}

export interface MdeErrorOptions {
  code: string;
  status?: number;
  mde?: MdeErrorBody;
  hint?: string;
  retryAfterMs?: number;
  aadsts?: number;
  /**
   * What went wrong underneath. Our own MdeError is kept as it is; anything else (got's
   * RequestError carries the request options, Authorization header included; msal's errors carry
   * server answers) is reduced to a plain `{ name, code, message }` with tokens and secrets
   * blanked out, because Node-RED copies `cause` onto msg.error for Catch nodes.
   */
  cause?: unknown;
}

/** What an MdeError keeps of a foreign error: plain data, nothing that can reach a header. */
export interface ErrorSummary {
  name: string;
  code?: string;
  message: string;
}

const SECRET_PATTERNS: [RegExp, string][] = [
  // Authorization: Bearer <token> / Basic <credentials>, in any spelling.
  [/\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, '$1 [redacted]'],
  // JWTs (access tokens, client assertions): three base64url segments, the first one a JSON header.
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted]'],
  // Form fields and JSON properties that hold credentials.
  [/\b(client_secret|client_assertion|assertion|password|access_token|refresh_token)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi, '$1$2[redacted]'],
];

/** Blanks out bearer tokens, JWTs and credential fields of a text (linear, for error messages). */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, replacement] of SECRET_PATTERNS) out = out.replace(re, replacement);
  return out;
}

const MAX_CAUSE_MESSAGE = 500;

/** `{ name, code, message }` of any thrown value, message redacted and clipped. */
export function summarizeError(e: unknown): ErrorSummary {
  const o = (e !== null && typeof e === 'object' ? e : {}) as { name?: unknown; code?: unknown; errorCode?: unknown; message?: unknown };
  const name = typeof o.name === 'string' && o.name ? o.name : e instanceof Error ? 'Error' : typeof e;
  const rawCode = typeof o.code === 'string' || typeof o.code === 'number' ? o.code : typeof o.errorCode === 'string' ? o.errorCode : undefined;
  const rawMessage = typeof o.message === 'string' ? o.message : e !== null && typeof e !== 'object' ? String(e) : '';
  let message = redactSecrets(rawMessage.replace(/\s+/g, ' ').trim());
  if (message.length > MAX_CAUSE_MESSAGE) message = `${message.slice(0, MAX_CAUSE_MESSAGE - 3)}...`;
  const out: ErrorSummary = { name: redactSecrets(name).slice(0, 100), message };
  if (rawCode !== undefined && String(rawCode) !== '') out.code = redactSecrets(String(rawCode)).slice(0, 100);
  return out;
}

/** The cause an MdeError may keep: our own errors as they are, anything else as a summary. */
function safeCause(cause: unknown): MdeError | ErrorSummary {
  return cause instanceof MdeError ? cause : summarizeError(cause);
}

export class MdeError extends Error {
  /** Stable machine-readable code (flows branch on it). */
  code: string;
  status?: number;
  /** The API's error body (`{code, message, target}`), when there was one. */
  mde?: MdeErrorBody;
  /** Plain-language advice (also appended to `message`). */
  hint?: string;
  retryAfterMs?: number;
  aadsts?: number;

  /** `sentence` is the main message; the hint is appended as " Hint: ...". */
  constructor(sentence: string, opts: MdeErrorOptions) {
    super(opts.hint ? `${sentence} Hint: ${opts.hint}` : sentence, opts.cause !== undefined ? { cause: safeCause(opts.cause) } : undefined);
    this.name = new.target.name;
    this.code = opts.code;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.mde !== undefined) this.mde = opts.mde;
    if (opts.hint !== undefined) this.hint = opts.hint;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
    if (opts.aadsts !== undefined) this.aadsts = opts.aadsts;
  }

  /** The sentence without the appended hint (UIs that show the hint on its own line). */
  get summary(): string {
    return this.hint ? this.message.slice(0, this.message.length - ` Hint: ${this.hint}`.length) : this.message;
  }

  /**
   * Node-RED builds msg.error.message from toString(); analysts should read the sentence, not
   * "MdeInputError: ..." (the class stays in `name`, the stable code in `code`).
   */
  override toString(): string {
    return this.message;
  }

  /** JSON-safe view (for msg.mde.error / logs); the cause is left out on purpose. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, code: this.code, status: this.status, mde: this.mde, hint: this.hint, retryAfterMs: this.retryAfterMs, aadsts: this.aadsts };
  }
}

/** Token problems (Entra ID). */
export class MdeAuthError extends MdeError {}
/** HTTP errors from MDE / Graph. */
export class MdeApiError extends MdeError {}
/** 429 after retries were exhausted (or Retry-After too long). Hunting: HuntingCallQuota / HuntingCpuQuota. */
export class MdeRateLimitError extends MdeError {}
/** Resets, DNS, TLS, timeouts: code `Timeout` or `NetworkError`. */
export class MdeNetworkError extends MdeError {}
/** Bad input found before any request: code `InvalidInput` (or a more specific one). */
export class MdeInputError extends MdeError {
  /** `opts` may be just a code string (`new MdeInputError('...', 'NoConfig')`). */
  constructor(sentence: string, opts: Partial<MdeErrorOptions> | string = {}) {
    super(sentence, typeof opts === 'string' ? { code: opts } : { code: 'InvalidInput', ...opts });
  }
}
/** Another action of the same kind is pending: code `ActiveRequestAlreadyExists`. */
export class MdeConflictError extends MdeApiError {}
/** waitForMachineAction gave up; `lastAction` is the last state seen. */
export class MdeWaitTimeoutError extends MdeError {
  lastAction?: unknown;
}

// ---------------------------------------------------------------- AADSTS table

export interface AadstsContext {
  tenantId?: string;
  clientId?: string;
  authorityHost?: string;
  /** The API resource the token was asked for (https://api.securitycenter.microsoft.com ...). */
  resource?: string;
  /** True when that resource is the connection's own MDE audience override, not the cloud's. */
  resourceOverridden?: boolean;
}

interface AadstsEntry {
  code: string;
  sentence: (n: number, ctx: AadstsContext) => string;
  hint: (ctx: AadstsContext) => string;
}

const SECRET_HINT = 'paste the secret VALUE, not its ID, from Certificates & secrets; it may also have expired.';
const TENANT_HINT = 'check the tenant ID (the Directory ID GUID or a verified domain such as contoso.onmicrosoft.com) and that the cloud setting (commercial, GCC, GCC High, DoD) matches the tenant.';
const SCOPE_HINT = 'client-credential tokens need a single "<resource>/.default" scope; check the cloud setting (the API audience comes from it).';

function consentLink(ctx: AadstsContext): string {
  const host = ctx.authorityHost ?? 'https://login.microsoftonline.com';
  const tenant = ctx.tenantId ?? 'organizations';
  return `${host}/${encodeURIComponent(tenant)}/adminconsent?client_id=${encodeURIComponent(ctx.clientId ?? '<client-id>')}`;
}

export const AADSTS_TABLE: Record<number, AadstsEntry> = {
  7000215: {
    code: 'InvalidClientSecret',
    sentence: (n) => `Entra ID rejected the client secret (AADSTS${n}).`,
    hint: () => SECRET_HINT,
  },
  7000222: {
    code: 'ClientSecretExpired',
    sentence: (n) => `Entra ID says the client secret has expired (AADSTS${n}).`,
    hint: () => 'create a new secret under Certificates & secrets of the app registration and paste its VALUE (not its ID).',
  },
  7000218: {
    code: 'MissingCredential',
    sentence: (n) => `Entra ID received no client secret or certificate assertion (AADSTS${n}).`,
    hint: () => 'enter the client secret, or configure a certificate (private key + thumbprint) in the connection.',
  },
  700027: {
    code: 'InvalidCertificate',
    sentence: (n) => `Entra ID could not verify the certificate assertion (AADSTS${n}).`,
    hint: () => 'upload this certificate (public part, .cer/.pem) under Certificates & secrets of the app registration, check the thumbprint matches it and that the private key belongs to it; it may also have expired.',
  },
  700016: {
    code: 'ApplicationNotFound',
    sentence: (n, ctx) => `Entra ID could not find the application ${ctx.clientId ? `"${ctx.clientId}" ` : ''}in tenant ${ctx.tenantId ? `"${ctx.tenantId}" ` : ''}(AADSTS${n}).`,
    hint: (ctx) => `check the client (application) ID and the tenant ID. A multi-tenant app must first be consented by an administrator of this tenant: ${consentLink(ctx)}`,
  },
  7000229: {
    code: 'NotConsented',
    sentence: (n, ctx) => `The app has no service principal in tenant ${ctx.tenantId ? `"${ctx.tenantId}" ` : ''}: no administrator of that tenant has consented to it, or the consent was removed (AADSTS${n}).`,
    hint: (ctx) => `an administrator of the tenant opens the admin consent link and approves the app: ${consentLink(ctx)}`,
  },
  65001: {
    code: 'NotConsented',
    sentence: (n, ctx) => `No administrator of tenant ${ctx.tenantId ? `"${ctx.tenantId}" ` : ''}has consented to the app (AADSTS${n}).`,
    hint: (ctx) => `an administrator of the tenant opens the admin consent link and approves the app: ${consentLink(ctx)}`,
  },
  650052: {
    code: 'ServiceNotInTenant',
    sentence: (n, ctx) => `Tenant ${ctx.tenantId ? `"${ctx.tenantId}" ` : ''}has no service principal for the API the app asks for (AADSTS${n}): Defender for Endpoint is not provisioned there, or the consent did not create it.`,
    hint: (ctx) => `check that the tenant has Defender for Endpoint (the portal opened once), then have an administrator consent again: ${consentLink(ctx)}`,
  },
  90002: {
    code: 'TenantNotFound',
    sentence: (n, ctx) => `Entra ID does not know the tenant ${ctx.tenantId ? `"${ctx.tenantId}" ` : ''}(AADSTS${n}).`,
    hint: () => TENANT_HINT,
  },
  900023: {
    code: 'InvalidTenant',
    sentence: (n, ctx) => `The tenant identifier ${ctx.tenantId ? `"${ctx.tenantId}" ` : ''}is not valid (AADSTS${n}).`,
    hint: () => TENANT_HINT,
  },
  500011: {
    // With an audience override the likeliest cause is the override itself, not the subscription.
    code: 'MdeNotProvisioned',
    sentence: (n, ctx) =>
      ctx.resourceOverridden
        ? `Entra ID knows no API with the audience ${ctx.resource ? `"${ctx.resource}" ` : ''}in this tenant (AADSTS${n}).`
        : `Microsoft Defender for Endpoint (WindowsDefenderATP) is not provisioned in this tenant (AADSTS${n}).`,
    hint: (ctx) =>
      ctx.resourceOverridden
        ? 'that audience comes from the MDE audience override in the connection\'s Advanced settings: check it against the API host\'s documented audience, or clear it to use the cloud\'s own. If it is right, the tenant needs an active Defender for Endpoint subscription opened once in the Defender portal.'
        : 'the tenant needs an active Defender for Endpoint subscription that has been opened once in the Defender portal; also check the cloud setting (a GCC High tenant needs the GCC High cloud).',
  },
  50001: {
    code: 'MdeNotProvisioned',
    sentence: (n) => `The requested API is not provisioned in this tenant (AADSTS${n}).`,
    hint: () => 'the tenant needs an active Defender for Endpoint subscription; also check the cloud setting.',
  },
  70011: {
    code: 'InvalidScope',
    sentence: (n) => `Entra ID rejected the requested scope (AADSTS${n}).`,
    hint: () => SCOPE_HINT,
  },
  700022: {
    code: 'InvalidScope',
    sentence: (n) => `Entra ID rejected the requested scope (AADSTS${n}).`,
    hint: () => SCOPE_HINT,
  },
  9001023: {
    code: 'TenantRequired',
    sentence: (n) => `App-only tokens cannot be requested from /common or /consumers (AADSTS${n}).`,
    hint: () => 'enter your tenant ID (Directory ID GUID or a verified domain), not "common".',
  },
  50196: {
    code: 'TokenThrottled',
    sentence: (n) => `Entra ID is throttling token requests from this app (AADSTS${n}).`,
    hint: () => 'too many token requests in a short time; tokens are cached, so check for many connections using the same app and wait a minute.',
  },
};

const AADSTS_SCAN_CHARS = 1_000;
const WHITESPACE = /\s/;

/**
 * First "AADSTS12345: ..." sentence of an Entra error description, cut before trace lines.
 * One pass over the text, folding whitespace runs as it goes and reading no further than the
 * end of the line or the first 1,000 characters kept (a lazy match followed by `\s+` used to be
 * quadratic on a long run of spaces: 50,000 spaces took seconds).
 */
export function extractAadstsDescription(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const start = text.search(/AADSTS\d+:/);
  if (start < 0) return undefined;
  let s = '';
  let space = false;
  for (let i = start; i < text.length && s.length < AADSTS_SCAN_CHARS; i++) {
    const c = text[i]!;
    if (c === '\n' || c === '\r') break;
    if (WHITESPACE.test(c)) {
      space = true;
      continue;
    }
    if (space) s += ' ';
    space = false;
    s += c;
  }
  const trace = s.search(/ - (?:Correlation ID|Trace ID|Timestamp):/);
  if (trace >= 0) s = s.slice(0, trace);
  s = s.trim();
  // Keep it short: the first sentence (Entra descriptions can be long).
  const firstStop = s.search(/\.\s/);
  if (firstStop > 0 && firstStop < 300) s = s.slice(0, firstStop + 1);
  if (s.length > 300) s = `${s.slice(0, 297)}...`;
  return s;
}

export function aadstsError(n: number, ctx: AadstsContext, opts: { status?: number; description?: string; cause?: unknown } = {}): MdeAuthError {
  const entry = AADSTS_TABLE[n];
  if (entry) {
    return new MdeAuthError(entry.sentence(n, ctx), { code: entry.code, aadsts: n, status: opts.status, hint: entry.hint(ctx), cause: opts.cause });
  }
  const desc = opts.description ? ` ${opts.description.replace(/^AADSTS\d+:\s*/, '')}` : '';
  if (opts.status !== undefined && (opts.status >= 500 || opts.status === 429)) {
    return new MdeAuthError(`Entra ID is temporarily unavailable (AADSTS${n}, HTTP ${opts.status}).`, {
      code: 'TokenServiceUnavailable',
      aadsts: n,
      status: opts.status,
      hint: 'a transient problem at the sign-in service; messages wait for it (as long as the request timeout of the connection allows), so this one waited in vain: try again later.',
      cause: opts.cause,
    });
  }
  return new MdeAuthError(`Entra ID refused the token request (AADSTS${n}).${desc}`.trim(), {
    code: `AADSTS${n}`,
    aadsts: n,
    status: opts.status,
    hint: 'look the code up at https://login.microsoftonline.com/error?code=' + n,
    cause: opts.cause,
  });
}

// ---------------------------------------------------------------- 403 missing roles

/** Parses "Missing application roles. API required roles: A,B, application roles: C." → ['A','B']. */
export function parseRequiredRoles(message: string | undefined): string[] | undefined {
  if (!message) return undefined;
  let m = /required roles:\s*(.*?)(?:,\s*application roles:|\.\s*$|$)/i.exec(message);
  if (!m) m = /required application permissions\s*\(([^)]*)\)/i.exec(message);
  if (!m) return undefined;
  const roles = m[1]!
    .split(/[,\s]+/)
    .map((r) => r.trim().replace(/\.$/, ''))
    .filter((r) => /^[A-Za-z]+(\.[A-Za-z]+)+$/.test(r));
  return roles.length ? roles : undefined;
}

export function missingRoleHint(roles: string[] | undefined, audience: 'mde' | 'graph' = 'mde'): string {
  const api = audience === 'graph' ? 'Microsoft Graph' : 'WindowsDefenderATP';
  const which = roles && roles.length ? `add ${roles.length > 1 ? 'one of ' : ''}${roles.join(' or ')}` : 'add the application permission this operation needs';
  return `${which} under API permissions > ${api} > Application permissions, then Grant admin consent (new tokens carry the role after a few minutes).`;
}

export function isMdeError(e: unknown): e is MdeError {
  return e instanceof MdeError;
}
