// KQL templating that cannot be escaped from: every {{value}} becomes one complete KQL literal
// (quotes included), the escaper is passed per render (never the global Mustache.escape), and
// templates with raw / partial / section tags or missing names are rejected.
import { mustache } from './templates';
import { MdeInputError } from './errors';

const ESC: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
// eslint-disable-next-line no-control-regex
const BAD_CONTROL = /[\u0000-\u0006\u000b\u000e-\u001f\u007f\u2028\u2029]/;

/**
 * A value as one KQL literal: strings → `"..."` (Kusto escapes for `" \ BEL BS FF LF CR TAB`),
 * integers → `long(n)`, other numbers → `real(n)`, booleans → `true`/`false`, arrays →
 * `(lit, lit)` for `in (...)`. Objects, null, NaN and other control characters are rejected.
 */
export function kqlLiteral(v: unknown): string {
  if (typeof v === 'string') {
    if (BAD_CONTROL.test(v)) throw new MdeInputError('A value for the hunting query contains a control character that KQL cannot represent safely.');
    return `"${v.replace(/["\\\x07\b\f\n\r\t]/g, (c) => ESC[c]!)}"`;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new MdeInputError(`Cannot put ${v} into a KQL query.`);
    return Number.isInteger(v) ? `long(${v})` : `real(${v})`;
  }
  if (typeof v === 'bigint') return `long(${v})`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) {
    if (v.length === 0) throw new MdeInputError('Cannot put an empty list into a KQL query.');
    return `(${v.map((x) => {
      if (Array.isArray(x)) throw new MdeInputError('Cannot put a nested list into a KQL query.');
      return kqlLiteral(x);
    }).join(', ')})`;
  }
  throw new MdeInputError(`Cannot put ${v === null ? 'null' : v === undefined ? 'an undefined value' : `a ${typeof v}`} into a KQL query: only text, numbers, booleans and lists of them.`);
}

export interface KqlTemplateOptions {
  /** Allow `{{{x}}}` / `{{& x}}` (inserted WITHOUT escaping: expert use only). Partials stay forbidden. */
  allowRaw?: boolean;
}

type Token = [string, string, number, number, Token[]?, ...unknown[]];

/** Names used by a template (`{{alert.machineId}}` → 'alert.machineId'). Throws on forbidden tags. */
export function checkKqlTemplate(template: string, opts: KqlTemplateOptions = {}): string[] {
  if (typeof template !== 'string' || !template.trim()) throw new MdeInputError('The hunting query is empty.');
  let tokens: Token[];
  try {
    tokens = mustache().parse(template) as unknown as Token[];
  } catch (e) {
    throw new MdeInputError(`The hunting query template is not valid: ${(e as Error).message}.`, { cause: e });
  }
  const names: string[] = [];
  const walk = (toks: Token[]): void => {
    for (const t of toks) {
      switch (t[0]) {
        case 'text':
        case '!':
        case '=':
          break;
        case 'name':
          names.push(t[1]);
          break;
        case '&':
          if (!opts.allowRaw) {
            throw new MdeInputError(`The query template inserts {{{${t[1]}}}} / {{& ${t[1]}}} without escaping, which would let a value rewrite the query. Use {{${t[1]}}} (inserted as a quoted KQL literal).`);
          }
          names.push(t[1]);
          break;
        case '>':
          throw new MdeInputError(`The query template uses a partial ({{> ${t[1]}}}), which is not allowed.`);
        case '#':
        case '^':
          throw new MdeInputError(`The query template uses a section ({{${t[0]}${t[1]}}}); sections are not supported — compute the value in the flow and insert it with {{name}}.`);
        default:
          throw new MdeInputError(`The query template uses an unsupported tag type "${t[0]}".`);
      }
      if (Array.isArray(t[4])) walk(t[4]);
    }
  };
  walk(tokens);
  return names;
}

/** A JSON-safe copy (no functions, no prototypes, no getters run later). */
function jsonSafe(view: unknown): Record<string, unknown> {
  if (view === undefined || view === null) return {};
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(view, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
  } catch (e) {
    throw new MdeInputError('The values for the hunting query cannot be copied (circular or unsupported data).', { cause: e });
  }
  if (!copy || typeof copy !== 'object' || Array.isArray(copy)) throw new MdeInputError('The values for the hunting query must be an object.');
  return copy as Record<string, unknown>;
}

/**
 * Renders a KQL template: `{{name}}` → kqlLiteral(value). Missing / null names are errors
 * naming the `{{name}}` (mustache would silently render them as empty text).
 */
export function renderKqlTemplate(template: string, view: unknown, opts: KqlTemplateOptions = {}): string {
  const names = checkKqlTemplate(template, opts);
  const safe = jsonSafe(view);
  const ctx = new (mustache().Context)(safe);
  const missing = [...new Set(names.filter((n) => {
    const v = ctx.lookup(n) as unknown;
    return v === undefined || v === null;
  }))];
  if (missing.length) {
    throw new MdeInputError(`The hunting query needs a value for ${missing.map((n) => `{{${n}}}`).join(', ')}, but the message has none.`);
  }
  return mustache().render(template, safe, undefined, { escape: kqlLiteral });
}
