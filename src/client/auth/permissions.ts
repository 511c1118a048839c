// Application roles each operation needs (mde-api.md §3; Graph: the permissions table of each
// security-* reference page). Each inner list is "any one of".
import type { Audience } from '../types';

export type AnyOf = readonly string[];

const ALERT_READ: AnyOf = ['Alert.Read.All', 'Alert.ReadWrite.All'];
const MACHINE_READ: AnyOf = ['Machine.Read.All', 'Machine.ReadWrite.All'];
const CANCEL_ACTION: AnyOf = ['Machine.CollectForensics', 'Machine.Isolate', 'Machine.RestrictExecution', 'Machine.Scan', 'Machine.Offboard', 'Machine.StopAndQuarantine', 'Machine.LiveResponse'];
const SECURITY_ALERT_READ: AnyOf = ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'];
const SECURITY_ALERT_WRITE: AnyOf = ['SecurityAlert.ReadWrite.All'];
const SECURITY_INCIDENT_READ: AnyOf = ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'];
const SECURITY_INCIDENT_WRITE: AnyOf = ['SecurityIncident.ReadWrite.All'];
// post-ti-indicator.md, get-ti-indicators-collection.md, delete-ti-indicator-by-id.md,
// import-ti-indicators.md: application roles Ti.ReadWrite or Ti.ReadWrite.All for every call (no
// read-only role is listed; with Ti.ReadWrite an app sees only the indicators it created).
const TI_READWRITE: AnyOf = ['Ti.ReadWrite', 'Ti.ReadWrite.All'];

export const OPERATION_ROLES = {
  listAlerts: { audience: 'mde', anyOf: ALERT_READ },
  getAlert: { audience: 'mde', anyOf: ALERT_READ },
  updateAlert: { audience: 'mde', anyOf: ['Alert.ReadWrite.All'] },
  'alertRelated.machine': { audience: 'mde', anyOf: MACHINE_READ },
  'alertRelated.user': { audience: 'mde', anyOf: ['User.Read.All'] },
  'alertRelated.files': { audience: 'mde', anyOf: ['File.Read.All'] },
  'alertRelated.ips': { audience: 'mde', anyOf: ['Ip.Read.All'] },
  'alertRelated.domains': { audience: 'mde', anyOf: ['URL.Read.All'] },
  getMachine: { audience: 'mde', anyOf: MACHINE_READ },
  listMachines: { audience: 'mde', anyOf: MACHINE_READ },
  findMachinesByTag: { audience: 'mde', anyOf: MACHINE_READ },
  resolveMachineByName: { audience: 'mde', anyOf: MACHINE_READ },
  getMachineAction: { audience: 'mde', anyOf: MACHINE_READ },
  listMachineActions: { audience: 'mde', anyOf: MACHINE_READ },
  isolateMachine: { audience: 'mde', anyOf: ['Machine.Isolate'] },
  releaseMachine: { audience: 'mde', anyOf: ['Machine.Isolate'] },
  cancelMachineAction: { audience: 'mde', anyOf: CANCEL_ACTION },
  runAntivirusScan: { audience: 'mde', anyOf: ['Machine.Scan'] },
  restrictCodeExecution: { audience: 'mde', anyOf: ['Machine.RestrictExecution'] },
  unrestrictCodeExecution: { audience: 'mde', anyOf: ['Machine.RestrictExecution'] },
  collectInvestigationPackage: { audience: 'mde', anyOf: ['Machine.CollectForensics'] },
  // get-package-sas-uri.md: application Machine.Read.All / Machine.ReadWrite.All.
  getPackageUri: { audience: 'mde', anyOf: MACHINE_READ },
  // stop-and-quarantine-file.md; in practice a machine read role is needed too (mde-api.md §7).
  stopAndQuarantineFile: { audience: 'mde', anyOf: ['Machine.StopAndQuarantine'] },
  offboardMachine: { audience: 'mde', anyOf: ['Machine.Offboard'] },
  runLiveResponse: { audience: 'mde', anyOf: ['Machine.LiveResponse'] },
  // get-live-response-result.md: application Machine.Read.All / Machine.ReadWrite.All.
  getLiveResponseResultLink: { audience: 'mde', anyOf: MACHINE_READ },
  'hunting.mde': { audience: 'mde', anyOf: ['AdvancedQuery.Read.All'] },
  'hunting.graph': { audience: 'graph', anyOf: ['ThreatHunting.Read.All'] },
  listGraphAlerts: { audience: 'graph', anyOf: SECURITY_ALERT_READ },
  getGraphAlert: { audience: 'graph', anyOf: SECURITY_ALERT_READ },
  updateGraphAlert: { audience: 'graph', anyOf: SECURITY_ALERT_WRITE },
  commentGraphAlert: { audience: 'graph', anyOf: SECURITY_ALERT_WRITE },
  listIncidents: { audience: 'graph', anyOf: SECURITY_INCIDENT_READ },
  getIncident: { audience: 'graph', anyOf: SECURITY_INCIDENT_READ },
  updateIncident: { audience: 'graph', anyOf: SECURITY_INCIDENT_WRITE },
  commentIncident: { audience: 'graph', anyOf: SECURITY_INCIDENT_WRITE },
  listIndicators: { audience: 'mde', anyOf: TI_READWRITE },
  submitIndicator: { audience: 'mde', anyOf: TI_READWRITE },
  deleteIndicator: { audience: 'mde', anyOf: TI_READWRITE },
  importIndicators: { audience: 'mde', anyOf: TI_READWRITE },
  // Files, IPs, domains, users: each reference page's own table (get-file-information.md ...).
  getFile: { audience: 'mde', anyOf: ['File.Read.All'] },
  getFileStats: { audience: 'mde', anyOf: ['File.Read.All'] },
  listFileMachines: { audience: 'mde', anyOf: MACHINE_READ },
  listFileAlerts: { audience: 'mde', anyOf: ALERT_READ },
  getIpStats: { audience: 'mde', anyOf: ['Ip.Read.All'] },
  listIpAlerts: { audience: 'mde', anyOf: ALERT_READ },
  getDomainStats: { audience: 'mde', anyOf: ['URL.Read.All'] },
  listDomainMachines: { audience: 'mde', anyOf: MACHINE_READ },
  listDomainAlerts: { audience: 'mde', anyOf: ['Alert.ReadWrite.All'] },
  listUserMachines: { audience: 'mde', anyOf: ['Machine.ReadWrite.All'] },
  listUserAlerts: { audience: 'mde', anyOf: ALERT_READ },
} as const satisfies Record<string, { audience: Audience; anyOf: AnyOf }>;

export type OperationName = keyof typeof OPERATION_ROLES;

export interface NodeRoleRequirement {
  audience: Audience;
  /** Every group must be met; each group is any-of. */
  needs: AnyOf[];
  /** Needed only for some options (label → any-of). */
  optional?: Record<string, AnyOf>;
}

/** Roles per node type (and variant). `mde-token` needs whatever the user lists. */
export const NODE_ROLES: Record<string, NodeRoleRequirement> = {
  'mde-alerts': {
    audience: 'mde',
    needs: [ALERT_READ],
    optional: {
      update: ['Alert.ReadWrite.All'],
      'related machine': MACHINE_READ,
      'related user': ['User.Read.All'],
      'related files': ['File.Read.All'],
      'related ips': ['Ip.Read.All'],
      'related domains': ['URL.Read.All'],
    },
  },
  'mde-hunting:mde': { audience: 'mde', needs: [['AdvancedQuery.Read.All']] },
  'mde-hunting:graph': { audience: 'graph', needs: [['ThreatHunting.Read.All']] },
  'mde-isolate': { audience: 'mde', needs: [['Machine.Isolate'], MACHINE_READ] },
  'mde-alerts:graph': { audience: 'graph', needs: [SECURITY_ALERT_READ] },
  'mde-alert-trigger:alerts': { audience: 'graph', needs: [SECURITY_ALERT_READ] },
  'mde-alert-trigger:incidents': { audience: 'graph', needs: [SECURITY_INCIDENT_READ] },
  'mde-alert-update:alert': { audience: 'graph', needs: [SECURITY_ALERT_WRITE] },
  'mde-alert-update:incident': { audience: 'graph', needs: [SECURITY_INCIDENT_WRITE] },
  'mde-alert-update:mde': { audience: 'mde', needs: [['Alert.ReadWrite.All']] },
  'mde-incidents': { audience: 'graph', needs: [SECURITY_INCIDENT_READ] },
  // mde-entities needs nothing in every mode; each mode's role is one optional group, and the
  // Test connection rows are the variants below (one per distinct role).
  'mde-entities': {
    audience: 'mde',
    needs: [],
    optional: {
      'file information': ['File.Read.All'],
      'file statistics': ['File.Read.All'],
      'file machines': MACHINE_READ,
      'file alerts': ALERT_READ,
      'IP statistics': ['Ip.Read.All'],
      'IP alerts': ALERT_READ,
      'domain statistics': ['URL.Read.All'],
      'domain machines': MACHINE_READ,
      'domain alerts': ['Alert.ReadWrite.All'],
      'user machines': ['Machine.ReadWrite.All'],
      'user alerts': ALERT_READ,
    },
  },
  'mde-entities:files': { audience: 'mde', needs: [['File.Read.All']] },
  'mde-entities:ips': { audience: 'mde', needs: [['Ip.Read.All']] },
  'mde-entities:domains': { audience: 'mde', needs: [['URL.Read.All']] },
  'mde-entities:machines': { audience: 'mde', needs: [MACHINE_READ] },
  'mde-entities:alerts': { audience: 'mde', needs: [ALERT_READ] },
  'mde-entities:domain-alerts': { audience: 'mde', needs: [['Alert.ReadWrite.All']] },
  'mde-entities:user-machines': { audience: 'mde', needs: [['Machine.ReadWrite.All']] },
  // Each action needs its own role, plus a machine read role to resolve the machine, follow the
  // action and fetch download links (the variants are what Test connection lists).
  'mde-machine-action': {
    audience: 'mde',
    needs: [MACHINE_READ],
    optional: {
      'antivirus scan': ['Machine.Scan'],
      'restrict / remove restriction': ['Machine.RestrictExecution'],
      'investigation package': ['Machine.CollectForensics'],
      'stop and quarantine file': ['Machine.StopAndQuarantine'],
      offboard: ['Machine.Offboard'],
      'live response': ['Machine.LiveResponse'],
      cancel: CANCEL_ACTION,
    },
  },
  'mde-machine-action:scan': { audience: 'mde', needs: [['Machine.Scan'], MACHINE_READ] },
  'mde-machine-action:restrict': { audience: 'mde', needs: [['Machine.RestrictExecution'], MACHINE_READ] },
  'mde-machine-action:collect': { audience: 'mde', needs: [['Machine.CollectForensics'], MACHINE_READ] },
  'mde-machine-action:quarantine': { audience: 'mde', needs: [['Machine.StopAndQuarantine'], MACHINE_READ] },
  'mde-machine-action:offboard': { audience: 'mde', needs: [['Machine.Offboard'], MACHINE_READ] },
  'mde-machine-action:liveresponse': { audience: 'mde', needs: [['Machine.LiveResponse'], MACHINE_READ] },
  'mde-machine-action:cancel': { audience: 'mde', needs: [CANCEL_ACTION, MACHINE_READ] },
  'mde-machines': { audience: 'mde', needs: [MACHINE_READ], optional: { 'machine alerts': ALERT_READ, 'logged-on users': ['User.Read.All'], 'installed software': ['Software.Read.All'], vulnerabilities: ['Vulnerability.Read.All'], tags: ['Machine.ReadWrite.All'] } },
  'mde-indicators': { audience: 'mde', needs: [TI_READWRITE] },
};

/** Roles the user lists for the token node: each entry is one required role. */
export function tokenNodeNeeds(roles: readonly string[]): AnyOf[] {
  return roles.filter((r) => r && r.trim()).map((r) => [r.trim()]);
}

/**
 * [] when any role of `anyOf` is granted, else `anyOf` (what to add). Case-insensitive: tokens
 * say `Url.Read.All` where the docs say `URL.Read.All`.
 */
export function missingRoles(granted: readonly string[], anyOf: AnyOf): string[] {
  const have = new Set(granted.map((r) => r.toLowerCase()));
  return anyOf.some((r) => have.has(r.toLowerCase())) ? [] : [...anyOf];
}

/** The any-of groups not met by `granted`. */
export function unmetRoleGroups(granted: readonly string[], needs: readonly AnyOf[]): string[][] {
  return needs.filter((g) => missingRoles(granted, g).length > 0).map((g) => [...g]);
}

export function hasRoles(granted: readonly string[], needs: readonly AnyOf[]): boolean {
  return unmetRoleGroups(granted, needs).length === 0;
}
