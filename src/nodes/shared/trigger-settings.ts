// The trigger's dialog values, checked at deploy: a value of the wrong type or out of range is
// refused with a sentence naming the property, what came and what is allowed (never coerced,
// never replaced by a default). A property absent from the flow (older or hand-written JSON)
// takes its documented default.
import type { PollMode } from '../../client/alerts/poller';
import { MdeInputError } from '../../client/errors';
import type { NodeDef } from './node-types';
import { splitList } from './typed-input';

export type TriggerSourceName = 'alerts' | 'incidents';

export interface TriggerDef extends NodeDef {
  config?: string;
  source?: unknown;
  mode?: unknown;
  interval?: unknown;
  lookback?: unknown;
  overlap?: unknown;
  severity?: unknown;
  /** Not `status`: the editor keeps a node's runtime status display in node.status. */
  statusFilter?: unknown;
  serviceSource?: unknown;
  classification?: unknown;
  determination?: unknown;
  assignedTo?: unknown;
}

export interface TriggerFilters {
  severity: string[];
  status: string[];
  serviceSource: string[];
  classification: string[];
  determination: string[];
  assignedTo?: string;
}

export interface TriggerSettings {
  source: TriggerSourceName;
  mode: PollMode;
  intervalMs: number;
  lookbackMs: number;
  overlapMs: number;
  filters: TriggerFilters;
}

export const TRIGGER_DEFAULTS = { intervalSeconds: 60, lookbackMinutes: 60, overlapMinutes: 5 } as const;
const MAX_INTERVAL_SECONDS = 86_400;
const MAX_LOOKBACK_MINUTES = 30 * 24 * 60; // Graph keeps alerts for the tenant's retention period (30 days by default)
const MAX_OVERLAP_MINUTES = 24 * 60;

function choice<T extends string>(value: unknown, property: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new MdeInputError(`The trigger's ${property} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(value)}.`, 'InvalidSetting');
}

/** A number, or a string holding only a plain decimal number (what the editor stores). */
function quantity(value: unknown, property: string, unit: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new MdeInputError(`The trigger's ${property} must be a number of ${unit} from ${min} to ${max}, got ${JSON.stringify(value)}.`, 'InvalidSetting');
  }
  return n;
}

function list(value: unknown, property: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'string' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
    throw new MdeInputError(`The trigger's ${property} filter must be text (comma-separated values), got ${Array.isArray(value) ? 'an array' : typeof value}.`, 'InvalidSetting');
  }
  return splitList(value);
}

export function readTriggerSettings(def: TriggerDef, minIntervalSetting: unknown = 10): TriggerSettings {
  if (typeof minIntervalSetting !== 'number' || !Number.isFinite(minIntervalSetting) || minIntervalSetting <= 0) {
    throw new MdeInputError(`settings.js mdeAlertTriggerMinIntervalSeconds must be a positive number of seconds, got ${JSON.stringify(minIntervalSetting)}.`, 'InvalidSetting');
  }
  const assignedTo = def.assignedTo;
  if (assignedTo !== undefined && assignedTo !== null && typeof assignedTo !== 'string') {
    throw new MdeInputError(`The trigger's assigned-to filter must be text, got ${typeof assignedTo}.`, 'InvalidSetting');
  }
  return {
    source: choice(def.source, 'source', ['alerts', 'incidents'] as const, 'alerts'),
    mode: choice(def.mode, 'mode', ['created', 'updated'] as const, 'created'),
    intervalMs: quantity(def.interval, 'poll interval', 'seconds', minIntervalSetting, MAX_INTERVAL_SECONDS, TRIGGER_DEFAULTS.intervalSeconds) * 1000,
    lookbackMs: quantity(def.lookback, 'look-back', 'minutes', 0, MAX_LOOKBACK_MINUTES, TRIGGER_DEFAULTS.lookbackMinutes) * 60_000,
    overlapMs: quantity(def.overlap, 'overlap window', 'minutes', 0, MAX_OVERLAP_MINUTES, TRIGGER_DEFAULTS.overlapMinutes) * 60_000,
    filters: {
      severity: list(def.severity, 'severity'),
      status: list(def.statusFilter, 'status'),
      serviceSource: list(def.serviceSource, 'service source'),
      classification: list(def.classification, 'classification'),
      determination: list(def.determination, 'determination'),
      assignedTo: typeof assignedTo === 'string' && assignedTo.trim() ? assignedTo.trim() : undefined,
    },
  };
}
