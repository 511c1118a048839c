// Incidents group alerts (Graph security-incident.md): an alert's `incidentId` names its incident.
// Seeded alerts on the same device within a day share one incident; a new alert opens its own
// incident unless it is given an existing one. Adding an alert updates the incident's
// lastUpdateDateTime and raises its severity when the alert is more severe.
import { graphSeverity, GRAPH_SEVERITIES } from './graph-shape';
import type { SimAlert, SimIncident } from './types';

const DAY = 86_400_000;
const FIRST_ID = 1001;

const CATEGORY_WORDS: Record<string, string> = {
  CommandAndControl: 'Command and control',
  CredentialAccess: 'Credential access',
  DefenseEvasion: 'Defense evasion',
  SuspiciousActivity: 'Suspicious activity',
};

function words(category: unknown): string {
  const c = String(category ?? 'Suspicious activity');
  return CATEGORY_WORDS[c] ?? c.replace(/([a-z])([A-Z])/g, '$1 $2');
}

function shortName(dns: unknown): string {
  return String(dns ?? 'a device').split('.')[0]!;
}

function higher(a: string, b: string): string {
  return GRAPH_SEVERITIES.indexOf(a as never) >= GRAPH_SEVERITIES.indexOf(b as never) ? a : b;
}

function displayName(alerts: SimAlert[]): string {
  if (alerts.length === 1) return `${alerts[0]!.title} on ${shortName(alerts[0]!.computerDnsName)}`;
  const cats = [...new Set(alerts.map((a) => words(a.category)))];
  return `Multi-stage incident involving ${cats.slice(0, 3).join(' & ')} on one endpoint`;
}

/** A new incident for `first`, with id `id`; the alert's incidentId is set. */
export function openIncident(first: SimAlert, id: number, tenantId: string): SimIncident {
  first.incidentId = id;
  return {
    id: String(id),
    displayName: displayName([first]),
    description: null,
    severity: graphSeverity(first.severity),
    status: first.status === 'Resolved' ? 'resolved' : 'active',
    classification: 'unknown',
    determination: 'unknown',
    assignedTo: null,
    customTags: [],
    systemTags: [],
    comments: [],
    createdDateTime: first.alertCreationTime,
    lastUpdateDateTime: first.lastUpdateTime,
    redirectIncidentId: null,
    tenantId,
  };
}

/** Puts `alert` into `incident` (its incidentId, the incident's name, severity and last update). */
export function joinIncident(incident: SimIncident, alert: SimAlert, members: SimAlert[]): void {
  alert.incidentId = Number(incident.id);
  incident.displayName = displayName([...members, alert]);
  incident.severity = higher(incident.severity, graphSeverity(alert.severity));
  if (alert.lastUpdateTime > incident.lastUpdateDateTime) incident.lastUpdateDateTime = alert.lastUpdateTime;
  if (alert.status !== 'Resolved' && incident.status === 'resolved') incident.status = 'active';
}

/** Groups seeded alerts (ascending by creation) into incidents: same device, within a day. */
export function seedIncidents(alerts: SimAlert[], tenantId: string): SimIncident[] {
  const incidents: SimIncident[] = [];
  const members = new Map<SimIncident, SimAlert[]>();
  const latest = new Map<string, { incident: SimIncident; startMs: number }>();
  for (const a of alerts) {
    const at = Date.parse(a.alertCreationTime);
    const current = latest.get(a.machineId);
    if (current && at - current.startMs < DAY) {
      const list = members.get(current.incident)!;
      joinIncident(current.incident, a, list);
      list.push(a);
      continue;
    }
    const incident = openIncident(a, FIRST_ID + incidents.length, tenantId);
    incidents.push(incident);
    members.set(incident, [a]);
    latest.set(a.machineId, { incident, startMs: at });
  }
  // A seeded incident whose alerts are all resolved is resolved too.
  for (const [incident, list] of members) incident.status = list.every((a) => a.status === 'Resolved') ? 'resolved' : 'active';
  return incidents;
}

export function nextIncidentId(incidents: SimIncident[]): number {
  let max = FIRST_ID - 1;
  for (const i of incidents) max = Math.max(max, Number(i.id));
  return max + 1;
}
