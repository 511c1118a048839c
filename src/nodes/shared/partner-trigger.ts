// Builds the alert trigger's pollers for a partner connection: one per listed tenant, each on
// that tenant's scoped connection and with a checkpoint key that names the tenant.
import { AlertPoller, type PolledItem } from '../../client/alerts/poller';
import { graphPollSource } from '../../client/alerts/poll-source';
import { MdeError } from '../../client/errors';
import type { CheckpointStore } from '../../client/state/checkpoint-store';
import type { MdeConfigNode } from './config-handle';
import { translate } from './i18n';
import type { Node, NodeAPI, NodeMessage } from './node-types';
import { PartnerPoller } from './partner-poller';
import { tenantKey } from './partner-settings';
import type { StatusReporter } from './status';
import type { TriggerSettings } from './trigger-settings';

const TYPE = 'mde-alert-trigger';

export function partnerPollerFor(RED: NodeAPI, node: Node, config: MdeConfigNode, settings: TriggerSettings, store: CheckpointStore, status: StatusReporter): PartnerPoller {
  const partner = config.partner!;
  const pollers = partner.tenants.map((tenant) => {
    const scoped = partner.forTenant(tenant.tenant);
    const source = graphPollSource(scoped.connection().http, settings.source, settings.filters, {
      onWait: (info) => status.waiting(translate(RED, `${TYPE}.status.waiting`, { seconds: Math.ceil(info.waitMs / 1000) })),
    });
    const poller = new AlertPoller<PolledItem>({
      source,
      store,
      key: `${node.id}|${tenantKey(tenant.tenant)}|${settings.source}`,
      mode: settings.mode,
      lookbackMs: settings.lookbackMs,
      overlapMs: settings.overlapMs,
    });
    return { tenant, poller };
  });
  // One tenant's failure goes to Catch nodes with its tenant; the other tenants keep polling.
  return new PartnerPoller(pollers, (err, tenant) => {
    const error = err instanceof Error ? err : new Error(String(err));
    const details = error instanceof MdeError ? error.toJSON() : { message: error.message };
    node.error(error, { _msgid: RED.util.generateId(), payload: null, mde: { source: settings.source, tenantId: tenant.tenant, error: details } } as NodeMessage);
  });
}
