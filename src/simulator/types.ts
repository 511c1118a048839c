// Shapes shared by the simulator's modules. Kept free of logic so every module can import it.
import type { SimApp, SimTenant } from './identities';

export type ApiFamily = 'alerts' | 'machines' | 'machineactions' | 'hunting' | 'graph-hunting' | 'graph-alerts' | 'graph-incidents' | 'indicators' | 'indicators-import' | 'entities';
export type RequestKind = 'token' | 'discovery' | 'api' | 'graph' | 'control';

export interface RequestLogEntry {
  time: string;
  method: string;
  /** Host header as sent: which cloud host the client believed it was calling. */
  host: string;
  path: string;
  query: string;
  status: number;
  kind: RequestKind;
  tenantId?: string;
  clientId?: string;
  family?: ApiFamily;
  /** Set when the simulator destroyed the socket instead of answering (resetRate). */
  reset?: boolean;
  /** Set when a fault (failNext, errorRate, tokenEndpointDown) produced the answer. */
  fault?: string;
  durationMs?: number;
}

export interface RateWindow {
  limit: number;
  windowMs: number;
}

/** Per-family windows; a family set to `false` (or the whole config) is unlimited. */
export type RateLimitConfig = false | Partial<Record<ApiFamily, RateWindow[] | false>>;

export interface FailNextRule {
  status: number;
  /** Only requests whose path contains this text; without it only API / Graph calls match. */
  pathIncludes?: string;
  /** How many matching requests fail (default 1). */
  count?: number;
  /** Retry-After header value (seconds) to send with the failure. */
  retryAfter?: number;
  /** Optional body; default is an MDE-style error for the status. */
  body?: unknown;
}

/** Answer matching requests late (the answer itself is unchanged): timeouts, slow queries. */
export interface SlowRule {
  /** Only requests whose path contains this text; without it only API / Graph calls match. */
  pathIncludes?: string;
  /** Added to the answer time of each matching request. */
  delayMs: number;
  /** How many matching requests are slowed (default: every one while the rule is set). */
  count?: number;
}

export interface Faults {
  latencyMs?: number;
  slow?: SlowRule[];
  errorRate?: number;
  resetRate?: number;
  tokenEndpointDown?: boolean;
  failNext?: FailNextRule[];
  /** Requests that are carried out, whose answer is then lost (see DropAnswerRule). */
  dropAnswerNext?: DropAnswerRule[];
}

/**
 * "Apply, then lose the answer": the request reaches its handler (a machine action is created)
 * and the client never gets a usable answer. `reset`: the connection is dropped before the answer;
 * `cut`: the headers and half the body are sent, then the connection is dropped; `invalid-json`:
 * the status and headers as answered, with half the body (a complete HTTP answer that is not JSON);
 * `hold`: no answer at all until `holdMs` (default 60 s) has passed, then the connection is dropped;
 * `server-error`: a 500 InternalServerError instead of the answer (a gateway failing after the backend acted).
 */
export interface DropAnswerRule {
  mode: 'reset' | 'cut' | 'invalid-json' | 'hold' | 'server-error';
  /** Only requests whose path contains this text; without it only API / Graph calls match. */
  pathIncludes?: string;
  /** Only this method (e.g. POST). */
  method?: string;
  /** How many matching requests lose their answer (default 1). */
  count?: number;
  holdMs?: number;
}

export type ActionOutcome = 'Succeeded' | 'Failed' | 'TimeOut';

export interface SimMachine {
  id: string;
  computerDnsName: string;
  firstSeen: string;
  lastSeen: string;
  osPlatform: string;
  osVersion: string | null;
  osProcessor: string;
  version: string;
  osBuild: number | null;
  lastIpAddress: string;
  lastExternalIpAddress: string;
  agentVersion: string;
  healthStatus: string;
  deviceValue: string;
  rbacGroupId: number;
  rbacGroupName: string | null;
  riskScore: string;
  exposureLevel: string;
  isAadJoined: boolean;
  aadDeviceId: string | null;
  machineTags: string[];
  defenderAvStatus: string;
  onboardingStatus: string;
  osArchitecture: string;
  managedBy: string;
  managedByStatus: string;
  ipAddresses: { ipAddress: string; macAddress: string | null; type: string; operationalStatus: string }[];
  vmMetadata: null;
  isPotentialDuplication: boolean;
  mergedIntoMachineId: string | null;
  isExcluded: boolean;
  exclusionReason: string | null;
  [key: string]: unknown;
}

export interface MachineInternal {
  isolationState: 'NotIsolated' | 'Isolated';
  isolationType: string | null;
  loggedOnUsers: { accountName: string; domainName: string }[];
}

export type SimAlert = Record<string, unknown> & {
  id: string;
  status: string;
  severity: string;
  machineId: string;
  computerDnsName: string;
  alertCreationTime: string;
  lastUpdateTime: string;
  comments: { comment: string; createdBy: string; createdTime: string }[];
  evidence: Record<string, unknown>[];
};

/** Graph `alertComment` (comment, createdByDisplayName, createdDateTime). */
export interface SimAlertComment {
  comment: string;
  createdByDisplayName: string;
  createdDateTime: string;
}

/**
 * A Microsoft Graph security incident, kept in Graph's own shape (incidents exist only on Graph).
 * Its alerts are the MDE alerts whose `incidentId` is this id (as a number).
 */
export interface SimIncident {
  id: string;
  displayName: string;
  description: string | null;
  /** Graph alertSeverity: unknown, informational, low, medium, high. */
  severity: string;
  /** Graph incidentStatus: active, resolved, inProgress, redirected, awaitingAction. */
  status: string;
  classification: string;
  determination: string;
  assignedTo: string | null;
  customTags: string[];
  systemTags: string[];
  comments: SimAlertComment[];
  createdDateTime: string;
  lastUpdateDateTime: string;
  redirectIncidentId: string | null;
  tenantId: string;
}

export type SimAction = Record<string, unknown> & {
  id: string;
  type: string;
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';
  machineId: string;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
};

export type HuntingType = 'String' | 'DateTime' | 'Int64' | 'Int32' | 'Boolean' | 'Double' | 'TimeSpan' | 'Dynamic';
export type HuntingValue = string | number | boolean | null;
export type HuntingRow = Record<string, HuntingValue>;

export interface HuntingTable {
  name: string;
  columns: { name: string; type: HuntingType }[];
  /** DateTime values are epoch milliseconds; they are formatted on output. */
  rows: HuntingRow[];
}

export interface SimState {
  /** Ordered by alertCreationTime ascending (newest last); late arrivals are inserted in place. */
  alerts: SimAlert[];
  /** Ordered by createdDateTime ascending; alerts point at them through `incidentId`. */
  incidents: SimIncident[];
  machines: SimMachine[];
  /** Simulator-only machine state (isolation), keyed by machine id; never sent on MDE routes. */
  machineInternal: Map<string, MachineInternal>;
  actions: SimAction[];
  tables: Record<string, HuntingTable>;
  /** Hunting rows by table name: the same arrays as `tables[name].rows` (DateTime values are epoch ms). */
  events: Record<string, HuntingRow[]>;
  /** Custom indicators (ti-indicator.md), oldest first. */
  indicators: SimIndicator[];
}

/** The Indicator entity as the list / submit answers carry it (ti-indicator.md, mde-api.md §5.4). */
export interface SimIndicator extends Record<string, unknown> {
  id: string;
  indicatorValue: string;
  indicatorType: string;
  action: string;
  application: string | null;
  source: string;
  sourceType: 'User' | 'AadApp';
  createdBy: string;
  createdByDisplayName: string;
  createdBySource: 'PublicApi' | 'Portal';
  severity: string;
  category: number;
  title: string;
  description: string;
  recommendedActions: string | null;
  creationTimeDateTimeUtc: string;
  expirationTime: string | null;
  lastUpdateTime: string;
  lastUpdatedBy: string;
  rbacGroupNames: string[];
  rbacGroupIds: number[];
  generateAlert: boolean;
  educateUrl: string | null;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  tls?: { keyPem: string; certPem: string };
  /** Key + certificate registered for DEMO.apps.certificate (default: generated once per process). */
  demoCertificate?: { keyPem: string; certPem: string };
  seed?: number;
  machines?: number;
  alerts?: number;
  processEvents?: number;
  networkEvents?: number;
  fileEvents?: number;
  tokenLifetimeSec?: number;
  actionTimings?: { pendingMs?: number; inProgressMs?: number };
  /** Final status of an action: a function, or a map machine id (or computer name) → outcome. */
  actionOutcome?: ((action: SimAction) => ActionOutcome) | Record<string, ActionOutcome>;
  duplicateActionMode?: 'error' | 'return-existing';
  /** How long an investigation package SAS link stays valid (get-package-sas-uri.md: "a short time"; default 10 min). */
  packageLinkTtlMs?: number;
  pageSize?: number;
  /** post-ti-indicator.md: "There's a limit of 15,000 active indicators per tenant" (default 15000). */
  maxActiveIndicators?: number;
  rateLimits?: RateLimitConfig;
  faults?: Faults;
  /** Extra apps, or replacements for demo apps with the same clientId. */
  apps?: Partial<SimApp>[];
  /** Extra tenants (the demo tenants are always present unless replaced by id). */
  tenants?: SimTenant[];
  newAlertIntervalMs?: number;
  /** Every so often an analyst in the portal picks up a New alert (InProgress, assigned): 0 = off. */
  alertUpdateIntervalMs?: number;
  /** Graph alerts_v2 / incidents page size when the request has no $top (the service's is not documented; default 100). */
  graphPageSize?: number;
  /** Graph: a page cut by $top still carries @odata.nextLink (default true); false answers like an API that treats $top as "only these". */
  graphNextLinkWithTop?: boolean;
  /**
   * GET /machines answers 404 (not 200 with an empty list) when nothing matches, as the service
   * does (get-machines.md: "If there are no recent machines, you see 404 Not Found"). Default true.
   */
  emptyMachinesAs404?: boolean;
  /** HTTP status for a valid token whose audience is not the MDE API (401 or 403). */
  wrongAudienceStatus?: 401 | 403;
  /**
   * Audiences a host name accepts, replacing the defaults for that host (host-audiences.ts), e.g.
   * `{ 'api-gov.securitycenter.microsoft.us': ['https://api-gov.securitycenter.microsoft.us'] }`.
   */
  hostAudiences?: Record<string, string[]>;
  /** Hunting result byte cap (default 124 MB). */
  maxHuntingResultBytes?: number;
  /** Hunting row cap (default 100 000). */
  maxHuntingRows?: number;
  /** Keep at most this many request-log entries (default 10 000). */
  maxLogEntries?: number;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

export type { SimApp, SimTenant };

export interface SimRequest {
  method: string;
  /** Decoded path without the query string. */
  path: string;
  query: URLSearchParams;
  rawQuery: string;
  headers: import('node:http').IncomingHttpHeaders;
  body: Buffer;
  /** `https://<Host header>`: used for every absolute URL the simulator prints. */
  origin: string;
  log: RequestLogEntry;
}
