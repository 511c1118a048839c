// List alerts (filters without OData, paging past 10,000 rows) or get one alert with its
// related entities. Every dialog property is checked at deploy and every msg value per message,
// before anything is sent.
import { translate } from './shared/i18n';
import { mergeAlertQuery, parseAlertFilterObject, parseAlertFilterValue, type AlertQueryPart } from '../client/alert-query';
import { checkAlertQuery, getAlert, getAlertRelated, listAlerts } from '../client/alerts';
import { MdeInputError } from '../client/errors';
import { parseSince } from '../client/odata';
import { describe } from '../client/validate';
import { wireActionNode } from './shared/base';
import { checkAlertsSettings, settingName, type AlertsSettings, type MdeAlertsProperties } from './shared/alerts-settings';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from './shared/node-types';
import { sendSplit } from './shared/emit';
import { readRenamedStatus } from './shared/renamed-status';
import { describeTyped, evaluateTyped } from './shared/typed-input';

interface MdeAlertsDef extends NodeDef, MdeAlertsProperties {
  config?: string;
}

export = function register(RED: NodeAPI): void {
  function MdeAlerts(this: Node, def: MdeAlertsDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: AlertsSettings | undefined;
    let settingsError: MdeInputError | undefined;
    try {
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
        return { since: parseAlertFilterValue('since', value, `since (read from ${where})`, now) };
      }
      return s.sinceText === undefined ? {} : { since: parseSince(s.sinceText, now, settingName('since')) };
    }

    const status = wireActionNode(RED, node, {
      type: 'mde-alerts',
      configId: def.config,
      async onInput({ msg, send, status, config, signal }) {
        if (!settings) throw settingsError!;
        const s = settings;
        const http = config.connection().http;
        const onWait = (info: { waitMs: number }) =>
          status.waiting(translate(RED, 'mde-alerts.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) }));

        if (s.mode === 'get') {
          const id = await evaluateTyped(RED, node, s.alertId, msg);
          if (id === undefined || id === '') {
            throw new MdeInputError(translate(RED, 'mde-alerts.errors.no-alert-id', { property: describeTyped(s.alertId) }));
          }
          if (typeof id !== 'string') {
            throw new MdeInputError(`The alert ID (${describeTyped(s.alertId)}) must be text such as da637308392288907382_-880718168, got ${describe(id)}.`);
          }
          status.requesting(translate(RED, 'mde-alerts.status.requesting'));
          const alert = await getAlert(http, id, { expandEvidence: s.expandEvidence, signal, onWait });
          const related: Record<string, unknown> = {};
          for (const kind of s.related) related[kind] = await getAlertRelated(http, id, kind, { signal, onWait });
          msg.payload = alert;
          msg.mde = { request: 'get alert', alertId: id, ...(s.related.length ? { related } : {}) };
          status.ok(translate(RED, 'mde-alerts.status.alert', { id: id.length > 14 ? `${id.slice(0, 13)}…` : id }));
          send(msg);
          return;
        }

        const now = Date.now();
        const fromMsg = msg.filter === undefined ? {} : parseAlertFilterObject(msg.filter, 'msg.filter', now);
        const since = Object.prototype.hasOwnProperty.call(fromMsg, 'since') ? {} : await sinceFor(s, msg, now);
        const query = mergeAlertQuery(s.filters, since, fromMsg);
        const { path, filter } = checkAlertQuery(query);
        status.requesting(translate(RED, 'mde-alerts.status.requesting'));
        const result = await listAlerts(http, query, { signal, onWait });
        msg.mde = { request: 'list alerts', count: result.alerts.length, pages: result.pages, truncated: result.truncated, filter, path };
        status.ok(translate(RED, 'mde-alerts.status.count', { count: result.alerts.length }));
        if (s.split) {
          await sendSplit(send, msg, result.alerts, signal);
        } else {
          msg.payload = result.alerts;
          send(msg);
        }
      },
    });

    if (settingsError) {
      status.error(settingsError.code);
      node.error(settingsError.message);
    }
  }

  RED.nodes.registerType('mde-alerts', MdeAlerts as never);
};
