import type { Node } from './node-types';

type NodeStatus = Parameters<Node['status']>[0];

/** At most one status update per interval: every update is pushed to every open editor. */
const INTERVAL_MS = 100;

/**
 * Short status texts (Node-RED shows ~20 characters under the node). Under a burst of messages
 * updates are coalesced: the latest one is shown at most INTERVAL_MS later; errors show at once.
 */
export class StatusReporter {
  private lastAt = 0;
  private pending: NodeStatus | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly node: Node) {}

  requesting(text: string): void {
    this.set({ fill: 'blue', shape: 'dot', text });
  }

  waiting(text: string): void {
    this.set({ fill: 'yellow', shape: 'ring', text });
  }

  ok(text: string): void {
    this.set({ fill: 'green', shape: 'dot', text });
  }

  info(text: string): void {
    this.set({ fill: 'grey', shape: 'dot', text });
  }

  error(text: string): void {
    this.apply({ fill: 'red', shape: 'ring', text: text.length > 32 ? `${text.slice(0, 31)}…` : text });
  }

  clear(): void {
    this.apply({});
  }

  private set(status: NodeStatus): void {
    const since = Date.now() - this.lastAt;
    if (!this.timer && since >= INTERVAL_MS) {
      this.apply(status);
      return;
    }
    this.pending = status;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next) this.apply(next);
    }, Math.max(0, INTERVAL_MS - since));
  }

  /** Shows `status` now and drops anything coalesced before it (it is newer). */
  private apply(status: NodeStatus): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    this.lastAt = Date.now();
    this.node.status(status);
  }
}
