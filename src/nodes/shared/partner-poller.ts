// The alert trigger on a partner connection: one AlertPoller per customer tenant (its own
// checkpoint, keyed by tenant), polled one after the other in list order. A tenant whose poll
// fails (not consented, throttled ...) is reported on its own and the others still poll; the
// cycle only fails when every tenant failed.
import type { AlertPoller, Emission, PollOptions, PollOutcome, PolledItem } from '../../client/alerts/poller';
import type { PartnerTenant } from './partner-settings';

export interface TenantPoller {
  tenant: PartnerTenant;
  poller: AlertPoller<PolledItem>;
}

/** An emission with the tenant it came from (the trigger puts it on msg.mde.tenantId). */
export type TenantEmission = Emission<PolledItem> & { tenantId?: string };

export class PartnerPoller {
  constructor(
    private readonly pollers: TenantPoller[],
    private readonly onTenantError: (error: unknown, tenant: PartnerTenant) => void,
  ) {}

  get field(): AlertPoller<PolledItem>['field'] {
    return this.pollers[0]!.poller.field;
  }

  async poll(opts: PollOptions<PolledItem>): Promise<PollOutcome> {
    const total: PollOutcome = { emitted: 0, fetched: 0, repeated: 0, malformed: 0, pages: 0, more: false, aborted: false } as PollOutcome;
    const failures: unknown[] = [];
    for (const { tenant, poller } of this.pollers) {
      if (opts.signal?.aborted) {
        total.aborted = true;
        break;
      }
      try {
        const outcome = await poller.poll({ signal: opts.signal, emit: (e) => opts.emit({ ...e, tenantId: tenant.tenant } as TenantEmission) });
        for (const key of ['emitted', 'fetched', 'repeated', 'malformed', 'pages'] as const) total[key] += outcome[key] ?? 0;
        total.more ||= outcome.more;
        total.aborted ||= outcome.aborted;
      } catch (err) {
        if (opts.signal?.aborted) {
          total.aborted = true;
          break;
        }
        failures.push(err);
        this.onTenantError(err, tenant);
      }
    }
    if (failures.length === this.pollers.length) throw failures[0];
    return total;
  }

  async reset(): Promise<void> {
    for (const { poller } of this.pollers) await poller.reset();
  }

  /** The oldest checkpoint of all tenants (the editor shows one line); remembered: the sum. */
  async state(): Promise<{ checkpoint: string | null; since: string; remembered: number; tenants: Record<string, unknown>[] }> {
    const states = await Promise.all(this.pollers.map(async ({ tenant, poller }) => ({ tenantId: tenant.tenant, ...(await poller.state()) })));
    const oldest = [...states].sort((a, b) => (a.since < b.since ? -1 : 1))[0]!;
    return { checkpoint: oldest.checkpoint, since: oldest.since, remembered: states.reduce((n, s) => n + s.remembered, 0), tenants: states };
  }
}
