// Values and filters for the Graph security API (alerts_v2, incidents), from Graph's reference
// pages: enum members (security-alert.md, security-incident.md), the $filter properties each
// list documents (security-list-alerts_v2.md, security-list-incidents.md), and the documented
// classification → determination pairs (the update pages of the MDE alert API and the Defender
// XDR incident API; Graph's own pages list the members but not the pairs).
// Every value is validated and quoted here; a wrong type is refused, never converted.
import { MdeInputError } from '../errors';
import { freeText, odataString } from '../mde/odata';
import type { TimeRange } from '../types';
import { describe } from '../validate';

export const GRAPH_SEVERITIES = ['unknown', 'informational', 'low', 'medium', 'high'] as const;
export const GRAPH_ALERT_STATUSES = ['unknown', 'new', 'inProgress', 'resolved'] as const;
export const GRAPH_INCIDENT_STATUSES = ['active', 'resolved', 'inProgress', 'redirected', 'awaitingAction'] as const;
export const GRAPH_CLASSIFICATIONS = ['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity'] as const;
export const GRAPH_DETERMINATIONS = [
  'unknown', 'apt', 'malware', 'securityPersonnel', 'securityTesting', 'unwantedSoftware', 'other', 'multiStagedAttack', 'compromisedAccount',
  'phishing', 'maliciousUserActivity', 'notMalicious', 'notEnoughDataToValidate', 'confirmedActivity', 'lineOfBusinessApplication',
] as const;
/** Spellings other Graph pages print for the same members (the property descriptions, the update pages). */
export const GRAPH_DETERMINATION_ALIASES: Readonly<Record<string, string>> = {
  compromisedUser: 'compromisedAccount',
  clean: 'notMalicious',
  insufficientData: 'notEnoughDataToValidate',
  confirmedUserActivity: 'confirmedActivity',
};
export const GRAPH_SERVICE_SOURCES = [
  'unknown', 'microsoftDefenderForEndpoint', 'microsoftDefenderForIdentity', 'microsoftDefenderForCloudApps', 'microsoftDefenderForOffice365',
  'microsoft365Defender', 'azureAdIdentityProtection', 'microsoftAppGovernance', 'dataLossPrevention', 'microsoftDefenderForCloud',
] as const;
export const GRAPH_DETECTION_SOURCES = [
  'unknown', 'microsoftDefenderForEndpoint', 'antivirus', 'smartScreen', 'customTi', 'microsoftDefenderForOffice365', 'automatedInvestigation',
  'microsoftThreatExperts', 'customDetection', 'microsoftDefenderForIdentity', 'cloudAppSecurity', 'microsoft365Defender', 'azureAdIdentityProtection',
  'manual', 'microsoftDataLossPrevention', 'appGovernancePolicy', 'appGovernanceDetection', 'microsoftDefenderForCloud', 'microsoftDefenderForIoT',
  'microsoftDefenderForServers', 'microsoftDefenderForStorage', 'microsoftDefenderForDNS', 'microsoftDefenderForDatabases',
  'microsoftDefenderForContainers', 'microsoftDefenderForNetwork', 'microsoftDefenderForAppService', 'microsoftDefenderForKeyVault',
  'microsoftDefenderForResourceManager', 'microsoftDefenderForApiManagement',
] as const;

/**
 * The documented pairs. MDE update-alert.md and Defender XDR api-update-incidents.md list, per
 * classification: True positive → multistage attack, malicious user activity, compromised account,
 * malware, phishing, unwanted software, other; Informational, expected activity → security test,
 * line-of-business application, confirmed activity, other; False positive → not malicious, not
 * enough data to validate, other. `apt` and `securityPersonnel` were retired in August 2022.
 */
export const DETERMINATIONS_BY_CLASSIFICATION: Readonly<Record<string, readonly string[]>> = {
  truePositive: ['multiStagedAttack', 'maliciousUserActivity', 'compromisedAccount', 'malware', 'phishing', 'unwantedSoftware', 'other'],
  informationalExpectedActivity: ['securityTesting', 'lineOfBusinessApplication', 'confirmedActivity', 'other'],
  falsePositive: ['notMalicious', 'notEnoughDataToValidate', 'other'],
};

/** `alert` / `incident` statuses an update may set (the update pages' lists, without sentinels). */
export const GRAPH_ALERT_UPDATE_STATUSES = ['new', 'inProgress', 'resolved'] as const;
/** security-incident-update.md lists active, resolved, redirected; redirected is the service's merge result. */
export const GRAPH_INCIDENT_UPDATE_STATUSES = ['active', 'resolved'] as const;

/** Case-insensitive match on a member list (plus documented aliases); the canonical member or an error naming the field. */
export function graphEnum(list: readonly string[], v: unknown, label: string, aliases: Readonly<Record<string, string>> = {}): string {
  if (typeof v !== 'string') throw new MdeInputError(`${label} must be text, got ${describe(v)}. Use one of: ${list.join(', ')}.`);
  const key = v.trim().toLowerCase();
  const hit = list.find((m) => m.toLowerCase() === key) ?? Object.entries(aliases).find(([a]) => a.toLowerCase() === key)?.[1];
  if (!hit) throw new MdeInputError(`${label} ${describe(v)} is not valid. Use one of: ${list.join(', ')}.`);
  return hit;
}

export const graphSeverity = (v: unknown): string => graphEnum(GRAPH_SEVERITIES, v, 'Severity');
export const graphAlertStatus = (v: unknown): string => graphEnum(GRAPH_ALERT_STATUSES, v, 'Alert status');
export const graphIncidentStatus = (v: unknown): string => graphEnum(GRAPH_INCIDENT_STATUSES, v, 'Incident status');
export const graphClassification = (v: unknown): string => graphEnum(GRAPH_CLASSIFICATIONS, v, 'Classification');
export const graphDetermination = (v: unknown): string => graphEnum(GRAPH_DETERMINATIONS, v, 'Determination', GRAPH_DETERMINATION_ALIASES);
export const graphServiceSource = (v: unknown): string => graphEnum(GRAPH_SERVICE_SOURCES, v, 'Service source');
export const graphDetectionSource = (v: unknown): string => graphEnum(GRAPH_DETECTION_SOURCES, v, 'Detection source');

/**
 * A classification with its determination, checked against the documented pairs. Both are
 * required: setting one alone could leave an undocumented pair on the alert or incident.
 */
export function classificationPair(classification: unknown, determination: unknown): { classification: string; determination: string } {
  if (classification === undefined && determination === undefined) throw new MdeInputError('Give a classification and a determination.');
  if (classification === undefined || classification === null || classification === '') {
    throw new MdeInputError(`A determination (${describe(determination)}) needs its classification: truePositive, informationalExpectedActivity or falsePositive.`);
  }
  const c = graphClassification(classification);
  const allowed = DETERMINATIONS_BY_CLASSIFICATION[c];
  if (!allowed) throw new MdeInputError(`Classification ${describe(classification)} cannot be set: use truePositive, informationalExpectedActivity or falsePositive.`);
  if (determination === undefined || determination === null || determination === '') {
    throw new MdeInputError(`Classification ${c} needs a determination: one of ${allowed.join(', ')}.`);
  }
  const d = graphDetermination(determination);
  if (!allowed.includes(d)) {
    throw new MdeInputError(`Determination ${d} does not go with classification ${c}: use one of ${allowed.join(', ')}.`, {
      hint: 'the documented pairs are truePositive → multiStagedAttack, maliciousUserActivity, compromisedAccount, malware, phishing, unwantedSoftware, other; informationalExpectedActivity → securityTesting, lineOfBusinessApplication, confirmedActivity, other; falsePositive → notMalicious, notEnoughDataToValidate, other.',
    });
  }
  return { classification: c, determination: d };
}

/** A whole number in [min, max]; text such as "50" is refused, not converted. */
export function wholeNumber(v: unknown, label: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new MdeInputError(`${label} must be a whole number from ${min} to ${max}, got ${describe(v)}.`);
  return v;
}

// ---------------------------------------------------------------- time literals

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * An unquoted Edm.DateTimeOffset literal. ISO text is kept as written (7 fractional digits are
 * not rounded to milliseconds, so a checkpoint equal to an alert's timestamp still matches it).
 */
export function graphDateTime(v: unknown, label: string): string {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new MdeInputError(`${label} is not a valid date.`);
    return v.toISOString();
  }
  if (typeof v !== 'string') throw new MdeInputError(`${label} must be a Date or ISO 8601 text with a time zone such as 2026-01-31T10:00:00Z, got ${describe(v)}.`);
  const s = v.trim();
  if (!ISO_RE.test(s) || Number.isNaN(Date.parse(s))) throw new MdeInputError(`${label} ${describe(v)} is not ISO 8601 date-time text with a time zone, such as 2026-01-31T10:00:00Z.`);
  return s;
}

/** Epoch ms with 100 ns kept in a fraction, for comparing two literals. */
function instant(literal: string): number {
  const frac = /\.(\d+)/.exec(literal)?.[1] ?? '';
  return Date.parse(literal) + Number(`0.${frac.slice(3, 7).padEnd(4, '0')}`);
}

function timeRange(prop: string, range: unknown, label: string): string[] {
  if (range === undefined || range === null) return [];
  if (typeof range !== 'object' || Array.isArray(range) || range instanceof Date) throw new MdeInputError(`${label} must be an object { from?, to }, got ${describe(range)}.`);
  const r = range as TimeRange & Record<string, unknown>;
  const extra = Object.keys(r).find((k) => k !== 'from' && k !== 'to');
  if (extra) throw new MdeInputError(`${label} has an unknown key "${extra}": use from and to.`);
  const parts: string[] = [];
  const from = r.from === undefined ? undefined : graphDateTime(r.from, `${label}.from`);
  const to = r.to === undefined ? undefined : graphDateTime(r.to, `${label}.to`);
  if (from !== undefined && to !== undefined && instant(from) > instant(to)) throw new MdeInputError(`${label}: "from" (${from}) is later than "to" (${to}).`);
  if (from !== undefined) parts.push(`${prop} ge ${from}`);
  if (to !== undefined) parts.push(`${prop} le ${to}`);
  return parts;
}

// ---------------------------------------------------------------- filters

function list(v: unknown, label: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MdeInputError(`${label} must be a list (array) of values, got ${describe(v)}.`);
  return v;
}

function anyOf(prop: string, values: string[]): string {
  const unique = [...new Set(values)];
  if (unique.length === 1) return `${prop} eq ${odataString(unique[0], prop)}`;
  return `(${unique.map((v) => `${prop} eq ${odataString(v, prop)}`).join(' or ')})`;
}

/** Owner filter: text, or null for "not assigned". */
function assigned(v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === null) return 'assignedTo eq null';
  return `assignedTo eq ${odataString(freeText(v, 'Assigned to'), 'Assigned to')}`;
}

export interface FilterSpec {
  severity?: unknown;
  status?: unknown;
  classification?: unknown;
  determination?: unknown;
  assignedTo?: unknown;
  createdDateTime?: unknown;
  lastUpdateDateTime?: unknown;
}

/** The common part of both lists' $filter (the properties both pages document). */
export function commonFilterParts(q: FilterSpec, statusOf: (v: unknown) => string): string[] {
  const parts: string[] = [];
  const sev = list(q.severity, 'Severity').map(graphSeverity);
  if (sev.length) parts.push(anyOf('severity', sev));
  const st = list(q.status, 'Status').map(statusOf);
  if (st.length) parts.push(anyOf('status', st));
  const cls = list(q.classification, 'Classification').map(graphClassification);
  if (cls.length) parts.push(anyOf('classification', cls));
  const det = list(q.determination, 'Determination').map(graphDetermination);
  if (det.length) parts.push(anyOf('determination', det));
  const owner = assigned(q.assignedTo);
  if (owner) parts.push(owner);
  parts.push(...timeRange('createdDateTime', q.createdDateTime, 'createdDateTime'));
  parts.push(...timeRange('lastUpdateDateTime', q.lastUpdateDateTime, 'lastUpdateDateTime'));
  return parts;
}

export { list as valueList, anyOf as anyOfFilter };
