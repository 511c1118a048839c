// The OData subset Microsoft Graph documents for `GET /security/alerts_v2` and
// `GET /security/incidents` (security-list-alerts_v2.md, security-list-incidents.md):
// $count, $filter (on the listed properties only), $skip, $top, and $expand=alerts on incidents;
// `@odata.nextLink` for paging. Everything else is refused with a 400, so a client that leans on an
// undocumented option fails here and not months later against the real service.
// The $filter grammar is the shared parser of ./odata; this file only restricts what may appear.
import { normalizeDate, parseFilter, type FNode } from './odata';

export class GraphQueryError extends Error {}

export type GraphPropKind = { kind: 'enum'; members: readonly string[]; aliases?: Record<string, string> } | { kind: 'date' } | { kind: 'text' };

export interface GraphSetSpec {
  /** `microsoft.graph.security.alert`, for messages. */
  typeName: string;
  /** Documented $filter properties and how they may be compared. */
  filterable: Record<string, GraphPropKind>;
  /** Documented query options (lower case, with `$`). */
  options: readonly string[];
  /** Navigation properties $expand accepts. */
  expandable?: readonly string[];
}

/**
 * The only documented $top ceiling of the Graph security API: "The $top OData query parameter has
 * a limit of 1000 alerts" (security-error-codes.md, Constraints). The alerts_v2 and incidents
 * pages name no other.
 */
export const GRAPH_MAX_TOP = 1000;

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

export interface GraphQuery {
  predicate?: (values: Record<string, unknown>) => boolean;
  top?: number;
  /** Absolute offset of the page ($skip plus our $skiptoken). */
  offset: number;
  count: boolean;
  expand: string[];
}

type Literal = string | number | boolean | null;

function describeNode(n: FNode): string {
  switch (n.k) {
    case 'fn':
      return `the function '${n.name}'`;
    case 'any':
      return 'a lambda (any/all)';
    case 'not':
      return "the operator 'not'";
    case 'bin':
      return `the operator '${n.op}'`;
    default:
      return 'this expression';
  }
}

/** Checks one `property op literal` comparison; returns the canonical literal. */
function checkComparison(spec: GraphSetSpec, prop: string, op: string, lit: FNode): Literal {
  const kind = spec.filterable[prop]!;
  if (lit.k !== 'lit') throw new GraphQueryError(`Invalid filter clause: compare '${prop}' with a literal value.`);
  if (kind.kind === 'date') {
    if (!lit.date) throw new GraphQueryError(`Invalid filter clause: a binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and '${typeof lit.v === 'string' ? 'Edm.String' : 'Edm.Int32'}' for the operator kind '${op}'. Write the date without quotes: ${prop} ge 2024-01-31T00:00:00Z.`);
    return lit.v as string;
  }
  if (op !== 'eq' && op !== 'ne') throw new GraphQueryError(`Invalid filter clause: '${prop}' only supports eq and ne.`);
  if (kind.kind === 'text') {
    if (lit.v !== null && typeof lit.v !== 'string') throw new GraphQueryError(`Invalid filter clause: '${prop}' is compared with text in quotes, or null.`);
    return lit.v;
  }
  if (typeof lit.v !== 'string') throw new GraphQueryError(`Invalid filter clause: '${prop}' is compared with a quoted enum value.`);
  const v = lit.v.toLowerCase();
  const member = kind.members.find((m) => m.toLowerCase() === v) ?? Object.entries(kind.aliases ?? {}).find(([a]) => a.toLowerCase() === v)?.[1];
  if (!member) throw new GraphQueryError(`The string '${lit.v}' is not a valid enumerated type constant for '${prop}'. Valid values: ${kind.members.join(', ')}.`);
  return member;
}

function compile(spec: GraphSetSpec, n: FNode): (values: Record<string, unknown>) => boolean {
  if (n.k === 'bin' && (n.op === 'and' || n.op === 'or')) {
    const l = compile(spec, n.l);
    const r = compile(spec, n.r);
    return n.op === 'and' ? (v) => l(v) && r(v) : (v) => l(v) || r(v);
  }
  if (n.k === 'bin' && COMPARISONS.has(n.op) && n.l.k === 'prop') {
    const prop = n.l.name;
    const op = n.op;
    const lit = checkComparison(spec, prop, op, n.r);
    if (spec.filterable[prop]!.kind === 'date') {
      const target = normalizeDate(lit as string);
      if (target === undefined) throw new GraphQueryError(`'${String(lit)}' is not a valid date and time.`);
      return (v) => {
        const x = typeof v[prop] === 'string' ? normalizeDate(v[prop] as string) : undefined;
        if (x === undefined) return op === 'ne';
        return op === 'eq' ? x === target : op === 'ne' ? x !== target : op === 'gt' ? x > target : op === 'ge' ? x >= target : op === 'lt' ? x < target : x <= target;
      };
    }
    return op === 'eq' ? (v) => (v[prop] ?? null) === lit : (v) => (v[prop] ?? null) !== lit;
  }
  if (n.k === 'bin' && COMPARISONS.has(n.op)) throw new GraphQueryError(`Invalid filter clause: put the property on the left, e.g. status eq 'new'.`);
  if (n.k === 'prop') throw new GraphQueryError(`Invalid filter clause: '${n.name}' needs a comparison, e.g. ${n.name} eq '...'.`);
  throw new GraphQueryError(`Invalid filter clause: ${describeNode(n)} is not supported on ${spec.typeName}. Use eq, ne, gt, ge, lt, le, and, or.`);
}

function integerOption(name: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new GraphQueryError(`Invalid value '${raw}' for ${name} query option found. The ${name} query option requires a non-negative integer value.`);
  const n = Number(raw.trim());
  if (n < min) throw new GraphQueryError(`Invalid value '${raw}' for ${name}: at least ${min}.`);
  return n;
}

export function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeSkipToken(raw: string): number {
  try {
    const o = (JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { o?: unknown }).o;
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through
  }
  throw new GraphQueryError('The $skiptoken is not valid: follow @odata.nextLink as it was given.');
}

/** Validates the query options of a list request against `spec`. */
export function parseGraphQuery(query: URLSearchParams, spec: GraphSetSpec): GraphQuery {
  const out: GraphQuery = { offset: 0, count: false, expand: [] };
  const seen = new Set<string>();
  for (const [rawKey, value] of query) {
    const key = rawKey.toLowerCase();
    if (!key.startsWith('$')) continue;
    if (seen.has(key)) throw new GraphQueryError(`Query option '${rawKey}' was specified more than once, but it must be specified at most once.`);
    seen.add(key);
    if (!spec.options.includes(key) && key !== '$skiptoken') {
      throw new GraphQueryError(`Query option '${rawKey}' is not supported on ${spec.typeName} collections. Supported: ${spec.options.join(', ')}.`);
    }
    switch (key) {
      case '$filter': {
        if (!value.trim()) break;
        const resolve = (name: string): string => {
          const hit = Object.keys(spec.filterable).find((p) => p.toLowerCase() === name.toLowerCase());
          if (!hit) throw new GraphQueryError(`Invalid filter clause: the property '${name}' cannot be used in $filter on ${spec.typeName}. Filterable: ${Object.keys(spec.filterable).join(', ')}.`);
          return hit;
        };
        let tree: FNode;
        try {
          tree = parseFilter(value, resolve);
        } catch (e) {
          if (e instanceof GraphQueryError) throw e;
          throw new GraphQueryError(`Invalid filter clause: ${(e as Error).message}`);
        }
        out.predicate = compile(spec, tree);
        break;
      }
      case '$top': {
        const top = integerOption('$top', value, 1);
        if (top > GRAPH_MAX_TOP) throw new GraphQueryError(`The limit of '${GRAPH_MAX_TOP}' for $top has been exceeded. The value from the incoming request is '${top}'.`);
        out.top = top;
        break;
      }
      case '$skip':
        out.offset += integerOption('$skip', value, 0);
        break;
      case '$skiptoken':
        out.offset += decodeSkipToken(value);
        break;
      case '$count':
        if (!/^(true|false)$/i.test(value.trim())) throw new GraphQueryError(`'${value}' is not a valid value for $count: use true or false.`);
        out.count = /^true$/i.test(value.trim());
        break;
      case '$expand': {
        const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
        for (const p of parts) {
          const hit = (spec.expandable ?? []).find((e) => e.toLowerCase() === p.toLowerCase());
          if (!hit) throw new GraphQueryError(`Could not find a navigation property named '${p}' on ${spec.typeName} to $expand.`);
          if (!out.expand.includes(hit)) out.expand.push(hit);
        }
        break;
      }
    }
  }
  return out;
}

/** Only $expand may appear on a single-entity GET (for the sets that document it). */
export function parseEntityQuery(query: URLSearchParams, spec: GraphSetSpec): string[] {
  const expand: string[] = [];
  for (const [rawKey, value] of query) {
    const key = rawKey.toLowerCase();
    if (!key.startsWith('$')) continue;
    if (key !== '$expand' || !spec.expandable?.length) throw new GraphQueryError(`Query option '${rawKey}' is not supported when reading one ${spec.typeName}.`);
    for (const p of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const hit = spec.expandable.find((e) => e.toLowerCase() === p.toLowerCase());
      if (!hit) throw new GraphQueryError(`Could not find a navigation property named '${p}' on ${spec.typeName} to $expand.`);
      if (!expand.includes(hit)) expand.push(hit);
    }
  }
  return expand;
}

/** nextLink = the request URL without its paging options, plus an opaque $skiptoken. */
export function graphNextLink(origin: string, path: string, query: URLSearchParams, offset: number): string {
  const q = new URLSearchParams();
  for (const [k, v] of query) if (!['$skip', '$skiptoken'].includes(k.toLowerCase())) q.append(k, v);
  q.append('$skiptoken', encodeSkipToken(offset));
  return `${origin}${path}?${q.toString().replace(/%24/g, '$')}`;
}
