// KQL tokenizer for the subset the simulator evaluates. String literal rules follow the Kusto
// docs: "..." and '...' with backslash escapes, verbatim @"..." with doubled quotes, h-prefixed
// obfuscated literals, no raw newlines inside literals; `//` comments; timespan literals (7d, 1h).

export class KqlError extends Error {}

export type Token =
  | { type: 'ident'; value: string; pos: number }
  | { type: 'string'; value: string; pos: number }
  | { type: 'number'; value: number; pos: number; real: boolean }
  | { type: 'timespan'; value: number; pos: number }
  | { type: 'raw'; value: string; pos: number }
  | { type: 'op'; value: string; pos: number }
  | { type: 'eof'; value: ''; pos: number };

const UNIT_MS: Record<string, number> = {
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000,
  s: 1000, sec: 1000, second: 1000, seconds: 1000,
  ms: 1, milli: 1, millis: 1, millisecond: 1, milliseconds: 1,
  microsecond: 0.001, microseconds: 0.001, tick: 0.0001, ticks: 0.0001,
};

const ESCAPES: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };

// Longest first, so `!contains` wins over `!` and `==` over `=`.
const OPERATORS = ['!contains_cs', '!startswith_cs', '!endswith_cs', '!has_cs', '!contains', '!startswith', '!endswith', '!has', '!in~', '!in', '==', '!=', '=~', '!~', '<=', '>=', '<>', '|', '(', ')', ',', '=', '<', '>', ';', '+', '-', '*', '/', '%', '[', ']', '.', ':'];

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  const isIdStart = (c: string) => /[A-Za-z_$]/.test(c);
  const isId = (c: string) => /[A-Za-z0-9_$]/.test(c);

  const readQuoted = (quote: string, verbatim: boolean, start: number): string => {
    let v = '';
    for (;;) {
      if (i >= n) throw new KqlError(`Unterminated string literal starting at position ${start}.`);
      const c = src[i];
      if (c === '\n' || c === '\r') throw new KqlError(`Newline inside a string literal at position ${i}.`);
      if (c === quote) {
        if (verbatim && src[i + 1] === quote) {
          v += quote;
          i += 2;
          continue;
        }
        i++;
        return v;
      }
      if (!verbatim && c === '\\') {
        const e = src[i + 1];
        if (e === undefined) throw new KqlError(`Unterminated escape at position ${i}.`);
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
          v += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) {
          v += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        if (!(e in ESCAPES)) throw new KqlError(`Invalid escape sequence '\\${e}' at position ${i}.`);
        v += ESCAPES[e];
        i += 2;
        continue;
      }
      v += c;
      i++;
    }
  };

  while (i < n) {
    const c = src[i];
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '`' && src.startsWith('```', i)) {
      const end = src.indexOf('```', i + 3);
      if (end < 0) throw new KqlError(`Unterminated multi-line string literal at position ${i}.`);
      out.push({ type: 'string', value: src.slice(i + 3, end), pos: start });
      i = end + 3;
      continue;
    }
    // Verbatim and obfuscated literals: @"..", h"..", h@"..", H'..'.
    const prefix = /^(?:[hH]@?|@)(?=["'])/.exec(src.slice(i, i + 3));
    if (prefix && (i === 0 || !isId(src[i - 1]))) {
      i += prefix[0].length;
      const q = src[i++];
      out.push({ type: 'string', value: readQuoted(q, prefix[0].includes('@'), start), pos: start });
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      out.push({ type: 'string', value: readQuoted(c, false, start), pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i))!;
      i += m[0].length;
      const unit = /^[A-Za-z]+/.exec(src.slice(i))?.[0];
      const num = parseFloat(m[0]);
      if (unit !== undefined) {
        const ms = UNIT_MS[unit.toLowerCase()];
        if (ms === undefined) throw new KqlError(`Unexpected '${m[0]}${unit}' at position ${start}.`);
        i += unit.length;
        out.push({ type: 'timespan', value: num * ms, pos: start });
      } else {
        out.push({ type: 'number', value: num, pos: start, real: /[.eE]/.test(m[0]) });
      }
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      // Operator names like project-away and in~ are single tokens.
      while (j < n && (isId(src[j]) || (src[j] === '-' && /[A-Za-z]/.test(src[j + 1] ?? '') && /^(project|mv|parse|make|top|order|sort)$/i.test(src.slice(i, j))))) j++;
      let word = src.slice(i, j);
      if ((word === 'in' || word === 'has_any' || word === 'in') && src[j] === '~') {
        word += '~';
        j++;
      }
      i = j;
      // datetime(2026-01-01T10:00:00Z) takes an unquoted literal: keep the raw text.
      if (/^(datetime|todatetime|timespan|time|guid)$/i.test(word)) {
        let k = i;
        while (k < n && /\s/.test(src[k])) k++;
        if (src[k] === '(') {
          const close = src.indexOf(')', k);
          const inner = close < 0 ? '' : src.slice(k + 1, close).trim();
          if (close > 0 && inner && !/^["'@hH]/.test(inner)) {
            out.push({ type: 'ident', value: word, pos: start });
            out.push({ type: 'op', value: '(', pos: k });
            out.push({ type: 'raw', value: inner, pos: k + 1 });
            out.push({ type: 'op', value: ')', pos: close });
            i = close + 1;
            continue;
          }
        }
      }
      out.push({ type: 'ident', value: word, pos: start });
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i) && !(/^![a-z]/.test(o) && isId(src[i + o.length] ?? '')));
    if (op) {
      out.push({ type: 'op', value: op, pos: start });
      i += op.length;
      continue;
    }
    throw new KqlError(`Unexpected character '${c}' at position ${i}.`);
  }
  out.push({ type: 'eof', value: '', pos: n });
  return out;
}
