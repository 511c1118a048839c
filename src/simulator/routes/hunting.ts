// Advanced hunting: MDE `POST /api/advancedqueries/run` and Graph `POST /v1.0/security/runHuntingQuery`.
// Results are serialised by hand (per-column prefixes, one string per row) because 100k-row
// answers must leave in well under two seconds.
import * as crypto from 'node:crypto';
import type { SimContext } from '../context';
import { graphError, json, mdeError } from '../http-util';
import { KqlError } from '../kql/lexer';
import { KqlSemanticError, runQuery, TO_OUTPUT, type QueryOutput } from '../kql/evaluate';
import type { KType } from '../kql/parser';
import type { SimRequest, SimResponse } from '../types';
import { missing, readBody, type Route } from './route';

const RECOGNITION = 'A recognition error occurred.. Fix syntax errors in your query.';
const TOO_BIG = 'Query execution has exceeded the allowed result size. Optimize your query by limiting the number of results and try again.';

function formatTimespan(ms: number): string {
  const neg = ms < 0;
  let rest = Math.abs(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const pad = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(rest / 3_600_000);
  const m = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1000);
  const frac = Math.round((rest % 1000) * 10_000);
  return `${neg ? '-' : ''}${days ? `${days}.` : ''}${pad(h)}:${pad(m)}:${pad(s)}${frac ? `.${String(frac).padStart(7, '0')}` : ''}`;
}

function valueWriter(type: KType): (v: unknown) => string {
  switch (type) {
    case 'datetime':
      return (v) => (typeof v === 'number' ? `"${new Date(v).toISOString().replace('Z', '0000Z')}"` : 'null');
    case 'timespan':
      return (v) => (typeof v === 'number' ? `"${formatTimespan(v)}"` : 'null');
    case 'long':
    case 'int':
    case 'real':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : 'null');
    case 'bool':
      return (v) => (typeof v === 'boolean' ? String(v) : 'null');
    case 'string': {
      // Seeded values repeat a lot (paths, command lines, device names): escape each once.
      const cache = new Map<string, string>();
      return (v) => {
        if (v == null) return '""';
        const s = String(v);
        let out = cache.get(s);
        if (out === undefined) {
          out = JSON.stringify(s);
          if (cache.size < 50_000) cache.set(s, out);
        }
        return out;
      };
    }
    default:
      return (v) => (v === undefined ? 'null' : JSON.stringify(v));
  }
}

/** JSON array text of the rows, columns in schema order. */
export function serializeRows(out: QueryOutput, maxRows: number): string {
  const cols = out.schema.map((c, i) => ({ key: c.name, prefix: (i === 0 ? '{' : ',') + JSON.stringify(c.name) + ':', write: valueWriter(c.type) }));
  const n = Math.min(out.rows.length, maxRows);
  const parts = new Array<string>(n);
  for (let r = 0; r < n; r++) {
    const row = out.rows[r] as Record<string, unknown>;
    let s = '';
    for (const c of cols) s += c.prefix + c.write(row[c.key]);
    parts[r] = cols.length ? s + '}' : '{}';
  }
  return '[' + parts.join(',') + ']';
}

type HuntingOutcome = { ok: true; out: QueryOutput; results: string; ms: number } | { ok: false; message: string; tooBig?: boolean };

function execute(sim: SimContext, query: string, since?: number): HuntingOutcome {
  const started = process.hrtime.bigint();
  let out: QueryOutput;
  try {
    out = runQuery(query, sim.state.tables, { now: Date.now(), since });
  } catch (e) {
    if (e instanceof KqlError) {
      // Semantic errors keep their own text; syntax and unsupported features use MDE's wording.
      const semantic = e instanceof KqlSemanticError;
      return { ok: false, message: semantic ? `${e.message}. Fix semantic errors in your query.` : `${RECOGNITION} ${e.message}.` };
    }
    throw e;
  }
  const results = serializeRows(out, sim.options.maxHuntingRows);
  if (Buffer.byteLength(results) > sim.options.maxHuntingResultBytes) return { ok: false, message: TOO_BIG, tooBig: true };
  return { ok: true, out, results, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

function stats(o: { out: QueryOutput; ms: number; results: string }): string {
  return JSON.stringify({
    ExecutionTime: o.ms / 1000,
    resource_usage: {
      cache: { memory: { hits: 50, misses: 0, total: 50 }, disk: { hits: 0, misses: 0, total: 0 } },
      cpu: { user: '00:00:00.0625000', kernel: '00:00:00', 'total cpu': '00:00:00.0625000' },
      memory: { peak_per_node: 3670944 },
    },
    dataset_statistics: [{ table_row_count: Math.min(o.out.rows.length, 100_000), table_size: o.results.length }],
  });
}

function huntingTarget(): string {
  return `|${crypto.randomBytes(4).toString('hex')}-${crypto.randomBytes(6).toString('hex')}.`;
}

export const huntingRoutes: Route[] = [
  {
    method: 'POST', pattern: /^\/advancedqueries\/run$/i, family: 'hunting', roles: ['AdvancedQuery.Read.All'],
    handler: (rc) => {
      const b = readBody(rc.req, ['Query']);
      if (!b.ok) return b.response;
      const q = b.body.Query;
      if (typeof q !== 'string' || q.trim() === '') return missing('Query');
      const r = execute(rc.sim, q);
      if (!r.ok) return json(400, { error: { code: 'BadRequest', message: r.message, target: huntingTarget() } });
      const schema = JSON.stringify(r.out.schema.map((c) => ({ Name: c.name, Type: TO_OUTPUT[c.type] })));
      return { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: `{"Stats":${stats(r)},"Schema":${schema},"Results":${r.results}}` };
    },
  },
];

/** ISO-8601 duration (P7D, PT12H, P1DT2H30M) in ms; undefined when malformed. */
export function parseIsoDuration(s: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s.trim());
  if (!m || s.trim().toUpperCase() === 'P' || /T$/i.test(s.trim())) return undefined;
  const [w, d, h, mi, se] = m.slice(1).map((x) => (x ? parseFloat(x) : 0));
  return (((w * 7 + d) * 24 + h) * 60 + mi) * 60_000 + se * 1000;
}

/** Graph runHuntingQuery; property names are case-insensitive on Graph. */
export function graphHunting(sim: SimContext, req: SimRequest, clientRequestId: string | undefined): SimResponse {
  let body: Record<string, unknown> = {};
  try {
    const parsed = req.body.length ? (JSON.parse(req.body.toString('utf8')) as unknown) : {};
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return graphError(400, 'BadRequest', 'Invalid request body: the body must be a JSON object.', clientRequestId);
  }
  const get = (name: string) => Object.entries(body).find(([k]) => k.toLowerCase() === name)?.[1];
  const query = get('query');
  if (typeof query !== 'string' || query.trim() === '') return graphError(400, 'BadRequest', "The 'Query' parameter is required.", clientRequestId);
  const ts = get('timespan');
  let since: number | undefined;
  if (ts !== undefined && ts !== null) {
    const ms = typeof ts === 'string' ? parseIsoDuration(ts) : undefined;
    if (ms === undefined) return graphError(400, 'BadRequest', `Invalid Timespan '${String(ts)}': use an ISO 8601 duration such as P7D.`, clientRequestId);
    since = Date.now() - ms;
  }
  const r = execute(sim, query, since);
  if (!r.ok) return graphError(400, 'BadRequest', r.message, clientRequestId);
  const schema = JSON.stringify(r.out.schema.map((c) => ({ name: c.name, type: TO_OUTPUT[c.type] })));
  const origin = req.origin;
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8', 'OData-Version': '4.0' },
    body: `{"@odata.context":${JSON.stringify(`${origin}/v1.0/$metadata#microsoft.graph.security.huntingQueryResults`)},"schema":${schema},"results":${r.results}}`,
  };
}
