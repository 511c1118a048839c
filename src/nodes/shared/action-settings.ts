// Strict reading of a node's dialog settings. Imported or hand-edited flows carry any value: one of
// the wrong type or outside the allowed set is refused, never replaced by a default (a default on a
// destructive node can be the destructive choice). Only an absent property takes the documented
// default, and only where the caller gives one.
import { MdeInputError } from '../../client/errors';
import { describe } from '../../client/validate';

export type Settings = Record<string, unknown>;

function refuse(prop: string, value: unknown, allowed: string): never {
  throw new MdeInputError(`The node setting "${prop}" is ${describe(value)}; allowed: ${allowed}. Open the node and choose a value.`, 'InvalidSetting');
}

const absent = (v: unknown): boolean => v === undefined || v === null;

/** One of `allowed`; without `fallback`, an absent value is refused too. */
export function choiceSetting<T extends string>(def: Settings, prop: string, allowed: readonly T[], fallback?: T): T {
  const v = def[prop];
  if (absent(v) && fallback !== undefined) return fallback;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  return refuse(prop, v, allowed.map((a) => `"${a}"`).join(' or '));
}

export function booleanSetting(def: Settings, prop: string, fallback: boolean): boolean {
  const v = def[prop];
  if (absent(v)) return fallback;
  if (typeof v === 'boolean') return v;
  return refuse(prop, v, 'true or false');
}

/**
 * A number of seconds, at least `min`. The editor stores number fields as numbers or as their
 * text ("600"); anything else (words, empty text, NaN, Infinity, booleans) is refused.
 */
export function secondsSetting(def: Settings, prop: string, min: number, fallback: number): number {
  const v = def[prop];
  if (absent(v)) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isFinite(n) && n >= min) return n;
  return refuse(prop, v, `a number of seconds, at least ${min}`);
}

export function textSetting(def: Settings, prop: string, fallback: string): string {
  const v = def[prop];
  if (absent(v)) return fallback;
  if (typeof v === 'string') return v;
  return refuse(prop, v, 'text');
}

/** A comma / newline separated list, or an array of texts. */
export function listSetting(def: Settings, prop: string, fallback: string[]): string[] {
  const v = def[prop];
  if (absent(v)) return fallback;
  const items = typeof v === 'string' ? v.split(/[,\n]/) : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : refuse(prop, v, 'a comma-separated list of names');
  return items.map((x) => x.trim()).filter(Boolean);
}

/** A whole number from `min` to `max`; text of digits ("5") is read as the editor stores it. */
export function integerSetting(def: Settings, prop: string, min: number, max: number, fallback: number): number {
  const v = def[prop];
  if (absent(v)) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  return refuse(prop, v, `a whole number from ${min} to ${max}`);
}
