// The partner side of an mde-config node: one MdeConnection per customer tenant (its own token
// cache and msal authority, its own rate governor key, its own HTTP agent), and a tenant-scoped
// view of the config node for each, so action nodes run unchanged against "their" tenant.
import { MdeConnection } from '../../client/connection';
import { MdeError, MdeInputError } from '../../client/errors';
import type { ActionJournal } from '../../client/safety/action-journal';
import { IsolationGuard, type GuardSnapshot } from '../../client/safety/isolation-guard';
import { LocalActionLedger, SharedActionLedger, type ActionLedger } from '../../client/safety/action-ledger';
import type { SharedState } from '../../client/state/shared-state';
import type { ConnectionSettings } from '../../client/types';
import type { MdeConfigNode, PartnerConnection } from './config-handle';
import { buildConnectionSettings, type ConfigCredentials, type ConfigProperties } from './config-settings';
import { indicatorRailsFor, type IndicatorRailSettings } from './indicator-rails';
import { findPartnerTenant, readConnectionMode, readPartnerTenants, tenantKey, type PartnerTenant } from './partner-settings';

interface PartnerDef extends ConfigProperties, IndicatorRailSettings {
  mode?: unknown;
  tenants?: unknown;
}

interface SharedParts {
  journal: ActionJournal;
  isolationCap: number;
  isolationWindowMs: number;
  /** A setting of the connection itself that is refused (e.g. the isolation cap): every tenant reports it. */
  settingsError?: MdeError;
  /** Proxy, rate limits: the same for every tenant. */
  extraSettings(): Partial<ConnectionSettings>;
}

export interface PartnerParts {
  handle: PartnerConnection;
  /** The config node's own connection(): a partner connection serves no tenant by itself. */
  unscopedConnection(): MdeConnection;
  close(): Promise<void>;
}

/** Owner key of a tenant's journal entries and isolation ledger: never shared between tenants. */
function scopedOwner(ownerId: string, tenant: PartnerTenant): string {
  return `${ownerId}|tenant:${tenantKey(tenant.tenant)}`;
}

/** The journal as one tenant sees it: the same file, entries kept under a tenant-qualified owner. */
function tenantJournal(journal: ActionJournal, tenant: PartnerTenant): ActionJournal {
  const owner = (id: string) => scopedOwner(id, tenant);
  return Object.assign(Object.create(journal) as ActionJournal, {
    recordsFor: (id: string) => journal.recordsFor(owner(id)),
    add: (id: string, ...rest: Parameters<ActionJournal['add']> extends [string, ...infer R] ? R : never) => journal.add(owner(id), ...rest),
    update: (id: string, ...rest: Parameters<ActionJournal['update']> extends [string, ...infer R] ? R : never) => journal.update(owner(id), ...rest),
    remove: (id: string, requestId: string) => journal.remove(owner(id), requestId),
    guardState: (id: string) => journal.guardState(owner(id)),
    saveGuardState: (id: string, state: unknown) => journal.saveGuardState(owner(id), state),
  });
}

/** Partner parts for a config node in partner mode; undefined in the (default) single-tenant mode. */
export function partnerConnectionFor(node: MdeConfigNode, def: PartnerDef, credentials: () => ConfigCredentials, shared: SharedParts): PartnerParts | undefined {
  let settingsError: MdeError | undefined;
  let tenants: PartnerTenant[] = [];
  try {
    if (readConnectionMode(def.mode) !== 'partner') return undefined;
    const appCloud = buildConnectionSettings({ ...def, tenantId: def.tenantId || 'partner.invalid' }, { clientSecret: 'x', privateKeyPem: 'x' }).cloud.cloud;
    tenants = readPartnerTenants(def.tenants, appCloud);
  } catch (err) {
    // Mode itself unreadable, or a bad list: the node is a partner connection that refuses to work.
    settingsError = err instanceof MdeError ? err : new MdeInputError(String(err), 'InvalidSetting');
  }
  settingsError ??= shared.settingsError;

  const connections = new Map<string, MdeConnection>();
  const views = new Map<string, MdeConfigNode>();
  let appConnection: MdeConnection | undefined;

  function settingsFor(tenant: PartnerTenant): ConnectionSettings {
    const props: ConfigProperties = { ...def, tenantId: tenant.tenant };
    if (tenant.cloud) props.cloud = tenant.cloud;
    if (tenant.region !== undefined) props.region = tenant.region;
    return { ...buildConnectionSettings(props, credentials()), ...shared.extraSettings() };
  }

  function viewFor(tenant: PartnerTenant): MdeConfigNode {
    const key = tenantKey(tenant.tenant);
    let view = views.get(key);
    if (view) return view;
    let guard: Promise<IsolationGuard> | undefined;
    let sharedLedger: SharedActionLedger | undefined;
    const journal = tenantJournal(shared.journal, tenant);
    view = Object.create(node, {
      // Anything a node keys by its connection's id (in-flight action keys, cap ledgers ...) is per tenant.
      id: { value: `${node.id}|tenant:${key}`, enumerable: true },
      tenantId: { value: tenant.tenant, enumerable: true },
      partner: { value: undefined, enumerable: true },
      partnerTenant: { value: tenant, enumerable: true },
      journal: { value: journal, enumerable: true },
      // Never-block list (with this tenant's own domain) and blocking cap: one per customer tenant.
      indicatorRails: { value: indicatorRailsFor({ ...def, tenantId: tenant.tenant }), enumerable: true },
      connection: {
        value(): MdeConnection {
          let c = connections.get(key);
          if (!c) {
            c = new MdeConnection(settingsFor(tenant));
            connections.set(key, c);
          }
          return c;
        },
      },
      isolationGuard: {
        value(): Promise<IsolationGuard> {
          guard ??= journal.guardState(node.id).then((state) => {
            const g = new IsolationGuard(shared.isolationCap, shared.isolationWindowMs);
            g.restore(state as Partial<GuardSnapshot> | undefined);
            return g;
          });
          return guard;
        },
      },
      saveIsolationGuard: {
        async value(): Promise<void> {
          if (!guard) return;
          await journal.saveGuardState(node.id, (await guard).snapshot());
        },
      },
      // Shared state (Redis), when configured: this tenant's own namespace (its connection's).
      sharedState: {
        value(): SharedState | undefined {
          return (view as MdeConfigNode).connection().shared;
        },
      },
      actionLedger: {
        async value(): Promise<ActionLedger> {
          const scoped = view as MdeConfigNode;
          const state = scoped.connection().shared;
          if (state) {
            sharedLedger ??= new SharedActionLedger(state, { cap: shared.isolationCap, capWindowMs: shared.isolationWindowMs });
            return sharedLedger;
          }
          return new LocalActionLedger(await scoped.isolationGuard(), () => scoped.saveIsolationGuard());
        },
      },
    }) as MdeConfigNode;
    views.set(key, view);
    return view;
  }

  const handle: PartnerConnection = {
    get tenants() {
      return tenants;
    },
    check(): void {
      if (settingsError) throw settingsError;
      viewFor(tenants[0]!).connection();
    },
    appConnection(): MdeConnection {
      if (settingsError) throw settingsError;
      const first = tenants[0]!;
      appConnection ??= new MdeConnection(settingsFor({ tenant: first.tenant, name: first.name }));
      return appConnection;
    },
    forTenant(requested: string): MdeConfigNode {
      if (settingsError) throw settingsError;
      const tenant = findPartnerTenant(tenants, requested);
      if (!tenant) {
        throw new MdeInputError(`Tenant ${JSON.stringify(requested)} is not on the customer tenant list of this partner connection; nothing was sent.`, {
          code: 'TenantNotListed',
          hint: `listed: ${tenants.map((t) => t.tenant).join(', ')}. Add the tenant to the Defender connection (mde-config) first.`,
        });
      }
      return viewFor(tenant);
    },
  };

  return {
    handle,
    unscopedConnection(): MdeConnection {
      if (settingsError) throw settingsError;
      throw new MdeInputError('This Defender connection is a partner connection: each message must name its customer tenant (msg.tenantId).', 'TenantRequired');
    },
    async close(): Promise<void> {
      const all = [...connections.values(), ...(appConnection ? [appConnection] : [])];
      connections.clear();
      appConnection = undefined;
      views.clear();
      await Promise.all(all.map((c) => c.close()));
    },
  };
}
