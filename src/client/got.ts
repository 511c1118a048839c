// The only place that loads got (ESM-only) — lazily, with a real dynamic import.
import type { Got } from 'got' with { 'resolution-mode': 'import' };

let p: Promise<Got> | undefined;
export const loadGot = (): Promise<Got> => (p ??= import('got').then((m) => m.default));
