// List alerts (filters without OData, paging) or get one alert, from Microsoft Graph
// (`/security/alerts_v2`, the default for new nodes) or the MDE API (`/api/alerts`, until it
// retires on 1 February 2027; a flow without the API setting was built for it and stays on it).
// Every dialog property is checked at deploy and every msg value per message, for the chosen
// API, before anything is sent.
import { translate } from './shared/i18n';
import { mergeAlertQuery, parseAlertFilterObject, parseAlertFilterValue, toGraphAlertQuery, toMdeAlertQuery, type AlertQueryPart } from '../client/alerts/query';
import { mdeAlertToGraphAlert } from '../client/alerts/shape';
import { checkAlertQuery, getAlert, getAlertRelated, listAlerts } from '../client/mde/alerts';
import { MdeInputError } from '../client/errors';
import { checkGraphAlertQuery, getGraphAlert, listGraphAlerts } from '../client/graph/alerts';
import { parseSince } from '../client/mde/odata';
import type { Alert } from '../client/types';
import { describe } from '../client/validate';
import { resolveConfig, wireActionNode } from './shared/base';
import { checkAlertsSettings, settingName, type AlertsSettings, type MdeAlertsProperties } from './shared/alerts-settings';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, TypedValue } from './shared/node-types';
import { readTenantInput } from './shared/partner-settings';
import { sendSplit } from './shared/emit';
import { readRenamedStatus } from './shared/renamed-status';
import { describeTyped, evaluateTyped } from './shared/typed-input';
import { choiceSetting, type Settings } from './shared/action-settings';

interface MdeAlertsDef extends NodeDef, MdeAlertsProperties {
  config?: string;
  /** Partner connections: "message" (msg.tenantId, default) or "all" (once per listed tenant). */
  tenantScope?: string;
}

const GRAPH_ALERTS_PATH = '/v1.0/security/alerts_v2';

export = function register(RED: NodeAPI): void {
  function MdeAlerts(this: Node, def: MdeAlertsDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: AlertsSettings | undefined;
    let settingsError: MdeInputError | undefined;
    let allTenants = false;
    let tenantInput: TypedValue | undefined;
    try {
      allTenants = choiceSetting(def as unknown as Settings, 'tenantScope', ['message', 'all'] as const, 'message') === 'all';
      tenantInput = readTenantInput(def as unknown as Settings);
      const statusFilter = readRenamedStatus(RED, def, { type: 'mde-alerts', property: 'statusFilter' });
      settings = checkAlertsSettings({ ...def, statusFilter, status: undefined });
    } catch (err) {
      if (!(err instanceof MdeInputError)) throw err;
      settingsError = err;
    }

    /** The dialog's since (text, or read from msg / context / env), unless msg.filter gives one. */
    async function sinceFor(s: AlertsSettings, msg: NodeMessageInFlow, now: number): Promise<AlertQueryPart> {
      if (s.sinceInput) {
        const value = await evaluateTyped(RED, node, s.sinceInput, msg);
        const where = describeTyped(s.sinceInput);
        // Not set is not "no limit": a flow that forgot it would otherwise list every alert.
        if (value === undefined) throw new MdeInputError(`The time window is read from ${where}, which is not set: set it, or set it to '' for no time limit.`);
        return { since: parseAlertFilterValue('since', value, `since (read from ${where})`, now, s.api) };
      }
      return s.sinceText === undefined ? {} : { since: parseSince(s.sinceText, now, settingName('since')) };
    }

    const status = wireActionNode(RED, node, {
      type: 'mde-alerts',
      configId: def.config,
      allTenants,
      tenant: tenantInput,
      settingsError: () => settingsError,
      async onInput({ msg, send, status, config, signal }) {
        if (!settings) throw settingsError!;
        const s = settings;
        const connection = config.connection();
        const http = connection.http;
        const onWait = (info: { waitMs: number }) =>
          status.waiting(translate(RED, 'mde-alerts.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) }));
        // The MDE API's alerts in the one documented shape (docs/alert-shape.md), unless the node
        // keeps the MDE API's own fields (flows built before the Graph source existed).
        const shaped = (a: Alert): unknown => (s.api === 'mde' && s.shape === 'graph' ? mdeAlertToGraphAlert(a, { portalUrl: connection.cloud.portalUrl }) : a);

        if (s.mode === 'get') {
          const id = await evaluateTyped(RED, node, s.alertId, msg);
          if (id === undefined || id === '') {
            throw new MdeInputError(translate(RED, 'mde-alerts.errors.no-alert-id', { property: describeTyped(s.alertId) }));
          }
          if (typeof id !== 'string') {
            throw new MdeInputError(`The alert ID (${describeTyped(s.alertId)}) must be text such as da637308392288907382_-880718168, got ${describe(id)}.`);
          }
          status.requesting(translate(RED, 'mde-alerts.status.requesting'));
          if (s.api === 'graph') {
            msg.payload = await getGraphAlert(http, id, { signal, onWait });
            msg.mde = { request: 'get alert', api: 'graph', alertId: id };
          } else {
            const alert = await getAlert(http, id, { expandEvidence: s.expandEvidence, signal, onWait });
            const related: Record<string, unknown> = {};
            for (const kind of s.related) related[kind] = await getAlertRelated(http, id, kind, { signal, onWait });
            msg.payload = shaped(alert);
            msg.mde = { request: 'get alert', api: 'mde', alertId: id, ...(s.related.length ? { related } : {}) };
          }
          status.ok(translate(RED, 'mde-alerts.status.alert', { id: id.length > 14 ? `${id.slice(0, 13)}…` : id }));
          send(msg);
          return;
        }

        const now = Date.now();
        const fromMsg = msg.filter === undefined ? {} : parseAlertFilterObject(msg.filter, 'msg.filter', now, s.api);
        const since = Object.prototype.hasOwnProperty.call(fromMsg, 'since') ? {} : await sinceFor(s, msg, now);
        const query = mergeAlertQuery(s.filters, since, fromMsg);
        let alerts: unknown[];
        if (s.api === 'graph') {
          const graphQuery = toGraphAlertQuery(query);
          const { filter, clientSideFilters } = checkGraphAlertQuery(graphQuery);
          status.requesting(translate(RED, 'mde-alerts.status.requesting'));
          const result = await listGraphAlerts(http, graphQuery, { signal, onWait });
          alerts = result.alerts;
          msg.mde = {
            request: 'list alerts', api: 'graph', count: alerts.length, pages: result.pages, truncated: result.truncated, filter, path: GRAPH_ALERTS_PATH,
            ...(clientSideFilters.length ? { clientSideFilters } : {}),
          };
        } else {
          const mdeQuery = toMdeAlertQuery(query);
          const { path, filter } = checkAlertQuery(mdeQuery);
          status.requesting(translate(RED, 'mde-alerts.status.requesting'));
          const result = await listAlerts(http, mdeQuery, { signal, onWait });
          alerts = result.alerts.map(shaped);
          msg.mde = { request: 'list alerts', api: 'mde', count: alerts.length, pages: result.pages, truncated: result.truncated, filter, path };
        }
        status.ok(translate(RED, 'mde-alerts.status.count', { count: alerts.length }));
        if (s.split) {
          await sendSplit(send, msg, alerts, signal);
        } else {
          msg.payload = alerts;
          send(msg);
        }
      },
    });

    if (settingsError) {
      status.error(settingsError.code);
      node.error(settingsError.message);
    } else if (settings?.api === 'mde') {
      // The MDE API keeps working until 1 February 2027; say so on the node itself (unless the
      // connection is broken: that red status matters more).
      try {
        const config = resolveConfig(RED, 'mde-alerts', def.config);
        if (!config.partner) config.connection();
        status.waiting(translate(RED, 'mde-alerts.status.mde-retiring'));
      } catch {
        // wireActionNode already shows why
      }
    }
  }

  RED.nodes.registerType('mde-alerts', MdeAlerts as never);
};
