// Update an alert or an incident: status, owner, classification + determination (documented pairs
// only) and a comment templated from msg. Microsoft Graph by default; for alerts the MDE API stays
// selectable until it retires (1 February 2027). Everything is validated before the first request.
import { translate } from './shared/i18n';
import { buildAlertPatch, updateAlert } from '../client/mde/alerts';
import { graphUpdateToMde, mdeAlertToGraphAlert } from '../client/alerts/shape';
import { MdeInputError } from '../client/errors';
import { buildGraphAlertUpdate, checkComment, commentGraphAlert, graphIncidentId, updateGraphAlert, type GraphAlertUpdate } from '../client/graph/alerts';
import { buildIncidentUpdate, commentIncident, updateIncident, type IncidentUpdate } from '../client/graph/incidents';
import { alertId } from '../client/mde/odata';
import { renderTextTemplate } from '../client/templates';
import { describe } from '../client/validate';
import { resolveConfig, wireActionNode } from './shared/base';
import { readRenamedStatus } from './shared/renamed-status';
import type { Node, NodeAPI, NodeDef } from './shared/node-types';
import { describeTyped, evaluateTyped } from './shared/typed-input';

interface MdeAlertUpdateDef extends NodeDef {
  config?: string;
  target?: string;
  api?: string;
  targetId?: string;
  targetIdType?: string;
  /** The status to set. Not `status`: the editor keeps a node's status display in node.status. */
  newStatus?: unknown;
  /** Flows saved before the rename (see shared/renamed-status). */
  status?: unknown;
  assignedTo?: string;
  classification?: string;
  determination?: string;
  comment?: string;
}

type Target = 'alert' | 'incident';

const OVERRIDE_KEYS = ['status', 'assignedTo', 'classification', 'determination', 'comment'];

function short(id: string): string {
  return id.length > 14 ? `${id.slice(0, 13)}…` : id;
}

export = function register(RED: NodeAPI): void {
  function MdeAlertUpdate(this: Node, def: MdeAlertUpdateDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const target: Target = def.target === 'incident' ? 'incident' : 'alert';
    const api = def.api === 'mde' ? 'mde' : 'graph';
    const commentTemplate = def.comment ?? '';
    // NR_FLOW_NAME is the tab's label (Node-RED >= 2.2), for comments like "flow {{flowName}}".
    const flowName = String(RED.util.evaluateNodeProperty('NR_FLOW_NAME', 'env', node, {}) ?? '');
    const idInput = { value: def.targetId || (target === 'incident' ? 'incidentId' : 'alertId'), type: def.targetIdType || 'msg' };
    let dialogStatus = '';
    let settingsError: MdeInputError | undefined;
    try {
      dialogStatus = readRenamedStatus(RED, def as unknown as Record<string, unknown>, { type: 'mde-alert-update', property: 'newStatus' });
    } catch (err) {
      if (!(err instanceof MdeInputError)) throw err;
      settingsError = err;
    }

    /** Dialog values, then msg.update on top; the same checks whichever way they came. */
    function wanted(msg: Record<string, unknown>): { patch: Record<string, unknown>; comment?: string; literalComment: boolean } {
      const raw = msg.update;
      if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
        throw new MdeInputError(translate(RED, 'mde-alert-update.errors.update-object', { got: describe(raw) }));
      }
      const o = (raw ?? {}) as Record<string, unknown>;
      const unknown = Object.keys(o).find((k) => !OVERRIDE_KEYS.includes(k));
      if (unknown) throw new MdeInputError(translate(RED, 'mde-alert-update.errors.update-key', { key: unknown, keys: OVERRIDE_KEYS.join(', ') }));
      const pick = (key: string, dialog: string | undefined): unknown => (key in o ? o[key] : dialog === undefined || dialog === '' ? undefined : dialog);
      const patch: Record<string, unknown> = {};
      for (const [key, dialog] of [['status', dialogStatus], ['assignedTo', def.assignedTo], ['classification', def.classification], ['determination', def.determination]] as const) {
        const v = pick(key, dialog);
        if (v !== undefined) patch[key] = v;
      }
      if ('comment' in o) return { patch, comment: o.comment === undefined ? undefined : (o.comment as string), literalComment: true };
      return { patch, comment: commentTemplate.trim() ? commentTemplate : undefined, literalComment: false };
    }

    const status = wireActionNode(RED, node, {
      type: 'mde-alert-update',
      configId: def.config,
      async onInput({ msg, send, status, config, signal }) {
        if (settingsError) throw settingsError;
        if (target === 'incident' && api === 'mde') throw new MdeInputError(translate(RED, 'mde-alert-update.errors.incident-mde'));
        const rawId = await evaluateTyped(RED, node, idInput, msg);
        if (rawId === undefined || rawId === null || rawId === '') {
          throw new MdeInputError(translate(RED, `mde-alert-update.errors.no-${target}-id`, { property: describeTyped(idInput) }));
        }
        const id = target === 'incident' ? graphIncidentId(rawId) : alertId(rawId);
        const { patch, comment: commentSource, literalComment } = wanted(msg as Record<string, unknown>);

        // Validate everything before the first request: a bad pair must not leave half an update.
        let comment: string | undefined;
        if (commentSource !== undefined) {
          const text = literalComment ? commentSource : renderTextTemplate(commentSource, { ...msg, flowName, nodeName: def.name || 'mde-alert-update', id, [`${target}Id`]: id }).trim();
          if (!literalComment && !text) throw new MdeInputError(translate(RED, 'mde-alert-update.errors.empty-comment'));
          comment = checkComment(text);
        }
        const hasPatch = Object.keys(patch).length > 0;
        if (!hasPatch && comment === undefined) throw new MdeInputError(translate(RED, 'mde-alert-update.errors.nothing'));
        const body = hasPatch ? (target === 'incident' ? buildIncidentUpdate(patch as IncidentUpdate) : buildGraphAlertUpdate(patch as GraphAlertUpdate)) : undefined;
        if (api === 'mde' && body && body.assignedTo === null) throw new MdeInputError(translate(RED, 'mde-alert-update.errors.mde-unassign'));
        const mdeBody = api === 'mde' ? buildAlertPatch({ ...graphUpdateToMde(body ?? {}), ...(comment !== undefined ? { comment } : {}) }) : undefined;

        const http = config.connection().http;
        const onWait = (info: { waitMs: number }) => status.waiting(translate(RED, 'mde-alert-update.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) }));
        const updated = body ? Object.keys(body) : [];
        const mde: Record<string, unknown> = { request: `update ${target}`, api, target, id, updated: [] as string[], commented: false };
        msg.mde = mde;
        status.requesting(translate(RED, 'mde-alert-update.status.requesting'));

        if (api === 'mde') {
          const result = await updateAlert(http, id, mdeBody!, { signal, onWait });
          msg.payload = mdeAlertToGraphAlert(result, { portalUrl: config.connection().cloud.portalUrl });
          mde.updated = updated;
          mde.commented = comment !== undefined;
        } else {
          if (body) {
            msg.payload = target === 'incident' ? await updateIncident(http, id, body, { signal, onWait }) : await updateGraphAlert(http, id, body as GraphAlertUpdate, { signal, onWait });
            // Recorded before the comment is sent, so a failing comment still says what was changed.
            mde.updated = updated;
          }
          if (comment !== undefined) {
            mde.comments = target === 'incident' ? await commentIncident(http, id, comment, { signal, onWait }) : await commentGraphAlert(http, id, comment, { signal, onWait });
            mde.commented = true;
          }
        }
        status.ok(translate(RED, mde.commented && !updated.length ? 'mde-alert-update.status.commented' : 'mde-alert-update.status.updated', { target, id: short(id) }));
        send(msg);
      },
    });
    if (settingsError) {
      status.error(settingsError.code);
      node.error(settingsError.message);
    } else if (api === 'mde' && target === 'alert') {
      // The MDE API keeps working until 1 February 2027; say so on the node itself (unless the
      // connection is broken: that red status matters more).
      try {
        resolveConfig(RED, 'mde-alert-update', def.config).connection();
        status.waiting(translate(RED, 'mde-alert-update.status.mde-retiring'));
      } catch {
        // wireActionNode already shows why
      }
    }
  }

  RED.nodes.registerType('mde-alert-update', MdeAlertUpdate as never);
};
