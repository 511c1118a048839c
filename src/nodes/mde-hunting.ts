// Advanced hunting: a KQL template filled from msg with every value escaped as a complete KQL
// string literal, run through Microsoft Graph runHuntingQuery (default) or the MDE API.
import { translate } from './shared/i18n';
import { MdeInputError } from '../client/errors';
import { runHuntingQuery } from '../client/hunting/hunting';
import { checkKqlTemplate, renderKqlTemplate } from '../client/hunting/kql';
import { wireActionNode } from './shared/base';
import { sendSplit } from './shared/emit';
import { booleanSetting, choiceSetting, textSetting, type Settings } from './shared/action-settings';
import type { Node, NodeAPI, NodeDef, TypedValue } from './shared/node-types';
import { readTenantInput } from './shared/partner-settings';

interface MdeHuntingDef extends NodeDef {
  config?: string;
  query?: string;
  api?: string;
  timespan?: string;
  allowRaw?: boolean;
  convertDates?: boolean;
  outputMode?: string;
  /** Partner connections: "message" (msg.tenantId, default) or "all" (once per listed tenant). */
  tenantScope?: string;
}

export = function register(RED: NodeAPI): void {
  function MdeHunting(this: Node, def: MdeHuntingDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    // Imported or hand-edited flows carry any value: a wrong one is refused, never defaulted.
    let settingsError: Error | undefined;
    let template = '';
    let api: 'graph' | 'mde' = 'graph';
    let allowRaw = false;
    let convertDates = false;
    let split = false;
    let timespan = '';
    let allTenants = false;
    let tenantInput: TypedValue | undefined;
    try {
      const settings = def as unknown as Settings;
      template = textSetting(settings, 'query', '').trim();
      api = choiceSetting(settings, 'api', ['graph', 'mde'] as const, 'graph');
      allowRaw = booleanSetting(settings, 'allowRaw', false);
      convertDates = booleanSetting(settings, 'convertDates', false);
      split = choiceSetting(settings, 'outputMode', ['array', 'split'] as const, 'array') === 'split';
      timespan = textSetting(settings, 'timespan', '').trim();
      allTenants = choiceSetting(settings, 'tenantScope', ['message', 'all'] as const, 'message') === 'all';
      tenantInput = readTenantInput(settings);
    } catch (err) {
      settingsError = err as Error;
    }
    let templateError: Error | undefined;
    if (template && !settingsError) {
      // Reject raw / partial tags and placeholders written inside quotes or comments at deploy
      // time, not on the first alert at 3 a.m.; every message is then refused with the reason.
      try {
        checkKqlTemplate(template, { allowRaw });
      } catch (err) {
        templateError = err as Error;
      }
    }

    const status = wireActionNode(RED, node, {
      type: 'mde-hunting',
      configId: def.config,
      allTenants,
      tenant: tenantInput,
      settingsError: () => settingsError,
      async onInput({ msg, send, status, config, signal }) {
        if (settingsError) throw settingsError;
        if (templateError) throw templateError;
        let query: string;
        if (template) {
          // Reads only the values the template names: msg may hold circular or live objects
          // (an http in flow's req / res) that must never be serialised.
          query = renderKqlTemplate(template, msg, { allowRaw, viewName: 'msg' });
        } else if (typeof msg.query === 'string' && msg.query.trim()) {
          query = msg.query;
        } else {
          throw new MdeInputError(translate(RED, 'mde-hunting.errors.no-query'));
        }
        status.requesting(translate(RED, 'mde-hunting.status.requesting'));
        const http = config.connection().http;
        const result = await runHuntingQuery(http, query, {
          api,
          timespan: timespan || undefined,
          convertDates,
          signal,
          onWait: (info: { waitMs: number }) =>
            status.waiting(translate(RED, 'mde-hunting.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) })),
        });
        msg.schema = result.schema;
        msg.stats = result.stats;
        msg.mde = { request: 'advanced hunting', api: result.api, rowCount: result.results.length, query };
        status.ok(translate(RED, 'mde-hunting.status.rows', { count: result.results.length }));
        if (split) {
          await sendSplit(send, msg, result.results, signal);
        } else {
          msg.payload = result.results;
          send(msg);
        }
      },
    });
    if (settingsError) {
      status.error('InvalidSetting');
      node.warn(settingsError.message);
    } else if (templateError) {
      status.error(translate(RED, 'mde-hunting.status.template'));
      node.warn(templateError.message);
    }
  }

  RED.nodes.registerType('mde-hunting', MdeHunting as never);
};
