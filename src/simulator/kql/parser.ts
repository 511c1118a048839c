// Recursive-descent parser for the KQL subset: one tabular expression `Table | op | op ...`.
// Anything outside the subset is a KqlError, which the routes turn into a 400 BadRequest.
import { KqlError, tokenize, type Token } from './lexer';

export type Expr =
  | { k: 'lit'; v: string | number | boolean | null; type: KType }
  | { k: 'col'; name: string }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'in'; op: string; l: Expr; items: Expr[] }
  | { k: 'neg'; e: Expr }
  | { k: 'fn'; name: string; args: Expr[] }
  | { k: 'raw'; text: string };

export type KType = 'string' | 'datetime' | 'timespan' | 'long' | 'int' | 'real' | 'bool' | 'dynamic';

export interface NamedExpr {
  name?: string;
  e: Expr;
}

export interface SortKey {
  e: Expr;
  desc: boolean;
}

export type Operator =
  | { k: 'where'; e: Expr }
  | { k: 'project'; cols: NamedExpr[] }
  | { k: 'project-away'; names: string[] }
  | { k: 'extend'; cols: NamedExpr[] }
  | { k: 'take'; n: number }
  | { k: 'sort'; keys: SortKey[] }
  | { k: 'top'; n: number; keys: SortKey[] }
  | { k: 'summarize'; aggs: NamedExpr[]; by: NamedExpr[] }
  | { k: 'count' }
  | { k: 'distinct'; cols: string[] };

export interface Query {
  table: string;
  ops: Operator[];
}

/** Binary operators by precedence level, lowest first. */
const STRING_OPS = new Set([
  'has', '!has', 'has_cs', '!has_cs', 'contains', '!contains', 'contains_cs', '!contains_cs', 'startswith', '!startswith',
  'startswith_cs', '!startswith_cs', 'endswith', '!endswith', 'endswith_cs', '!endswith_cs', 'matches',
]);
const CMP_OPS = new Set(['==', '!=', '=~', '!~', '<', '<=', '>', '>=', '<>']);
const UNSUPPORTED_TABULAR = new Set(['join', 'union', 'mv-expand', 'parse', 'make-series', 'render', 'evaluate', 'lookup', 'search', 'find', 'invoke', 'serialize', 'as', 'fork', 'facet', 'sample', 'getschema', 'scan', 'externaldata']);

export function parseQuery(src: string): Query {
  const toks = tokenize(src);
  let p = 0;
  const peek = (o = 0): Token => toks[Math.min(p + o, toks.length - 1)];
  const isOp = (v: string, o = 0) => peek(o).type === 'op' && peek(o).value === v;
  const isWord = (v: string, o = 0) => peek(o).type === 'ident' && String(peek(o).value).toLowerCase() === v;
  const fail = (msg: string): never => {
    throw new KqlError(`${msg} (at position ${peek().pos})`);
  };
  const expectOp = (v: string) => {
    if (!isOp(v)) fail(`Expected '${v}' but found '${peek().value || 'end of query'}'`);
    p++;
  };
  const ident = (): string => {
    const t = peek();
    if (t.type !== 'ident') fail(`Expected a name but found '${t.value || 'end of query'}'`);
    p++;
    return String(t.value);
  };
  const integer = (): number => {
    const t = peek();
    if (t.type === 'ident' && /^(long|int)$/i.test(t.value) && isOp('(', 1)) {
      p += 2;
      const v = integer();
      expectOp(')');
      return v;
    }
    if (t.type !== 'number' || t.real || t.value < 0) fail(`Expected a non-negative integer but found '${t.value || 'end of query'}'`);
    p++;
    return t.value as number;
  };

  // ---- expressions
  function orExpr(): Expr {
    let l = andExpr();
    while (isWord('or')) {
      p++;
      l = { k: 'bin', op: 'or', l, r: andExpr() };
    }
    return l;
  }
  function andExpr(): Expr {
    let l = cmpExpr();
    while (isWord('and')) {
      p++;
      l = { k: 'bin', op: 'and', l, r: cmpExpr() };
    }
    return l;
  }
  function cmpExpr(): Expr {
    const l = addExpr();
    const t = peek();
    if (t.type === 'op' && CMP_OPS.has(t.value)) {
      p++;
      return { k: 'bin', op: t.value === '<>' ? '!=' : t.value, l, r: addExpr() };
    }
    const word = t.type === 'ident' || t.type === 'op' ? String(t.value).toLowerCase() : '';
    if (STRING_OPS.has(word)) {
      if (word === 'matches') fail("'matches regex' is not supported by the simulator");
      p++;
      return { k: 'bin', op: word, l, r: addExpr() };
    }
    if (['in', 'in~', '!in', '!in~'].includes(word)) {
      p++;
      expectOp('(');
      const items: Expr[] = [];
      if (!isOp(')')) {
        items.push(addExpr());
        while (isOp(',')) {
          p++;
          items.push(addExpr());
        }
      }
      expectOp(')');
      return { k: 'in', op: word, l, items };
    }
    if (word === 'between' || word === '!between') fail(`'${word}' is not supported by the simulator`);
    return l;
  }
  function addExpr(): Expr {
    let l = mulExpr();
    while (isOp('+') || isOp('-')) {
      const op = String(peek().value);
      p++;
      l = { k: 'bin', op, l, r: mulExpr() };
    }
    return l;
  }
  function mulExpr(): Expr {
    let l = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = String(peek().value);
      p++;
      l = { k: 'bin', op, l, r: unary() };
    }
    return l;
  }
  function unary(): Expr {
    if (isOp('-')) {
      p++;
      return { k: 'neg', e: unary() };
    }
    if (isOp('+')) {
      p++;
      return unary();
    }
    return primary();
  }
  function primary(): Expr {
    const t = peek();
    switch (t.type) {
      case 'string': {
        p++;
        let v = t.value;
        // Adjacent literals concatenate ("a" 'b').
        while (peek().type === 'string') v += String(toks[p++].value);
        return { k: 'lit', v, type: 'string' };
      }
      case 'number':
        p++;
        return { k: 'lit', v: t.value, type: t.real ? 'real' : 'long' };
      case 'timespan':
        p++;
        return { k: 'lit', v: t.value, type: 'timespan' };
      case 'raw':
        p++;
        return { k: 'raw', text: t.value };
      case 'op':
        if (t.value === '(') {
          p++;
          const e = orExpr();
          expectOp(')');
          return e;
        }
        return fail(`Unexpected '${t.value}'`);
      case 'ident': {
        p++;
        const lower = t.value.toLowerCase();
        if (isOp('(')) {
          p++;
          const args: Expr[] = [];
          if (!isOp(')')) {
            args.push(orExpr());
            while (isOp(',')) {
              p++;
              args.push(orExpr());
            }
          }
          expectOp(')');
          return { k: 'fn', name: lower, args };
        }
        if (lower === 'true' || lower === 'false') return { k: 'lit', v: lower === 'true', type: 'bool' };
        if (lower === 'null') return { k: 'lit', v: null, type: 'dynamic' };
        if (isOp('[') || isOp('.')) fail(`Dynamic property access on '${t.value}' is not supported by the simulator`);
        return { k: 'col', name: t.value };
      }
      default:
        return fail('Unexpected end of query');
    }
  }

  function namedList(): NamedExpr[] {
    const out: NamedExpr[] = [];
    do {
      if (out.length) p++;
      if (peek().type === 'ident' && isOp('=', 1)) {
        const name = ident();
        p++;
        out.push({ name, e: orExpr() });
      } else {
        out.push({ e: orExpr() });
      }
    } while (isOp(','));
    return out;
  }
  function sortKeys(): SortKey[] {
    const keys: SortKey[] = [];
    do {
      if (keys.length) p++;
      const e = orExpr();
      let desc = true; // Kusto sorts descending unless told otherwise.
      if (isWord('asc')) {
        desc = false;
        p++;
      } else if (isWord('desc')) {
        p++;
      }
      if (isWord('nulls')) {
        p++;
        if (!isWord('first') && !isWord('last')) fail("Expected 'first' or 'last' after 'nulls'");
        p++;
      }
      keys.push({ e, desc });
    } while (isOp(','));
    return keys;
  }

  function operator(): Operator {
    const name = ident().toLowerCase();
    switch (name) {
      case 'where':
      case 'filter':
        return { k: 'where', e: orExpr() };
      case 'project': {
        const cols = namedList();
        return { k: 'project', cols };
      }
      case 'project-away': {
        const names = [ident()];
        while (isOp(',')) {
          p++;
          names.push(ident());
        }
        return { k: 'project-away', names };
      }
      case 'extend':
        return { k: 'extend', cols: namedList() };
      case 'take':
      case 'limit':
        return { k: 'take', n: integer() };
      case 'order':
      case 'sort':
        if (!isWord('by')) fail(`Expected 'by' after '${name}'`);
        p++;
        return { k: 'sort', keys: sortKeys() };
      case 'top': {
        const n = integer();
        if (!isWord('by')) fail("Expected 'by' after 'top N'");
        p++;
        return { k: 'top', n, keys: sortKeys() };
      }
      case 'summarize': {
        const aggs = isWord('by') ? [] : namedList();
        let by: NamedExpr[] = [];
        if (isWord('by')) {
          p++;
          by = namedList();
        }
        if (!aggs.length && !by.length) fail("'summarize' needs an aggregation or a 'by' clause");
        return { k: 'summarize', aggs, by };
      }
      case 'count':
        return { k: 'count' };
      case 'distinct': {
        const cols = [ident()];
        while (isOp(',')) {
          p++;
          cols.push(ident());
        }
        return { k: 'distinct', cols };
      }
      default:
        if (UNSUPPORTED_TABULAR.has(name) || /^(project|mv|make)-/.test(name)) return fail(`The '${name}' operator is not supported by the simulator`);
        return fail(`Unknown query operator '${name}'`);
    }
  }

  if (isWord('let')) fail("'let' statements are not supported by the simulator");
  const tableTok = peek();
  if (tableTok.type !== 'ident') fail('A query must start with a table name');
  const table = ident();
  if (isOp('(')) fail(`Functions such as '${table}()' are not supported by the simulator`);
  const ops: Operator[] = [];
  while (isOp('|')) {
    p++;
    ops.push(operator());
  }
  if (isOp(';')) {
    p++;
    if (peek().type !== 'eof') fail('Queries with several statements are not supported by the simulator');
  }
  if (peek().type !== 'eof') fail(`Unexpected '${peek().value}'`);
  return { table, ops };
}
