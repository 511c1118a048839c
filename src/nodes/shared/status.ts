import type { Node } from './node-types';

/** Short status texts (Node-RED shows ~20 characters under the node). */
export class StatusReporter {
  constructor(private readonly node: Node) {}

  requesting(text: string): void {
    this.node.status({ fill: 'blue', shape: 'dot', text });
  }

  waiting(text: string): void {
    this.node.status({ fill: 'yellow', shape: 'ring', text });
  }

  ok(text: string): void {
    this.node.status({ fill: 'green', shape: 'dot', text });
  }

  info(text: string): void {
    this.node.status({ fill: 'grey', shape: 'dot', text });
  }

  error(text: string): void {
    this.node.status({ fill: 'red', shape: 'ring', text: text.length > 32 ? `${text.slice(0, 31)}…` : text });
  }

  clear(): void {
    this.node.status({});
  }
}
