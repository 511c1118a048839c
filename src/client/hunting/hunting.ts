// Advanced hunting through Graph (`POST /v1.0/security/runHuntingQuery`) or the MDE API
// (`POST /api/advancedqueries/run`), normalised to one shape. Bodies are parsed incrementally
// from the raw Buffer (one JSON.parse per row, yielding to the event loop every few ms).
import type { MdeHttp } from '../transport/http';
import type { HuntingColumn, HuntingResult } from '../types';
import { MdeApiError, MdeError, MdeInputError, MdeNetworkError, MdeRateLimitError } from '../errors';

export interface HuntingOptions {
  api?: 'graph' | 'mde';
  /** Graph only: ISO 8601 duration / interval (e.g. P7D). */
  timespan?: string;
  /** Turn DateTime columns into Date objects. */
  convertDates?: boolean;
  signal?: AbortSignal;
  onWait?: Parameters<MdeHttp['request']>[0]['onWait'];
  /** Max work per event-loop turn while parsing (default 5 ms). */
  sliceMs?: number;
  /** How long to wait for the answer (default: the connection's timeout, at least 210 s). */
  timeoutMs?: number;
}

export const MAX_QUERY_LENGTH = 100_000;

/**
 * Microsoft stops a hunting query after 200 s of execution; waiting a little longer lets the
 * service's own answer (rows or its timeout error) arrive instead of ours.
 */
export const HUNTING_TIMEOUT_MS = 210_000;

/** The hunting timeout for a connection: its request timeout, but never less than HUNTING_TIMEOUT_MS. */
export function huntingTimeoutMs(http: Pick<MdeHttp, 'requestTimeoutMs'>, requested?: number): number {
  return requested ?? Math.max(HUNTING_TIMEOUT_MS, http.requestTimeoutMs);
}

export function checkHuntingQuery(query: unknown): string {
  if (typeof query !== 'string' || !query.trim()) throw new MdeInputError('The hunting query is empty.');
  if (query.length > MAX_QUERY_LENGTH) throw new MdeInputError(`The hunting query is longer than ${MAX_QUERY_LENGTH} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(query)) throw new MdeInputError('The hunting query contains control characters.');
  return query;
}

export async function runHuntingQuery(http: MdeHttp, query: string, opts: HuntingOptions = {}): Promise<HuntingResult> {
  const q = checkHuntingQuery(query);
  const api = opts.api ?? 'graph';
  if (api !== 'graph' && api !== 'mde') throw new MdeInputError(`Hunting API ${JSON.stringify(api)} is not valid: use "graph" or "mde".`);
  if (opts.timespan !== undefined && opts.timespan !== '') {
    if (api !== 'graph') throw new MdeInputError('A timespan can only be sent to the Graph hunting API; add a Timestamp filter to the query instead.');
    if (typeof opts.timespan !== 'string' || !/^[0-9A-Za-z:.+\-/]{2,64}$/.test(opts.timespan)) throw new MdeInputError('The timespan must be an ISO 8601 duration such as P7D.');
  }
  const timeoutMs = huntingTimeoutMs(http, opts.timeoutMs);
  // Every run spends the tenant's hunting CPU quota, and a query that timed out once will most
  // likely time out again: never resent after a timeout (429 + Retry-After still is).
  const timing = { timeoutMs, resendOnTimeout: false };
  let res;
  try {
    res = await http.request<Buffer>(
      api === 'graph'
        ? {
            audience: 'graph',
            family: 'graph-hunting',
            method: 'POST',
            path: '/v1.0/security/runHuntingQuery',
            json: opts.timespan ? { Query: q, Timespan: opts.timespan } : { Query: q },
            idempotent: true, // read-only
            rawBody: true,
            signal: opts.signal,
            onWait: opts.onWait,
            ...timing,
          }
        : {
            audience: 'mde',
            family: 'hunting',
            method: 'POST',
            path: '/api/advancedqueries/run',
            json: { Query: q },
            idempotent: true,
            rawBody: true,
            signal: opts.signal,
            onWait: opts.onWait,
            ...timing,
          },
    );
  } catch (e) {
    throw mapHuntingError(e, timeoutMs);
  }
  const parsed = await parseHuntingBody(res.body, { convertDates: opts.convertDates, sliceMs: opts.sliceMs });
  return { ...parsed, api };
}

function secondsText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Hunting-specific codes for quota / size / syntax / timeout errors. */
export function mapHuntingError(e: unknown, timeoutMs?: number): unknown {
  if (!(e instanceof MdeError)) return e;
  const text = `${e.mde?.message ?? ''}`;
  if (e.code === 'Timeout' && e instanceof MdeNetworkError) {
    return new MdeNetworkError(
      `The hunting query got no answer${timeoutMs !== undefined ? ` within ${secondsText(timeoutMs)}` : ' in time'}; it was not sent again, because every run counts against the tenant's hunting CPU quota.`,
      {
        code: 'Timeout',
        hint: 'make the query cheaper (filter on Timestamp first, project only the columns you need, take fewer rows); Microsoft stops a query after 200 s. If the network path is slow, raise the request timeout of the connection.',
        cause: e,
      },
    );
  }
  if (e.status === 408 || e.status === 504) {
    return new MdeApiError(`The hunting service gave up on the query (${e.status} ${e.code})${text ? `: ${text.replace(/\.$/, '')}` : ''}; it was not sent again, because every run counts against the tenant's hunting CPU quota.`, {
      code: e.code,
      status: e.status,
      mde: e.mde,
      hint: 'make the query cheaper (filter on Timestamp first, project only the columns you need, take fewer rows) or try again later.',
      cause: e,
    });
  }
  if (e.status === 429) {
    const cpu = /cpu|resource/i.test(text);
    return new MdeRateLimitError(
      cpu
        ? `Advanced hunting CPU quota for this tenant is used up${text ? `: ${text.replace(/\.$/, '')}` : ''}.`
        : `Advanced hunting call quota for this tenant is used up${text ? `: ${text.replace(/\.$/, '')}` : ''}.`,
      {
        code: cpu ? 'HuntingCpuQuota' : 'HuntingCallQuota',
        status: 429,
        mde: e.mde,
        retryAfterMs: e.retryAfterMs,
        hint: cpu
          ? 'queries used more than the tenant\'s execution-time budget (10 min per hour, 3 h per day): make queries cheaper (filter on Timestamp first, fewer rows) or wait.'
          : 'the tenant allows 45 hunting calls per minute and 1 500 per hour across all apps: run fewer queries or wait.',
        cause: e,
      },
    );
  }
  if (e.status === 400) {
    if (/allowed result size|result size|too large/i.test(text)) {
      return new MdeApiError('The hunting query returned more data than the API allows (about 124 MB / 100 000 rows).', {
        code: 'HuntingResultTooLarge',
        status: 400,
        mde: e.mde,
        hint: 'add "| take N", "| project" only the columns you need, or narrow the time range.',
        cause: e,
      });
    }
    return new MdeApiError(`The hunting query was rejected (BadRequest)${text ? `: ${text.replace(/\.$/, '')}` : ''}.`, {
      code: 'BadRequest',
      status: 400,
      mde: e.mde,
      hint: 'check the KQL syntax and the table / column names (the MDE API only knows Device* tables).',
      cause: e,
    });
  }
  return e;
}

// ---------------------------------------------------------------- incremental parser

const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;
const Q = 0x22; // "
const BS = 0x5c; // \

function bad(msg: string): MdeApiError {
  return new MdeApiError(`The hunting API answered with a body that could not be read (${msg}).`, { code: 'InvalidResponse' });
}

class Scanner {
  i = 0;
  constructor(readonly b: Buffer) {}
  ws(): void {
    const b = this.b;
    let i = this.i;
    while (i < b.length && WS[b[i]!]) i++;
    this.i = i;
  }
  /** Index just past the closing quote of the string starting at `start` (a quote). */
  stringEnd(start: number): number {
    const b = this.b;
    let i = start + 1;
    for (;;) {
      const q = b.indexOf(Q, i);
      if (q < 0) throw bad('unterminated string');
      let n = 0;
      for (let k = q - 1; k > start && b[k] === BS; k--) n++;
      if (n % 2 === 0) return q + 1;
      i = q + 1;
    }
  }
  /** Index just past the JSON value starting at `start`. */
  valueEnd(start: number): number {
    const b = this.b;
    const c = b[start];
    if (c === Q) return this.stringEnd(start);
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      let i = start;
      while (i < b.length) {
        const ch = b[i]!;
        if (ch === Q) {
          i = this.stringEnd(i);
          continue;
        }
        if (ch === 0x7b || ch === 0x5b) depth++;
        else if (ch === 0x7d || ch === 0x5d) {
          depth--;
          if (depth === 0) return i + 1;
        }
        i++;
      }
      throw bad('unterminated object');
    }
    let i = start;
    while (i < b.length) {
      const ch = b[i]!;
      if (ch === 0x2c || ch === 0x7d || ch === 0x5d || WS[ch]) break;
      i++;
    }
    if (i === start) throw bad(`unexpected character at ${start}`);
    return i;
  }
  parse(start: number, end: number): unknown {
    return JSON.parse(this.b.toString('utf8', start, end));
  }
}

interface RawSchemaColumn {
  Name?: unknown;
  Type?: unknown;
  name?: unknown;
  type?: unknown;
}

export function normalizeSchema(raw: unknown): HuntingColumn[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((c: RawSchemaColumn) => ({ name: String(c?.Name ?? c?.name ?? ''), type: String(c?.Type ?? c?.type ?? '') }));
}

function dateColumns(schema: HuntingColumn[]): string[] {
  return schema.filter((c) => /^datetime$/i.test(c.type)).map((c) => c.name);
}

function convertRow(row: Record<string, unknown>, cols: string[]): void {
  for (const c of cols) {
    const v = row[c];
    if (typeof v === 'string' && v) {
      const d = new Date(v);
      if (!Number.isNaN(d.getTime())) row[c] = d;
    }
  }
}

/**
 * Parses `{Stats?, Schema, Results}` (MDE) or `{schema, results}` (Graph) from a Buffer
 * without building a second full copy; yields to the event loop every `sliceMs`.
 */
export async function parseHuntingBody(body: Buffer | string | object, opts: { convertDates?: boolean; sliceMs?: number } = {}): Promise<Omit<HuntingResult, 'api'>> {
  if (!Buffer.isBuffer(body)) {
    // Already parsed (or text): normalise directly.
    const o = (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;
    const schema = normalizeSchema(o.Schema ?? o.schema);
    const results = (Array.isArray(o.Results) ? o.Results : Array.isArray(o.results) ? o.results : []) as Record<string, unknown>[];
    if (opts.convertDates) {
      const cols = dateColumns(schema);
      for (const r of results) convertRow(r, cols);
    }
    return { schema, results, ...(o.Stats !== undefined ? { stats: o.Stats } : {}) };
  }
  const sliceMs = opts.sliceMs ?? 5;
  const s = new Scanner(body);
  let t0 = performance.now();
  const maybeYield = async () => {
    if (performance.now() - t0 >= sliceMs) {
      await new Promise<void>((r) => setImmediate(r));
      t0 = performance.now();
    }
  };
  let schema: HuntingColumn[] = [];
  let results: Record<string, unknown>[] = [];
  let stats: unknown;
  let converted = false;
  s.ws();
  if (body[s.i] !== 0x7b) throw bad('not a JSON object');
  s.i++;
  for (;;) {
    s.ws();
    if (body[s.i] === 0x7d) break;
    if (body[s.i] !== Q) throw bad(`expected a property name at ${s.i}`);
    const kEnd = s.stringEnd(s.i);
    const key = s.parse(s.i, kEnd) as string;
    s.i = kEnd;
    s.ws();
    if (body[s.i] !== 0x3a) throw bad(`expected ':' at ${s.i}`);
    s.i++;
    s.ws();
    if ((key === 'Results' || key === 'results') && body[s.i] === 0x5b) {
      s.i++;
      const rows: Record<string, unknown>[] = [];
      const cols = opts.convertDates && schema.length ? dateColumns(schema) : undefined;
      let n = 0;
      for (;;) {
        s.ws();
        if (body[s.i] === 0x5d) {
          s.i++;
          break;
        }
        const end = s.valueEnd(s.i);
        const row = s.parse(s.i, end) as Record<string, unknown>;
        if (cols) convertRow(row, cols);
        rows.push(row);
        s.i = end;
        s.ws();
        if (body[s.i] === 0x2c) s.i++;
        else if (body[s.i] !== 0x5d) throw bad(`expected ',' or ']' at ${s.i}`);
        if ((++n & 0xff) === 0) await maybeYield();
      }
      results = rows;
      converted = !!cols;
    } else {
      const end = s.valueEnd(s.i);
      const v = s.parse(s.i, end);
      if (key === 'Schema' || key === 'schema') schema = normalizeSchema(v);
      else if (key === 'Stats' || key === 'stats') stats = v;
      s.i = end;
    }
    s.ws();
    if (body[s.i] === 0x2c) s.i++;
    else if (body[s.i] !== 0x7d) throw bad(`expected ',' or '}' at ${s.i}`);
    await maybeYield();
  }
  if (opts.convertDates && !converted) {
    const cols = dateColumns(schema);
    if (cols.length) {
      for (let k = 0; k < results.length; k++) {
        convertRow(results[k]!, cols);
        if ((k & 0xfff) === 0) await maybeYield();
      }
    }
  }
  return { schema, results, ...(stats !== undefined ? { stats } : {}) };
}
