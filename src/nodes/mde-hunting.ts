// Advanced hunting: a KQL template filled from msg with every value escaped as a complete KQL
// string literal, run through Microsoft Graph runHuntingQuery (default) or the MDE API.
import { translate } from './shared/i18n';
import { MdeInputError } from '../client/errors';
import { runHuntingQuery } from '../client/hunting';
import { checkKqlTemplate, renderKqlTemplate } from '../client/kql';
import { wireActionNode } from './shared/base';
import { sendSplit } from './shared/emit';
import type { Node, NodeAPI, NodeDef } from './shared/node-types';

interface MdeHuntingDef extends NodeDef {
  config?: string;
  query?: string;
  api?: string;
  timespan?: string;
  allowRaw?: boolean;
  convertDates?: boolean;
  outputMode?: string;
}

export = function register(RED: NodeAPI): void {
  function MdeHunting(this: Node, def: MdeHuntingDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const template = (def.query ?? '').trim();
    const api = def.api === 'mde' ? 'mde' : 'graph';
    const allowRaw = Boolean(def.allowRaw);
    let templateError: Error | undefined;
    if (template) {
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
      async onInput({ msg, send, status, config, signal }) {
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
          timespan: def.timespan?.trim() || undefined,
          convertDates: Boolean(def.convertDates),
          signal,
          onWait: (info: { waitMs: number }) =>
            status.waiting(translate(RED, 'mde-hunting.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) })),
        });
        msg.schema = result.schema;
        msg.stats = result.stats;
        msg.mde = { request: 'advanced hunting', api: result.api, rowCount: result.results.length, query };
        status.ok(translate(RED, 'mde-hunting.status.rows', { count: result.results.length }));
        if (def.outputMode === 'split') {
          await sendSplit(send, msg, result.results, signal);
        } else {
          msg.payload = result.results;
          send(msg);
        }
      },
    });
    if (templateError) {
      status.error(translate(RED, 'mde-hunting.status.template'));
      node.warn(templateError.message);
    }
  }

  RED.nodes.registerType('mde-hunting', MdeHunting as never);
};
