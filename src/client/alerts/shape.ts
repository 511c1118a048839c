// One alert shape whichever API served it: an MDE API alert (`/api/alerts`, mde-api.md §5.1)
// mapped to Graph's alert (security-alert.md, security-alertevidence.md). What the MDE API cannot
// supply stays null; docs/alert-shape.md lists every difference.
import type { Alert, GraphAlert, GraphAlertComment, GraphAlertEvidence } from '../types';

const DEFAULT_PORTAL = 'https://security.microsoft.com';

const lowerFirst = (s: string): string => (s ? s[0]!.toLowerCase() + s.slice(1) : s);

const SEVERITY: Record<string, string> = { UnSpecified: 'unknown', Informational: 'informational', Low: 'low', Medium: 'medium', High: 'high' };
const STATUS: Record<string, string> = { Unknown: 'unknown', New: 'new', InProgress: 'inProgress', Resolved: 'resolved' };
/** MDE spellings (both its pages' variants) → Graph alertDetermination members. */
const DETERMINATION: Record<string, string> = {
  MultiStagedAttack: 'multiStagedAttack', MaliciousUserActivity: 'maliciousUserActivity', CompromisedUser: 'compromisedAccount', CompromisedAccount: 'compromisedAccount',
  Malware: 'malware', Phishing: 'phishing', UnwantedSoftware: 'unwantedSoftware', Other: 'other', SecurityTesting: 'securityTesting',
  LineOfBusinessApplication: 'lineOfBusinessApplication', ConfirmedUserActivity: 'confirmedActivity', ConfirmedActivity: 'confirmedActivity',
  Clean: 'notMalicious', NotMalicious: 'notMalicious', InsufficientData: 'notEnoughDataToValidate', NotEnoughDataToValidate: 'notEnoughDataToValidate',
  NoEnoughDataToValidate: 'notEnoughDataToValidate', Apt: 'apt', SecurityPersonnel: 'securityPersonnel', NotAvailable: 'unknown',
};
/** MDE detection sources seen in the API → Graph detectionSource members (unlisted ones: unknown). */
const DETECTION_SOURCE: Record<string, string> = {
  WindowsDefenderAtp: 'microsoftDefenderForEndpoint', WindowsDefenderAv: 'antivirus', CustomerTI: 'customTi', AutomatedInvestigation: 'automatedInvestigation',
  CustomDetection: 'customDetection', SmartScreen: 'smartScreen',
};
const REMEDIATION: Record<string, string> = { Blocked: 'blocked', Prevented: 'prevented' };

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const orNull = (v: unknown): unknown => (v === undefined ? null : v);

export interface AlertShapeOptions {
  /** Defender portal for alertWebUrl / incidentWebUrl (the connection's cloud; default commercial). */
  portalUrl?: string;
}

function evidenceBase(type: string, createdDateTime: unknown, detectionStatus?: unknown): GraphAlertEvidence {
  return {
    '@odata.type': `#microsoft.graph.security.${type}`,
    createdDateTime: orNull(createdDateTime),
    verdict: 'unknown',
    remediationStatus: REMEDIATION[String(detectionStatus)] ?? 'none',
    remediationStatusDetails: null,
    roles: [],
    detailedRoles: [],
    tags: [],
  };
}

function fileDetails(e: Record<string, unknown>, name: unknown, path: unknown): Record<string, unknown> {
  return { sha1: orNull(e.sha1), sha256: orNull(e.sha256), fileName: orNull(name), filePath: orNull(path), fileSize: null, filePublisher: null, signer: null, issuer: null };
}

const detection = (v: unknown): string | null => (typeof v === 'string' && v ? lowerFirst(v) : null);

function mapEvidence(a: Alert): GraphAlertEvidence[] {
  const loggedOn = Array.isArray(a.loggedOnUsers) ? (a.loggedOnUsers as Record<string, unknown>[]) : [];
  const device: GraphAlertEvidence = {
    ...evidenceBase('deviceEvidence', a.alertCreationTime),
    roles: ['compromised'],
    firstSeenDateTime: null,
    mdeDeviceId: orNull(a.machineId),
    azureAdDeviceId: null,
    deviceDnsName: orNull(a.computerDnsName),
    osPlatform: null,
    osBuild: null,
    version: null,
    healthStatus: null,
    riskScore: null,
    rbacGroupId: null,
    rbacGroupName: orNull(a.rbacGroupName),
    onboardingStatus: null,
    defenderAvStatus: null,
    ipInterfaces: [],
    loggedOnUsers: loggedOn.map((u) => ({ accountName: orNull(u.accountName), domainName: orNull(u.domainName) })),
    vmMetadata: null,
  };
  const out: GraphAlertEvidence[] = a.machineId ? [device] : [];
  for (const raw of Array.isArray(a.evidence) ? (a.evidence as Record<string, unknown>[]) : []) {
    const e = raw ?? {};
    const at = e.evidenceCreationTime;
    switch (e.entityType) {
      case 'File':
        out.push({ ...evidenceBase('fileEvidence', at, e.detectionStatus), detectionStatus: detection(e.detectionStatus), mdeDeviceId: orNull(a.machineId), fileDetails: fileDetails(e, e.fileName, e.filePath) });
        break;
      case 'Process':
        out.push({
          ...evidenceBase('processEvidence', at, e.detectionStatus),
          processId: orNull(e.processId),
          parentProcessId: orNull(e.parentProcessId),
          processCommandLine: orNull(e.processCommandLine),
          processCreationDateTime: orNull(e.processCreationTime),
          parentProcessCreationDateTime: orNull(e.parentProcessCreationTime),
          detectionStatus: detection(e.detectionStatus),
          mdeDeviceId: orNull(a.machineId),
          imageFile: fileDetails(e, e.fileName, e.filePath),
          parentProcessImageFile: { sha1: null, sha256: null, fileName: orNull(e.parentProcessFileName), filePath: orNull(e.parentProcessFilePath), fileSize: null, filePublisher: null, signer: null, issuer: null },
          userAccount: null,
        });
        break;
      case 'User':
        out.push({
          ...evidenceBase('userEvidence', at),
          userAccount: { accountName: orNull(e.accountName), domainName: orNull(e.domainName), userSid: orNull(e.userSid), azureAdUserId: orNull(e.aadUserId), userPrincipalName: orNull(e.userPrincipalName), displayName: null },
        });
        break;
      case 'Ip':
        out.push({ ...evidenceBase('ipEvidence', at), ipAddress: orNull(e.ipAddress), countryLetterCode: null });
        break;
      case 'Url':
        out.push({ ...evidenceBase('urlEvidence', at), url: orNull(e.url) });
        break;
      default:
        if (typeof e.registryKey === 'string') {
          const hasValue = e.registryValue !== null && e.registryValue !== undefined;
          out.push({
            ...evidenceBase(hasValue ? 'registryValueEvidence' : 'registryKeyEvidence', at),
            registryKey: e.registryKey,
            registryHive: orNull(e.registryHive),
            ...(hasValue ? { registryValue: e.registryValue, registryValueName: null, registryValueType: orNull(e.registryValueType), mdeDeviceId: orNull(a.machineId) } : {}),
          });
        }
    }
  }
  return out;
}

function mapComments(list: unknown): GraphAlertComment[] {
  if (!Array.isArray(list)) return [];
  return (list as Record<string, unknown>[]).map((c) => ({ comment: String(c?.comment ?? ''), createdByDisplayName: str(c?.createdBy), createdDateTime: str(c?.createdTime) }));
}

/** An MDE API alert in Graph's alert shape. Evidence comes only from `$expand=evidence`. */
export function mdeAlertToGraphAlert(a: Alert, opts: AlertShapeOptions = {}): GraphAlert {
  const portal = (opts.portalUrl ?? DEFAULT_PORTAL).replace(/\/+$/, '');
  const tid = str(a.aadTenantId);
  const incidentId = a.incidentId === null || a.incidentId === undefined ? null : String(a.incidentId);
  const tidQuery = tid ? `?tid=${tid}` : '';
  return {
    '@odata.type': '#microsoft.graph.security.alert',
    id: a.id,
    providerAlertId: a.id,
    incidentId,
    status: STATUS[String(a.status)] ?? 'unknown',
    severity: SEVERITY[String(a.severity)] ?? 'unknown',
    classification: str(a.classification) ? lowerFirst(a.classification as string) : 'unknown',
    determination: str(a.determination) ? DETERMINATION[a.determination as string] ?? lowerFirst(a.determination as string) : 'unknown',
    serviceSource: 'microsoftDefenderForEndpoint',
    detectionSource: DETECTION_SOURCE[String(a.detectionSource)] ?? 'unknown',
    detectorId: str(a.detectorId),
    tenantId: tid,
    title: str(a.title),
    description: str(a.description),
    recommendedActions: null,
    category: str(a.category),
    assignedTo: str(a.assignedTo),
    alertWebUrl: `${portal}/alerts/${encodeURIComponent(a.id)}${tidQuery}`,
    incidentWebUrl: incidentId ? `${portal}/incidents/${incidentId}${tidQuery}` : null,
    actorDisplayName: null,
    threatDisplayName: str(a.threatName),
    threatFamilyName: str(a.threatFamilyName),
    mitreTechniques: Array.isArray(a.mitreTechniques) ? (a.mitreTechniques as unknown[]).map(String) : [],
    createdDateTime: String(a.alertCreationTime ?? ''),
    lastUpdateDateTime: String(a.lastUpdateTime ?? ''),
    resolvedDateTime: str(a.resolvedTime),
    firstActivityDateTime: str(a.firstEventTime),
    lastActivityDateTime: str(a.lastEventTime),
    comments: mapComments(a.comments),
    evidence: mapEvidence(a),
    systemTags: [],
  };
}

/** The devices an alert names (deviceEvidence): what a playbook isolates or hunts on. */
export function alertDevices(alert: Pick<GraphAlert, 'evidence'>): { mdeDeviceId: string; deviceDnsName: string | null }[] {
  const out: { mdeDeviceId: string; deviceDnsName: string | null }[] = [];
  for (const e of Array.isArray(alert.evidence) ? alert.evidence : []) {
    if (e['@odata.type'] !== '#microsoft.graph.security.deviceEvidence' || typeof e.mdeDeviceId !== 'string') continue;
    if (!out.some((d) => d.mdeDeviceId === e.mdeDeviceId)) out.push({ mdeDeviceId: e.mdeDeviceId, deviceDnsName: typeof e.deviceDnsName === 'string' ? e.deviceDnsName : null });
  }
  return out;
}

// ---------------------------------------------------------------- Graph values → MDE API values

const STATUS_TO_MDE: Record<string, string> = { new: 'New', inProgress: 'InProgress', resolved: 'Resolved' };
const CLASSIFICATION_TO_MDE: Record<string, string> = { truePositive: 'TruePositive', informationalExpectedActivity: 'InformationalExpectedActivity', falsePositive: 'FalsePositive' };
/** The names MDE's update-alert.md lists for each pair. */
const DETERMINATION_TO_MDE: Record<string, string> = {
  multiStagedAttack: 'MultiStagedAttack', maliciousUserActivity: 'MaliciousUserActivity', compromisedAccount: 'CompromisedUser', malware: 'Malware',
  phishing: 'Phishing', unwantedSoftware: 'UnwantedSoftware', other: 'Other', securityTesting: 'SecurityTesting', lineOfBusinessApplication: 'LineOfBusinessApplication',
  confirmedActivity: 'ConfirmedActivity', notMalicious: 'NotMalicious', notEnoughDataToValidate: 'InsufficientData',
};

/** A validated Graph update (canonical members) in the MDE API's spelling, for PATCH /api/alerts/{id}. */
export function graphUpdateToMde(u: { status?: string; assignedTo?: string | null; classification?: string; determination?: string }): { status?: string; assignedTo?: string; classification?: string; determination?: string } {
  const out: { status?: string; assignedTo?: string; classification?: string; determination?: string } = {};
  if (u.status !== undefined) out.status = STATUS_TO_MDE[u.status] ?? u.status;
  if (u.assignedTo !== undefined && u.assignedTo !== null) out.assignedTo = u.assignedTo;
  if (u.classification !== undefined) out.classification = CLASSIFICATION_TO_MDE[u.classification] ?? u.classification;
  if (u.determination !== undefined) out.determination = DETERMINATION_TO_MDE[u.determination] ?? u.determination;
  return out;
}
