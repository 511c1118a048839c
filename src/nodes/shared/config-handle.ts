import type { MdeConnection } from '../../client/connection';
import type { IsolationGuard } from '../../client/safety/isolation-guard';
import type { ActionJournal } from '../../client/safety/action-journal';
import type { ActionLedger } from '../../client/safety/action-ledger';
import type { SharedState } from '../../client/state/shared-state';
import type { Node } from './node-types';
import type { IndicatorRails } from './indicator-rails';
import type { PartnerTenant } from './partner-settings';

/** What action nodes may use from an `mde-config` node. */
export interface MdeConfigNode extends Node {
  readonly tenantId: string;
  /** The shared connection (token cache, HTTP agent, governor); throws a clear error if the settings are invalid. */
  connection(): MdeConnection;
  /** Isolation safety ledger shared by every isolate node of this connection (restored from disk). */
  isolationGuard(): Promise<IsolationGuard>;
  saveIsolationGuard(): Promise<void>;
  /**
   * What destructive actions consult before sending (cap, conflicts, other senders): the local
   * guard, or the shared one when Redis is configured (which refuses while Redis is unreachable).
   */
  actionLedger(): Promise<ActionLedger>;
  /** The shared state (Redis) of this connection, or undefined when it is not configured. */
  sharedState(): SharedState | undefined;
  readonly journal: ActionJournal;
  readonly isolationCap: number;
  readonly isolationWindowMs: number;
  /** Never-block list + blocking cap shared by every indicator node of this connection. */
  indicatorRails?(): IndicatorRails;
  /** Partner mode only: the customer tenants and a tenant-scoped view for each. */
  readonly partner?: PartnerConnection;
  /** On a tenant-scoped view of a partner connection: the customer tenant it serves. */
  readonly partnerTenant?: PartnerTenant;
}

/** A partner (MSSP) connection: one app registration, many customer tenants. */
export interface PartnerConnection {
  readonly tenants: readonly PartnerTenant[];
  /** Throws the settings error (InvalidSetting / InvalidInput ...) when the connection cannot work. */
  check(): void;
  /** The app's own connection settings (first listed tenant, without its cloud / region): what Test connection compares with. */
  appConnection(): MdeConnection;
  /**
   * The connection as one customer tenant sees it: its own tokens, rate budgets, isolation cap,
   * journal entries. Throws `TenantNotListed` for a tenant that is not on the list.
   */
  forTenant(tenant: string): MdeConfigNode;
}
