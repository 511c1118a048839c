// Split-mode output: one message per item with msg.parts so a core join node can re-assemble.
// Sends in small batches and yields between them, so 100,000 rows never stall the event loop
// (the editor and every other flow share it).
import { randomUUID } from 'node:crypto';
import type { NodeMessage, NodeMessageInFlow, SendFn } from './node-types';

const BATCH = 500;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function sendSplit(
  send: SendFn,
  msg: NodeMessageInFlow,
  items: readonly unknown[],
  signal?: AbortSignal,
  decorate?: (out: NodeMessage, item: unknown, index: number) => void,
): Promise<void> {
  const partsId = randomUUID();
  const count = items.length;
  const { payload: _payload, parts: parentParts, ...rest } = msg;
  for (let start = 0; start < count; start += BATCH) {
    if (signal?.aborted) return;
    const end = Math.min(start + BATCH, count);
    for (let index = start; index < end; index++) {
      // Shallow copies: the runtime clones on fan-out; a deep clone per row would cost O(rows x msg).
      const out: NodeMessage = { ...rest, payload: items[index], parts: { id: partsId, index, count, type: 'array', len: 1 } };
      if (parentParts) (out.parts as Record<string, unknown>).parts = parentParts;
      decorate?.(out, items[index], index);
      send(out);
    }
    if (end < count) await yieldToLoop();
  }
}
