import type { Node, NodeAPI, NodeMessage, TypedValue } from './node-types';

/**
 * Reads a TypedInput property. flow/global context may be asynchronous stores, so the callback
 * form of evaluateNodeProperty is used and wrapped in a promise.
 */
export function evaluateTyped(RED: NodeAPI, node: Node, input: TypedValue, msg: NodeMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (!input.type || input.value === undefined || input.value === '') {
      resolve(input.type === 'str' ? input.value : undefined);
      return;
    }
    RED.util.evaluateNodeProperty(input.value, input.type as never, node, msg, (err: Error | null, value: unknown) => {
      if (err) reject(err);
      else resolve(value);
    });
  });
}

/** Human description of where a TypedInput reads from, for error messages ("msg.machineId"). */
export function describeTyped(input: TypedValue): string {
  if (input.type === 'str') return 'the node property';
  if (input.type === 'env') return `env ${input.value}`;
  return `${input.type}.${input.value}`;
}

/** Splits a comma / newline separated dialog field into trimmed, non-empty items. */
export function splitList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  if (typeof value !== 'string') return [];
  return value
    .split(/[,\n]/)
    .map((v) => v.trim())
    .filter(Boolean);
}
