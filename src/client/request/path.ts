// Path templates for the generic request node: `/api/machines/{{machineId}}/vulnerabilities`.
// A placeholder fills one whole path segment and its value is percent-encoded as that segment,
// so no value ('/', '..', '?', '#', quotes ...) can change which resource is called. The template
// text itself is checked once (prefix per API, no query, no dot segments, no absolute URL).
// Values are read from the message by walking each named path over own data properties only:
// msg may hold circular req/res objects and getters, none of which is touched.
import type { ApiFamily, Audience } from '../types';
import { MdeInputError } from '../errors';
import { describe } from '../validate';
import { MISSING, readNamedValue } from '../named-values';

export type PathPart = { text: string } | { name: string };

/** The allowed first segment(s) of a path, per API. */
export const PATH_PREFIXES: Record<Audience, readonly string[]> = {
  mde: ['/api/'],
  graph: ['/v1.0/', '/beta/'],
};

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME = /^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z0-9_$]+)*$/;
// Literal template text: RFC 3986 path characters only (no '?', '#', '\', spaces, controls, '%').
const LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function refuse(sentence: string): never {
  throw new MdeInputError(sentence, 'InvalidPath');
}

/** Checks a path template for `audience` and splits it into text and placeholders. */
export function compilePathTemplate(template: unknown, audience: Audience): PathPart[] {
  if (typeof template !== 'string' || !template.trim()) refuse(`The request path is ${describe(template)}; write a path such as ${audience === 'graph' ? '/v1.0/security/alerts_v2' : '/api/machines/{{machineId}}'}.`);
  const t = template.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(t) || t.startsWith('//')) refuse(`The request path ${describe(t)} is an absolute URL; write only the path: the host is always the connection's ${audience === 'graph' ? 'Graph' : 'Defender for Endpoint'} API.`);
  const prefixes = PATH_PREFIXES[audience];
  if (!prefixes.some((p) => t.startsWith(p))) refuse(`The request path ${describe(t)} must start with ${prefixes.join(' or ')} for the ${audience === 'graph' ? 'Microsoft Graph' : 'Defender for Endpoint'} API.`);
  const parts: PathPart[] = [];
  let last = 0;
  for (const m of t.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    if (!NAME.test(name)) refuse(`The request path uses {{${name}}}; a placeholder names a msg property such as {{machineId}} or {{alert.machineId}}.`);
    parts.push({ text: t.slice(last, m.index) });
    parts.push({ name });
    last = m.index! + m[0].length;
  }
  parts.push({ text: t.slice(last) });
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!('text' in part)) {
      // A placeholder is a whole segment: '/' before it, '/' or the end after it.
      const before = (parts[i - 1] as { text: string }).text;
      const after = (parts[i + 1] as { text: string }).text;
      if (!before.endsWith('/') || !(after === '' || after.startsWith('/'))) {
        refuse(`The request path puts {{${part.name}}} inside a segment; a placeholder must be a whole segment between two '/' (e.g. /api/machines/{{${part.name}}}/alerts), so its value can only ever be one segment.`);
      }
      continue;
    }
    const text = part.text;
    if (/[{}]/.test(text)) refuse(`The request path has a stray '{' or '}'; placeholders are written {{name}}.`);
    if (text.includes('?') || text.includes('#')) refuse(`The request path contains '?' or '#'; put query options in the query parameters, not in the path.`);
    if (text.includes('%')) refuse(`The request path contains '%'; write it unencoded: values from placeholders are encoded for you.`);
    if (!LITERAL.test(text)) refuse(`The request path contains characters a URL path cannot hold as written (spaces, '\\', control or non-ASCII characters).`);
  }
  const shape = parts.map((p) => ('text' in p ? p.text : 'x')).join('');
  if (shape.split('/').some((s) => s === '.' || s === '..')) refuse(`The request path contains a '.' or '..' segment, which is not allowed.`);
  if (shape.includes('//')) refuse(`The request path contains an empty segment ('//').`);
  return parts;
}

/** The placeholder names of a template, in order of first use. */
export function pathTemplateNames(parts: readonly PathPart[]): string[] {
  return [...new Set(parts.flatMap((p) => ('name' in p ? [p.name] : [])))];
}

/** One value as one encoded path segment; `'()*!` are encoded too, so a value never reads as OData syntax. */
export function pathSegment(value: unknown, label: string): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else throw new MdeInputError(`${label} is ${describe(value)}; a path value must be text or a finite number.`, 'InvalidPathValue');
  if (text === '' ) throw new MdeInputError(`${label} is an empty string; it would leave an empty path segment.`, 'InvalidPathValue');
  if (text === '.' || text === '..') throw new MdeInputError(`${label} is ${describe(text)}, a dot segment that would move up the path; it is refused.`, 'InvalidPathValue');
  if (CONTROL.test(text)) throw new MdeInputError(`${label} contains a control character (line break, tab ...), which a path value cannot hold.`, 'InvalidPathValue');
  try {
    return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    throw new MdeInputError(`${label} is not valid Unicode text (a lone surrogate); it cannot be encoded.`, 'InvalidPathValue');
  }
}

/** Renders a compiled template with values read from `msg`; a missing value is an error naming its placeholder. */
export function renderPath(parts: readonly PathPart[], msg: unknown): string {
  const missing: string[] = [];
  const values = new Map<string, string>();
  for (const name of pathTemplateNames(parts)) {
    const value = readNamedValue(msg, name);
    if (value === MISSING || value === undefined || value === null) missing.push(name);
    else values.set(name, pathSegment(value, `{{${name}}} (msg.${name})`));
  }
  if (missing.length) {
    throw new MdeInputError(`The request path needs a value for ${missing.map((n) => `{{${n}}} (msg.${n})`).join(', ')}, but the message has none.`, 'MissingPathValue');
  }
  return parts.map((p) => ('text' in p ? p.text : values.get(p.name)!)).join('');
}

const MACHINE_ACTIONS = new Set(['isolate', 'unisolate', 'restrictcodeexecution', 'unrestrictcodeexecution', 'collectinvestigationpackage', 'runantivirusscan', 'offboard', 'stopandquarantinefile', 'runliveresponse', 'getpackageuri']);

/** The rate-governor family a path belongs to (its documented budget), 'other' when none fits. */
export function familyForPath(audience: Audience, path: string): ApiFamily {
  const segments = path.split('/').filter(Boolean).map((s) => s.toLowerCase());
  if (audience === 'graph') {
    // [version, 'security', resource, ...]
    if (segments[1] !== 'security') return 'other';
    if (segments[2] === 'alerts_v2') return 'graph-alerts';
    if (segments[2] === 'incidents') return 'graph-incidents';
    if (segments[2] === 'runhuntingquery') return 'graph-hunting';
    return 'other';
  }
  // ['api', resource, id?, sub?]
  const [, resource, , sub] = segments;
  if (resource === 'advancedqueries' || resource === 'advancedhunting') return 'hunting';
  if (resource === 'machineactions') return 'machineactions';
  if (resource === 'alerts') return 'alerts';
  if (resource === 'machines') {
    if (sub === 'alerts') return 'alerts';
    if (sub !== undefined && MACHINE_ACTIONS.has(sub)) return 'machineactions';
    return 'machines';
  }
  return 'other';
}
