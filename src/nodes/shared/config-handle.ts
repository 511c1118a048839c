import type { MdeConnection } from '../../client/connection';
import type { IsolationGuard } from '../../client/safety/isolation-guard';
import type { ActionJournal } from '../../client/safety/action-journal';
import type { ActionLedger } from '../../client/safety/action-ledger';
import type { SharedState } from '../../client/state/shared-state';
import type { Node } from './node-types';

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
}
