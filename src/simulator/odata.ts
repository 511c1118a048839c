// The OData subset the MDE API understands: $filter (comparison, logical, startswith / endswith /
// contains, `in`, `any` lambdas), $orderby, $top, $skip. Errors are thrown as ODataError and
// turned into 400 `ODataError` by the routes.

export class ODataError extends Error {}

type Tok =
  | { t: 'id'; v: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'date'; v: string }
  | { t: 'p'; v: '(' | ')' | ',' | '/' | ':' };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ODataError(`Unterminated string literal in $filter: ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += src[i++];
      }
      out.push({ t: 'str', v });
    } else if ('(),/:'.includes(c)) {
      out.push({ t: 'p', v: c as '(' });
      i++;
    } else if (/[0-9-]/.test(c)) {
      const date = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?/.exec(src.slice(i));
      if (date && date[0].length >= 10) {
        out.push({ t: 'date', v: date[0] });
        i += date[0].length;
        continue;
      }
      const num = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[LlMmDdFf]?/.exec(src.slice(i));
      if (!num) throw new ODataError(`Syntax error at position ${i} in $filter: ${src}`);
      out.push({ t: 'num', v: parseFloat(num[0]) });
      i += num[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_.$]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      throw new ODataError(`Syntax error: character '${c}' at position ${i} is not valid in $filter: ${src}`);
    }
  }
  return out;
}

export type FNode =
  | { k: 'lit'; v: string | number | boolean | null; date?: boolean }
  | { k: 'prop'; name: string }
  | { k: 'var'; name: string }
  | { k: 'list'; items: FNode[] }
  | { k: 'bin'; op: string; l: FNode; r: FNode }
  | { k: 'not'; e: FNode }
  | { k: 'fn'; name: string; args: FNode[] }
  | { k: 'any'; prop: string; v: string; body: FNode };

const CMP = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in', 'has']);
const FUNCS = new Set(['startswith', 'endswith', 'contains', 'tolower', 'toupper', 'trim', 'length']);

/** Resolves a property name (case-insensitively) to the entity's property; throws when unknown. */
export type PropResolver = (name: string) => string;

export function parseFilter(src: string, resolve: PropResolver): FNode {
  const toks = lex(src);
  let pos = 0;
  const vars = new Set<string>();
  const peek = () => toks[pos];
  const isId = (v: string) => toks[pos]?.t === 'id' && (toks[pos] as { v: string }).v.toLowerCase() === v;
  const isP = (v: string) => toks[pos]?.t === 'p' && toks[pos].v === v;
  const expectP = (v: string) => {
    if (!isP(v)) throw new ODataError(`Syntax error: expected '${v}' at token ${pos + 1} in $filter: ${src}`);
    pos++;
  };

  function or(): FNode {
    let l = and();
    while (isId('or')) {
      pos++;
      l = { k: 'bin', op: 'or', l, r: and() };
    }
    return l;
  }
  function and(): FNode {
    let l = unary();
    while (isId('and')) {
      pos++;
      l = { k: 'bin', op: 'and', l, r: unary() };
    }
    return l;
  }
  function unary(): FNode {
    if (isId('not')) {
      pos++;
      return { k: 'not', e: unary() };
    }
    return comparison();
  }
  function comparison(): FNode {
    const l = primary();
    const t = peek();
    if (t?.t === 'id' && CMP.has(t.v.toLowerCase())) {
      const op = t.v.toLowerCase();
      pos++;
      if (op === 'in') {
        expectP('(');
        const items: FNode[] = [];
        if (!isP(')')) {
          items.push(primary());
          while (isP(',')) {
            pos++;
            items.push(primary());
          }
        }
        expectP(')');
        return { k: 'bin', op, l, r: { k: 'list', items } };
      }
      return { k: 'bin', op, l, r: primary() };
    }
    return l;
  }
  function primary(): FNode {
    const t = peek();
    if (!t) throw new ODataError(`Syntax error: unexpected end of $filter: ${src}`);
    if (t.t === 'p' && t.v === '(') {
      pos++;
      const e = or();
      expectP(')');
      return e;
    }
    pos++;
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'num') return { k: 'lit', v: t.v };
    if (t.t === 'date') return { k: 'lit', v: t.v, date: true };
    if (t.t === 'id') {
      const lower = t.v.toLowerCase();
      if (lower === 'true' || lower === 'false') return { k: 'lit', v: lower === 'true' };
      if (lower === 'null') return { k: 'lit', v: null };
      if (isP('(')) {
        if (!FUNCS.has(lower)) throw new ODataError(`Unknown function '${t.v}' in $filter.`);
        pos++;
        const args: FNode[] = [or()];
        while (isP(',')) {
          pos++;
          args.push(or());
        }
        expectP(')');
        return { k: 'fn', name: lower, args };
      }
      if (vars.has(t.v)) return { k: 'var', name: t.v };
      if (isP('/')) {
        // Lambda over a collection property: machineTags/any(t: t eq 'VIP').
        pos++;
        const op = peek();
        if (op?.t !== 'id' || !['any', 'all'].includes(op.v.toLowerCase())) throw new ODataError(`Syntax error after '${t.v}/' in $filter: ${src}`);
        pos++;
        expectP('(');
        const v = peek();
        if (v?.t !== 'id') throw new ODataError(`Syntax error: lambda variable expected in $filter: ${src}`);
        pos++;
        expectP(':');
        vars.add(v.v);
        const body = or();
        vars.delete(v.v);
        expectP(')');
        const node: FNode = { k: 'any', prop: resolve(t.v), v: v.v, body };
        return op.v.toLowerCase() === 'all' ? { k: 'not', e: { k: 'any', prop: node.prop, v: v.v, body: { k: 'not', e: body } } } : node;
      }
      return { k: 'prop', name: resolve(t.v) };
    }
    throw new ODataError(`Syntax error: unexpected '${t.v}' in $filter: ${src}`);
  }

  const tree = or();
  if (pos < toks.length) throw new ODataError(`Syntax error: unexpected '${String(toks[pos].v)}' at token ${pos + 1} in $filter: ${src}`);
  return tree;
}

/** Sortable text form of a timestamp with 100 ns precision, so 7-digit fractions compare exactly. */
export function normalizeDate(s: string): string | undefined {
  // Date-only and zone-less literals are UTC in OData; Date.parse would read the latter as local time.
  const text = /^\d{4}-\d{2}-\d{2}Z$/.test(s) ? s.slice(0, 10) : /T[\d:.]+$/.test(s) ? `${s}Z` : s;
  const d = Date.parse(text);
  if (Number.isNaN(d)) return undefined;
  const frac = /\.(\d+)/.exec(s)?.[1] ?? '';
  return new Date(d).toISOString().slice(0, 23) + frac.slice(3, 7).padEnd(4, '0');
}

type Val = string | number | boolean | null | undefined | unknown[] | Record<string, unknown>;

function evalNode(n: FNode, row: Record<string, unknown>, dateProps: Set<string>, env: Map<string, unknown>): Val {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'prop':
      return row[n.name] as Val;
    case 'var':
      return env.get(n.name) as Val;
    case 'list':
      return n.items.map((i) => evalNode(i, row, dateProps, env));
    case 'not':
      return !truthy(evalNode(n.e, row, dateProps, env));
    case 'any': {
      const arr = row[n.prop];
      if (!Array.isArray(arr)) return false;
      return arr.some((el) => truthy(evalNode(n.body, row, dateProps, new Map(env).set(n.v, el))));
    }
    case 'fn': {
      const a = n.args.map((x) => evalNode(x, row, dateProps, env));
      const s0 = typeof a[0] === 'string' ? a[0] : a[0] == null ? '' : String(a[0]);
      const s1 = typeof a[1] === 'string' ? a[1] : a[1] == null ? '' : String(a[1]);
      switch (n.name) {
        case 'startswith':
          return s0.startsWith(s1);
        case 'endswith':
          return s0.endsWith(s1);
        case 'contains':
          return s0.includes(s1);
        case 'tolower':
          return s0.toLowerCase();
        case 'toupper':
          return s0.toUpperCase();
        case 'trim':
          return s0.trim();
        case 'length':
          return s0.length;
      }
      return null;
    }
    case 'bin': {
      if (n.op === 'and') return truthy(evalNode(n.l, row, dateProps, env)) && truthy(evalNode(n.r, row, dateProps, env));
      if (n.op === 'or') return truthy(evalNode(n.l, row, dateProps, env)) || truthy(evalNode(n.r, row, dateProps, env));
      const isDate = isDateNode(n.l, dateProps) || isDateNode(n.r, dateProps);
      let l = evalNode(n.l, row, dateProps, env);
      let r = evalNode(n.r, row, dateProps, env);
      if (isDate) {
        l = typeof l === 'string' ? normalizeDate(l) ?? l : l;
        r = typeof r === 'string' ? normalizeDate(r) ?? r : r;
      }
      if (n.op === 'in') {
        const items = Array.isArray(r) ? r : [];
        return Array.isArray(l) ? l.some((x) => items.includes(x)) : items.includes(l);
      }
      // A collection compared with eq means "contains" (machineTags eq 'VIP'), as clients expect.
      if (Array.isArray(l) && (n.op === 'eq' || n.op === 'has')) return l.includes(r);
      if (Array.isArray(l) && n.op === 'ne') return !l.includes(r);
      return compare(n.op, l, r);
    }
  }
}

function isDateNode(n: FNode, dateProps: Set<string>): boolean {
  return (n.k === 'prop' && dateProps.has(n.name)) || (n.k === 'lit' && n.date === true);
}

function truthy(v: Val): boolean {
  return v === true;
}

function compare(op: string, l: Val, r: Val): boolean {
  if (op === 'eq' || op === 'has') return l === r || (l == null && r == null);
  if (op === 'ne') return !(l === r || (l == null && r == null));
  if (l == null || r == null) return false;
  if (typeof l === 'number' && typeof r === 'number') {
    return op === 'gt' ? l > r : op === 'ge' ? l >= r : op === 'lt' ? l < r : l <= r;
  }
  const a = String(l);
  const b = String(r);
  return op === 'gt' ? a > b : op === 'ge' ? a >= b : op === 'lt' ? a < b : a <= b;
}

export interface EntitySetSpec {
  /** Type name used in error messages. */
  typeName: string;
  /**
   * Properties allowed in $filter (exact spelling of the entity property): only those the
   * entity set's Learn page documents, so a client relying on an undocumented one fails here as
   * it may on the service (400 ODataError).
   */
  filterable: readonly string[];
  /** Properties holding timestamps. */
  dateProps: readonly string[];
}

export interface ODataResult<T> {
  items: T[];
  /** Skip value for the next page, when more rows exist and no $top was given. */
  nextSkip?: number;
}

/**
 * Applies $filter / $orderby / $skip / $top to `rows`. Without $top the server page size caps
 * the page and `nextSkip` says where the next page starts.
 */
export function applyOData<T extends Record<string, unknown>>(rows: T[], query: URLSearchParams, spec: EntitySetSpec, pageSize: number): ODataResult<T> {
  const param = (name: string) => {
    for (const [k, v] of query) if (k.toLowerCase() === name) return v;
    return undefined;
  };
  const sample = rows[0] ?? {};
  const resolveIn = (allowed: readonly string[], what: string) => (name: string) => {
    const hit = allowed.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!hit) {
      const known = Object.keys(sample).some((p) => p.toLowerCase() === name.toLowerCase());
      // ASP.NET OData's wording, which the service is built on.
      throw new ODataError(
        known
          ? `The query specified in the URI is not valid. The property '${name}' cannot be used in the ${what} query option.`
          : `The query specified in the URI is not valid. Could not find a property named '${name}' on type '${spec.typeName}'.`,
      );
    }
    return hit;
  };
  const dateProps = new Set(spec.dateProps);
  let out = rows;

  const filter = param('$filter');
  if (filter !== undefined && filter.trim() !== '') {
    const tree = parseFilter(filter, resolveIn(spec.filterable, '$filter'));
    out = out.filter((r) => truthy(evalNode(tree, r, dateProps, new Map())));
  }

  const orderby = param('$orderby');
  if (orderby !== undefined && orderby.trim() !== '') {
    const allProps = [...new Set([...Object.keys(sample), ...spec.filterable])];
    const keys = orderby.split(',').map((part) => {
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\s(asc|desc))?\s*$/i.exec(part);
      if (!m) throw new ODataError(`Syntax error in $orderby: '${orderby}'.`);
      return { prop: resolveIn(allProps, '$orderby')(m[1]), desc: (m[2] ?? '').toLowerCase() === 'desc' };
    });
    out = [...out].sort((a, b) => {
      for (const k of keys) {
        let x = a[k.prop] as Val;
        let y = b[k.prop] as Val;
        if (dateProps.has(k.prop)) {
          x = typeof x === 'string' ? normalizeDate(x) : x;
          y = typeof y === 'string' ? normalizeDate(y) : y;
        }
        if (x === y) continue;
        if (x == null) return k.desc ? 1 : -1;
        if (y == null) return k.desc ? -1 : 1;
        const c = (x as number | string) < (y as number | string) ? -1 : 1;
        return k.desc ? -c : c;
      }
      return 0;
    });
  }

  const skipRaw = param('$skip');
  const topRaw = param('$top');
  let skip = 0;
  if (skipRaw !== undefined) {
    if (!/^\d+$/.test(skipRaw.trim())) throw new ODataError(`Invalid value '${skipRaw}' for $skip query option found. The $skip query option requires a non-negative integer value.`);
    skip = parseInt(skipRaw, 10);
  }
  if (topRaw !== undefined) {
    if (!/^\d+$/.test(topRaw.trim())) throw new ODataError(`Invalid value '${topRaw}' for $top query option found. The $top query option requires a non-negative integer value.`);
    const top = parseInt(topRaw, 10);
    if (top > 10000) throw new ODataError(`The limit of '10000' for Top query has been exceeded. The value from the incoming request is '${top}'.`);
    return { items: out.slice(skip, skip + top) };
  }
  const items = out.slice(skip, skip + pageSize);
  return { items, nextSkip: out.length > skip + pageSize ? skip + pageSize : undefined };
}

/** nextLink = the request URL with $skip replaced; other options are kept verbatim. */
export function nextLink(origin: string, path: string, query: URLSearchParams, skip: number): string {
  const q = new URLSearchParams();
  for (const [k, v] of query) if (k.toLowerCase() !== '$skip') q.append(k, v);
  q.append('$skip', String(skip));
  return `${origin}${path}?${q.toString().replace(/%24/g, '$')}`;
}
