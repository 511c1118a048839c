// Runtime messages come from the node's catalogue through RED._; when the runtime has no
// catalogue loaded (RED._ answers with the key itself, as node-red-node-test-helper does) the
// bundled en-US catalogue is used, so users and tests always get a sentence, never a key.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI } from './node-types';

const catalogues = new Map<string, Record<string, unknown>>();

function catalogue(type: string): Record<string, unknown> {
  let cat = catalogues.get(type);
  if (!cat) {
    try {
      cat = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'locales', 'en-US', `${type}.json`), 'utf8')) as Record<string, unknown>;
    } catch {
      cat = {};
    }
    catalogues.set(type, cat);
  }
  return cat;
}

function lookup(key: string): string | undefined {
  const type = key.split('.')[0];
  let value: unknown = catalogue(type);
  for (const part of key.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function translate(RED: NodeAPI, key: string, vars: Record<string, string | number> = {}): string {
  const fromRuntime = RED._(key, vars);
  if (typeof fromRuntime === 'string' && fromRuntime !== key) return fromRuntime;
  const template = lookup(key) ?? key;
  return template.replace(/__(\w+)__/g, (_, name: string) => (name in vars ? String(vars[name]) : `__${name}__`));
}
