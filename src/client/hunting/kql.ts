// KQL templating that cannot be escaped from: every {{value}} becomes one complete KQL literal
// (quotes included). Templates with raw / partial / section tags, placeholders written inside a
// string literal or a comment, or missing names are rejected. Values are read from the view by
// walking each named path over own data properties only: nothing else of the view is touched.
import { mustache } from '../templates';
import { MdeInputError } from '../errors';
import { KqlScanner } from './kql-scanner';
import { MISSING, readNamedValue } from '../named-values';

const ESC: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
// eslint-disable-next-line no-control-regex
const BAD_CONTROL = /[\u0000-\u0006\u000b\u000e-\u001f\u007f\u2028\u2029]/;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'an undefined value';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * A value as one KQL literal: strings → `"..."` (Kusto escapes for `" \ BEL BS FF LF CR TAB`),
 * safe integers → `long(n)`, other numbers → `real(n)`, booleans → `true`/`false`, dates →
 * `datetime(ISO)`, arrays → `(lit, lit)` for `in (...)`. Objects, null, NaN and other control
 * characters are rejected.
 */
export function kqlLiteral(v: unknown): string {
  if (typeof v === 'string') {
    if (BAD_CONTROL.test(v)) throw new MdeInputError('A value for the hunting query contains a control character that KQL cannot represent safely.');
    return `"${v.replace(/["\\\x07\b\f\n\r\t]/g, (c) => ESC[c]!)}"`;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new MdeInputError(`Cannot put ${v} into a KQL query.`);
    return Number.isSafeInteger(v) ? `long(${v})` : `real(${v})`;
  }
  if (typeof v === 'bigint') return `long(${v})`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) {
    let time: number;
    try {
      time = Date.prototype.getTime.call(v);
    } catch {
      time = NaN;
    }
    if (!Number.isFinite(time)) throw new MdeInputError('Cannot put an invalid date into a KQL query.');
    return `datetime(${new Date(time).toISOString()})`;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) throw new MdeInputError('Cannot put an empty list into a KQL query.');
    return `(${v.map((x) => {
      if (Array.isArray(x)) throw new MdeInputError('Cannot put a nested list into a KQL query.');
      return kqlLiteral(x);
    }).join(', ')})`;
  }
  throw new MdeInputError(`Cannot put ${describe(v)} into a KQL query: only text, numbers, booleans, dates and lists of them.`);
}

export interface KqlTemplateOptions {
  /** Allow `{{{x}}}` / `{{& x}}` (inserted WITHOUT escaping: expert use only). Partials stay forbidden. */
  allowRaw?: boolean;
  /** How error messages name the view (`msg` → "msg.alert.id"). */
  viewName?: string;
}

type Token = [string, string, number, number, Token[]?, ...unknown[]];

/** A checked template: the text as written, and the places where values go. */
type Segment = { text: string } | { name: string; raw: boolean };

function lineOf(template: string, index: number): number {
  return template.slice(0, index).split(/\r\n|\r|\n|\u2028|\u2029/).length;
}

function placementError(template: string, tag: string, start: number, scanner: KqlScanner): MdeInputError | undefined {
  const where = scanner.position();
  const line = lineOf(template, start);
  const fix = `Write ${tag} without quotes: it becomes a complete KQL literal, quotes and escapes included (e.g. DeviceName == ${tag}).`;
  if (where.kind === 'literal') {
    const opened = where.line === line ? '' : ` opened on line ${where.line}`;
    return new MdeInputError(
      `The query template puts ${tag} (line ${line}) inside the string literal ${where.opener}…${where.closer}${opened}, where a crafted value could end the string and change the query. ${fix}`,
    );
  }
  if (where.kind === 'comment') {
    return new MdeInputError(
      `The query template puts ${tag} (line ${line}) inside a // comment. Remove it from the comment: every message would still need a value for it, and it would never be used.`,
    );
  }
  if (where.after === 'at') {
    return new MdeInputError(
      `The query template writes @ right before ${tag} (line ${line}), which would make the inserted literal a verbatim string where its escapes do not apply. Remove the @: ${tag} becomes a complete, escaped KQL literal by itself.`,
    );
  }
  if (where.after === 'literal') {
    return new MdeInputError(
      `The query template writes ${tag} (line ${line}) right after a string literal; KQL would join the two into one literal (after a verbatim @"…" literal its quotes would merge with the value's). Put a space between them, or build the text with strcat("…", ${tag}).`,
    );
  }
  return undefined;
}

function compile(template: unknown, opts: KqlTemplateOptions): Segment[] {
  if (typeof template !== 'string' || !template.trim()) throw new MdeInputError('The hunting query is empty.');
  let tokens: Token[];
  try {
    tokens = mustache().parse(template) as unknown as Token[];
  } catch (e) {
    throw new MdeInputError(`The hunting query template is not valid: ${(e as Error).message}.`);
  }
  const segments: Segment[] = [];
  const scanner = new KqlScanner();
  for (const t of tokens) {
    switch (t[0]) {
      case 'text':
        scanner.feed(t[1]);
        segments.push({ text: t[1] });
        break;
      case '!':
      case '=':
        break;
      case 'name': {
        const error = placementError(template, `{{${t[1]}}}`, t[2], scanner);
        if (error) throw error;
        segments.push({ name: t[1], raw: false });
        scanner.inserted();
        break;
      }
      case '&':
        if (!opts.allowRaw) {
          throw new MdeInputError(`The query template inserts {{{${t[1]}}}} / {{& ${t[1]}}} without escaping, which would let a value rewrite the query. Use {{${t[1]}}} (inserted as a quoted KQL literal).`);
        }
        // Raw text was allowed explicitly: its value can rewrite the query whatever surrounds it.
        segments.push({ name: t[1], raw: true });
        scanner.opaque();
        break;
      case '>':
        throw new MdeInputError(`The query template uses a partial ({{> ${t[1]}}}), which is not allowed.`);
      case '#':
      case '^':
        throw new MdeInputError(`The query template uses a section ({{${t[0]}${t[1]}}}); sections are not supported — compute the value in the flow and insert it with {{name}}.`);
      default:
        throw new MdeInputError(`The query template uses an unsupported tag type "${t[0]}".`);
    }
  }
  const unclosed = scanner.finish();
  // Without placeholders nothing is inserted: a broken literal is the service's syntax error to report.
  if (unclosed.length && segments.some((s) => 'name' in s)) {
    const u = unclosed[0]!;
    throw new MdeInputError(
      `The query template opens a string literal with ${u.opener} on line ${u.line} and does not close it${u.closer === '```' || u.closer === '~~~' ? '' : ' on that line'}, so where its placeholders fall cannot be told. Close the literal.`,
    );
  }
  return segments;
}

/**
 * Names used by a template (`{{alert.machineId}}` → 'alert.machineId'). Throws on forbidden
 * tags and on placeholders written inside a string literal, a comment, or glued to `@` or a literal.
 */
export function checkKqlTemplate(template: string, opts: KqlTemplateOptions = {}): string[] {
  return compile(template, opts).flatMap((s) => ('name' in s ? [s.name] : []));
}

/** A list's items as plain values (own data properties), so no getter of the view runs later. */
function plainValue(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const items: unknown[] = [];
  for (let i = 0; i < value.length; i++) {
    const property = Object.getOwnPropertyDescriptor(value, i);
    items.push(property && 'value' in property ? (Array.isArray(property.value) ? [] : property.value) : undefined);
  }
  return items;
}

function rawText(value: unknown, label: string): string {
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new MdeInputError(`${label} is ${describe(value)}; raw insertion takes only text, finite numbers and booleans.`);
}

/**
 * Renders a KQL template: `{{name}}` → kqlLiteral(value). Missing / null names are errors naming
 * the `{{name}}`. Only the values the template names are read from `view`.
 */
export function renderKqlTemplate(template: string, view: unknown, opts: KqlTemplateOptions = {}): string {
  const segments = compile(template, opts);
  const values = new Map<string, unknown>();
  const missing: string[] = [];
  for (const s of segments) {
    if (!('name' in s) || values.has(s.name) || missing.includes(s.name)) continue;
    const value = readNamedValue(view, s.name);
    if (value === MISSING || value === undefined || value === null) missing.push(s.name);
    else values.set(s.name, plainValue(value));
  }
  const label = (name: string): string => `{{${name}}}${opts.viewName ? ` (${name === '.' ? opts.viewName : `${opts.viewName}.${name}`})` : ''}`;
  if (missing.length) {
    throw new MdeInputError(`The hunting query needs a value for ${missing.map(label).join(', ')}, but ${opts.viewName ?? 'the values given'} has none.`);
  }
  return segments
    .map((s) => {
      if (!('name' in s)) return s.text;
      const value = values.get(s.name);
      if (s.raw) return rawText(value, label(s.name));
      try {
        return kqlLiteral(value);
      } catch (e) {
        throw new MdeInputError(`${label(s.name)}: ${(e as Error).message}`);
      }
    })
    .join('');
}
