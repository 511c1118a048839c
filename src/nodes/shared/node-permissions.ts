// The Test connection report: which of our nodes the granted roles cover. Role data and
// matching live in the client (permissions.ts); this only adds the labels the dialog shows.
import { NODE_ROLES } from '../../client/auth/permissions';
import type { Audience } from '../../client/types';

export interface NodeRequirement {
  type: string;
  label: string;
  audience: Audience;
  needs: string[][];
}

const LABELS: Record<string, { type: string; label: string }> = {
  'mde-alerts:graph': { type: 'mde-alerts', label: 'List / get alerts (Graph)' },
  'mde-alerts': { type: 'mde-alerts', label: 'List / get alerts (MDE API)' },
  'mde-hunting:graph': { type: 'mde-hunting', label: 'Advanced hunting (Graph)' },
  'mde-hunting:mde': { type: 'mde-hunting', label: 'Advanced hunting (MDE API)' },
  'mde-isolate': { type: 'mde-isolate', label: 'Isolate / release machine' },
  'mde-alert-trigger:alerts': { type: 'mde-alert-trigger', label: 'Alert trigger (alerts)' },
  'mde-alert-trigger:incidents': { type: 'mde-alert-trigger', label: 'Alert trigger (incidents)' },
  'mde-alert-update:alert': { type: 'mde-alert-update', label: 'Update / comment alert (Graph)' },
  'mde-alert-update:incident': { type: 'mde-alert-update', label: 'Update / comment incident' },
  'mde-alert-update:mde': { type: 'mde-alert-update', label: 'Update / comment alert (MDE API)' },
  'mde-incidents': { type: 'mde-incidents', label: 'List / get incidents' },
  'mde-machines': { type: 'mde-machines', label: 'Get / list / find machines' },
  'mde-indicators': { type: 'mde-indicators', label: 'Submit / list / delete / import indicators' },
  'mde-entities:files': { type: 'mde-entities', label: 'File information / statistics' },
  'mde-entities:ips': { type: 'mde-entities', label: 'IP statistics' },
  'mde-entities:domains': { type: 'mde-entities', label: 'Domain statistics' },
  'mde-entities:machines': { type: 'mde-entities', label: 'File / domain related machines' },
  'mde-entities:alerts': { type: 'mde-entities', label: 'File / IP / user related alerts' },
  'mde-entities:domain-alerts': { type: 'mde-entities', label: 'Domain related alerts' },
  'mde-entities:user-machines': { type: 'mde-entities', label: 'User related machines' },
  'mde-machine-action:scan': { type: 'mde-machine-action', label: 'Run antivirus scan' },
  'mde-machine-action:restrict': { type: 'mde-machine-action', label: 'Restrict / remove app restriction' },
  'mde-machine-action:collect': { type: 'mde-machine-action', label: 'Collect investigation package (+ link)' },
  'mde-machine-action:quarantine': { type: 'mde-machine-action', label: 'Stop and quarantine file' },
  'mde-machine-action:offboard': { type: 'mde-machine-action', label: 'Offboard machine' },
  'mde-machine-action:liveresponse': { type: 'mde-machine-action', label: 'Live response (+ result links)' },
  'mde-machine-action:cancel': { type: 'mde-machine-action', label: 'Cancel machine action' },
};

export const NODE_REQUIREMENTS: NodeRequirement[] = Object.entries(LABELS).map(([key, { type, label }]) => ({
  type,
  label,
  audience: NODE_ROLES[key].audience,
  needs: NODE_ROLES[key].needs.map((anyOf) => [...anyOf]),
}));
