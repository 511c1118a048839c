// Which WindowsDefenderATP / Graph application roles each of our nodes needs (mde-api.md §3).
// Each inner list is "any one of".
import type { Audience } from '../../client/types';

export interface NodeRequirement {
  type: string;
  label: string;
  audience: Audience;
  needs: string[][];
}

export const NODE_REQUIREMENTS: NodeRequirement[] = [
  { type: 'mde-alerts', label: 'List alerts', audience: 'mde', needs: [['Alert.Read.All', 'Alert.ReadWrite.All']] },
  { type: 'mde-hunting', label: 'Advanced hunting (Graph)', audience: 'graph', needs: [['ThreatHunting.Read.All']] },
  { type: 'mde-hunting', label: 'Advanced hunting (MDE API)', audience: 'mde', needs: [['AdvancedQuery.Read.All']] },
  {
    type: 'mde-isolate',
    label: 'Isolate / release machine',
    audience: 'mde',
    needs: [['Machine.Isolate'], ['Machine.Read.All', 'Machine.ReadWrite.All']],
  },
];

/** Roles compared case-insensitively: tokens say `Url.Read.All` where the docs say `URL.Read.All`. */
export function unmetNeeds(granted: readonly string[], needs: readonly string[][]): string[][] {
  const have = new Set(granted.map((r) => r.toLowerCase()));
  return needs.filter((anyOf) => !anyOf.some((role) => have.has(role.toLowerCase())));
}
