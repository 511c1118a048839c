// Evaluates a parsed query against the seeded tables. Expressions are compiled once into closures
// (with static types) so 100k-row scans stay fast.
import type { HuntingRow, HuntingTable, HuntingType, HuntingValue } from '../types';
import { KqlError } from './lexer';
import { parseQuery, type Expr, type KType, type NamedExpr, type Operator, type SortKey } from './parser';

type V = HuntingValue | unknown[];
type Row = Record<string, V>;
type Fn = (row: Row) => V;
interface Compiled {
  fn: Fn;
  type: KType;
}
type Schema = { name: string; type: KType }[];

/** Semantic errors (unknown table/column, type misuse): 400 with a "Failed to resolve" text. */
export class KqlSemanticError extends KqlError {}

const FROM_TABLE: Record<HuntingType, KType> = {
  String: 'string', DateTime: 'datetime', Int64: 'long', Int32: 'int', Boolean: 'bool', Double: 'real', TimeSpan: 'timespan', Dynamic: 'dynamic',
};
export const TO_OUTPUT: Record<KType, string> = {
  string: 'String', datetime: 'DateTime', long: 'Int64', int: 'Int32', bool: 'Boolean', real: 'Double', timespan: 'TimeSpan', dynamic: 'Object',
};

function parseDateText(s: string): number | null {
  const t = s.trim();
  if (t.toLowerCase() === 'null' || t === '') return null;
  const d = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t : `${t}Z`);
  if (Number.isNaN(d)) throw new KqlError(`Invalid datetime literal '${s}'`);
  return d;
}

function parseTimespanText(s: string): number {
  const m = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/.exec(s.trim());
  if (m) {
    const ms = ((+(m[2] ?? 0) * 24 + +m[3]) * 60 + +m[4]) * 60_000 + +(m[5] ?? 0) * 1000 + +(`0.${m[6] ?? '0'}`) * 1000;
    return m[1] ? -ms : ms;
  }
  const u = /^(\d+(?:\.\d+)?)\s*(d|h|m|s|ms)$/.exec(s.trim());
  if (u) return +u[1] * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[u[2] as 'd'];
  throw new KqlError(`Invalid timespan literal '${s}'`);
}

const isNum = (t: KType) => t === 'long' || t === 'int' || t === 'real';
const lower = (v: V) => (v == null ? '' : String(v).toLowerCase());
const str = (v: V) => (v == null ? '' : typeof v === 'string' ? v : String(v));

/** Whole-term match as Kusto's `has` does it: the needle must sit between non-alphanumerics. */
function hasTerm(hay: string, needle: string): boolean {
  if (needle === '') return true;
  let i = hay.indexOf(needle);
  const alnum = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);
  while (i >= 0) {
    const before = hay[i - 1];
    const after = hay[i + needle.length];
    if ((!alnum(before) || !alnum(needle[0])) && (!alnum(after) || !alnum(needle[needle.length - 1]))) return true;
    i = hay.indexOf(needle, i + 1);
  }
  return false;
}

export interface EvalContext {
  now: number;
}

function compile(e: Expr, schema: Schema, ctx: EvalContext): Compiled {
  switch (e.k) {
    case 'lit': {
      const v = e.v;
      return { fn: () => v, type: e.type };
    }
    case 'raw':
      throw new KqlError(`Unexpected '${e.text}'`);
    case 'col': {
      const c = schema.find((s) => s.name === e.name);
      if (!c) throw new KqlSemanticError(`Failed to resolve scalar expression named '${e.name}'`);
      const name = c.name;
      return { fn: (r) => r[name], type: c.type };
    }
    case 'neg': {
      const x = compile(e.e, schema, ctx);
      return { fn: (r) => { const v = x.fn(r); return typeof v === 'number' ? -v : null; }, type: x.type };
    }
    case 'in': {
      const l = compile(e.l, schema, ctx);
      const items = e.items.map((i) => compile(i, schema, ctx));
      const ci = e.op.endsWith('~');
      const neg = e.op.startsWith('!');
      // Literal lists are the norm; precompute them into a Set.
      const constant = e.items.every((i) => i.k === 'lit');
      if (constant) {
        const set = new Set(items.map((i) => { const v = i.fn({}); return ci ? lower(v) : v; }));
        return { fn: (r) => { const v = l.fn(r); const hit = set.has(ci ? lower(v) : (v as HuntingValue)); return neg ? !hit : hit; }, type: 'bool' };
      }
      return {
        fn: (r) => {
          const v = l.fn(r);
          const hit = items.some((i) => (ci ? lower(i.fn(r)) === lower(v) : i.fn(r) === v));
          return neg ? !hit : hit;
        },
        type: 'bool',
      };
    }
    case 'bin':
      return compileBinary(e.op, e.l, e.r, schema, ctx);
    case 'fn':
      return compileFunction(e.name, e.args, schema, ctx);
  }
}

function coerceDateOperand(c: Compiled, other: KType): Compiled {
  if (other === 'datetime' && c.type === 'string') {
    return { fn: (r) => { const v = c.fn(r); return typeof v === 'string' ? parseDateText(v) : null; }, type: 'datetime' };
  }
  return c;
}

function compileBinary(op: string, le: Expr, re: Expr, schema: Schema, ctx: EvalContext): Compiled {
  let l = compile(le, schema, ctx);
  let r = compile(re, schema, ctx);
  const L = l.fn;
  const R = r.fn;
  const bool = (fn: Fn): Compiled => ({ fn, type: 'bool' });
  switch (op) {
    case 'and':
      return bool((row) => L(row) === true && R(row) === true);
    case 'or':
      return bool((row) => L(row) === true || R(row) === true);
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=': {
      l = coerceDateOperand(l, r.type);
      r = coerceDateOperand(r, l.type);
      const a = l.fn;
      const b = r.fn;
      if ((l.type === 'string') !== (r.type === 'string') && l.type !== 'dynamic' && r.type !== 'dynamic') {
        throw new KqlSemanticError(`Cannot compare values of types ${l.type} and ${r.type}. Try adding explicit casts`);
      }
      switch (op) {
        case '==':
          return bool((row) => { const x = a(row); return x !== null && x === b(row); });
        case '!=':
          return bool((row) => { const x = a(row); const y = b(row); return x !== null && y !== null && x !== y; });
        case '<':
          return bool((row) => { const x = a(row); const y = b(row); return x !== null && y !== null && (x as number) < (y as number); });
        case '<=':
          return bool((row) => { const x = a(row); const y = b(row); return x !== null && y !== null && (x as number) <= (y as number); });
        case '>':
          return bool((row) => { const x = a(row); const y = b(row); return x !== null && y !== null && (x as number) > (y as number); });
        default:
          return bool((row) => { const x = a(row); const y = b(row); return x !== null && y !== null && (x as number) >= (y as number); });
      }
    }
    case '=~':
      return bool((row) => lower(L(row)) === lower(R(row)));
    case '!~':
      return bool((row) => lower(L(row)) !== lower(R(row)));
    case '+':
    case '-':
    case '*':
    case '/':
    case '%': {
      let type: KType = l.type === 'real' || r.type === 'real' ? 'real' : 'long';
      if (l.type === 'datetime' && r.type === 'timespan') type = 'datetime';
      else if (l.type === 'timespan' && r.type === 'datetime' && op === '+') type = 'datetime';
      else if (l.type === 'datetime' && r.type === 'datetime' && op === '-') type = 'timespan';
      else if (l.type === 'timespan' && r.type === 'timespan') type = 'timespan';
      else if (l.type === 'string' || r.type === 'string') throw new KqlSemanticError(`Operator '${op}' cannot be applied to strings; use strcat()`);
      const f = (x: number, y: number) => (op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? (type === 'long' ? Math.trunc(x / y) : x / y) : x % y);
      return { fn: (row) => { const x = L(row); const y = R(row); return typeof x === 'number' && typeof y === 'number' ? f(x, y) : null; }, type };
    }
  }
  // String operators.
  const neg = op.startsWith('!');
  const base = neg ? op.slice(1) : op;
  const cs = base.endsWith('_cs');
  const kind = cs ? base.slice(0, -3) : base;
  const norm = cs ? str : lower;
  const test: (h: string, n: string) => boolean =
    kind === 'has' ? hasTerm : kind === 'contains' ? (h, n) => h.includes(n) : kind === 'startswith' ? (h, n) => h.startsWith(n) : (h, n) => h.endsWith(n);
  // Constant needles are normalised once.
  if (re.k === 'lit') {
    const needle = norm(re.v);
    return bool((row) => test(norm(L(row)), needle) !== neg);
  }
  return bool((row) => test(norm(L(row)), norm(R(row))) !== neg);
}

function arity(name: string, args: Expr[], min: number, max = min): void {
  if (args.length < min || args.length > max) throw new KqlSemanticError(`Function '${name}' expects ${min === max ? min : `${min}-${max}`} argument(s), got ${args.length}`);
}

function compileFunction(name: string, args: Expr[], schema: Schema, ctx: EvalContext): Compiled {
  const c = (i: number) => compile(args[i], schema, ctx);
  switch (name) {
    case 'ago': {
      arity(name, args, 1);
      const a = c(0);
      if (a.type !== 'timespan') throw new KqlSemanticError('ago() expects a timespan such as 7d or 1h');
      return { fn: (r) => ctx.now - (a.fn(r) as number), type: 'datetime' };
    }
    case 'now': {
      arity(name, args, 0, 1);
      const off = args.length ? c(0) : undefined;
      return { fn: (r) => ctx.now + (off ? ((off.fn(r) as number) ?? 0) : 0), type: 'datetime' };
    }
    case 'datetime':
    case 'todatetime': {
      arity(name, args, 1);
      const a = args[0];
      if (a.k === 'raw') {
        const v = parseDateText(a.text);
        return { fn: () => v, type: 'datetime' };
      }
      const x = compile(a, schema, ctx);
      if (x.type === 'datetime') return x;
      return { fn: (r) => { const v = x.fn(r); try { return typeof v === 'string' ? parseDateText(v) : null; } catch { return null; } }, type: 'datetime' };
    }
    case 'timespan':
    case 'time':
    case 'totimespan': {
      arity(name, args, 1);
      const a = args[0];
      if (a.k === 'raw') {
        const v = parseTimespanText(a.text);
        return { fn: () => v, type: 'timespan' };
      }
      const x = compile(a, schema, ctx);
      return { fn: (r) => { const v = x.fn(r); return typeof v === 'number' ? v : typeof v === 'string' ? parseTimespanText(v) : null; }, type: 'timespan' };
    }
    case 'tolower':
    case 'toupper': {
      arity(name, args, 1);
      const x = c(0);
      const up = name === 'toupper';
      return { fn: (r) => { const v = x.fn(r); return v == null ? null : up ? String(v).toUpperCase() : String(v).toLowerCase(); }, type: 'string' };
    }
    case 'strlen': {
      arity(name, args, 1);
      const x = c(0);
      return { fn: (r) => str(x.fn(r)).length, type: 'long' };
    }
    case 'isempty':
    case 'isnotempty': {
      arity(name, args, 1);
      const x = c(0);
      const want = name === 'isempty';
      return { fn: (r) => { const v = x.fn(r); return (v === null || v === undefined || v === '') === want; }, type: 'bool' };
    }
    case 'isnull':
    case 'isnotnull': {
      arity(name, args, 1);
      const x = c(0);
      const want = name === 'isnull';
      return { fn: (r) => { const v = x.fn(r); return (v === null || v === undefined) === want; }, type: 'bool' };
    }
    case 'not': {
      arity(name, args, 1);
      const x = c(0);
      return { fn: (r) => x.fn(r) !== true, type: 'bool' };
    }
    case 'long':
    case 'int':
    case 'tolong':
    case 'toint': {
      arity(name, args, 1);
      const x = c(0);
      const type: KType = name.endsWith('int') ? 'int' : 'long';
      return { fn: (r) => { const v = x.fn(r); const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'boolean' ? +v : NaN; return Number.isFinite(n) ? Math.trunc(n) : null; }, type };
    }
    case 'real':
    case 'double':
    case 'toreal':
    case 'todouble': {
      arity(name, args, 1);
      const x = c(0);
      return { fn: (r) => { const v = x.fn(r); const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN; return Number.isFinite(n) ? n : null; }, type: 'real' };
    }
    case 'bool':
    case 'tobool': {
      arity(name, args, 1);
      const x = c(0);
      return { fn: (r) => { const v = x.fn(r); return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : typeof v === 'string' ? (/^true$/i.test(v) ? true : /^false$/i.test(v) ? false : null) : null; }, type: 'bool' };
    }
    case 'tostring': {
      arity(name, args, 1);
      const x = c(0);
      const t = x.type;
      return { fn: (r) => { const v = x.fn(r); return v == null ? '' : t === 'datetime' ? new Date(v as number).toISOString().replace('Z', '0000Z') : String(v); }, type: 'string' };
    }
    case 'strcat': {
      if (!args.length) throw new KqlSemanticError('strcat() needs at least one argument');
      const xs = args.map((_, i) => c(i));
      return { fn: (r) => xs.map((x) => { const v = x.fn(r); return v == null ? '' : x.type === 'datetime' ? new Date(v as number).toISOString() : String(v); }).join(''), type: 'string' };
    }
    case 'iff':
    case 'iif': {
      arity(name, args, 3);
      const [cond, a, b] = [c(0), c(1), c(2)];
      return { fn: (r) => (cond.fn(r) === true ? a.fn(r) : b.fn(r)), type: a.type };
    }
    case 'coalesce': {
      const xs = args.map((_, i) => c(i));
      return { fn: (r) => { for (const x of xs) { const v = x.fn(r); if (v !== null && v !== undefined && v !== '') return v; } return null; }, type: xs[0]?.type ?? 'dynamic' };
    }
    case 'bin':
    case 'floor': {
      arity(name, args, 2);
      const [x, size] = [c(0), c(1)];
      return { fn: (r) => { const v = x.fn(r); const s = size.fn(r); return typeof v === 'number' && typeof s === 'number' && s > 0 ? Math.floor(v / s) * s : null; }, type: x.type };
    }
    case 'startofday': {
      arity(name, args, 1);
      const x = c(0);
      return { fn: (r) => { const v = x.fn(r); return typeof v === 'number' ? Math.floor(v / 86_400_000) * 86_400_000 : null; }, type: 'datetime' };
    }
    case 'substring': {
      arity(name, args, 2, 3);
      const [x, s, l] = [c(0), c(1), args.length > 2 ? c(2) : undefined];
      return { fn: (r) => { const v = str(x.fn(r)); const st = Number(s.fn(r)); return l ? v.substr(st, Number(l.fn(r))) : v.slice(st); }, type: 'string' };
    }
    case 'trim': {
      arity(name, args, 1);
      const x = c(0);
      return { fn: (r) => str(x.fn(r)).trim(), type: 'string' };
    }
  }
  if (AGGREGATES.has(name)) throw new KqlSemanticError(`Aggregation '${name}()' can only be used in summarize`);
  throw new KqlSemanticError(`Failed to resolve scalar expression named '${name}'`);
}

// ---------- aggregation ----------

const AGGREGATES = new Set(['count', 'countif', 'dcount', 'sum', 'min', 'max', 'avg', 'make_set', 'take_any', 'any', 'arg_max', 'arg_min']);

interface Aggregate {
  name: string;
  type: KType;
  init: () => { add(row: Row): void; value(): V };
}

function compileAggregate(ne: NamedExpr, schema: Schema, ctx: EvalContext): Aggregate {
  const e = ne.e;
  if (e.k !== 'fn' || !AGGREGATES.has(e.name)) throw new KqlSemanticError('summarize expects aggregation functions such as count(), dcount(x) or max(x)');
  const argName = e.args[0]?.k === 'col' ? e.args[0].name : '';
  const arg = e.args.length ? compile(e.args[0], schema, ctx) : undefined;
  const need = () => {
    if (!arg) throw new KqlSemanticError(`${e.name}() needs an argument`);
    return arg;
  };
  switch (e.name) {
    case 'count':
      if (e.args.length) throw new KqlSemanticError('count() takes no arguments');
      return { name: ne.name ?? 'count_', type: 'long', init: () => { let n = 0; return { add: () => { n++; }, value: () => n }; } };
    case 'countif': {
      const p = need();
      return { name: ne.name ?? 'countif_', type: 'long', init: () => { let n = 0; return { add: (r) => { if (p.fn(r) === true) n++; }, value: () => n }; } };
    }
    case 'dcount': {
      const a = need();
      return { name: ne.name ?? `dcount_${argName}`, type: 'long', init: () => { const s = new Set<unknown>(); return { add: (r) => { const v = a.fn(r); if (v != null) s.add(v); }, value: () => s.size }; } };
    }
    case 'make_set': {
      const a = need();
      return { name: ne.name ?? `set_${argName}`, type: 'dynamic', init: () => { const s = new Set<unknown>(); return { add: (r) => { const v = a.fn(r); if (v != null) s.add(v); }, value: () => [...s] }; } };
    }
    case 'sum':
    case 'avg': {
      const a = need();
      if (!isNum(a.type) && a.type !== 'timespan') throw new KqlSemanticError(`${e.name}() expects a numeric argument`);
      const isAvg = e.name === 'avg';
      return {
        name: ne.name ?? `${e.name}_${argName}`,
        type: isAvg ? 'real' : a.type,
        init: () => { let s = 0; let n = 0; return { add: (r) => { const v = a.fn(r); if (typeof v === 'number') { s += v; n++; } }, value: () => (isAvg ? (n ? s / n : null) : s) }; },
      };
    }
    case 'min':
    case 'max': {
      const a = need();
      const isMax = e.name === 'max';
      return {
        name: ne.name ?? `${e.name}_${argName}`,
        type: a.type,
        init: () => { let best: V = null; return { add: (r) => { const v = a.fn(r); if (v == null) return; if (best === null || (isMax ? (v as number) > (best as number) : (v as number) < (best as number))) best = v; }, value: () => best }; },
      };
    }
    case 'take_any':
    case 'any': {
      const a = need();
      return { name: ne.name ?? `any_${argName}`, type: a.type, init: () => { let v: V = null; let set = false; return { add: (r) => { if (!set) { v = a.fn(r); set = true; } }, value: () => v }; } };
    }
  }
  throw new KqlSemanticError(`Aggregation '${e.name}()' is not supported by the simulator`);
}

function columnName(ne: NamedExpr, index: number): string {
  if (ne.name) return ne.name;
  if (ne.e.k === 'col') return ne.e.name;
  if (ne.e.k === 'fn' && ne.e.args[0]?.k === 'col') return ne.e.args[0].name;
  return `Column${index + 1}`;
}

function sortRows(rows: Row[], keys: SortKey[], schema: Schema, ctx: EvalContext): Row[] {
  const compiled = keys.map((k) => ({ fn: compile(k.e, schema, ctx).fn, desc: k.desc }));
  // Decorate-sort-undecorate so key expressions run once per row.
  const decorated = rows.map((r, i) => ({ r, i, k: compiled.map((c) => c.fn(r)) }));
  decorated.sort((a, b) => {
    for (let j = 0; j < compiled.length; j++) {
      const x = a.k[j];
      const y = b.k[j];
      if (x === y) continue;
      // Nulls last for descending, first for ascending, as Kusto does.
      if (x == null) return compiled[j].desc ? 1 : -1;
      if (y == null) return compiled[j].desc ? -1 : 1;
      const c = (x as number) < (y as number) ? -1 : 1;
      return compiled[j].desc ? -c : c;
    }
    return a.i - b.i;
  });
  return decorated.map((d) => d.r);
}

export interface QueryOutput {
  schema: { name: string; type: KType }[];
  rows: Row[];
  /** Rows of the source table that were scanned. */
  scanned: number;
}

function applyOperator(op: Operator, rows: Row[], schema: Schema, ctx: EvalContext): { rows: Row[]; schema: Schema } {
  switch (op.k) {
    case 'where': {
      const c = compile(op.e, schema, ctx);
      if (c.type !== 'bool' && c.type !== 'dynamic') throw new KqlSemanticError("The 'where' operator expects a boolean expression");
      const f = c.fn;
      return { rows: rows.filter((r) => f(r) === true), schema };
    }
    case 'take':
      return { rows: rows.slice(0, op.n), schema };
    case 'project':
    case 'extend': {
      const cols = op.cols.map((ne, i) => {
        const c = compile(ne.e, schema, ctx);
        if (op.k === 'extend' && !ne.name && ne.e.k !== 'col') return { name: `Column${i + 1}`, ...c };
        return { name: columnName(ne, i), ...c };
      });
      if (op.k === 'project') {
        const out = rows.map((r) => {
          const o: Row = {};
          for (const c of cols) o[c.name] = c.fn(r);
          return o;
        });
        return { rows: out, schema: cols.map((c) => ({ name: c.name, type: c.type })) };
      }
      const out = rows.map((r) => {
        const o: Row = { ...r };
        for (const c of cols) o[c.name] = c.fn(r);
        return o;
      });
      const newSchema = [...schema];
      for (const c of cols) {
        const i = newSchema.findIndex((s) => s.name === c.name);
        if (i >= 0) newSchema[i] = { name: c.name, type: c.type };
        else newSchema.push({ name: c.name, type: c.type });
      }
      return { rows: out, schema: newSchema };
    }
    case 'project-away': {
      for (const n of op.names) if (!schema.some((s) => s.name === n)) throw new KqlSemanticError(`Failed to resolve scalar expression named '${n}'`);
      const drop = new Set(op.names);
      return { rows, schema: schema.filter((s) => !drop.has(s.name)) };
    }
    case 'sort':
      return { rows: sortRows(rows, op.keys, schema, ctx), schema };
    case 'top':
      return { rows: sortRows(rows, op.keys, schema, ctx).slice(0, op.n), schema };
    case 'count':
      return { rows: [{ Count: rows.length }], schema: [{ name: 'Count', type: 'long' }] };
    case 'distinct': {
      const cols = op.cols.map((n) => {
        const c = schema.find((s) => s.name === n);
        if (!c) throw new KqlSemanticError(`Failed to resolve scalar expression named '${n}'`);
        return c;
      });
      const seen = new Set<string>();
      const out: Row[] = [];
      for (const r of rows) {
        const key = JSON.stringify(cols.map((c) => r[c.name]));
        if (seen.has(key)) continue;
        seen.add(key);
        const o: Row = {};
        for (const c of cols) o[c.name] = r[c.name];
        out.push(o);
      }
      return { rows: out, schema: cols };
    }
    case 'summarize': {
      const by = op.by.map((ne, i) => ({ name: columnName(ne, i), ...compile(ne.e, schema, ctx) }));
      const aggs = op.aggs.map((ne) => compileAggregate(ne, schema, ctx));
      const groups = new Map<string, { keys: V[]; states: ReturnType<Aggregate['init']>[] }>();
      for (const r of rows) {
        const keys = by.map((b) => b.fn(r));
        const key = by.length === 1 ? String(keys[0]) + '\u0000' + typeof keys[0] : JSON.stringify(keys);
        let g = groups.get(key);
        if (!g) {
          g = { keys, states: aggs.map((a) => a.init()) };
          groups.set(key, g);
        }
        for (const s of g.states) s.add(r);
      }
      // With no `by`, summarize always yields one row (count() = 0 on empty input).
      if (!by.length && groups.size === 0) groups.set('', { keys: [], states: aggs.map((a) => a.init()) });
      const out: Row[] = [];
      for (const g of groups.values()) {
        const o: Row = {};
        by.forEach((b, i) => (o[b.name] = g.keys[i]));
        aggs.forEach((a, i) => (o[a.name] = g.states[i].value()));
        out.push(o);
      }
      return { rows: out, schema: [...by.map((b) => ({ name: b.name, type: b.type })), ...aggs.map((a) => ({ name: a.name, type: a.type }))] };
    }
  }
}

export interface RunOptions {
  now: number;
  /** Only rows with Timestamp >= this (Graph `Timespan`). */
  since?: number;
}

/** Parses and runs `query` against `tables`. Throws KqlError / KqlSemanticError. */
export function runQuery(query: string, tables: Record<string, HuntingTable>, opts: RunOptions): QueryOutput {
  const q = parseQuery(query);
  const table = tables[q.table];
  if (!table) throw new KqlSemanticError(`Failed to resolve table or column expression named '${q.table}'`);
  const ctx: EvalContext = { now: opts.now };
  let schema: Schema = table.columns.map((c) => ({ name: c.name, type: FROM_TABLE[c.type] }));
  let rows: Row[] = table.rows as Row[];
  if (opts.since !== undefined && schema.some((s) => s.name === 'Timestamp')) {
    const since = opts.since;
    rows = rows.filter((r) => (r.Timestamp as number) >= since);
  }
  const scanned = rows.length;
  for (const op of q.ops) ({ rows, schema } = applyOperator(op, rows, schema, ctx));
  return { schema, rows, scanned };
}

export type { HuntingRow };
