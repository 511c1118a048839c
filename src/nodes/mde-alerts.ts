// List alerts (filters without OData, paging past 10,000 rows) or get one alert with its
// related entities.
import { translate } from './shared/i18n';
import { getAlert, getAlertRelated, listAlerts } from '../client/alerts';
import { MdeInputError } from '../client/errors';
import { buildAlertFilter, parseSince } from '../client/odata';
import type { AlertListQuery } from '../client/types';
import { wireActionNode } from './shared/base';
import type { Node, NodeAPI, NodeDef } from './shared/node-types';
import { sendSplit } from './shared/emit';
import { describeTyped, evaluateTyped, splitList } from './shared/typed-input';

interface MdeAlertsDef extends NodeDef {
  config?: string;
  mode?: string;
  alertId?: string;
  alertIdType?: string;
  related?: string;
  severity?: string;
  status?: string;
  category?: string;
  detectionSource?: string;
  assignedTo?: string;
  incidentId?: string;
  machineId?: string;
  timeField?: string;
  since?: string;
  sinceType?: string;
  rawFilter?: string;
  expandEvidence?: boolean;
  orderBy?: string;
  maxResults?: number | string;
  pageSize?: number | string;
  outputMode?: string;
}

const RELATED_KINDS = ['machine', 'user', 'files', 'ips', 'domains'] as const;
type RelatedKind = (typeof RELATED_KINDS)[number];

function numberOr(value: unknown, fallback: number): number {
  const n = Number(value);
  return value === '' || value === undefined || !Number.isFinite(n) ? fallback : n;
}

function pick(override: Record<string, unknown>, key: string, fallback: unknown): unknown {
  return Object.prototype.hasOwnProperty.call(override, key) ? override[key] : fallback;
}

export = function register(RED: NodeAPI): void {
  function MdeAlerts(this: Node, def: MdeAlertsDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const mode = def.mode === 'get' ? 'get' : 'list';
    const split = def.outputMode === 'split';

    async function buildQuery(msg: Record<string, unknown>, since: unknown): Promise<AlertListQuery> {
      const raw = msg.filter;
      if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
        throw new MdeInputError('msg.filter must be an object such as { "severity": ["High"], "status": ["New"] }.');
      }
      const o = (raw ?? {}) as Record<string, unknown>;
      const incident = pick(o, 'incidentId', def.incidentId);
      const sinceValue = pick(o, 'since', since);
      const untilValue = pick(o, 'until', undefined);
      return {
        severity: splitList(pick(o, 'severity', def.severity)),
        status: splitList(pick(o, 'status', def.status)),
        category: splitList(pick(o, 'category', def.category)),
        detectionSource: splitList(pick(o, 'detectionSource', def.detectionSource)),
        assignedTo: String(pick(o, 'assignedTo', def.assignedTo) ?? '').trim() || undefined,
        incidentId: incident === undefined || incident === '' || incident === null ? undefined : Number(incident),
        machineId: String(pick(o, 'machineId', def.machineId) ?? '').trim() || undefined,
        timeField: pick(o, 'timeField', def.timeField) === 'lastUpdateTime' ? 'lastUpdateTime' : 'alertCreationTime',
        since: sinceValue === undefined || sinceValue === '' || sinceValue === null ? undefined : parseSince(sinceValue as string | Date),
        until: untilValue === undefined || untilValue === '' || untilValue === null ? undefined : parseSince(untilValue as string | Date),
        rawFilter: String(pick(o, 'rawFilter', def.rawFilter) ?? '').trim() || undefined,
        expandEvidence: Boolean(pick(o, 'expandEvidence', def.expandEvidence)),
        orderBy: String(pick(o, 'orderBy', def.orderBy) ?? '').trim() || undefined,
        pageSize: numberOr(pick(o, 'pageSize', def.pageSize), 10_000),
        maxResults: numberOr(pick(o, 'maxResults', def.maxResults), 1_000),
      };
    }

    wireActionNode(RED, node, {
      type: 'mde-alerts',
      configId: def.config,
      async onInput({ msg, send, status, config, signal }) {
        const http = config.connection().http;
        const onWait = (info: { waitMs: number }) =>
          status.waiting(translate(RED, 'mde-alerts.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) }));

        if (mode === 'get') {
          const input = { value: def.alertId ?? 'alertId', type: def.alertIdType || 'msg' };
          const id = await evaluateTyped(RED, node, input, msg);
          if (id === undefined || id === null || id === '') {
            throw new MdeInputError(translate(RED, 'mde-alerts.errors.no-alert-id', { property: describeTyped(input) }));
          }
          if (typeof id !== 'string') throw new MdeInputError(`The alert ID must be a string, got ${typeof id}.`);
          status.requesting(translate(RED, 'mde-alerts.status.requesting'));
          const alert = await getAlert(http, id, { expandEvidence: Boolean(def.expandEvidence), signal, onWait });
          const wanted: RelatedKind[] =
            def.related === 'all' ? [...RELATED_KINDS] : RELATED_KINDS.filter((k) => k === def.related);
          const related: Record<string, unknown> = {};
          for (const kind of wanted) related[kind] = await getAlertRelated(http, id, kind, { signal, onWait });
          msg.payload = alert;
          msg.mde = { request: 'get alert', alertId: id, ...(wanted.length ? { related } : {}) };
          status.ok(translate(RED, 'mde-alerts.status.alert', { id: id.length > 14 ? `${id.slice(0, 13)}…` : id }));
          send(msg);
          return;
        }

        const since = await evaluateTyped(RED, node, { value: def.since ?? '', type: def.sinceType || 'str' }, msg);
        const query = await buildQuery(msg, since);
        status.requesting(translate(RED, 'mde-alerts.status.requesting'));
        const result = await listAlerts(http, query, { signal, onWait });
        msg.mde = { request: 'list alerts', count: result.alerts.length, pages: result.pages, truncated: result.truncated, filter: buildAlertFilter(query) };
        status.ok(translate(RED, 'mde-alerts.status.count', { count: result.alerts.length }));
        if (split) {
          await sendSplit(send, msg, result.alerts, signal);
        } else {
          msg.payload = result.alerts;
          send(msg);
        }
      },
    });
  }

  RED.nodes.registerType('mde-alerts', MdeAlerts as never);
};
