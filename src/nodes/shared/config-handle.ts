import type { MdeConnection } from '../../client/connection';
import type { IsolationGuard } from '../../client/safety/isolation-guard';
import type { ActionJournal } from '../../client/safety/action-journal';
import type { Node } from './node-types';
import type { IndicatorRails } from './indicator-rails';

/** What action nodes may use from an `mde-config` node. */
export interface MdeConfigNode extends Node {
  readonly tenantId: string;
  /** The shared connection (token cache, HTTP agent, governor); throws a clear error if the settings are invalid. */
  connection(): MdeConnection;
  /** Isolation safety ledger shared by every isolate node of this connection (restored from disk). */
  isolationGuard(): Promise<IsolationGuard>;
  saveIsolationGuard(): Promise<void>;
  readonly journal: ActionJournal;
  readonly isolationCap: number;
  readonly isolationWindowMs: number;
  /** Never-block list + blocking cap shared by every indicator node of this connection. */
  indicatorRails?(): IndicatorRails;
}
