// How one stored alert looks on Microsoft Graph (`/security/alerts_v2`): the same record the MDE
// API serves, with Graph's field names and camelCase enum members (Graph reference pages
// security-alert.md, security-alertevidence.md and the evidence types), and the reverse
// mapping for Graph updates. Incidents are stored in Graph's shape already; this adds the
// computed fields (incidentWebUrl, @odata.type).
import type { SimAlert, SimAlertComment, SimIncident, SimMachine } from './types';

export const GRAPH_ALERT_TYPE = 'microsoft.graph.security.alert';
export const GRAPH_INCIDENT_TYPE = 'microsoft.graph.security.incident';
const PORTAL = 'https://security.microsoft.com';

// ---------------------------------------------------------------- enums (security-alert.md)

export const GRAPH_SEVERITIES = ['unknown', 'informational', 'low', 'medium', 'high'] as const;
export const GRAPH_ALERT_STATUSES = ['unknown', 'new', 'inProgress', 'resolved'] as const;
export const GRAPH_CLASSIFICATIONS = ['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity'] as const;
/** The alertDetermination members table (the metadata's names). */
export const GRAPH_DETERMINATIONS = [
  'unknown', 'apt', 'malware', 'securityPersonnel', 'securityTesting', 'unwantedSoftware', 'other', 'multiStagedAttack',
  'compromisedAccount', 'phishing', 'maliciousUserActivity', 'notMalicious', 'notEnoughDataToValidate', 'confirmedActivity',
  'lineOfBusinessApplication',
] as const;
/** Other spellings the Graph pages print for the same members (property descriptions, update pages). */
export const GRAPH_DETERMINATION_ALIASES: Record<string, string> = {
  compromisedUser: 'compromisedAccount',
  clean: 'notMalicious',
  insufficientData: 'notEnoughDataToValidate',
  confirmedUserActivity: 'confirmedActivity',
};
export const GRAPH_SERVICE_SOURCES = [
  'unknown', 'microsoftDefenderForEndpoint', 'microsoftDefenderForIdentity', 'microsoftDefenderForCloudApps', 'microsoftDefenderForOffice365',
  'microsoft365Defender', 'azureAdIdentityProtection', 'microsoftAppGovernance', 'dataLossPrevention', 'microsoftDefenderForCloud',
] as const;
/** incidentStatus members (security-incident.md). */
export const GRAPH_INCIDENT_STATUSES = ['active', 'resolved', 'inProgress', 'redirected', 'awaitingAction'] as const;

const SEVERITY_FROM_MDE: Record<string, string> = { UnSpecified: 'unknown', Informational: 'informational', Low: 'low', Medium: 'medium', High: 'high' };
const STATUS_FROM_MDE: Record<string, string> = { Unknown: 'unknown', New: 'new', InProgress: 'inProgress', Resolved: 'resolved' };
const DETERMINATION_FROM_MDE: Record<string, string> = {
  MultiStagedAttack: 'multiStagedAttack', MaliciousUserActivity: 'maliciousUserActivity', CompromisedUser: 'compromisedAccount',
  CompromisedAccount: 'compromisedAccount', Malware: 'malware', Phishing: 'phishing', UnwantedSoftware: 'unwantedSoftware', Other: 'other',
  SecurityTesting: 'securityTesting', LineOfBusinessApplication: 'lineOfBusinessApplication', ConfirmedUserActivity: 'confirmedActivity',
  ConfirmedActivity: 'confirmedActivity', Clean: 'notMalicious', NotMalicious: 'notMalicious', InsufficientData: 'notEnoughDataToValidate',
  NotEnoughDataToValidate: 'notEnoughDataToValidate', NoEnoughDataToValidate: 'notEnoughDataToValidate', Apt: 'apt', SecurityPersonnel: 'securityPersonnel',
};
/** Graph member → the spelling the MDE alert entity page uses (alerts.md), for the stored record. */
const DETERMINATION_TO_MDE: Record<string, string> = {
  compromisedAccount: 'CompromisedUser', notMalicious: 'Clean', notEnoughDataToValidate: 'InsufficientData', confirmedActivity: 'ConfirmedUserActivity',
};
/** MDE detection sources seen in the API (mde-api.md §5.1) → Graph detectionSource members. */
const DETECTION_SOURCE_FROM_MDE: Record<string, string> = {
  WindowsDefenderAtp: 'microsoftDefenderForEndpoint', WindowsDefenderAv: 'antivirus', CustomerTI: 'customTi', AutomatedInvestigation: 'automatedInvestigation',
  CustomDetection: 'customDetection', SmartScreen: 'smartScreen',
};

const lowerFirst = (s: string): string => (s ? s[0]!.toLowerCase() + s.slice(1) : s);
const upperFirst = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

export const graphSeverity = (mde: unknown): string => SEVERITY_FROM_MDE[String(mde)] ?? 'unknown';
export const graphAlertStatus = (mde: unknown): string => STATUS_FROM_MDE[String(mde)] ?? 'unknown';
export const graphClassification = (mde: unknown): string => (typeof mde === 'string' && mde ? lowerFirst(mde) : 'unknown');
export const graphDetermination = (mde: unknown): string => (typeof mde === 'string' && mde ? DETERMINATION_FROM_MDE[mde] ?? lowerFirst(mde) : 'unknown');
export const graphDetectionSource = (mde: unknown): string => DETECTION_SOURCE_FROM_MDE[String(mde)] ?? 'unknown';

/** Graph update values → the stored (MDE) record's spelling. */
export const mdeStatus = (g: string): string => upperFirst(g);
export const mdeClassification = (g: string): string | null => (g === 'unknown' ? null : upperFirst(g));
export const mdeDetermination = (g: string): string | null => (g === 'unknown' ? null : DETERMINATION_TO_MDE[g] ?? upperFirst(g));

/** Case-insensitive member lookup (the Graph update example sends "TruePositive"); undefined when not a member. */
export function enumMember(members: readonly string[], value: unknown, aliases: Record<string, string> = {}): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.toLowerCase();
  const hit = members.find((m) => m.toLowerCase() === v);
  if (hit) return hit;
  const alias = Object.keys(aliases).find((a) => a.toLowerCase() === v);
  return alias ? aliases[alias] : undefined;
}

// ---------------------------------------------------------------- alert

/** The filterable values of an alert on Graph, without building the whole view (list filters). */
export function graphAlertFilterValues(a: SimAlert): Record<string, unknown> {
  return {
    assignedTo: a.assignedTo ?? null,
    classification: graphClassification(a.classification),
    determination: graphDetermination(a.determination),
    createdDateTime: a.alertCreationTime,
    lastUpdateDateTime: a.lastUpdateTime,
    severity: graphSeverity(a.severity),
    serviceSource: 'microsoftDefenderForEndpoint',
    status: graphAlertStatus(a.status),
  };
}

const RECOMMENDED: Record<string, string> = {
  Execution: 'Review the process tree on the device timeline, check the command line and the parent process, and isolate the device if the activity is not expected.',
  CommandAndControl: 'Block the remote address and URL, look for other devices that contacted them, and collect the downloaded files for analysis.',
  DefenseEvasion: 'Check which file the signed binary loaded, submit it for analysis, and look for the same pattern on other devices.',
  Malware: 'Confirm the file was quarantined, run a full antivirus scan, and find where the file came from.',
  Discovery: 'Check whether the account should run directory queries and review its recent sign-ins.',
  CredentialAccess: 'Isolate the device, reset the passwords of accounts signed in on it, and look for lateral movement.',
  Persistence: 'Remove the scheduled task and the program it starts, and check other devices for the same task.',
};

function comments(list: SimAlert['comments']): SimAlertComment[] {
  return list.map((c) => ({ comment: c.comment, createdByDisplayName: c.createdBy, createdDateTime: c.createdTime }));
}

export function graphAlertView(a: SimAlert, machine: SimMachine | undefined): Record<string, unknown> {
  const tid = String(a.aadTenantId ?? '');
  const incidentId = a.incidentId === null || a.incidentId === undefined ? null : String(a.incidentId);
  return {
    '@odata.type': `#${GRAPH_ALERT_TYPE}`,
    id: a.id,
    providerAlertId: a.id,
    incidentId,
    status: graphAlertStatus(a.status),
    severity: graphSeverity(a.severity),
    classification: graphClassification(a.classification),
    determination: graphDetermination(a.determination),
    serviceSource: 'microsoftDefenderForEndpoint',
    detectionSource: graphDetectionSource(a.detectionSource),
    detectorId: a.detectorId ?? null,
    tenantId: tid,
    title: a.title ?? null,
    description: a.description ?? null,
    recommendedActions: RECOMMENDED[String(a.category)] ?? 'Investigate the device timeline around the time of the alert.',
    category: a.category ?? null,
    assignedTo: a.assignedTo ?? null,
    alertWebUrl: `${PORTAL}/alerts/${encodeURIComponent(a.id)}?tid=${tid}`,
    incidentWebUrl: incidentId ? `${PORTAL}/incidents/${incidentId}?tid=${tid}` : null,
    actorDisplayName: null,
    threatDisplayName: a.threatName ?? null,
    threatFamilyName: a.threatFamilyName ?? null,
    mitreTechniques: Array.isArray(a.mitreTechniques) ? [...(a.mitreTechniques as string[])] : [],
    createdDateTime: a.alertCreationTime,
    lastUpdateDateTime: a.lastUpdateTime,
    resolvedDateTime: a.resolvedTime ?? null,
    firstActivityDateTime: a.firstEventTime ?? null,
    lastActivityDateTime: a.lastEventTime ?? null,
    comments: comments(a.comments),
    evidence: graphEvidence(a, machine),
    systemTags: [],
  };
}

// ---------------------------------------------------------------- evidence

const REMEDIATION_FROM_DETECTION: Record<string, string> = { Blocked: 'blocked', Prevented: 'prevented' };

function base(type: string, createdDateTime: unknown, detectionStatus?: unknown): Record<string, unknown> {
  return {
    '@odata.type': `#microsoft.graph.security.${type}`,
    createdDateTime: createdDateTime ?? null,
    verdict: 'unknown',
    remediationStatus: REMEDIATION_FROM_DETECTION[String(detectionStatus)] ?? 'none',
    remediationStatusDetails: null,
    roles: [],
    detailedRoles: [],
    tags: [],
  };
}

function fileDetails(e: Record<string, unknown>, name: unknown, path: unknown): Record<string, unknown> {
  return { sha1: e.sha1 ?? null, sha256: e.sha256 ?? null, fileName: name ?? null, filePath: path ?? null, fileSize: null, filePublisher: null, signer: null, issuer: null };
}

const detection = (v: unknown): string | null => (typeof v === 'string' && v ? lowerFirst(v) : null);

function deviceEvidence(a: SimAlert, m: SimMachine | undefined): Record<string, unknown> {
  return {
    ...base('deviceEvidence', a.alertCreationTime),
    roles: ['compromised'],
    firstSeenDateTime: m?.firstSeen ?? null,
    mdeDeviceId: a.machineId,
    azureAdDeviceId: m?.aadDeviceId ?? null,
    deviceDnsName: a.computerDnsName,
    osPlatform: m?.osPlatform ?? null,
    osBuild: m?.osBuild ?? null,
    version: m?.version ?? null,
    healthStatus: m ? lowerFirst(m.healthStatus) : null,
    riskScore: m ? lowerFirst(m.riskScore) : null,
    rbacGroupId: m?.rbacGroupId ?? null,
    rbacGroupName: m?.rbacGroupName ?? null,
    onboardingStatus: m ? lowerFirst(m.onboardingStatus) : null,
    defenderAvStatus: m ? lowerFirst(m.defenderAvStatus) : null,
    ipInterfaces: m ? m.ipAddresses.map((i) => i.ipAddress) : [],
    loggedOnUsers: Array.isArray(a.loggedOnUsers) ? (a.loggedOnUsers as { accountName: string; domainName: string }[]).map((u) => ({ accountName: u.accountName, domainName: u.domainName })) : [],
    tags: m ? [...m.machineTags] : [],
    vmMetadata: null,
  };
}

/** MDE evidence items (mde-api.md §5.1) as Graph evidence types, after a deviceEvidence for the alert's device. */
export function graphEvidence(a: SimAlert, machine: SimMachine | undefined): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [deviceEvidence(a, machine)];
  for (const e of a.evidence) {
    const at = e.evidenceCreationTime;
    switch (e.entityType) {
      case 'File':
        out.push({ ...base('fileEvidence', at, e.detectionStatus), detectionStatus: detection(e.detectionStatus), mdeDeviceId: a.machineId, fileDetails: fileDetails(e, e.fileName, e.filePath) });
        break;
      case 'Process':
        out.push({
          ...base('processEvidence', at, e.detectionStatus),
          processId: e.processId ?? null,
          parentProcessId: e.parentProcessId ?? null,
          processCommandLine: e.processCommandLine ?? null,
          processCreationDateTime: e.processCreationTime ?? null,
          parentProcessCreationDateTime: e.parentProcessCreationTime ?? null,
          detectionStatus: detection(e.detectionStatus),
          mdeDeviceId: a.machineId,
          imageFile: fileDetails(e, e.fileName, e.filePath),
          parentProcessImageFile: { sha1: null, sha256: null, fileName: e.parentProcessFileName ?? null, filePath: e.parentProcessFilePath ?? null, fileSize: null, filePublisher: null, signer: null, issuer: null },
          userAccount: null,
        });
        break;
      case 'User':
        out.push({
          ...base('userEvidence', at),
          userAccount: { accountName: e.accountName ?? null, domainName: e.domainName ?? null, userSid: e.userSid ?? null, azureAdUserId: e.aadUserId ?? null, userPrincipalName: e.userPrincipalName ?? null, displayName: null },
        });
        break;
      case 'Ip':
        out.push({ ...base('ipEvidence', at), ipAddress: e.ipAddress ?? null, countryLetterCode: null });
        break;
      case 'Url':
        out.push({ ...base('urlEvidence', at), url: e.url ?? null });
        break;
      default:
        if (typeof e.registryKey === 'string') {
          out.push({ ...base(e.registryValue === null || e.registryValue === undefined ? 'registryKeyEvidence' : 'registryValueEvidence', at), registryKey: e.registryKey, registryHive: e.registryHive ?? null, ...(e.registryValue === null || e.registryValue === undefined ? {} : { registryValue: e.registryValue, registryValueName: null, registryValueType: e.registryValueType ?? null, mdeDeviceId: a.machineId }) });
        }
    }
  }
  return out;
}

// ---------------------------------------------------------------- incident

export function graphIncidentView(i: SimIncident, alerts?: Record<string, unknown>[]): Record<string, unknown> {
  const view: Record<string, unknown> = {
    '@odata.type': `#${GRAPH_INCIDENT_TYPE}`,
    id: i.id,
    incidentWebUrl: `${PORTAL}/incidents/${i.id}?tid=${i.tenantId}`,
    redirectIncidentId: i.redirectIncidentId,
    tenantId: i.tenantId,
    displayName: i.displayName,
    createdDateTime: i.createdDateTime,
    lastUpdateDateTime: i.lastUpdateDateTime,
    assignedTo: i.assignedTo,
    classification: i.classification,
    determination: i.determination,
    status: i.status,
    severity: i.severity,
    customTags: [...i.customTags],
    comments: i.comments.map((c) => ({ ...c })),
    systemTags: [...i.systemTags],
    description: i.description,
  };
  if (alerts) view.alerts = alerts;
  return view;
}

export function graphIncidentFilterValues(i: SimIncident): Record<string, unknown> {
  return {
    assignedTo: i.assignedTo,
    classification: i.classification,
    createdDateTime: i.createdDateTime,
    determination: i.determination,
    lastUpdateDateTime: i.lastUpdateDateTime,
    severity: i.severity,
    status: i.status,
  };
}
