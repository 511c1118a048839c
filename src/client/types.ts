// Public shapes of the client library. The library knows nothing of Node-RED: node files pass
// plain settings in and get typed results (or typed errors from ./errors) out.

import type { CloudSettings, ResolvedCloud } from './clouds';
import type { ProxySettings } from './transport/proxy';
import type { SharedStateSettings } from './state/shared-state';

export type Audience = 'mde' | 'graph';

/**
 * Rate-governor families. MDE budgets are per API (100/min, 1,500/h each); advanced hunting has
 * its own (45/min, 1,500/h). Graph hunting is governed separately from MDE hunting; Graph alerts_v2
 * and incidents each have Graph's security budget (150/min per app per tenant).
 */
export type ApiFamily = 'alerts' | 'machines' | 'machineactions' | 'hunting' | 'graph-hunting' | 'graph-alerts' | 'graph-incidents' | 'other';

export interface SecretCredential {
  kind: 'secret';
  clientSecret: string;
}

export interface CertificateCredential {
  kind: 'certificate';
  /** PEM private key (RSA). An encrypted key needs `passphrase`. */
  privateKeyPem: string;
  /** PEM certificate; lets the thumbprint be derived and x5c be sent. */
  certificatePem?: string;
  /** SHA-256 (64 hex) or SHA-1 (40 hex) thumbprint; colons and spaces are ignored. */
  thumbprint?: string;
  /** Send the x5c header (subject name + issuer auth). */
  sendX5c?: boolean;
  passphrase?: string;
}

export type ClientCredential = SecretCredential | CertificateCredential;

export interface RateBudget {
  /** Calls allowed per window. */
  limit: number;
  /** Window length in ms (60 000 for "per minute"). */
  windowMs: number;
}

/** Budgets per family; each family may have several windows (per minute and per hour). */
export type RateBudgets = Record<ApiFamily, RateBudget[]>;

export interface ConnectionSettings {
  tenantId: string;
  clientId: string;
  credential: ClientCredential;
  cloud: CloudSettings;
  /** Extra PEM CA(s) to trust (custom cloud: private endpoints, the bundled simulator). */
  caCertificatePem?: string;
  /**
   * Per HTTP attempt and the most a message waits for a token, default 30 000 ms. Hunting
   * queries get at least 210 000 ms (Microsoft lets a query run 200 s).
   */
  timeoutMs?: number;
  /** HTTP(S) proxy for token requests and API calls; absent: direct connections. */
  proxy?: ProxySettings;
  /** Defaults to `MdatpPartner-NodeRED-DefenderEndpoint/<version>`. */
  userAgent?: string;
  /** Override the documented budgets (tests, benchmarks) or `false` to lift the governor. */
  rateLimits?: Partial<RateBudgets> | false;
  /** Opt-in state shared with other processes on this tenant + app (Redis); absent: all local. */
  sharedState?: SharedStateSettings;
  retry?: {
    /** Retries after the first attempt for 429 / 5xx / resets (default 4). */
    limit?: number;
    /** A Retry-After longer than this fails instead of waiting (default 120 000 ms). */
    maxRetryAfterMs?: number;
    /** First back-off step when no Retry-After is sent (default 1 000 ms, doubled, jittered). */
    baseDelayMs?: number;
  };
}

export interface TokenInfo {
  /** The bearer token. Only the token node ever puts it on a message. */
  accessToken: string;
  expiresOn: Date;
  /** `roles` claim: application permissions granted and consented. Empty when none. */
  roles: string[];
  tenantId: string;
  appId: string;
  /** `aud` claim. */
  audience: string;
  fromCache: boolean;
}

export interface ApiRequest {
  audience: Audience;
  family: ApiFamily;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below the API origin, e.g. `/api/alerts` or `/v1.0/security/runHuntingQuery`. */
  path: string;
  searchParams?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** Safe to resend after a 5xx / timeout (GET always is; POST actions never are). */
  idempotent?: boolean;
  /** Called when the governor or a Retry-After makes this request wait. */
  onWait?: (info: { waitMs: number; reason: 'rate-budget' | 'retry-after' | 'backoff'; queued: number }) => void;
  signal?: AbortSignal;
  /** Return the raw body (Buffer) instead of parsed JSON: used for 100k-row hunting results. */
  rawBody?: boolean;
  /** Per attempt, instead of the connection's timeout (hunting: a query may run 200 s). */
  timeoutMs?: number;
  /**
   * false: never send again after a timeout (ours, 408 or 504), even when idempotent — for calls
   * whose every run costs (hunting spends the tenant's CPU quota). 429 + Retry-After still retries.
   */
  resendOnTimeout?: boolean;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  /** Retries this call needed (429 / 5xx / resets). */
  retries: number;
}

// ---------- MDE entities (the fields we read; payloads carry more) ----------

export interface Alert {
  id: string;
  incidentId?: number | null;
  severity: string;
  status: string;
  category?: string;
  title?: string;
  machineId?: string;
  computerDnsName?: string;
  alertCreationTime?: string;
  lastUpdateTime?: string;
  evidence?: unknown[];
  [key: string]: unknown;
}

export interface Machine {
  id: string;
  computerDnsName: string;
  osPlatform?: string;
  machineTags?: string[];
  healthStatus?: string;
  lastIpAddress?: string;
  [key: string]: unknown;
}

export type MachineActionStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';

export interface MachineAction {
  id: string;
  type: string;
  scope?: string | null;
  status: MachineActionStatus;
  machineId: string;
  computerDnsName?: string | null;
  requestor?: string;
  requestorComment?: string;
  creationDateTimeUtc?: string;
  lastUpdateDateTimeUtc?: string;
  [key: string]: unknown;
}

export interface AlertListQuery {
  severity?: string[];
  status?: string[];
  category?: string[];
  detectionSource?: string[];
  assignedTo?: string;
  incidentId?: number;
  machineId?: string;
  /** Which timestamp `since` / `until` apply to (default alertCreationTime). */
  timeField?: 'alertCreationTime' | 'lastUpdateTime';
  since?: Date;
  until?: Date;
  /** Expert OData `$filter`, AND-ed with the generated one. */
  rawFilter?: string;
  expandEvidence?: boolean;
  /** e.g. `alertCreationTime desc`. */
  orderBy?: string;
  /** `$top` per page (1..10 000, default 10 000). */
  pageSize?: number;
  /** Stop after this many alerts (default 100 000). */
  maxResults?: number;
}

// ---------- Microsoft Graph security entities (security-alert.md, security-incident.md) ----------

/** alertComment: an analyst's or an app's comment on an alert or an incident. */
export interface GraphAlertComment {
  comment: string;
  createdByDisplayName: string | null;
  createdDateTime: string | null;
}

/**
 * One alert evidence item: `@odata.type` names the derived type (deviceEvidence, fileEvidence,
 * processEvidence, userEvidence, ipEvidence, urlEvidence, registryKeyEvidence ...), the base
 * properties are createdDateTime, verdict, remediationStatus, remediationStatusDetails, roles, tags.
 */
export type GraphAlertEvidence = Record<string, unknown> & { '@odata.type': string };

/**
 * The alert shape every alert source produces (Graph alerts_v2; the MDE API's alerts are mapped to
 * it, see docs/alert-shape.md). Enum values are Graph's camelCase members.
 */
export interface GraphAlert {
  '@odata.type'?: string;
  id: string;
  providerAlertId: string | null;
  incidentId: string | null;
  status: string;
  severity: string;
  classification: string;
  determination: string;
  serviceSource: string;
  detectionSource: string;
  detectorId: string | null;
  tenantId: string | null;
  title: string | null;
  description: string | null;
  recommendedActions: string | null;
  category: string | null;
  assignedTo: string | null;
  alertWebUrl: string | null;
  incidentWebUrl: string | null;
  actorDisplayName: string | null;
  threatDisplayName: string | null;
  threatFamilyName: string | null;
  mitreTechniques: string[];
  createdDateTime: string;
  lastUpdateDateTime: string;
  resolvedDateTime: string | null;
  firstActivityDateTime: string | null;
  lastActivityDateTime: string | null;
  comments: GraphAlertComment[];
  evidence: GraphAlertEvidence[];
  systemTags: string[];
  [key: string]: unknown;
}

export interface GraphIncident {
  '@odata.type'?: string;
  id: string;
  incidentWebUrl: string | null;
  redirectIncidentId: string | null;
  tenantId: string | null;
  displayName: string | null;
  description: string | null;
  createdDateTime: string;
  lastUpdateDateTime: string;
  assignedTo: string | null;
  classification: string;
  determination: string;
  status: string;
  severity: string;
  customTags: string[];
  systemTags: string[];
  comments: GraphAlertComment[];
  /** Present when asked for ($expand=alerts). */
  alerts?: GraphAlert[];
  [key: string]: unknown;
}

/** Inclusive bounds on a timestamp: ISO-8601 text (kept to its 7 fractional digits) or a Date. */
export interface TimeRange {
  from?: Date | string;
  to?: Date | string;
}

export interface HuntingColumn {
  name: string;
  type: string;
}

export interface HuntingResult {
  schema: HuntingColumn[];
  results: Record<string, unknown>[];
  stats?: unknown;
  api: 'graph' | 'mde';
}

export type { CloudSettings, ResolvedCloud, ProxySettings };
