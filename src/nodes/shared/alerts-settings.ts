// The mde-alerts node's dialog properties, checked once at deploy: an unknown API, mode, output
// mode, alert shape, time field or related entity (an imported or hand-edited flow) is refused,
// never replaced by a default. Only a property that is absent (an older flow) takes its default,
// and for `api` and `alertShape` that default is what such a flow was built for: the MDE API and
// its own alert shape (new nodes get Microsoft Graph from the editor's defaults).
import { ALERT_FILTER_KEYS, parseAlertFilterValue, type AlertApi, type AlertFilterKey, type AlertQueryPart } from '../../client/alerts/query';
import { ALERT_RELATED_KINDS, type AlertRelatedKind } from '../../client/mde/alerts';
import { MdeInputError } from '../../client/errors';
import { describe } from '../../client/validate';
import type { TypedValue } from './node-types';

export interface MdeAlertsProperties {
  api?: unknown;
  alertShape?: unknown;
  mode?: unknown;
  alertId?: unknown;
  alertIdType?: unknown;
  related?: unknown;
  since?: unknown;
  sinceType?: unknown;
  outputMode?: unknown;
  [key: string]: unknown;
}

/** `graph`: Graph's alert resource; `mde`: the MDE API's own alert (MDE API only). */
export type AlertShape = 'graph' | 'mde';

export interface AlertsSettings {
  api: AlertApi;
  shape: AlertShape;
  mode: 'list' | 'get';
  split: boolean;
  related: AlertRelatedKind[];
  alertId: TypedValue;
  /** `since` when it is read per message (msg, flow, global, env); absent when typed as text. */
  sinceInput?: TypedValue;
  /** Dialog filters, checked. A text `since` is kept as text: a duration counts from each message. */
  filters: AlertQueryPart;
  sinceText?: string;
  expandEvidence: boolean;
}

const ALERT_ID_TYPES = ['msg', 'flow', 'global', 'str', 'env', 'jsonata'];
const SINCE_TYPES = ['str', 'msg', 'flow', 'global', 'env'];
/** Dialog filter properties (everything msg.filter may override except the per-message `until`). */
const DIALOG_FILTER_KEYS = ALERT_FILTER_KEYS.filter((k) => k !== 'until' && k !== 'since');
/**
 * Where the dialog keeps a filter when its name differs from msg.filter's: not `status`, because
 * the editor keeps a node's status display in node.status (see renamed-status.ts; the node
 * resolves a pre-rename flow's `status` into `statusFilter` before calling checkAlertsSettings).
 */
const DIALOG_PROPERTY: Partial<Record<AlertFilterKey, string>> = { status: 'statusFilter' };

export function settingName(key: string): string {
  return `the node setting "${key}"`;
}

const SETTING_HINT = 'open the node, choose a value in the dialog and deploy again (an imported or hand-edited flow may carry a value the dialog does not offer).';

function invalid(key: string, got: unknown, allowed: string): MdeInputError {
  return new MdeInputError(`${settingName(key)} must be ${allowed}, got ${describe(got)}.`, { code: 'InvalidSetting', hint: SETTING_HINT });
}

function choice<T extends string>(def: MdeAlertsProperties, key: string, allowed: readonly T[], absent: T): T {
  const v = def[key];
  if (v === undefined) return absent;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw invalid(key, v, `one of ${allowed.map((a) => (a === '' ? "'' (none)" : a)).join(', ')}`);
}

function typed(def: MdeAlertsProperties, valueKey: string, typeKey: string, types: readonly string[], absent: TypedValue): TypedValue {
  const type = choice(def, typeKey, types, absent.type);
  const value = def[valueKey] === undefined ? absent.value : def[valueKey];
  if (typeof value !== 'string') throw invalid(valueKey, value, 'text (a property name, or the value itself when typed as text)');
  return { value, type };
}

function setting(key: AlertFilterKey, value: unknown, now: number, api: AlertApi, property: string = key): unknown {
  try {
    return parseAlertFilterValue(key, value, settingName(property), now, api);
  } catch (err) {
    if (err instanceof MdeInputError) throw new MdeInputError(err.summary, { code: 'InvalidSetting', hint: err.hint ?? SETTING_HINT });
    throw err;
  }
}

/** Throws MdeInputError (code InvalidSetting) naming the first bad property. */
export function checkAlertsSettings(def: MdeAlertsProperties, now = Date.now()): AlertsSettings {
  // A flow without `api` was built for the MDE API (the only one before): it stays there.
  const api = choice(def, 'api', ['graph', 'mde'] as const, 'mde');
  const shape = choice(def, 'alertShape', ['graph', 'mde'] as const, api);
  if (api === 'graph' && shape === 'mde') {
    throw new MdeInputError(`${settingName('alertShape')} "mde" (the MDE API's own alert fields) exists only when the MDE API serves the alerts; Microsoft Graph's alerts come in Graph's shape.`, {
      code: 'InvalidSetting',
      hint: SETTING_HINT,
    });
  }
  const mode = choice(def, 'mode', ['list', 'get'] as const, 'list');
  const outputMode = choice(def, 'outputMode', ['array', 'split'] as const, 'array');
  const relatedChoice = choice(def, 'related', ['', ...ALERT_RELATED_KINDS, 'all'] as const, '');
  if (api === 'graph' && relatedChoice !== '') {
    throw new MdeInputError(`${settingName('related')} "${relatedChoice}" asks the MDE API for the alert's related entities; this node reads alerts from Microsoft Graph, whose alerts carry their devices, users, files, IP addresses and URLs in evidence.`, {
      code: 'InvalidSetting',
      hint: "set Related to None, or choose the MDE API (it retires on 1 February 2027).",
    });
  }
  const related: AlertRelatedKind[] = relatedChoice === 'all' ? [...ALERT_RELATED_KINDS] : relatedChoice ? [relatedChoice] : [];
  const alertId = typed(def, 'alertId', 'alertIdType', ALERT_ID_TYPES, { value: 'alertId', type: 'msg' });
  const since = typed(def, 'since', 'sinceType', SINCE_TYPES, { value: '', type: 'str' });
  const filters: AlertQueryPart = {};
  for (const key of DIALOG_FILTER_KEYS) {
    const property = DIALOG_PROPERTY[key] ?? key;
    const value = def[property];
    if (value === undefined) continue;
    if (key === 'expandEvidence' && api === 'graph') {
      // The dialog's unticked box: Graph sends the evidence with every alert anyway.
      if (typeof value !== 'boolean') throw invalid(property, value, 'true or false');
      continue;
    }
    (filters as Record<string, unknown>)[key] = setting(key, value, now, api, property);
  }
  let sinceText: string | undefined;
  if (since.type === 'str' && since.value.trim() !== '') {
    // Checked now so a typo shows at deploy; parsed again per message (a duration counts from then).
    setting('since', since.value, now, api);
    sinceText = since.value;
  }
  const expandEvidence = filters.expandEvidence ?? false;
  return {
    api,
    shape,
    mode,
    split: outputMode === 'split',
    related,
    alertId,
    sinceInput: since.type === 'str' ? undefined : since,
    filters,
    sinceText,
    expandEvidence,
  };
}
