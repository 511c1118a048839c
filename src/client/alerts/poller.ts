// The engine behind the alert / incident trigger: asks a page source for everything created (or
// updated) since a checkpoint, emits each item once and in time order, and moves the checkpoint
// only past what it has emitted. Knows nothing of Node-RED or HTTP, so every hard case (bursts
// with one timestamp across pages, late arrivals, updates, a stop mid-batch, a failing source)
// is tested against an in-memory source.
//
// How it stays exact without server-side ordering (Graph documents no $orderby for alerts_v2 or
// incidents):
// - Each poll asks for `<field> ge (watermark - overlap)`: `ge`, so items sharing the watermark's
//   timestamp are asked for again; the overlap, so an item that reaches the API up to `overlap`
//   after its timestamp is still inside the next query.
// - Everything emitted inside that window is remembered (ID + version time) and skipped when the
//   API returns it again; the memory is pruned as the window moves, so it stays bounded.
// - All pages of a poll are read before anything is emitted, then sorted by (time, ID). A poll
//   keeps at most `maxBatch` items (the earliest); the rest come with the next poll.
// - After each emitted item the in-memory checkpoint moves to that item; the store persists it
//   (coalesced). A stop mid-batch therefore resumes right after the last emitted item.
// - A read over several pages is not a snapshot: an item leaving the result set mid-read (say a
//   status filter no longer matching) shifts the later pages and can hide one item. After such a
//   read the next poll starts again from the same lower bound, so anything hidden is found then.
import { createHash } from 'node:crypto';
import type { CheckpointStore } from '../state/checkpoint-store';
import { MdeInputError } from '../errors';

export type PollMode = 'created' | 'updated';
export type PollTimeField = 'createdDateTime' | 'lastUpdateDateTime';

export interface PollQuery {
  /** The time property the lower bound applies to. */
  field: PollTimeField;
  /** Inclusive lower bound (`field ge since`), ISO 8601 UTC with millisecond precision. */
  since: string;
  signal?: AbortSignal;
}

export interface SourcePage<T> {
  items: readonly T[];
}

/** Yields every item matching the query, page by page (any order). */
export type PageSource<T> = (query: PollQuery) => AsyncIterable<SourcePage<T>>;

export interface PolledItem {
  id?: unknown;
  createdDateTime?: unknown;
  lastUpdateDateTime?: unknown;
  [key: string]: unknown;
}

export interface Emission<T> {
  item: T;
  id: string;
  /** The item's time in the polled field, normalised (7 fractional digits, Z). */
  time: string;
  /** `created`: new since the checkpoint; `updated`: seen (or created) before and changed since. */
  event: 'created' | 'updated';
  /**
   * Updated mode only: top-level fields that differ from the last version this poller emitted
   * (lastUpdateDateTime itself left out); null when that version is no longer remembered.
   */
  changed?: string[] | null;
}

export interface PollOptions<T> {
  signal?: AbortSignal;
  /** Sends one item on. May return a promise; a throw stops the batch (the item is not recorded). */
  emit(emission: Emission<T>): void | Promise<void>;
}

export interface PollOutcome {
  emitted: number;
  /** Items the source returned (with repeats). */
  fetched: number;
  /** Returned again but already emitted in that version. */
  repeated: number;
  /** Without a usable id or time (left out). */
  malformed: number;
  pages: number;
  /** The batch was capped at maxBatch: poll again now. */
  more: boolean;
  /** Stopped by the signal before the batch was done. */
  aborted: boolean;
  /** Lower bound this poll asked for. */
  since: string;
  /** Time of the last emitted item (the watermark), null before the first one. */
  checkpoint: string | null;
}

export interface AlertPollerOptions<T> {
  source: PageSource<T>;
  store: CheckpointStore;
  /** Key of this poller's checkpoint in the store (node + tenant + source). */
  key: string;
  mode: PollMode;
  /** How far back the very first poll (or the first after a reset) looks. */
  lookbackMs: number;
  /** Re-asked window below the watermark, for items that reach the API late. */
  overlapMs: number;
  /** Most items emitted per poll (default 10,000); the rest come with the next poll. */
  maxBatch?: number;
  /** Updated mode: how many last-emitted versions are kept to name changed fields (default 1,000). */
  maxVersions?: number;
  /**
   * Save the checkpoint (and wait for the store) BEFORE each item is emitted, instead of after.
   * For a store shared by several instances behind a lease: a store that refuses the save (lease
   * lost) stops the batch before the item goes out, and a holder that dies right after an
   * emission never leaves that item for the next holder to send again.
   */
  saveBeforeEmit?: boolean;
  now?: () => number;
}

const DEFAULT_MAX_BATCH = 10_000;
const DEFAULT_MAX_VERSIONS = 1_000;
const EMIT_SLICE = 500;

// ---------------------------------------------------------------------------------------------
// Time keys: Graph timestamps carry up to 7 fractional digits ("2024-05-01T10:00:00.1234567Z");
// a JS Date keeps 3. Keys keep 7, fixed width, so plain string comparison orders them.

const TIME_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i;

/** Normalised, comparable form of an ISO 8601 time ("YYYY-MM-DDTHH:MM:SS.fffffffZ"), or undefined. */
export function timeKey(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TIME_RE.exec(value.trim());
  if (!m) return undefined;
  const fraction = m[2] ?? '';
  const ms = Date.parse(`${m[1]}.${fraction.padEnd(3, '0').slice(0, 3)}${m[3].toUpperCase()}`);
  if (!Number.isFinite(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 23)}${fraction.padEnd(7, '0').slice(3, 7)}Z`;
}

function keyFromMs(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}0000Z`;
}

function shiftKey(key: string, deltaMs: number): string {
  const ms = Date.parse(`${key.slice(0, 23)}Z`) + deltaMs;
  return `${new Date(ms).toISOString().slice(0, 23)}${key.slice(23, 27)}Z`;
}

/** The key floored to the millisecond, as an ISO string for a `ge` filter (a superset of the key). */
export function sinceFromKey(key: string): string {
  return `${key.slice(0, 23)}Z`;
}

const maxKey = (a: string, b: string): string => (a > b ? a : b);
const minKey = (a: string, b: string): string => (a < b ? a : b);

// ---------------------------------------------------------------------------------------------
// Field fingerprints: enough to name what changed between two versions without keeping whole
// alerts (evidence included) in memory or on disk.

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`)
    .join(',')}}`;
}

export type Fingerprint = Record<string, string>;

export function fingerprint(item: Record<string, unknown>): Fingerprint {
  const out: Fingerprint = {};
  for (const [field, value] of Object.entries(item)) {
    if (field.startsWith('@odata.')) continue;
    out[field] = createHash('sha1').update(stableJson(value)).digest('base64url').slice(0, 10);
  }
  return out;
}

/** Fields whose value differs (added or removed included), in the new version's order. */
export function changedFields(previous: Fingerprint, next: Fingerprint, ignore: readonly string[] = ['lastUpdateDateTime']): string[] {
  const changed = Object.keys(next).filter((f) => previous[f] !== next[f]);
  for (const f of Object.keys(previous)) if (!(f in next)) changed.push(f);
  return changed.filter((f) => !ignore.includes(f));
}

// ---------------------------------------------------------------------------------------------
// The checkpoint: what is persisted, and nothing that was not emitted.

interface CheckpointJson {
  v: 1;
  field: PollTimeField;
  /** Lower bound before anything was emitted (now - look-back at first start or reset). */
  start: string;
  watermark: string | null;
  /** Set after a multi-page read: the next poll starts from here again. */
  recheckFrom: string | null;
  /** [id, time] of items emitted inside the window. */
  seen: [string, string][];
  /** Updated mode: [id, time, fingerprint] of the last emitted versions, least recent first. */
  versions: [string, string, Fingerprint][];
  savedAt: string;
}

class Checkpoint {
  watermark: string | null = null;
  recheckFrom: string | null = null;
  readonly seen = new Map<string, string>();
  readonly versions = new Map<string, { time: string; fields: Fingerprint }>();

  constructor(
    public field: PollTimeField,
    public start: string,
  ) {}

  static from(raw: unknown): Checkpoint | undefined {
    if (!raw || typeof raw !== 'object') return undefined;
    const j = raw as Partial<CheckpointJson>;
    const start = timeKey(j.start);
    if (j.v !== 1 || !start || (j.field !== 'createdDateTime' && j.field !== 'lastUpdateDateTime')) return undefined;
    const cp = new Checkpoint(j.field, start);
    cp.watermark = j.watermark === null || j.watermark === undefined ? null : timeKey(j.watermark) ?? null;
    cp.recheckFrom = j.recheckFrom === null || j.recheckFrom === undefined ? null : timeKey(j.recheckFrom) ?? null;
    for (const entry of Array.isArray(j.seen) ? j.seen : []) {
      const time = Array.isArray(entry) && typeof entry[0] === 'string' ? timeKey(entry[1]) : undefined;
      if (time) cp.seen.set(entry[0], time);
    }
    for (const entry of Array.isArray(j.versions) ? j.versions : []) {
      const time = Array.isArray(entry) && typeof entry[0] === 'string' ? timeKey(entry[1]) : undefined;
      if (time && entry[2] && typeof entry[2] === 'object') cp.versions.set(entry[0], { time, fields: entry[2] });
    }
    return cp;
  }

  /** Lower bound of the next query. */
  lowerBound(overlapMs: number): string {
    if (this.watermark === null) return this.recheckFrom ? minKey(this.start, this.recheckFrom) : this.start;
    const bound = maxKey(this.start, shiftKey(this.watermark, -overlapMs));
    return this.recheckFrom ? minKey(bound, this.recheckFrom) : bound;
  }

  record(id: string, time: string): void {
    this.seen.set(id, time);
    if (this.watermark === null || time > this.watermark) this.watermark = time;
  }

  remember(id: string, time: string, fields: Fingerprint, max: number): void {
    this.versions.delete(id); // re-inserted last: the map's order is least recently emitted first
    this.versions.set(id, { time, fields });
    while (this.versions.size > max) this.versions.delete(this.versions.keys().next().value as string);
  }

  prune(bound: string): void {
    for (const [id, time] of this.seen) if (time < bound) this.seen.delete(id);
  }

  toJSON(): CheckpointJson {
    return {
      v: 1,
      field: this.field,
      start: this.start,
      watermark: this.watermark,
      recheckFrom: this.recheckFrom,
      seen: [...this.seen],
      versions: [...this.versions].map(([id, v]) => [id, v.time, v.fields]),
      savedAt: new Date().toISOString(),
    };
  }
}

// ---------------------------------------------------------------------------------------------

interface Candidate<T> {
  item: T;
  id: string;
  time: string;
}

const byTimeThenId = <T>(a: Candidate<T>, b: Candidate<T>): number =>
  a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function positive(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new MdeInputError(`${name} must be a number of at least ${min}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

export class AlertPoller<T extends PolledItem> {
  readonly field: PollTimeField;
  private readonly maxBatch: number;
  private readonly maxVersions: number;
  private readonly now: () => number;
  private checkpoint: Checkpoint | undefined;
  /** Polls and resets run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: AlertPollerOptions<T>) {
    if (options.mode !== 'created' && options.mode !== 'updated') {
      throw new MdeInputError(`The trigger mode must be "created" or "updated", got ${JSON.stringify(options.mode)}.`);
    }
    positive(options.lookbackMs, 'The look-back (ms)', 0);
    positive(options.overlapMs, 'The overlap window (ms)', 0);
    this.maxBatch = Math.floor(positive(options.maxBatch ?? DEFAULT_MAX_BATCH, 'The batch size', 1));
    this.maxVersions = Math.floor(positive(options.maxVersions ?? DEFAULT_MAX_VERSIONS, 'The number of remembered versions', 0));
    this.field = options.mode === 'updated' ? 'lastUpdateDateTime' : 'createdDateTime';
    this.now = options.now ?? Date.now;
  }

  /** One poll: read, then emit in time order. Resolves with counts; rejects if the source fails. */
  poll(opts: PollOptions<T>): Promise<PollOutcome> {
    return this.serial(() => this.runPoll(opts));
  }

  /** Forgets everything: the next poll starts from now - look-back, as on first start. */
  reset(): Promise<void> {
    return this.serial(async () => {
      this.checkpoint = this.fresh();
      await this.options.store.save(this.options.key, this.checkpoint);
    });
  }

  /** The watermark and lower bound as they stand (for status and the editor). */
  async state(): Promise<{ checkpoint: string | null; since: string; remembered: number }> {
    const cp = await this.load();
    return { checkpoint: cp.watermark, since: cp.lowerBound(this.options.overlapMs), remembered: cp.seen.size };
  }

  /**
   * The checkpoint as it stands in memory (what the store was last given), or undefined before
   * the first load. A store that lost its data (a Redis restarted without persistence) gets it back.
   */
  checkpointSnapshot(): unknown {
    return this.checkpoint ? (JSON.parse(JSON.stringify(this.checkpoint)) as unknown) : undefined;
  }

  private serial<R>(job: () => Promise<R>): Promise<R> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private fresh(): Checkpoint {
    return new Checkpoint(this.field, keyFromMs(this.now() - this.options.lookbackMs));
  }

  private async load(): Promise<Checkpoint> {
    if (this.checkpoint) return this.checkpoint;
    const stored = Checkpoint.from(await this.options.store.load(this.options.key));
    if (stored) {
      // A mode change keeps the position: both fields say "handled up to here".
      stored.field = this.field;
      this.checkpoint = stored;
    } else {
      // Saved at once, so a restart before the first poll keeps the same starting point.
      this.checkpoint = this.fresh();
      await this.options.store.save(this.options.key, this.checkpoint);
    }
    return this.checkpoint;
  }

  private async runPoll({ signal, emit }: PollOptions<T>): Promise<PollOutcome> {
    const cp = await this.load();
    const { overlapMs, key, store } = this.options;
    const bound = cp.lowerBound(overlapMs);
    const wasRecheck = cp.recheckFrom !== null;
    const outcome: PollOutcome = { emitted: 0, fetched: 0, repeated: 0, malformed: 0, pages: 0, more: false, aborted: false, since: sinceFromKey(bound), checkpoint: cp.watermark };

    // Read everything first: nothing may be emitted before its earlier neighbours are known.
    const candidates = new Map<string, Candidate<T>>();
    const keepEarliest = (): void => {
      const kept = [...candidates.values()].sort(byTimeThenId).slice(0, this.maxBatch);
      candidates.clear();
      for (const c of kept) candidates.set(c.id, c);
      outcome.more = true;
    };
    try {
      for await (const page of this.options.source({ field: this.field, since: outcome.since, signal })) {
        outcome.pages++;
        for (const item of page.items) {
          outcome.fetched++;
          const id = typeof item?.id === 'string' && item.id ? item.id : undefined;
          const time = id ? timeKey(item[this.field]) : undefined;
          if (!id || !time) {
            outcome.malformed++;
            continue;
          }
          if (time < bound) continue; // the ms-floored query reached just below the window
          const emittedAt = cp.seen.get(id);
          if (emittedAt !== undefined && (this.field === 'createdDateTime' || time <= emittedAt)) {
            outcome.repeated++;
            continue;
          }
          const known = candidates.get(id);
          if (!known || time > known.time) candidates.set(id, { item, id, time });
        }
        if (candidates.size >= 2 * this.maxBatch) keepEarliest();
        if (signal?.aborted) break;
      }
    } catch (err) {
      if (signal?.aborted) return { ...outcome, aborted: true };
      throw err;
    }
    if (signal?.aborted) return { ...outcome, aborted: true };
    if (candidates.size > this.maxBatch) keepEarliest();
    const batch = [...candidates.values()].sort(byTimeThenId);

    let failure: unknown;
    for (let i = 0; i < batch.length; i++) {
      if (signal?.aborted) {
        outcome.aborted = true;
        break;
      }
      const c = batch[i];
      const fields = this.field === 'lastUpdateDateTime' ? fingerprint(c.item as Record<string, unknown>) : undefined;
      const emission = this.describe(c, fields, cp, bound);
      if (this.options.saveBeforeEmit) {
        cp.record(c.id, c.time);
        if (fields && this.maxVersions > 0) cp.remember(c.id, c.time, fields, this.maxVersions);
        try {
          await store.save(key, cp);
          await emit(emission);
        } catch (err) {
          failure = err;
          break;
        }
        outcome.emitted++;
        if ((i + 1) % EMIT_SLICE === 0 && i + 1 < batch.length) await yieldToLoop();
        continue;
      }
      try {
        await emit(emission);
      } catch (err) {
        failure = err;
        break;
      }
      cp.record(c.id, c.time);
      if (fields && this.maxVersions > 0) cp.remember(c.id, c.time, fields, this.maxVersions);
      outcome.emitted++;
      void store.save(key, cp).catch(() => undefined); // coalesced; the awaited save below reports failures
      if ((i + 1) % EMIT_SLICE === 0 && i + 1 < batch.length) await yieldToLoop();
    }

    if (!outcome.aborted && failure === undefined) {
      // A complete read over several pages may have hidden an item: ask from the same bound once more.
      cp.recheckFrom = outcome.pages > 1 && !wasRecheck ? bound : null;
      cp.prune(cp.lowerBound(overlapMs));
    }
    outcome.checkpoint = cp.watermark;
    // A store that refused a save (lease lost) would refuse this one too: report the first failure.
    if (failure === undefined || !this.options.saveBeforeEmit) await store.save(key, cp);
    if (failure !== undefined) throw failure;
    return outcome;
  }

  /** `fields`: the item's fingerprint in updated mode, undefined in created mode. */
  private describe(c: Candidate<T>, fields: Fingerprint | undefined, cp: Checkpoint, bound: string): Emission<T> {
    if (!fields) return { item: c.item, id: c.id, time: c.time, event: 'created' };
    const previous = cp.versions.get(c.id);
    if (previous) return { item: c.item, id: c.id, time: c.time, event: 'updated', changed: changedFields(previous.fields, fields) };
    const created = timeKey(c.item.createdDateTime);
    if (created !== undefined && created >= bound && !cp.seen.has(c.id)) return { item: c.item, id: c.id, time: c.time, event: 'created' };
    return { item: c.item, id: c.id, time: c.time, event: 'updated', changed: null };
  }
}
