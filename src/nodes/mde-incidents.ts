// List incidents (filters like mde-alerts, paging through @odata.nextLink) or get one incident,
// each with its alerts ($expand=alerts), from Microsoft Graph.
import { translate } from './shared/i18n';
import { MdeInputError } from '../client/errors';
import { graphIncidentId } from '../client/graph/alerts';
import { getIncident, listIncidents, type IncidentQuery } from '../client/graph/incidents';
import { parseSince } from '../client/mde/odata';
import type { TimeRange } from '../client/types';
import { describe } from '../client/validate';
import { wireActionNode } from './shared/base';
import { readRenamedStatus } from './shared/renamed-status';
import { sendSplit } from './shared/emit';
import type { Node, NodeAPI, NodeDef } from './shared/node-types';
import { describeTyped, evaluateTyped, splitList } from './shared/typed-input';
import { booleanSetting, choiceSetting, listSetting, textSetting, type Settings } from './shared/action-settings';

interface MdeIncidentsDef extends NodeDef {
  config?: string;
  mode?: string;
  incidentId?: string;
  incidentIdType?: string;
  expandAlerts?: boolean;
  severity?: string;
  /** Not `status`: the editor keeps a node's status display in node.status. */
  statusFilter?: unknown;
  /** Flows saved before the rename (see shared/renamed-status). */
  status?: unknown;
  classification?: string;
  determination?: string;
  assignedTo?: string;
  timeField?: string;
  since?: string;
  sinceType?: string;
  maxResults?: number | string;
  pageSize?: number | string;
  outputMode?: string;
}

const FILTER_KEYS = ['severity', 'status', 'classification', 'determination', 'assignedTo', 'timeField', 'since', 'until', 'expandAlerts', 'maxResults', 'pageSize'];
const TIME_FIELDS = ['createdDateTime', 'lastUpdateDateTime'];
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A time bound: ISO text with a zone is kept as written (7 digits); durations and dates become Dates. */
function bound(v: unknown, label: string): Date | string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && ISO_WITH_ZONE.test(v.trim())) return v.trim();
  if (typeof v !== 'string' && !(v instanceof Date)) throw new MdeInputError(`${label} must be a duration such as 24h, an ISO date or a Date, got ${describe(v)}.`);
  return parseSince(v, Date.now(), label);
}

function dialogNumber(v: unknown, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

export = function register(RED: NodeAPI): void {
  function MdeIncidents(this: Node, def: MdeIncidentsDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    // Imported or hand-edited flows carry any value: a wrong one is refused, never defaulted (a
    // dropped filter would widen the listing).
    let mode: 'list' | 'get' = 'list';
    let split = false;
    let expandAlerts = true;
    let dialogLists: Record<'severity' | 'classification' | 'determination', string> = { severity: '', classification: '', determination: '' };
    let dialogAssignedTo = '';
    let dialogTimeField = 'createdDateTime';
    let statusFilter = '';
    let settingsError: MdeInputError | undefined;
    try {
      const settings = def as unknown as Settings;
      mode = choiceSetting(settings, 'mode', ['list', 'get'] as const, 'list');
      split = choiceSetting(settings, 'outputMode', ['array', 'split'] as const, 'array') === 'split';
      expandAlerts = booleanSetting(settings, 'expandAlerts', true);
      dialogLists = {
        severity: listSetting(settings, 'severity', []).join(','),
        classification: listSetting(settings, 'classification', []).join(','),
        determination: listSetting(settings, 'determination', []).join(','),
      };
      dialogAssignedTo = textSetting(settings, 'assignedTo', '').trim();
      const timeField = textSetting(settings, 'timeField', '');
      dialogTimeField = timeField === '' ? 'createdDateTime' : choiceSetting(settings, 'timeField', ['createdDateTime', 'lastUpdateDateTime'] as const);
      statusFilter = readRenamedStatus(RED, def as unknown as Record<string, unknown>, { type: 'mde-incidents', property: 'statusFilter' });
    } catch (err) {
      if (!(err instanceof MdeInputError)) throw err;
      settingsError = err;
    }

    function query(msg: Record<string, unknown>, since: unknown): IncidentQuery {
      const raw = msg.filter;
      if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
        throw new MdeInputError(translate(RED, 'mde-incidents.errors.filter-object', { got: describe(raw) }));
      }
      const o = (raw ?? {}) as Record<string, unknown>;
      const unknown = Object.keys(o).find((k) => !FILTER_KEYS.includes(k));
      if (unknown) throw new MdeInputError(translate(RED, 'mde-incidents.errors.filter-key', { key: unknown, keys: FILTER_KEYS.join(', ') }));
      // msg.filter values keep their type (a list must be a list); dialog text is comma-separated.
      const listOf = (key: string, dialog: string | undefined): string[] | undefined => {
        const v = key in o ? o[key] : splitList(dialog);
        return Array.isArray(v) && v.length === 0 ? undefined : (v as string[]);
      };
      const timeField = key('timeField', dialogTimeField);
      if (!TIME_FIELDS.includes(timeField as string)) throw new MdeInputError(`timeField must be createdDateTime or lastUpdateDateTime, got ${describe(timeField)}.`);
      const range: TimeRange = {};
      const from = bound(key('since', since), 'Since');
      const to = bound(key('until', undefined), 'Until');
      if (from !== undefined) range.from = from;
      if (to !== undefined) range.to = to;
      const assignedTo = key('assignedTo', dialogAssignedTo || undefined);
      return {
        severity: listOf('severity', dialogLists.severity),
        status: listOf('status', statusFilter),
        classification: listOf('classification', dialogLists.classification),
        determination: listOf('determination', dialogLists.determination),
        ...(assignedTo === undefined || assignedTo === '' ? {} : { assignedTo: assignedTo as string | null }),
        ...(Object.keys(range).length ? { [timeField as string]: range } : {}),
        expandAlerts: key('expandAlerts', expandAlerts) as boolean,
        maxResults: key('maxResults', dialogNumber(def.maxResults, 100)) as number,
        pageSize: key('pageSize', dialogNumber(def.pageSize, 50)) as number,
      };

      function key(name: string, fallback: unknown): unknown {
        return name in o ? o[name] : fallback;
      }
    }

    const status = wireActionNode(RED, node, {
      type: 'mde-incidents',
      configId: def.config,
      async onInput({ msg, send, status, config, signal }) {
        if (settingsError) throw settingsError;
        const http = config.connection().http;
        const onWait = (info: { waitMs: number }) => status.waiting(translate(RED, 'mde-incidents.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) }));

        if (mode === 'get') {
          const input = { value: def.incidentId || 'incidentId', type: def.incidentIdType || 'msg' };
          const raw = await evaluateTyped(RED, node, input, msg);
          if (raw === undefined || raw === null || raw === '') throw new MdeInputError(translate(RED, 'mde-incidents.errors.no-incident-id', { property: describeTyped(input) }));
          const id = graphIncidentId(raw);
          status.requesting(translate(RED, 'mde-incidents.status.requesting'));
          const incident = await getIncident(http, id, { expandAlerts, signal, onWait });
          msg.payload = incident;
          msg.mde = { request: 'get incident', incidentId: id, alerts: Array.isArray(incident.alerts) ? incident.alerts.length : undefined };
          status.ok(translate(RED, 'mde-incidents.status.incident', { id, alerts: Array.isArray(incident.alerts) ? incident.alerts.length : '-' }));
          send(msg);
          return;
        }

        const since = await evaluateTyped(RED, node, { value: def.since ?? '', type: def.sinceType || 'str' }, msg);
        const q = query(msg as Record<string, unknown>, since);
        status.requesting(translate(RED, 'mde-incidents.status.requesting'));
        const result = await listIncidents(http, q, { signal, onWait });
        msg.mde = { request: 'list incidents', count: result.incidents.length, pages: result.pages, truncated: result.truncated, filter: result.filter };
        status.ok(translate(RED, 'mde-incidents.status.count', { count: result.incidents.length }));
        if (split) {
          await sendSplit(send, msg, result.incidents, signal);
        } else {
          msg.payload = result.incidents;
          send(msg);
        }
      },
    });

    if (settingsError) {
      status.error(settingsError.code);
      node.error(settingsError.message);
    }
  }

  RED.nodes.registerType('mde-incidents', MdeIncidents as never);
};
