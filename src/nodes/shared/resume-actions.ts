// Machine actions a previous deploy or process was sending or waiting on, picked up when a node
// starts: every journal record the node left, for every tenant its connection serves (a partner
// connection keeps each customer tenant's records under that tenant), each followed to its end and
// sent on, or reported once to Catch nodes (its record then goes).
import { tagTenant } from './base';
import type { MdeConfigNode } from './config-handle';
import type { Node, NodeAPI, NodeMessage } from './node-types';
import type { StatusReporter } from './status';
import type { ActionRecord } from '../../client/safety/action-journal';
import { MdeError } from '../../client/errors';

export interface ResumeOptions<Out> {
  RED: NodeAPI;
  node: Node;
  configId: string | undefined;
  status: StatusReporter;
  /** Status text while `count` records of one tenant are being resumed. */
  statusText(count: number): string;
  /** msg.mde of a resumed message (the record's own fields; `resumed: true` is the caller's). */
  describe(record: ActionRecord): Record<string, unknown>;
  /** Follows one record on the connection (tenant-scoped for a partner connection) it was sent on. */
  resume(config: MdeConfigNode, record: ActionRecord, msg: NodeMessage, signal: AbortSignal): Promise<Out>;
}

/** The connections whose journal entries this node may hold: one, or one per customer tenant. */
function scopesOf(config: MdeConfigNode, node: Node): MdeConfigNode[] {
  if (!config.partner) return [config];
  try {
    return config.partner.tenants.map((t) => config.partner!.forTenant(t.tenant));
  } catch (err) {
    // A partner connection whose tenant list is refused serves no tenant; its records wait for a fix.
    node.warn(`Pending machine actions were not resumed: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
}

/** Starts resuming; returns at once. Aborted (nothing sent, nothing reported) when the node closes. */
export function resumePendingActions<Out>(o: ResumeOptions<Out>): void {
  const controller = new AbortController();
  o.node.on('close', () => controller.abort());
  const shared = o.configId ? (o.RED.nodes.getNode(o.configId) as MdeConfigNode | null) : null;
  if (!shared || typeof shared.journal?.recordsFor !== 'function') return;

  for (const config of scopesOf(shared, o.node)) {
    void config.journal.recordsFor(o.node.id).then(
      (records) => {
        if (!records.length || controller.signal.aborted) return;
        o.status.requesting(o.statusText(records.length));
        for (const record of records) {
          const msg: NodeMessage = { ...record.msg, _msgid: record.msg._msgid ?? o.RED.util.generateId() };
          msg.mde = { ...o.describe(record), resumed: true };
          if (config.partnerTenant) tagTenant(msg, config.partnerTenant);
          o.resume(config, record, msg, controller.signal).then(
            (out) => {
              if (config.partnerTenant) for (const m of [out].flat()) if (m) tagTenant(m, config.partnerTenant);
              o.node.send(out as never);
            },
            async (err: unknown) => {
              if (controller.signal.aborted) return;
              // Reported once: the record goes, the error reaches Catch nodes with the message.
              await config.journal.remove(o.node.id, record.requestId).catch(() => undefined);
              o.status.error(err instanceof MdeError ? err.code : 'error');
              if (err instanceof MdeError) (msg.mde as Record<string, unknown>).error = err.toJSON();
              o.node.error(err instanceof Error ? err : new Error(String(err)), msg);
            },
          );
        }
      },
      (err: unknown) => o.node.warn(`Could not read pending machine actions: ${err instanceof Error ? err.message : String(err)}`),
    );
  }
}
